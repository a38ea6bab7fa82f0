"""Rezende & Mohamed (2015) Fig. 3 over seeds, and planar-flow speed against a plain PyTorch loop.

Fig. 3: for each seed, the notebook's recipe (``flows.FIG3_PLANAR_TRAIN``: planar banks of K = 2, 8,
32 over U1..U4 with restarts; ``FIG3_NICE_TRAIN``: NICE per target) is trained from scratch and KL(q ‖ p) is
estimated from 20,000 fresh samples with log Z by quadrature. One JSON line per (seed, model), then
one summary line per (target, model) with the median and the worst KL over seeds, how many seeds
have KL decreasing in K (2 > 8 > 32) and how many meet the notebook's K = 32 bound.

Speed: lecturekit's planar flow (``fit_reverse_kl``) and a plain PyTorch loop of the same network
(stacked parameters, û and the log-det written out, default Adam), same loss, batch and
schedule, timed interleaved in rounds so that machine load hits both alike.

    OMP_NUM_THREADS=1 nice python benchmarks/flows.py [--seeds 0 1 2 3 4] [--rounds 5] [--skip-fig3]
    -> {"bench": "fig3", "seed", "model", "U1".."U4", "seconds"} per seed and model
    -> {"bench": "fig3_summary", "target", "model", "median_kl", "worst_kl", "decreasing_seeds", ...}
    -> {"bench": "speed", "K", "ms_per_iter", "plain_ms_per_iter", "ratio", "threads", "load"}
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from lecturekit import data, flows
from lecturekit.utils import make_generator, seeded

TARGETS = list(data.ENERGIES)


class PlainPlanarFlow(nn.Module):
    """The same planar flow written the plain way: stacked parameters, a Python loop over layers."""

    def __init__(self, dim: int, num_layers: int):
        super().__init__()
        self.mean = nn.Parameter(torch.zeros(dim))
        self.log_scale = nn.Parameter(torch.zeros(dim))
        self.w = nn.Parameter(0.1 * torch.randn(num_layers, dim))
        self.u = nn.Parameter(0.1 * torch.randn(num_layers, dim))
        self.b = nn.Parameter(torch.zeros(num_layers))

    def loss(self, target: str, n: int, tau: float) -> torch.Tensor:
        eps = torch.randn(n, self.mean.shape[0])
        z = self.mean + self.log_scale.exp() * eps
        log_q = (-0.5 * eps**2 - self.log_scale - 0.5 * math.log(2 * math.pi)).sum(-1)
        wu = (self.w * self.u).sum(-1)
        u_hat = self.u + ((F.softplus(wu) - 1 - wu) / (self.w**2).sum(-1))[:, None] * self.w
        for k in range(len(self.b)):
            h = torch.tanh(z @ self.w[k] + self.b[k])
            log_q = log_q - torch.log(torch.abs(1 + (1 - h**2) * (self.w[k] @ u_hat[k])))
            z = z + h[:, None] * u_hat[k]
        return (log_q + tau * data.energy(target, z)).mean()


def plain_ms_per_iter(k: int, num_steps: int, batch: int, lr: float = 1e-2) -> float:
    model = PlainPlanarFlow(2, k)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, num_steps, eta_min=lr / 20)
    start = time.perf_counter()
    for t in range(num_steps):
        opt.zero_grad(set_to_none=True)
        loss = model.loss("U1", batch, flows.anneal_schedule(t, num_steps))
        loss.backward()
        opt.step()
        sched.step()
    return 1000 * (time.perf_counter() - start) / num_steps


def ours_ms_per_iter(k: int, num_steps: int, batch: int, lr: float = 1e-2) -> float:
    flow = flows.planar_flow(num_layers=k)
    history = flows.fit_reverse_kl(flow, "U1", num_steps=num_steps, batch_size=batch, lr=lr, progress=False)
    return 1000 * history.seconds / num_steps


def speed(ks, rounds: int, num_steps: int, batch: int) -> None:
    ours_ms_per_iter(2, 20, batch), plain_ms_per_iter(2, 20, batch)  # warm-up
    for k in ks:
        ours, plain = [], []
        for r in range(rounds):  # interleaved, alternating which goes first
            pair = [(ours, ours_ms_per_iter), (plain, plain_ms_per_iter)]
            for out, fn in (pair if r % 2 == 0 else pair[::-1]):
                torch.manual_seed(r)
                out.append(fn(k, num_steps, batch))
        m_ours, m_plain = statistics.median(ours), statistics.median(plain)
        print(json.dumps({"bench": "speed", "K": k, "batch": batch, "steps_per_round": num_steps, "rounds": rounds,
                          "ms_per_iter": round(m_ours, 3), "plain_ms_per_iter": round(m_plain, 3),
                          "ratio": round(m_ours / m_plain, 3), "threads": torch.get_num_threads(),
                          "load": round(os.getloadavg()[0], 1)}), flush=True)


def fig3_seed(seed: int) -> dict:
    """KL per target for every model of the notebook's Fig. 3 (its settings), trained with ``seed``."""
    recipes = [(f"planar K={k}", flows.planar_flow, {"num_layers": k, "num_flows": len(TARGETS)},
                {**flows.FIG3_PLANAR_TRAIN, "target": TARGETS}) for k in flows.FIG3_KS]
    recipes += [("NICE", flows.nice_flow, flows.FIG3_NICE_MODEL, {**flows.FIG3_NICE_TRAIN, "target": t})
                for t in TARGETS]
    out: dict[str, dict] = {}
    for name, build, model, train in recipes:
        start = time.perf_counter()
        with seeded(seed):  # as checkpoint.cached builds and fits
            flow = build(**model)
            flows.fit_reverse_kl(flow, generator=make_generator(seed), progress=False, **train)
        kls = flows.kl(flow, train["target"], generator=make_generator(10_000 + seed))
        row = out.setdefault(name, {"seconds": 0.0})
        row.update(dict(zip(train["target"], kls)) if isinstance(kls, list) else {train["target"]: kls})
        row["seconds"] += time.perf_counter() - start
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds per K")
    parser.add_argument("--speed-steps", type=int, default=300, help="optimizer steps per timing round")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--skip-fig3", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    for t in TARGETS:
        flows.log_partition(t)  # once, outside every timing
    if not args.skip_speed:
        speed(flows.FIG3_KS, args.rounds, args.speed_steps, args.batch)
    if args.skip_fig3:
        return 0
    table: dict[tuple[str, str], list[float]] = {}
    for seed in args.seeds:
        for model, kls in fig3_seed(seed).items():
            print(json.dumps({"bench": "fig3", "seed": seed, "model": model,
                              **{k: round(v, 4) for k, v in kls.items()}}), flush=True)
            for t in TARGETS:
                if t in kls:
                    table.setdefault((t, model), []).append(kls[t])
    for t in TARGETS:
        per_k = {k: table[(t, f"planar K={k}")] for k in flows.FIG3_KS}
        decreasing = sum(a > b > c for a, b, c in zip(*per_k.values()))
        for model in [f"planar K={k}" for k in flows.FIG3_KS] + ["NICE"]:
            values = table.get((t, model))
            if not values:
                continue
            row = {"bench": "fig3_summary", "target": t, "model": model, "seeds": len(values),
                   "median_kl": round(statistics.median(values), 4), "worst_kl": round(max(values), 4)}
            if model == "planar K=32":
                row["bound"] = flows.FIG3_MAX_KL_K32[t]
                row["seeds_within_bound"] = sum(v <= flows.FIG3_MAX_KL_K32[t] for v in values)
                row["decreasing_seeds"] = decreasing
            if model == "NICE" and t == "U1":
                row["bound"] = flows.NICE_U1_MAX_KL
                row["seeds_within_bound"] = sum(v <= flows.NICE_U1_MAX_KL for v in values)
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
