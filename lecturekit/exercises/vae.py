r"""Exercises of notebook 04 (variational autoencoders): the analytic KL to the prior, the
reparametrized ELBO estimate and the IWAE bound.

The student gets the standard normal draws ε (S, N, D) as an argument, so z = μ(x) + σ(x) ⊙ ε is
fixed and the answer is deterministic. The models are small untrained :class:`lecturekit.vae.VAE`
in float64 with seeded weights (4×4 images), one Bernoulli and one Gaussian decoder, so no
trained model is needed.
"""

from __future__ import annotations

import torch

from ..homework import Exercise, register
from ..utils import make_generator, seeded

f64 = torch.float64
KL_SETTINGS = [("N=1, D=1", (1, 1), 1.0), ("N=5, D=2", (5, 2), 1.0), ("N=20, D=10, wide log σ²", (20, 10), 3.0),
               ("batch (3, 4), D=6", (3, 4, 6), 0.5)]
MODEL_SETTINGS = [("bernoulli", 3, 2, 1), ("bernoulli", 8, 3, 5), ("gaussian", 6, 2, 4), ("bernoulli", 10, 4, 50)]


def kl_cases(settings=KL_SETTINGS, seed: int = 400):
    g = make_generator(seed)
    out = []
    for label, shape, scale in settings:
        mu = 2 * torch.randn(shape, generator=g, dtype=f64)
        logvar = scale * torch.randn(shape, generator=g, dtype=f64)
        out.append((label, (mu, logvar)))
    return out


def model_cases(settings=MODEL_SETTINGS, seed: int = 410):
    """(label, (model, x, eps)) for each (likelihood, N, dim z, S)."""
    from ..vae import VAE

    out = []
    for i, (lik, n, d, s) in enumerate(settings):
        with seeded(seed + i):  # the weights
            model = VAE(image_shape=(4, 4), hidden_dim=8, latent_dim=d, likelihood=lik).to(f64)
        g = make_generator(seed + 10 + i)
        x = torch.rand(n, 1, 4, 4, generator=g, dtype=f64)
        if lik == "bernoulli":
            x = (x < 0.5).to(f64)
        eps = torch.randn(s, n, d, generator=g, dtype=f64)
        out.append((f"{lik}, N={n}, dim z={d}, S={s}", (model, x, eps)))
    return out


_ANSWERS = ("lecturekit.vae:kl_to_prior", "lecturekit.vae:elbo", "lecturekit.vae:iwae_bound",
            "lecturekit.vae:mean_bound", "lecturekit.vae:_neg_elbo_mean", "lecturekit.vae:shift_nll")

register(Exercise("4.1", "the KL to the prior", "kl_to_prior", kl_cases, atol=1e-9, rtol=1e-9, forbidden=_ANSWERS))
register(Exercise("4.2", "the reparametrized ELBO estimate", "elbo", model_cases, atol=1e-8, rtol=1e-8,
                  forbidden=_ANSWERS))
register(Exercise("4.3", "the IWAE bound", "iwae_bound", model_cases, atol=1e-8, rtol=1e-8, forbidden=_ANSWERS))
