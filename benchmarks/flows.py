"""Planar flows against U1..U4 (Rezende & Mohamed 2015, Fig. 3): final reverse KL and speed.

For each target and K in (2, 8, 32), one planar flow is fitted by reverse KL with β annealing
(``--iters`` iterations of batch ``--batch``) and its KL(q_K ‖ p) = E_q[log q + U] + log Z is
estimated from 20,000 samples with log Z from a 1000 x 1000 grid over [−10, 10]². In the same run,
a plain PyTorch planar flow of the same size (one module per layer, û and the log-det computed
layer by layer) takes the same optimizer steps on the same loss, for timing only.

    python benchmarks/flows.py [--iters 5000] [--batch 256]
    -> one line per (target, K): {"target", "K", "iters", "kl_nats", "s_per_1000_iters",
                                  "plain_s_per_1000_iters", ...}
"""

from __future__ import annotations

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from lecturekit import data, flows

KS = (2, 8, 32)
TARGETS = ("U1", "U2", "U3", "U4")


class PlainPlanarLayer(nn.Module):
    """One planar layer written the textbook way."""

    def __init__(self, dim: int):
        super().__init__()
        self.w = nn.Parameter(0.1 * torch.randn(dim))
        self.u = nn.Parameter(0.1 * torch.randn(dim))
        self.b = nn.Parameter(torch.zeros(()))

    def forward(self, z):
        wu = self.w @ self.u
        u_hat = self.u + (F.softplus(wu) - 1 - wu) * self.w / (self.w @ self.w)
        h = torch.tanh(z @ self.w + self.b)
        psi = (1 - h**2)[:, None] * self.w
        return z + h[:, None] * u_hat, torch.log(torch.abs(1 + psi @ u_hat))


class PlainPlanarFlow(nn.Module):
    def __init__(self, dim: int, num_layers: int):
        super().__init__()
        self.mean = nn.Parameter(torch.zeros(dim))
        self.log_scale = nn.Parameter(torch.zeros(dim))
        self.layers = nn.ModuleList(PlainPlanarLayer(dim) for _ in range(num_layers))

    def loss(self, target, n, beta):
        eps = torch.randn(n, 2)
        z = self.mean + self.log_scale.exp() * eps
        log_q = (-0.5 * eps**2 - self.log_scale - 0.5 * math.log(2 * math.pi)).sum(-1)
        for layer in self.layers:
            z, log_det = layer(z)
            log_q = log_q - log_det
        return (log_q + beta * data.energy(target, z)).mean()


def time_plain(target: str, k: int, iters: int, batch: int) -> float:
    """Seconds per 1000 Adam steps of the plain flow (same loss, schedule and optimizer)."""
    model = PlainPlanarFlow(2, k)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, iters, eta_min=1e-2 / 20)
    start = time.perf_counter()
    for t in range(iters):
        opt.zero_grad(set_to_none=True)
        loss = model.loss(target, batch, flows.beta_schedule(t, iters))
        loss.backward()
        opt.step()
        sched.step()
    return 1000 * (time.perf_counter() - start) / iters


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--plain-iters", type=int, default=1000, help="steps timed for the plain flow")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    for t in TARGETS:
        flows.log_partition(t)  # computed once, outside the timings
    time_plain("U1", 2, 50, args.batch)  # warm-up
    for target in TARGETS:
        for k in KS:
            torch.manual_seed(args.seed)
            flow = flows.planar_flow(num_layers=k)
            out = flows.fit_reverse_kl(flow, target, num_steps=args.iters, batch_size=args.batch, progress=False)
            kl = flows.kl(flow, target, num_samples=20_000, generator=torch.Generator().manual_seed(args.seed))
            torch.manual_seed(args.seed)
            plain = time_plain(target, k, min(args.plain_iters, args.iters), args.batch)
            ours = 1000 * out["seconds"] / args.iters
            print(json.dumps({
                "target": target, "K": k, "iters": args.iters, "kl_nats": round(kl, 4),
                "s_per_1000_iters": round(ours, 3), "plain_s_per_1000_iters": round(plain, 3),
                "speedup_vs_plain": round(plain / ours, 2), "batch": args.batch,
                "final_loss": round(sum(out["loss"][-100:]) / 100, 4), "threads": args.threads,
            }), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
