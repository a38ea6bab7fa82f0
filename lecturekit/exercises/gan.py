"""Exercises of notebooks 09 and 10: the optimal discriminator, the JSD, and pyramid reconstruction."""

from __future__ import annotations

import torch

from ..homework import Exercise, register


def _density_cases():
    from ..gan import gaussian_density

    out = []
    for i, (mu_g, s_g) in enumerate([(0.0, 1.0), (1.5, 0.5), (-2.0, 2.0)]):
        x = torch.linspace(-8, 8, 401 + 100 * i, dtype=torch.float64)
        p_data = gaussian_density(x, 0.0, 1.0)
        p_g = gaussian_density(x, mu_g, s_g)
        out.append((f"p_g = N({mu_g}, {s_g}²)", (p_data, p_g, x)))
    zeros = torch.tensor([0.0, 0.2, 0.0, 1.0], dtype=torch.float64)
    out.append(("densities that vanish", (zeros, torch.tensor([0.0, 0.2, 0.3, 0.0], dtype=torch.float64),
                                          torch.arange(4, dtype=torch.float64))))
    return out


def optimal_discriminator(p_data, p_g, x):
    from ..gan import optimal_discriminator as d_star

    return d_star(p_data, p_g)


register(Exercise("9.1", "the optimal discriminator", "lecturekit.exercises.gan:optimal_discriminator",
                  _density_cases, atol=1e-12))
register(Exercise("9.2", "the Jensen-Shannon divergence on a grid", "lecturekit.gan:jsd",
                  lambda: _density_cases()[:3], atol=1e-9))


def _pyramid_cases():
    from ..lapgan import laplacian_pyramid

    out = []
    for i, (n, size, levels) in enumerate([(2, 8, 1), (3, 16, 2), (1, 28, 2)]):
        g = torch.Generator().manual_seed(900 + i)
        x = torch.rand(n, 1, size, size, generator=g, dtype=torch.float64)
        out.append((f"{n} images {size}x{size}, {levels} levels", (laplacian_pyramid(x, levels=levels),)))
    return out


register(Exercise("10.1", "reconstruction from a Laplacian pyramid", "lecturekit.lapgan:reconstruct",
                  _pyramid_cases, atol=1e-10))
register(Exercise("10.2", "one level of the Laplacian pyramid", "lecturekit.exercises.gan:pyramid_level",
                  lambda: [(f"2 images {8 * (i + 1)}x{8 * (i + 1)}", (_image(i),)) for i in range(3)], atol=1e-10))


def _image(i):
    g = torch.Generator().manual_seed(950 + i)
    return torch.rand(2, 1, 8 * (i + 1), 8 * (i + 1), generator=g, dtype=torch.float64)


def pyramid_level(x):
    """(h, g₁) with g₁ = d(x) and h = x − u(g₁): one level of the pyramid."""
    from ..lapgan import downsample, upsample

    coarse = downsample(x)
    return x - upsample(coarse), coarse
