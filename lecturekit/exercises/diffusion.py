"""Exercises of notebook 08: the closed-form forward marginal and the forward posterior."""

from __future__ import annotations

import torch

from ..homework import Exercise, register
from ..utils import make_generator

SETTINGS = [(4, 2, 10, 1), (16, 2, 40, 25), (6, 3, 100, 100)]


def forward_cases(settings=SETTINGS, seed: int = 800):
    """(label, betas, x0, t, noise, xt) for each (N, D, T, t)."""
    from ..diffusion import beta_schedule

    out = []
    for i, (n, d, steps, t) in enumerate(settings):
        g = make_generator(seed + i)
        betas = beta_schedule(steps, kind="linear", beta_start=1e-3, beta_end=0.2)
        x0 = torch.randn(n, d, generator=g, dtype=torch.float64)
        noise = torch.randn(n, d, generator=g, dtype=torch.float64)
        xt = torch.randn(n, d, generator=g, dtype=torch.float64)
        out.append((f"T={steps}, t={t}, D={d}", betas, x0, t, noise, xt))
    return out


def marginal_cases(settings=SETTINGS, seed: int = 800):
    return [(label, (b, x0, t, noise)) for label, b, x0, t, noise, _ in forward_cases(settings, seed)]


def posterior_cases(settings=SETTINGS, seed: int = 800):
    return [(label.replace("t=1,", "t=2,"), (b, x0, xt, max(t, 2)))
            for label, b, x0, t, _, xt in forward_cases(settings, seed)]


_ANSWERS = ("lecturekit.diffusion:GaussianDiffusion.q_sample", "lecturekit.diffusion:GaussianDiffusion.q_posterior",
            "lecturekit.diffusion:GaussianDiffusion.q_mean_variance", "lecturekit.diffusion:GaussianDiffusion._bound_term",
            "lecturekit.diffusion:gaussian_reverse_kernels")

register(Exercise("8.1", "the closed form q(x_t | x_0)", "q_sample", marginal_cases, atol=1e-9, forbidden=_ANSWERS))
register(Exercise("8.2", "the forward posterior q(x_{t-1} | x_t, x_0)", "q_posterior", posterior_cases, atol=1e-9,
                  forbidden=_ANSWERS))
