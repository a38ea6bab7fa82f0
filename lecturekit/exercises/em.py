"""The exercises of every notebook: reference solution and seeded test cases (see homework.py).

Cases are small and built from a fixed seed, so a verdict is the same on every run.
"""

from __future__ import annotations

import torch

from ..homework import Exercise, register

f64 = torch.float64


# --------------------------------------------------------------------------- 01 · EM

def _em_cases():
    from .. import em

    out = []
    for i, (n, k, d) in enumerate([(5, 2, 1), (40, 3, 2), (25, 4, 3), (60, 1, 2)]):
        g = torch.Generator().manual_seed(100 + i)
        a = torch.randn(k, d, d, generator=g, dtype=f64)
        theta = em.MixtureParams(torch.softmax(torch.randn(k, generator=g, dtype=f64), 0),
                                 2 * torch.randn(k, d, generator=g, dtype=f64),
                                 a @ a.mT + 0.3 * torch.eye(d, dtype=f64))
        x = 2 * torch.randn(n, d, generator=g, dtype=f64)
        q = torch.softmax(2 * torch.randn(n, k, generator=g, dtype=f64), 1)
        out.append((f"N={n}, K={k}, D={d}", x, theta, q))
    return out


register(Exercise("1.1", "E-step responsibilities", "lecturekit.em:e_step",
                  lambda: [(label, (x, theta)) for label, x, theta, _ in _em_cases()], atol=1e-8))
register(Exercise("1.2", "the lower bound L(q, θ)", "lecturekit.em:lower_bound",
                  lambda: [(label, (x, q, theta)) for label, x, theta, q in _em_cases()], atol=1e-6))
register(Exercise("1.3", "the M-step (reg_covar = 0)", "lecturekit.exercises.em:_m_step_plain",
                  lambda: [(label, (x, q)) for label, x, theta, q in _em_cases()], atol=1e-6))


def _m_step_plain(x, q):
    from .. import em

    return em.m_step(x, q, reg_covar=0.0)
