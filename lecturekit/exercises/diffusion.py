"""Exercises of notebook 08: the closed-form forward marginal and the forward posterior."""

from __future__ import annotations

import torch

from ..homework import Exercise, register


def _cases():
    from ..diffusion import beta_schedule

    out = []
    for i, (n, d, steps, t) in enumerate([(4, 2, 10, 1), (16, 2, 40, 25), (6, 3, 100, 100)]):
        g = torch.Generator().manual_seed(800 + i)
        betas = beta_schedule(steps, kind="linear", beta_start=1e-3, beta_end=0.2)
        x0 = torch.randn(n, d, generator=g, dtype=torch.float64)
        noise = torch.randn(n, d, generator=g, dtype=torch.float64)
        xt = torch.randn(n, d, generator=g, dtype=torch.float64)
        out.append((f"T={steps}, t={t}, D={d}", betas, x0, t, noise, xt))
    return out


def _diffusion(betas, dim):
    from ..diffusion import DenoisingMLP, GaussianDiffusion

    return GaussianDiffusion(DenoisingMLP(dim, num_steps=len(betas)), betas=betas).to(torch.float64)


def q_sample(betas, x0, t, noise):
    """x^(t) = sqrt(ᾱ_t) x^(0) + sqrt(1 − ᾱ_t) ε, via :meth:`GaussianDiffusion.q_sample`."""
    with torch.no_grad():
        return _diffusion(betas, x0.shape[-1]).q_sample(x0, t, noise=noise)


def q_posterior(betas, x0, xt, t):
    """(μ̃_t, β̃_t) of q(x^(t−1) | x^(t), x^(0)), via :meth:`GaussianDiffusion.q_posterior`."""
    with torch.no_grad():
        return _diffusion(betas, x0.shape[-1]).q_posterior(x0, xt, t)


register(Exercise("8.1", "the closed form q(x_t | x_0)", "lecturekit.exercises.diffusion:q_sample",
                  lambda: [(label, (b, x0, t, noise)) for label, b, x0, t, noise, _ in _cases()], atol=1e-9))
register(Exercise("8.2", "the forward posterior q(x_{t-1} | x_t, x_0)", "lecturekit.exercises.diffusion:q_posterior",
                  lambda: [(label.replace("t=1,", "t=2,"), (b, x0, xt, max(t, 2))) for label, b, x0, t, _, xt in _cases()],
                  atol=1e-9))
