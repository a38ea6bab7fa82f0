r"""The RBM's log-partition function: exactly by enumeration, or by annealed importance sampling.

:math:`\log A(\theta) = \log\sum_{x,z} e^{-E(x,z)}`. Summing out the larger layer analytically
leaves :math:`2^{\min(D,H)}` terms, which we enumerate when that is small (up to about 20 units).
For bigger models AIS (Neal 2001; Salakhutdinov & Murray 2008) anneals from a base-rate RBM
:math:`p_A(x, z) \propto e^{b_A^\top x}` (zero weights and hidden biases, visible biases from the
data marginals), whose partition function is :math:`2^H\prod_i (1 + e^{b_{A,i}})`, to the target through

.. math::
    p_k^*(x) = e^{(1-\beta_k)\,b_A^\top x}\; e^{-\beta_k F(x)\,\text{with } \theta\to\beta_k\theta},
    \qquad 0 = \beta_0 < \dots < \beta_K = 1,

and averages the importance weights :math:`w = \prod_k p_k^*(x_{k-1})/p_{k-1}^*(x_{k-1})`:
:math:`\mathbb{E}[w] = A_B/A_A`.

References:
    Neal (2001). Annealed importance sampling.
    Salakhutdinov & Murray (2008). On the quantitative analysis of deep belief networks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .boltzmann import RBM, bernoulli, check_binary
from .utils import check_positive_int

__all__ = ["log_partition_exact", "base_rate_bias", "AISResult", "ais_log_partition", "log_likelihood"]

#: enumeration refuses more than this many units on the enumerated side (2^20 terms)
MAX_EXACT_UNITS = 20


def _binary_states(n: int, start: int, stop: int, *, dtype, device) -> torch.Tensor:
    """Rows ``start..stop-1`` of all 2^n binary vectors, as bits of the row index."""
    idx = torch.arange(start, stop, device=device).unsqueeze(1)
    bits = 2 ** torch.arange(n, device=device)
    return ((idx & bits) > 0).to(dtype)


def log_partition_exact(rbm: RBM, *, chunk_size: int = 4096) -> torch.Tensor:
    r""":math:`\log A = \log\sum_z \exp\big(c^\top z + \sum_i \mathrm{softplus}(b_i + (Wz)_i)\big)`,
    enumerating the smaller layer (hiddens here; visibles when D < H).

    Raises:
        ValueError: both layers have more than 20 units (use :func:`ais_log_partition`).
    """
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
                terms.append(-rbm.free_energy(s))
    return torch.logsumexp(torch.cat(terms), 0)


def base_rate_bias(x: torch.Tensor, *, pseudocount: float = 5.0) -> torch.Tensor:
    r"""Visible biases of the base-rate model, :math:`b_{A,i} = \log\frac{\bar x_i}{1-\bar x_i}`,
    with ``pseudocount`` extra counts of 0 and 1 per pixel so no bias is infinite."""
    x = check_binary("x", x)
    p = (x.sum(0) + pseudocount) / (x.shape[0] + 2 * pseudocount)
    return torch.log(p) - torch.log1p(-p)


@dataclass
class AISResult:
    """What :func:`ais_log_partition` found: the estimate and its spread."""

    log_z: float  #: the estimate of log A (nats)
    log_z_low: float  #: log(mean w − 3 s.e.), the lower end S&M (2008) report (−inf if negative)
    log_z_high: float  #: log(mean w + 3 s.e.)
    log_weights: torch.Tensor  #: one log importance weight per chain, plus log A_A
    num_betas: int


def _log_p_star(x, beta, rbm: RBM, b_a):
    r""":math:`\log p^*_\beta(x) = (1-\beta) b_A^\top x + \beta b^\top x + \sum_j \mathrm{softplus}(\beta(c_j + (xW)_j))`."""
    return (1 - beta) * (x @ b_a) + beta * (x @ rbm.b) + F.softplus(beta * (x @ rbm.W + rbm.c)).sum(-1)


@torch.no_grad()
def ais_log_partition(rbm: RBM, base_bias: torch.Tensor | None = None, *, num_chains: int = 100,
                      num_betas: int = 1000, generator: torch.Generator | None = None) -> AISResult:
    r"""Annealed importance sampling estimate of :math:`\log A(\theta)`.

    Args:
        rbm: the target model.
        base_bias: the base-rate model's visible biases (see :func:`base_rate_bias`; default:
            zeros, i.e. uniform visibles).
        num_chains: independent AIS runs (importance weights).
        num_betas: intermediate distributions; the β grid is denser near 1, where the
            distributions change fastest (linear pieces as in S&M 2008).
        generator: seeds the runs.

    Returns:
        An :class:`AISResult`. The estimate of :math:`A` is unbiased, so :math:`\log` of it is biased
        low, by less as ``num_betas`` and ``num_chains`` grow.
    """
    num_chains = check_positive_int("num_chains", num_chains)
    num_betas = check_positive_int("num_betas", num_betas)
    if num_betas < 2:
        raise ValueError(f"num_betas must be at least 2, got {num_betas}")
    W = rbm.W
    b_a = torch.zeros_like(rbm.b) if base_bias is None else base_bias.to(W.device, W.dtype)
    if b_a.shape != rbm.b.shape:
        raise ValueError(f"base_bias must have shape ({rbm.num_visible},), got {tuple(b_a.shape)}")
    betas = _beta_schedule(num_betas, dtype=W.dtype, device=W.device)
    x = bernoulli(torch.sigmoid(b_a).expand(num_chains, -1).contiguous(), generator)  # exact sample of p_0
    log_w = torch.zeros(num_chains, dtype=W.dtype, device=W.device)
    for prev, beta in zip(betas[:-1], betas[1:]):
        log_w += _log_p_star(x, beta, rbm, b_a) - _log_p_star(x, prev, rbm, b_a)
        # one Gibbs sweep that leaves p_beta(x, z) invariant
        z = bernoulli(torch.sigmoid(beta * (x @ W + rbm.c)), generator)
        x = bernoulli(torch.sigmoid((1 - beta) * b_a + beta * (z @ W.T + rbm.b)), generator)
    # the base model keeps the target's H hidden units with zero weights: each contributes log 2
    log_z_a = F.softplus(b_a).sum() + rbm.num_hidden * math.log(2)
    log_mean = torch.logsumexp(log_w, 0) - math.log(num_chains)
    # spread: 3 standard errors of the mean weight, in the log domain relative to the mean
    rel = torch.exp(log_w - log_mean)
    se = float(rel.std(unbiased=num_chains > 1)) / math.sqrt(num_chains) if num_chains > 1 else 0.0
    log_z = float(log_z_a + log_mean)
    low = log_z + math.log(1 - 3 * se) if 3 * se < 1 else -math.inf
    return AISResult(log_z, low, log_z + math.log(1 + 3 * se), log_w + log_z_a, num_betas)


def _beta_schedule(num_betas: int, *, dtype, device) -> torch.Tensor:
    """0 = β_0 < ... < β_K = 1: 10% of the points on [0, 0.5], 40% on [0.5, 0.9], 50% on [0.9, 1]."""
    if num_betas < 10:
        return torch.linspace(0, 1, num_betas, dtype=dtype, device=device)
    n1, n2 = num_betas // 10, (4 * num_betas) // 10
    n3 = num_betas - n1 - n2
    parts = [torch.linspace(0, 0.5, n1 + 1, dtype=dtype)[:-1], torch.linspace(0.5, 0.9, n2 + 1, dtype=dtype)[:-1],
             torch.linspace(0.9, 1, n3, dtype=dtype)]
    return torch.cat(parts).to(device)


@torch.no_grad()
def log_likelihood(rbm: RBM, x: torch.Tensor, log_z: float | torch.Tensor | None = None) -> float:
    r"""Mean test log-likelihood in nats, :math:`\frac1N\sum_n -F(x_n) - \log A`.

    ``log_z`` defaults to the exact value (small models only); pass ``ais_log_partition(...).log_z``
    for larger ones.
    """
    x = check_binary("x", x).to(rbm.W.device, rbm.W.dtype)
    if log_z is None:
        log_z = log_partition_exact(rbm)
    return float(-rbm.free_energy(x).mean() - float(log_z))
