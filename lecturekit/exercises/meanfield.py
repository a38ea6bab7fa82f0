r"""Exercises of notebook 03 (mean-field VI): the three Monte Carlo gradients of E_q[f(Z)].

The student writes each estimator for q = N(m, diag s²), β = (m, log s), given the standard
normal draws ε (S, D), so that z_s = m + s ⊙ ε_s is fixed and the answer is deterministic. The
functions ``f`` below are the integrands the cases use.
"""

from __future__ import annotations

import torch

from ..homework import Exercise, register
from ..utils import make_generator

f64 = torch.float64


def square(z):
    return (z**2).sum(-1)


def wiggly(z):
    return torch.sin(3 * z).sum(-1) + z[..., 0] * z[..., -1]


def log_density(z):
    """An unnormalized log density, like log p(x, z) in VI."""
    return -0.5 * (z**2).sum(-1) - torch.logsumexp(torch.stack([z[..., 0], -z[..., 0]]), 0)


def quartic(z):
    return (z**4).sum(-1) - z.sum(-1)


def softplus_sum(z):
    return torch.nn.functional.softplus(2 * z - 1).sum(-1) * torch.cos(z[..., 0])


_INTEGRANDS = {"f = z²": square, "f = sin(3z) + z₁z_D": wiggly, "f = log density": log_density,
               "f = z⁴ − Σz": quartic, "f = softplus(2z−1)·cos z₁": softplus_sum}
SETTINGS = [("f = z²", 1, 5), ("f = sin(3z) + z₁z_D", 2, 50), ("f = log density", 3, 200), ("f = z²", 4, 1000)]


def gradient_cases(settings=SETTINGS, seed: int = 300):
    """(label, (f, m, log_s, eps)) for each (integrand, D, S)."""
    g = make_generator(seed)
    out = []
    for name, d, s in settings:
        m = torch.randn(d, generator=g, dtype=f64)
        log_s = 0.5 * torch.randn(d, generator=g, dtype=f64)
        eps = torch.randn(s, d, generator=g, dtype=f64)
        out.append((f"{name}, D={d}, S={s}", (_INTEGRANDS[name], m, log_s, eps)))
    return out


_ANSWERS = ("lecturekit.meanfield:_per_sample", "lecturekit.meanfield:gradient_samples",
            "lecturekit.meanfield:gradient_estimate", "lecturekit.meanfield:gradient_replicates",
            "lecturekit.meanfield:variance_vs_samples", "lecturekit.meanfield:surrogate_loss")

register(Exercise("3.1", "the score-function estimator", "score_gradient", gradient_cases,
                  atol=1e-9, rtol=1e-9, forbidden=_ANSWERS))
register(Exercise("3.2", "the reparametrization estimator", "reparam_gradient", gradient_cases,
                  atol=1e-9, rtol=1e-9, forbidden=_ANSWERS))
register(Exercise("3.3", "the leave-one-out baseline", "score_cv_gradient", gradient_cases,
                  atol=1e-9, rtol=1e-9, forbidden=_ANSWERS))
