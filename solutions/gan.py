"""References and held-out cases of notebooks 09 (GAN) and 10 (DCGAN, Laplacian pyramid)."""

import torch

from lecturekit import gan, lapgan
from lecturekit.exercises.gan import density_cases, image_cases, pair_cases, pyramid_cases


def optimal_discriminator(p_data, p_g, x):
    return gan.optimal_discriminator(p_data, p_g)


def pyramid_level(x):
    """(h, g₁) with g₁ = d(x) and h = x − u(g₁): one level of the pyramid."""
    coarse = lapgan.downsample(x)
    return x - lapgan.upsample(coarse), coarse


def discriminator_pairs(x, h_fake):
    """The pairs (l, h) that LAPGAN's D1 sees: l = u(d(x)), real h = x − l, fake h = h_fake."""
    low = lapgan.upsample(lapgan.downsample(x))
    return torch.cat([low, x - low], dim=1), torch.cat([low, h_fake], dim=1)


REFERENCES = {"9.1": optimal_discriminator, "9.2": gan.jsd, "10.1": lapgan.reconstruct, "10.2": pyramid_level,
              "10.3": discriminator_pairs}

HIDDEN = {
    "9.1": lambda: density_cases([(0.5, 3.0), (-4.0, 0.3)], grid=257, vanishing=False) + [
        ("densities that vanish in other places", (torch.tensor([0.5, 0.0, 0.0, 0.1, 0.0], dtype=torch.float64),
                                                   torch.tensor([0.0, 0.0, 0.4, 0.1, 0.0], dtype=torch.float64),
                                                   torch.arange(5, dtype=torch.float64)))],
    "9.2": lambda: density_cases([(3.0, 1.0), (0.2, 0.9)], grid=333, vanishing=False),
    "10.1": lambda: pyramid_cases([(2, 12, 1), (1, 32, 3)], seed=1900),
    "10.2": lambda: image_cases((12, 20), seed=1950, n=3),
    "10.3": lambda: pair_cases(((1, 12), (4, 20)), seed=1970),
}
