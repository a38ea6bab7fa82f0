"""Exercises of notebook 01 (EM): the E-step, the bound L(q, θ) and the M-step."""

from __future__ import annotations

import torch

from ..homework import Exercise, register
from ..utils import make_generator

f64 = torch.float64
SIZES = [(5, 2, 1), (40, 3, 2), (25, 4, 3), (60, 1, 2)]


def em_cases(sizes=SIZES, seed: int = 100) -> list[tuple[str, torch.Tensor, object, torch.Tensor]]:
    """(label, x, theta, q) for each (N, K, D): a random mixture, points and responsibilities."""
    from ..em import MixtureParams

    out = []
    for i, (n, k, d) in enumerate(sizes):
        g = make_generator(seed + i)
        a = torch.randn(k, d, d, generator=g, dtype=f64)
        theta = MixtureParams(torch.softmax(torch.randn(k, generator=g, dtype=f64), 0),
                              2 * torch.randn(k, d, generator=g, dtype=f64),
                              a @ a.mT + 0.3 * torch.eye(d, dtype=f64))
        x = 2 * torch.randn(n, d, generator=g, dtype=f64)
        q = torch.softmax(2 * torch.randn(n, k, generator=g, dtype=f64), 1)
        out.append((f"N={n}, K={k}, D={d}", x, theta, q))
    return out


_ANSWERS = ("lecturekit.em:e_step", "lecturekit.em:log_joint", "lecturekit.em:log_likelihood",
            "lecturekit.em:lower_bound", "lecturekit.em:entropy", "lecturekit.em:kl_posterior",
            "lecturekit.em:m_step", "lecturekit.em:GaussianMixture.*")

register(Exercise("1.1", "E-step responsibilities", "e_step",
                  lambda: [(label, (x, theta)) for label, x, theta, _ in em_cases()], atol=1e-8, forbidden=_ANSWERS))
register(Exercise("1.2", "the lower bound L(q, θ)", "lower_bound",
                  lambda: [(label, (x, q, theta)) for label, x, theta, q in em_cases()], atol=1e-6,
                  forbidden=_ANSWERS))
register(Exercise("1.3", "the M-step (reg_covar = 0)", "m_step",
                  lambda: [(label, (x, q)) for label, x, theta, q in em_cases()], atol=1e-6, forbidden=_ANSWERS))
