"""Exercises of notebooks 09 and 10: the optimal discriminator, the JSD, pyramid reconstruction and
LAPGAN's conditional discriminator input."""

from __future__ import annotations

import torch

from ..homework import Exercise, register
from ..utils import make_generator

GENERATORS = [(0.0, 1.0), (1.5, 0.5), (-2.0, 2.0)]


def density_cases(generators=GENERATORS, grid: int = 401, vanishing: bool = True):
    """(label, (p_data, p_g, x)): p_data = N(0, 1) against each p_g = N(μ, σ²) on a grid."""
    from ..gan import gaussian_density

    out = []
    for i, (mu_g, s_g) in enumerate(generators):
        x = torch.linspace(-8, 8, grid + 100 * i, dtype=torch.float64)
        out.append((f"p_g = N({mu_g}, {s_g}²)", (gaussian_density(x, 0.0, 1.0), gaussian_density(x, mu_g, s_g), x)))
    if vanishing:
        zeros = torch.tensor([0.0, 0.2, 0.0, 1.0], dtype=torch.float64)
        out.append(("densities that vanish", (zeros, torch.tensor([0.0, 0.2, 0.3, 0.0], dtype=torch.float64),
                                              torch.arange(4, dtype=torch.float64))))
    return out


PYRAMIDS = [(2, 8, 1), (3, 16, 2), (1, 28, 2)]


def pyramid_cases(settings=PYRAMIDS, seed: int = 900):
    """(label, (pyramid,)) for each (N, size, levels)."""
    from ..lapgan import laplacian_pyramid

    out = []
    for i, (n, size, levels) in enumerate(settings):
        g = make_generator(seed + i)
        x = torch.rand(n, 1, size, size, generator=g, dtype=torch.float64)
        out.append((f"{n} images {size}x{size}, {levels} levels", (laplacian_pyramid(x, levels=levels),)))
    return out


def image_cases(sizes=(8, 16, 24), seed: int = 950, n: int = 2):
    out = []
    for i, size in enumerate(sizes):
        g = make_generator(seed + i)
        out.append((f"{n} images {size}x{size}", (torch.rand(n, 1, size, size, generator=g, dtype=torch.float64),)))
    return out


def pair_cases(shapes=((2, 8), (3, 12), (1, 16)), seed: int = 970):
    """(label, (x, h_fake)): images and stand-in generated residuals of the same shape."""
    out = []
    for i, (n, size) in enumerate(shapes):
        g = make_generator(seed + i)
        x = torch.rand(n, 1, size, size, generator=g, dtype=torch.float64)
        h_fake = 0.2 * torch.randn(n, 1, size, size, generator=g, dtype=torch.float64)
        out.append((f"{n} images {size}x{size}", (x, h_fake)))
    return out


_GAN = ("lecturekit.gan:optimal_discriminator", "lecturekit.gan:jsd", "lecturekit.gan:value")
_LAPGAN = ("lecturekit.lapgan:reconstruct", "lecturekit.lapgan:laplacian_pyramid")

register(Exercise("9.1", "the optimal discriminator", "optimal_discriminator", density_cases, atol=1e-12,
                  forbidden=_GAN))
register(Exercise("9.2", "the Jensen-Shannon divergence on a grid", "jsd",
                  lambda: density_cases(vanishing=False), atol=1e-9, forbidden=_GAN))
register(Exercise("10.1", "reconstruction from a Laplacian pyramid", "reconstruct", pyramid_cases, atol=1e-10,
                  forbidden=_LAPGAN))
register(Exercise("10.2", "one level of the Laplacian pyramid", "pyramid_level", image_cases, atol=1e-10,
                  forbidden=_LAPGAN))
register(Exercise("10.3", "the conditional discriminator's input pairs", "discriminator_pairs", pair_cases,
                  atol=1e-10, forbidden=_LAPGAN))
