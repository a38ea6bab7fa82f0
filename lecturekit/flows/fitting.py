"""Fitting flows to an energy: reverse KL to U1..U4 (with annealing and restarts), the KL that
scores them, notebook 07's Fig. 3 settings and checks, and densities on a grid for the figures.

Reverse KL needs only samples and log q: with p(z) = exp(−U(z))/Z,

    KL(q_K ‖ p) = E_q[log q_K(z) + U(z)] + log Z,

and log Z does not depend on the flow, so training minimizes E_q[log q_K + τ_t U] while the
inverse temperature τ_t rises from 0.01 to 1 (Rezende & Mohamed's annealing), and reporting adds
log Z from quadrature (:func:`log_partition`).

References:
    Rezende & Mohamed (2015), Variational inference with normalizing flows, §6.1 and Fig. 3.
    Dinh, Sohl-Dickstein & Bengio (2017), Density estimation using Real NVP.
"""

from __future__ import annotations

import functools
import math

import torch

from .. import data
from ..claims import check, check_true
from ..train import History, check_num_steps, evaluating, fit
from ..utils import (check_choice, check_dtype, check_float, check_generator, check_int, check_nonnegative_int,
                     check_positive_float, check_positive_int, one_thread, randn)
from .layers import Flow, PlanarFlow

__all__ = ["one_thread", "FIG3_KS", "FIG3_MAX_KL_K32", "NICE_U1_MAX_KL", "log_partition", "anneal_schedule",
           "reverse_kl_loss", "fit_reverse_kl", "kl", "grid",
           "density_grid", "target_density_grid", "check_fig3", "FIG3_PLANAR_TRAIN", "FIG3_NICE_MODEL",
           "FIG3_NICE_TRAIN", "U3_MIN_BRANCH_SHARE", "u3_lower_branch_mass"]

#: The flow lengths of Rezende & Mohamed's Fig. 3.
FIG3_KS = (2, 8, 32)
#: How notebook 07 (and benchmarks/flows.py, over seeds) trains the planar banks of Fig. 3.
FIG3_PLANAR_TRAIN = {"num_steps": 3000, "batch_size": 256, "lr": 1e-2, "anneal_fraction": 0.5, "num_restarts": 3}
#: NICE of Fig. 3: four additive couplings of two hidden layers and a final scaling ...
FIG3_NICE_MODEL = {"num_coupling": 4, "hidden_dim": 32}
#: ... trained per target at a smaller learning rate (at 1e-2 NICE stalls as a centred blob, KL 3.2 on U1).
FIG3_NICE_TRAIN = {"num_steps": 2000, "batch_size": 256, "lr": 3e-3, "anneal_fraction": 0.5}
#: KL(q_K ‖ p) in nats that the K = 32 planar flows must reach on each target (notebook 07's check).
FIG3_MAX_KL_K32 = {"U1": 0.05, "U2": 0.15, "U3": 0.45, "U4": 0.30}
#: NICE (volume-preserving couplings and one scaling) on U1 must come within this KL, in nats.
NICE_U1_MAX_KL = 1.0
#: The widget's U3 flow must put at least this fraction of p's mass of U3's lower branch there.
U3_MIN_BRANCH_SHARE = 0.5


def _check_targets(target, num_flows):
    names = [target] if isinstance(target, str) else list(target) if isinstance(target, (list, tuple)) else None
    if names is None:
        raise TypeError(f"target must be a name in U1..U4 or a list of names, got {type(target).__name__}")
    for name in names:
        check_choice("target", name, tuple(data.ENERGIES))
    if num_flows is None and len(names) != 1:
        raise ValueError(f"target must be one name for a single flow, got {names}")
    if num_flows is not None and len(names) != num_flows:
        raise ValueError(f"target must list {num_flows} names, one per flow, got {names}")
    return names


def _check_flow(flow) -> Flow:
    if not isinstance(flow, Flow):
        raise TypeError(f"flow must be a lecturekit.flows.Flow, got {type(flow).__name__}")
    return flow


