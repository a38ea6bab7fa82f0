r"""Exercises of notebook 03 (mean-field VI): the three Monte Carlo gradients of E_q[f(Z)].

The student writes each estimator for q = N(m, diag s²), β = (m, log s), given the standard
normal draws ε (S, D), so that z_s = m + s ⊙ ε_s is fixed and the answer is deterministic. The
references wrap :func:`lecturekit.meanfield._per_sample`, the code behind ``gradient_samples``.
"""

from __future__ import annotations

import torch

from ..homework import Exercise, register

f64 = torch.float64


def _square(z):
    return (z**2).sum(-1)


def _wiggly(z):
    return torch.sin(3 * z).sum(-1) + z[..., 0] * z[..., -1]


def _log_density(z):
    """An unnormalized log density, like log p(x, z) in VI."""
    return -0.5 * (z**2).sum(-1) - torch.logsumexp(torch.stack([z[..., 0], -z[..., 0]]), 0)


def _cases():
    g = torch.Generator().manual_seed(300)
    out = []
    for label, f, d, s in [("f = z², D=1, S=5", _square, 1, 5), ("f = sin(3z) + z₁z_D, D=2, S=50", _wiggly, 2, 50),
                           ("f = log density, D=3, S=200", _log_density, 3, 200),
                           ("f = z², D=4, S=1000", _square, 4, 1000)]:
        m = torch.randn(d, generator=g, dtype=f64)
        log_s = 0.5 * torch.randn(d, generator=g, dtype=f64)
        eps = torch.randn(s, d, generator=g, dtype=f64)
        out.append((label, (f, m, log_s, eps)))
    return out


def _estimate(f, m, log_s, eps, estimator):
    from ..meanfield import _per_sample

    g_m, g_ls = _per_sample(f, m, log_s, eps, estimator)
    return g_m.mean(0), g_ls.mean(0)


def _score(f, m, log_s, eps):
    """The score-function estimate of (∇_m, ∇_{log s}) E_q[f(Z)]."""
    return _estimate(f, m, log_s, eps, "score")


def _reparam(f, m, log_s, eps):
    """The reparametrization estimate of (∇_m, ∇_{log s}) E_q[f(Z)]."""
    return _estimate(f, m, log_s, eps, "reparam")


def _score_cv(f, m, log_s, eps):
    """The score-function estimate with the leave-one-out optimal baseline."""
    return _estimate(f, m, log_s, eps, "score_cv")


register(Exercise("3.1", "the score-function estimator", "lecturekit.exercises.meanfield:_score",
                  _cases, atol=1e-9, rtol=1e-9))
register(Exercise("3.2", "the reparametrization estimator", "lecturekit.exercises.meanfield:_reparam",
                  _cases, atol=1e-9, rtol=1e-9))
register(Exercise("3.3", "the leave-one-out baseline", "lecturekit.exercises.meanfield:_score_cv",
                  _cases, atol=1e-9, rtol=1e-9))
