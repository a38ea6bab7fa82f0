r"""The RBM's log-partition function :math:`A = \log Z`: exactly by enumeration, or by annealed
importance sampling.

:math:`Z(\theta) = \sum_{x,z} e^{-E(x,z)}` and :math:`A(\theta) = \log Z(\theta)` (the log-partition
function of notebook 02). Summing out the larger layer analytically leaves :math:`2^{\min(D,H)}`
terms, which we enumerate when that is small (up to about 20 units). For bigger models AIS
(Neal 2001; Salakhutdinov & Murray 2008) anneals from a base-rate RBM
:math:`p_0(x, z) \propto e^{b_0^\top x}` (zero weights and hidden biases, visible biases from the
data marginals), whose partition function is :math:`Z_0 = 2^H\prod_i (1 + e^{b_{0,i}})`, to the
target through the unnormalized marginals

.. math::
    p_k^*(x) = e^{(1-\tau_k)\,b_0^\top x}\; e^{-F_{\tau_k\theta}(x)},
    \qquad 0 = \tau_0 < \tau_1 < \dots < \tau_K = 1,

(:math:`F_{\tau\theta}` is the free energy with every parameter scaled by the inverse temperature
:math:`\tau`), and averages the importance weights
:math:`w = \prod_{k=1}^{K} p_k^*(x_{k-1})/p_{k-1}^*(x_{k-1})`: :math:`\mathbb{E}[w] = Z/Z_0`.

References:
    Neal (2001). Annealed importance sampling.
    Salakhutdinov & Murray (2008). On the quantitative analysis of deep belief networks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .boltzmann import RBM, check_binary, sweeps
from .train import check_num_steps
from .utils import (bernoulli, check_device, check_dtype, check_float, check_generator, check_int, check_positive_float,
                    check_positive_int, check_tensor)


def _check_rbm(rbm) -> RBM:
    if not isinstance(rbm, RBM):
        raise TypeError(f"rbm must be a lecturekit.boltzmann.RBM, got {type(rbm).__name__}")
    return rbm


def _check_bias(base_bias, rbm_or_dim) -> torch.Tensor:
    dim = rbm_or_dim if isinstance(rbm_or_dim, int) else rbm_or_dim.num_visible
    check_tensor("base_bias", base_bias)
    if base_bias.shape != (dim,):
        raise ValueError(f"base_bias must have shape ({dim},), got {tuple(base_bias.shape)}")
    if not base_bias.is_floating_point():
        raise TypeError(f"base_bias must be a floating-point tensor, got dtype {base_bias.dtype}")
    return base_bias

__all__ = ["log_partition_exact", "base_rate_bias", "base_rate_log_likelihood", "AISResult", "ais_log_partition",
           "log_p_star", "temperatures", "log_likelihood", "MAX_EXACT_UNITS", "AIS_MAX_ERROR",
           "BASE_RATE_RANGE", "AIS_CHECK"]

#: enumeration refuses more than this many units on the enumerated side (2^20 terms)
MAX_EXACT_UNITS = 20

#: notebook 06 claims AIS (500 chains, 1,000 temperatures) within this many nats of the exact log Z
AIS_MAX_ERROR = 0.1
#: the AIS settings of that check
AIS_CHECK = {"num_chains": 500, "num_temperatures": 1000}
#: the base-rate model's test log-likelihood on the binarized test digits lies in this range (nats)
BASE_RATE_RANGE = (-210.0, -204.0)


def _binary_states(n: int, start: int, stop: int, *, dtype, device) -> torch.Tensor:
    """Rows ``start..stop-1`` of all 2^n binary vectors, as bits of the row index."""
    idx = torch.arange(start, stop, device=device).unsqueeze(1)
    bits = 2 ** torch.arange(n, device=device)
    return ((idx & bits) > 0).to(dtype)


def log_partition_exact(rbm: RBM, *, chunk_size: int = 4096) -> torch.Tensor:
    r""":math:`A = \log Z = \log\sum_z \exp\big(c^\top z + \sum_i \mathrm{softplus}(b_i + (Wz)_i)\big)`,
    enumerating the smaller layer (hiddens here; visibles when D < H).

    Raises:
        ValueError: both layers have more than 20 units (use :func:`ais_log_partition`).
    """
    _check_rbm(rbm)
    chunk_size = check_positive_int("chunk_size", chunk_size)
    D, H = rbm.num_visible, rbm.num_hidden
    n = min(D, H)
    if n > MAX_EXACT_UNITS:
        raise ValueError(f"rbm must have at most {MAX_EXACT_UNITS} hidden (or visible) units for exact "
                         f"enumeration, got num_hidden={H}, num_visible={D}; use ais_log_partition")
    W, b, c = rbm.W.detach(), rbm.b.detach(), rbm.c.detach()
    terms = []
    with torch.no_grad():
        for start in range(0, 2**n, chunk_size):
            s = _binary_states(n, start, min(start + chunk_size, 2**n), dtype=W.dtype, device=W.device)
            if H <= D:  # s are hidden states: sum out the visibles
                terms.append(s @ c + F.softplus(s @ W.T + b).sum(-1))
            else:  # s are visible states: -F(x)
                terms.append(-rbm._free_energy(s))
    return torch.logsumexp(torch.cat(terms), 0)


def base_rate_bias(x: torch.Tensor, *, pseudocount: float = 5.0) -> torch.Tensor:
    r"""Visible biases of the base-rate model, :math:`b_{0,i} = \log\frac{\bar x_i}{1-\bar x_i}`,
    with ``pseudocount`` extra counts of 0 and 1 per pixel so no bias is infinite."""
    x = check_binary("x", x)
    pseudocount = check_positive_float("pseudocount", pseudocount)
    p = (x.sum(0) + pseudocount) / (x.shape[0] + 2 * pseudocount)
    return torch.log(p) - torch.log1p(-p)


@torch.no_grad()
def base_rate_log_likelihood(x: torch.Tensor, base_bias: torch.Tensor) -> float:
    r"""Mean log-likelihood in nats of independent pixels with logits ``base_bias``:
    :math:`\frac1N\sum_n b_0^\top x_n - \sum_i \mathrm{softplus}(b_{0,i})`, the reference that
    every model of the digits should beat."""
    x = check_binary("x", x)
    base_bias = _check_bias(base_bias, x.shape[1]).to(x.device, x.dtype)
    return float((x @ base_bias).mean() - F.softplus(base_bias).sum())


@dataclass
class AISResult:
    """What :func:`ais_log_partition` found: the estimate of log Z and its spread."""

    log_z: float  #: the estimate of log Z = A (nats)
    log_z_low: float  #: log(mean w − 3 s.e.), the lower end S&M (2008) report (−inf if negative)
    log_z_high: float  #: log(mean w + 3 s.e.)
    log_weights: torch.Tensor  #: one log importance weight per chain, plus log Z_0
    num_temperatures: int

    def __post_init__(self):
        check_float("log_z", self.log_z)
        if not isinstance(self.log_z_low, float) or not (self.log_z_low <= self.log_z <= self.log_z_high):
            raise ValueError(f"log_z_low <= log_z <= log_z_high must hold, got {self.log_z_low}, {self.log_z}, "
                             f"{self.log_z_high}")
        check_float("log_z_high", self.log_z_high)
        check_tensor("log_weights", self.log_weights, ndim=1)
        check_int("num_temperatures", self.num_temperatures, low=2)


def log_p_star(x: torch.Tensor, tau, rbm: RBM, base_bias: torch.Tensor) -> torch.Tensor:
    r""":math:`\log p^*_\tau(x) = (1-\tau) b_0^\top x + \tau b^\top x + \sum_j \mathrm{softplus}(\tau(c_j + (xW)_j))`,
    the unnormalized marginal at inverse temperature :math:`\tau` (one value per row)."""
    _check_rbm(rbm)
    x = check_binary("x", x).to(rbm.W.device, rbm.W.dtype)
    if x.shape[1] != rbm.num_visible:
        raise ValueError(f"x must have {rbm.num_visible} columns (num_visible), got {x.shape[1]}")
    if isinstance(tau, torch.Tensor):
        if tau.numel() != 1:
            raise ValueError(f"tau must be one inverse temperature, got a tensor of shape {tuple(tau.shape)}")
        tau = tau.item()
    tau = check_float("tau", tau, low=0.0, high=1.0)
    base_bias = _check_bias(base_bias, rbm).to(rbm.W.device, rbm.W.dtype)
    return _log_p_star(x, tau, rbm, base_bias)


def _log_p_star(x, tau, rbm, base_bias):
    return (1 - tau) * (x @ base_bias) + tau * (x @ rbm.b) + F.softplus(tau * (x @ rbm.W + rbm.c)).sum(-1)


@torch.no_grad()
def ais_log_partition(rbm: RBM, base_bias: torch.Tensor | None = None, *, num_chains: int = 100,
                      num_temperatures: int = 1000, generator: torch.Generator | None = None,
                      progress: bool | None = None) -> AISResult:
    r"""Annealed importance sampling estimate of :math:`\log Z(\theta) = A(\theta)`.

    Args:
        rbm: the target model.
        base_bias: the base-rate model's visible biases (see :func:`base_rate_bias`; default:
            zeros, i.e. uniform visibles).
        num_chains: independent AIS runs (importance weights).
        num_temperatures: K + 1, the number of inverse temperatures :math:`\tau_0 = 0, \dots,
            \tau_K = 1`; see :func:`temperatures` for the grid.
        generator: seeds the runs (a CPU generator works for a model on a GPU).
        progress: show a progress bar over the temperatures (default: unless ``TQDM_DISABLE``).

    Returns:
        An :class:`AISResult`. The estimate of :math:`Z` is unbiased, so :math:`\log` of it is biased
        low, by less as ``num_temperatures`` and ``num_chains`` grow.
    """
    _check_rbm(rbm)
    num_chains = check_positive_int("num_chains", num_chains)
    num_temperatures = check_num_steps("num_temperatures", num_temperatures)
    if num_temperatures < 2:
        raise ValueError(f"num_temperatures must be at least 2, got {num_temperatures}")
    check_generator(generator)
    W = rbm.W
    b0 = torch.zeros_like(rbm.b) if base_bias is None else _check_bias(base_bias, rbm).to(W.device, W.dtype)
    steps = sweeps(num_temperatures - 1, desc="AIS", progress=progress)
    taus = temperatures(num_temperatures, dtype=W.dtype, device=W.device)
    x = bernoulli(torch.sigmoid(b0).expand(num_chains, -1).contiguous(), generator=generator)  # exact draw of p_0
    log_w = torch.zeros(num_chains, dtype=W.dtype, device=W.device)
    for k in steps:
        prev, tau = taus[k], taus[k + 1]
        log_w += _log_p_star(x, tau, rbm, b0) - _log_p_star(x, prev, rbm, b0)
        # one Gibbs sweep that leaves p_tau(x, z) invariant
        z = bernoulli(torch.sigmoid(tau * (x @ W + rbm.c)), generator=generator)
        x = bernoulli(torch.sigmoid((1 - tau) * b0 + tau * (z @ W.T + rbm.b)), generator=generator)
    # the base model keeps the target's H hidden units with zero weights: each contributes log 2
    log_z0 = F.softplus(b0).sum() + rbm.num_hidden * math.log(2)
    log_mean = torch.logsumexp(log_w, 0) - math.log(num_chains)
    # spread: 3 standard errors of the mean weight, in the log domain relative to the mean
    rel = torch.exp(log_w - log_mean)
    se = float(rel.std(unbiased=num_chains > 1)) / math.sqrt(num_chains) if num_chains > 1 else 0.0
    log_z = float(log_z0 + log_mean)
    low = log_z + math.log(1 - 3 * se) if 3 * se < 1 else -math.inf
    return AISResult(log_z, low, log_z + math.log(1 + 3 * se), log_w + log_z0, num_temperatures)


def temperatures(num: int, *, dtype=torch.float32, device=None) -> torch.Tensor:
    """0 = τ_0 < ... < τ_K = 1 (``num`` = K + 1 points), denser near 1 where the distributions
    change fastest: 10% of the points on [0, 0.5], 40% on [0.5, 0.9], 50% on [0.9, 1] (linear
    pieces, as Salakhutdinov & Murray 2008); evenly spaced below 10 points."""
    num = check_positive_int("num", num)
    if num < 2:
        raise ValueError(f"num must be at least 2 (τ_0 = 0 and τ_K = 1), got {num}")
    dtype = check_dtype("dtype", dtype, floating=True)
    if device is not None:
        device = check_device("device", device)
    if num < 10:
        return torch.linspace(0, 1, num, dtype=dtype, device=device)
    n1, n2 = num // 10, (4 * num) // 10
    n3 = num - n1 - n2
    parts = [torch.linspace(0, 0.5, n1 + 1, dtype=dtype)[:-1], torch.linspace(0.5, 0.9, n2 + 1, dtype=dtype)[:-1],
             torch.linspace(0.9, 1, n3, dtype=dtype)]
    return torch.cat(parts).to(device)


@torch.no_grad()
def log_likelihood(rbm: RBM, x: torch.Tensor, log_z: float | torch.Tensor | None = None) -> float:
    r"""Mean log-likelihood in nats, :math:`\frac1N\sum_n -F(x_n) - \log Z`.

    ``log_z`` defaults to the exact value (small models only); pass ``ais_log_partition(...).log_z``
    for larger ones.
    """
    _check_rbm(rbm)
    x = check_binary("x", x).to(rbm.W.device, rbm.W.dtype)
    if x.shape[1] != rbm.num_visible:
        raise ValueError(f"x must have {rbm.num_visible} columns (num_visible), got {x.shape[1]}")
    if log_z is None:
        log_z = log_partition_exact(rbm)
    elif isinstance(log_z, torch.Tensor):
        if log_z.numel() != 1:
            raise ValueError(f"log_z must be one number, got a tensor of shape {tuple(log_z.shape)}")
        log_z = check_float("log_z", log_z.item())
    else:
        log_z = check_float("log_z", log_z)
    return float(-rbm._free_energy(x).mean() - float(log_z))