def _adam(flow: Flow, lr: float) -> torch.optim.Adam:
    # The fused kernel updates every parameter in one call: on these small flows it takes a third
    # of the time of the default per-tensor loop (profiled), with the same update rule.
    return torch.optim.Adam(flow.parameters(), lr=lr, fused=flow.base.mean.device.type in ("cpu", "cuda"))


def _energy(names: list[str], z: torch.Tensor, batched: bool) -> torch.Tensor:
    """U(z) per flow: one call per distinct target, so a bank of R restarts of M targets costs M
    calls, not R·M (the bank is laid out as names = [t_1..t_M] * R)."""
    if not batched or len(set(names)) == 1:
        return data.ENERGIES[names[0]](z)
    m = len(dict.fromkeys(names))
    if len(names) % m == 0 and names == names[:m] * (len(names) // m):
        # rows m, m + M, m + 2M, ... hold target m: (M, R, N) -> (R, M, N) -> (R·M, N)
        per_target = torch.stack([data.ENERGIES[name](z[i::m]) for i, name in enumerate(names[:m])])
        return per_target.transpose(0, 1).reshape(z.shape[:-1])
    return torch.stack([data.ENERGIES[name](z[i]) for i, name in enumerate(names)])


def log_partition(target: str, *, bound: float = 10.0, num: int = 1000) -> float:
    """log Z = log ∫ exp(−U(z)) dz by the midpoint rule on a num x num grid over [−bound, bound]²
    (float64; cached per target)."""
    check_choice("target", target, tuple(data.ENERGIES))
    bound = check_positive_float("bound", bound)
    num = check_int("num", num, low=2, high=4000)
    return _log_partition(target, bound, num)


@functools.lru_cache(maxsize=None)
def _log_partition(target: str, bound: float, num: int) -> float:
    h = 2 * bound / num
    ticks = -bound + h * (torch.arange(num, dtype=torch.float64, device="cpu") + 0.5)
    z = torch.stack(torch.meshgrid(ticks, ticks, indexing="xy"), -1).reshape(-1, 2)
    return float(torch.logsumexp(-data.energy(target, z), 0)) + 2 * math.log(h)


def anneal_schedule(step: int, num_steps: int, *, anneal_fraction: float = 0.5, tau_start: float = 0.01) -> float:
    """The inverse temperature τ_t = min(1, τ_start + t / T_τ) in front of U, with T_τ =
    anneal_fraction · num_steps: Rezende & Mohamed's annealing (their β_t, with T = 10⁴ steps)."""
    num_steps = check_positive_int("num_steps", num_steps)
    step = check_nonnegative_int("step", step)
    check_positive_float("anneal_fraction", anneal_fraction)
    tau_start = check_float("tau_start", tau_start, low=0.0, high=1.0)
    return min(1.0, tau_start + step / max(1.0, anneal_fraction * num_steps))


def reverse_kl_loss(flow: Flow, target, n: int, *, tau: float = 1.0,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """E_q[log q_K(z_K) + τ U(z_K)], a Monte Carlo estimate over n samples (summed over a bank's flows).

    At τ = 1 it equals KL(q_K ‖ p) − log Z."""
    names = _check_targets(target, _check_flow(flow).num_flows)
    tau = check_float("tau", tau, low=0.0)
    z, log_q = flow.rsample_and_log_prob(check_positive_int("n", n), generator=generator)
    return (log_q + tau * _energy(names, z, flow.num_flows is not None)).mean(-1).sum()


def fit_reverse_kl(flow: Flow, target, *, num_steps: int = 2000, batch_size: int = 256, lr: float = 1e-2,
                   lr_final: float | None = None, anneal_fraction: float = 0.5, tau_start: float = 0.01,
                   num_restarts: int = 1, select_samples: int = 5000, generator: torch.Generator | None = None,
                   progress: bool | None = None) -> History:
    """Minimize E_q[log q + τ_t U] with Adam, τ_t annealed from ``tau_start`` to 1 (:func:`anneal_schedule`)
    and the learning rate decayed from ``lr`` to ``lr_final`` (default lr/20) on a cosine.

    ``target`` is a name in U1..U4, or a list of names, one per flow of a ``num_flows`` bank.
    With ``num_restarts`` = R > 1 (planar flows), R copies of each flow (the flow's own
    initialization and R − 1 fresh ones) train side by side in one bank, and each flow keeps the
    copy with the lowest KL on ``select_samples`` fresh samples: reverse KL has local optima (a
    ridge covered twice, a branch left out) that a restart escapes.

    Returns:
        A :class:`~lecturekit.train.History` of the annealed loss (summed over the bank); with
        restarts, ``info["restart_kl"]`` holds each target's R held-out KLs and ``info["chosen"]``
        the restart kept.
    """
    names = _check_targets(target, _check_flow(flow).num_flows)
    num_steps = check_num_steps("num_steps", num_steps)
    batch_size = check_positive_int("batch_size", batch_size)
    lr = check_positive_float("lr", lr)
    lr_final = lr / 20 if lr_final is None else check_positive_float("lr_final", lr_final)
    check_positive_float("anneal_fraction", anneal_fraction)
    check_float("tau_start", tau_start, low=0.0, high=1.0)
    num_restarts = check_positive_int("num_restarts", num_restarts)
    select_samples = check_positive_int("select_samples", select_samples)
    check_generator(generator)
    model, model_names = flow, names
    if num_restarts > 1:
        model, model_names = _restart_bank(flow, num_restarts, generator), names * num_restarts
    batched = model.num_flows is not None
    optimizer = _adam(model, lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, num_steps, eta_min=lr_final)
    energy = functools.partial(_energy, model_names, batched=batched)
    step = 0

    def loss_fn():
        nonlocal step
        tau = anneal_schedule(step, num_steps, anneal_fraction=anneal_fraction, tau_start=tau_start)
        step += 1
        z, log_q = model.rsample_and_log_prob(batch_size, generator=generator)
        return (log_q + tau * energy(z)).mean(-1).sum()

    with one_thread():
        history = fit(loss_fn, optimizer, lambda: (), num_steps, model=model, scheduler=scheduler,
                      desc="reverse KL", progress=progress)
    history.info["target"] = names if flow.num_flows is not None else names[0]
    if num_restarts > 1:
        scores = torch.tensor(kl(model, model_names, num_samples=select_samples, generator=generator))
        scores = scores.reshape(num_restarts, len(names))  # restart-major, as _restart_bank lays them out
        chosen = scores.argmin(0)
        state = model.state_dict()
        with torch.no_grad():
            for key, value in flow.state_dict().items():
                best = state[key].reshape(num_restarts, len(names), *state[key].shape[1:])[chosen, torch.arange(len(names))]
                value.copy_(best.reshape(value.shape))
        history.info["restart_kl"] = scores.T.tolist()
        history.info["chosen"] = chosen.tolist()
    return history


def _restart_bank(flow: Flow, num_restarts: int, generator) -> Flow:
    """A bank of R·M planar flows: restart r of flow m at index r·M + m; restart 0 is ``flow`` itself."""
    if not isinstance(flow.transform, PlanarFlow) or not isinstance(flow.base.mean, torch.nn.Parameter):
        raise ValueError("num_restarts > 1 needs a planar flow with a learnable base (flows.planar_flow)")
    m = flow.num_flows or 1
    ref = flow.transform.w
    bank = Flow(PlanarFlow(flow.dim, len(flow), num_flows=m * num_restarts)).to(device=ref.device, dtype=ref.dtype)
    with torch.no_grad():
        for key, value in bank.state_dict().items():
            own = flow.state_dict()[key].reshape(m, *value.shape[1:])
            if key.startswith("transform.") and not key.endswith(".b"):
                fresh = 0.1 * randn(((num_restarts - 1) * m, *value.shape[1:]), generator=generator,
                                    device=ref.device, dtype=ref.dtype)
            else:  # offsets b and the base's mean and log-scale start at zero
                fresh = torch.zeros(((num_restarts - 1) * m, *value.shape[1:]), device=ref.device, dtype=ref.dtype)
            value.copy_(torch.cat([own, fresh]))
    return bank


@torch.no_grad()
def kl(flow: Flow, target, *, num_samples: int = 20_000, generator: torch.Generator | None = None):
    """KL(q_K ‖ p) = E_q[log q_K(z) + U(z)] + log Z, with log Z from :func:`log_partition`.

    Returns a float, or a list of floats for a bank of flows."""
    names = _check_targets(target, _check_flow(flow).num_flows)
    num_samples = check_positive_int("num_samples", num_samples)
    with evaluating(flow), one_thread():
        z, log_q = flow.rsample_and_log_prob(num_samples, generator=generator)
        per = (log_q + _energy(names, z, flow.num_flows is not None)).double().mean(-1)
    out = [float(v) + log_partition(name) for v, name in zip(per.reshape(-1), names)]
    return out[0] if flow.num_flows is None else out


def check_fig3(kls: dict, targets=tuple(data.ENERGIES)) -> None:
    """Notebook 07's claims on Fig. 3, printed and checked (:mod:`lecturekit.claims`): for each target,
    KL(q_K ‖ p) decreases from K = 2 to 8 to 32, and the K = 32 flow is within
    :data:`FIG3_MAX_KL_K32`. ``kls`` maps each K in :data:`FIG3_KS` to one KL per target, in nats.

    Raises:
        ClaimError: a target where a longer flow is not better, or a K = 32 flow over its bound.
    """
    if not isinstance(kls, dict) or set(kls) != set(FIG3_KS):
        raise ValueError(f"kls must map each K in {FIG3_KS} to a list of KLs, got {kls!r}")
    if isinstance(targets, str) or not isinstance(targets, (list, tuple)):
        raise TypeError(f"targets must be a list of names in U1..U4, got {targets!r}")
    for t in targets:
        check_choice("targets", t, tuple(data.ENERGIES))
    for k in FIG3_KS:
        if not isinstance(kls[k], (list, tuple)) or len(kls[k]) != len(targets):
            raise ValueError(f"kls[{k}] must hold one KL per target ({len(targets)}), got {kls[k]!r}")
    targets = list(targets)
    for i, t in enumerate(targets):
        values = [float(kls[k][i]) for k in FIG3_KS]
        shown = " > ".join(f"{v:.2f}" for v in values)
        check_true(f"KL decreases with K on {t}", values[0] > values[1] > values[2],
                   detail=f"{shown} nats (K = {', '.join(map(str, FIG3_KS))}; paper: falls with K, Fig. 3d)")
        check(f"KL(q_K ‖ p) on {t} at K = 32", values[2], at_most=FIG3_MAX_KL_K32[t], unit="nats",
              paper="plotted, not tabulated (Fig. 3d)")


def _lower_branch(z: torch.Tensor) -> torch.Tensor:
    w1 = torch.sin(2 * math.pi * z[..., 0] / 4)
    w2 = 3 * torch.exp(-0.5 * ((z[..., 0] - 1) / 0.6) ** 2)
    return (z[..., 0] >= 0.4) & (z[..., 0] <= 1.6) & ((z[..., 1] - w1 + w2).abs() < 0.5)


@torch.no_grad()
def u3_lower_branch_mass(q, *, num_samples: int = 20_000, generator: torch.Generator | None = None) -> float:
    """The probability of U3's lower branch where the two branches separate: the region
    0.4 ≤ z₁ ≤ 1.6, |z₂ − w₁(z₁) + w₂(z₁)| < 0.5 (the upper branch is 3 units above there).

    ``q`` is a single flow (estimated from ``num_samples`` samples) or ``"U3"`` for the target p
    itself (by quadrature on a fine grid). A flow that never splits, or covers only the upper
    branch, puts almost nothing there."""
    if isinstance(q, str):
        check_choice("q", q, ("U3",))
        _, points = grid(extent=(0.0, 2.0, -4.0, 2.0), num=600, dtype=torch.float64)
        cell = (2.0 / 600) * (6.0 / 600)
        p = torch.exp(-data.energy("U3", points) - log_partition("U3"))
        return float((p * _lower_branch(points)).sum() * cell)
    if not isinstance(q, Flow):
        raise TypeError(f"q must be a lecturekit.flows.Flow or 'U3', got {type(q).__name__}")
    if q.num_flows is not None:
        raise ValueError("q must be a single flow (use flows.select to take one out of a bank) or 'U3'")
    with evaluating(q):
        z = q.sample(check_positive_int("num_samples", num_samples), generator=generator)
    return float(_lower_branch(z).double().mean())


# --------------------------------------------------------------------------- densities on a grid


def _check_extent(extent, bound):
    if extent is None:
        b = check_positive_float("bound", bound)
        return (-b, b, -b, b)
    if not isinstance(extent, (tuple, list)) or len(extent) != 4:
        raise ValueError(f"extent must be (x0, x1, y0, y1), got {extent!r}")
    x0, x1, y0, y1 = (check_float(f"extent[{i}]", v) for i, v in enumerate(extent))
    if not (math.isfinite(x0 + x1 + y0 + y1) and x0 < x1 and y0 < y1):
        raise ValueError(f"extent must be finite with x0 < x1 and y0 < y1, got {extent!r}")
    return (x0, x1, y0, y1)


def grid(*, bound: float = 4.0, num: int = 200, extent=None, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Cell centres and points of a num x num grid over [−bound, bound]² (or ``extent`` =
    (x0, x1, y0, y1), as matplotlib's imshow takes it): returns ``ticks`` (num,) (the x ticks) and
    points (num·num, 2) with rows = y, so ``values.reshape(num, num)`` draws with ``origin="lower"``."""
    x0, x1, y0, y1 = _check_extent(extent, bound)
    num = check_int("num", num, low=1, high=4000)
    dtype = check_dtype("dtype", dtype, floating=True)
    cells = torch.arange(num, dtype=dtype) + 0.5
    xs, ys = x0 + (x1 - x0) / num * cells, y0 + (y1 - y0) / num * cells
    return xs, torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)


@torch.no_grad()
def density_grid(flow: Flow, *, bound: float = 4.0, num: int = 200, extent=None,
                 upto: int | None = None) -> torch.Tensor:
    """q_k(z) on a num x num grid over [−bound, bound]² or ``extent`` (rows are y): shape
    (num, num), or (num_flows, num, num) for a bank; draw it with ``imshow(..., origin="lower",
    extent=extent)``."""
    _, points = grid(bound=bound, num=num, extent=extent, dtype=_check_flow(flow).base.mean.dtype)
    points = points.to(flow.base.mean.device)
    if flow.num_flows is not None:
        points = points.expand(flow.num_flows, -1, -1)
    with evaluating(flow), one_thread():  # thousands of small bisection steps for planar layers
        log_q = flow.log_prob(points, upto=upto)
    return log_q.exp().reshape(*log_q.shape[:-1], num, num)


def target_density_grid(target: str, *, bound: float = 4.0, num: int = 200, extent=None) -> torch.Tensor:
    """p(z) = exp(−U(z) − log Z) on the same grid as :func:`density_grid`."""
    check_choice("target", target, tuple(data.ENERGIES))
    _, points = grid(bound=bound, num=num, extent=extent, dtype=torch.float64)
    return torch.exp(-data.energy(target, points) - log_partition(target)).reshape(num, num).float()
