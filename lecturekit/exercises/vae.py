r"""Exercises of notebook 04 (variational autoencoders): the analytic KL to the prior, the
reparametrized ELBO estimate and the IWAE bound.

The student gets the standard normal draws ε (S, N, D) as an argument, so z = μ(x) + σ(x) ⊙ ε is
fixed and the answer is deterministic. The models are small untrained :class:`lecturekit.vae.VAE`
in float64 with seeded weights (4×4 images), one Bernoulli and one Gaussian decoder, so no
trained model is needed. The references compute what :func:`lecturekit.vae.elbo` and
:func:`lecturekit.vae.iwae_bound` compute, with the draws given instead of a generator.
"""

from __future__ import annotations

import math

import torch

from ..homework import Exercise, register

f64 = torch.float64


def _kl_cases():
    g = torch.Generator().manual_seed(400)
    out = []
    for label, shape, scale in [("N=1, D=1", (1, 1), 1.0), ("N=5, D=2", (5, 2), 1.0),
                                ("N=20, D=10, wide log σ²", (20, 10), 3.0), ("batch (3, 4), D=6", (3, 4, 6), 0.5)]:
        mu = 2 * torch.randn(shape, generator=g, dtype=f64)
        logvar = scale * torch.randn(shape, generator=g, dtype=f64)
        out.append((label, (mu, logvar)))
    return out


def _model_cases():
    from ..vae import VAE

    out = []
    for i, (lik, n, d, s) in enumerate([("bernoulli", 3, 2, 1), ("bernoulli", 8, 3, 5),
                                        ("gaussian", 6, 2, 4), ("bernoulli", 10, 4, 50)]):
        torch.manual_seed(410 + i)  # the weights (check() forks the global RNG around cases())
        model = VAE(image_shape=(4, 4), hidden_dim=8, latent_dim=d, likelihood=lik).to(f64)
        g = torch.Generator().manual_seed(420 + i)
        x = torch.rand(n, 1, 4, 4, generator=g, dtype=f64)
        if lik == "bernoulli":
            x = (x < 0.5).to(f64)
        eps = torch.randn(s, n, d, generator=g, dtype=f64)
        out.append((f"{lik}, N={n}, dim z={d}, S={s}", (model, x, eps)))
    return out


def _z(model, x, eps):
    mu, logvar = model.encode(x)
    return mu, logvar, mu + (0.5 * logvar).exp() * eps


def _elbo_eps(model, x, eps):
    """vae.elbo with the draws ε (S, N, D) given: (1/S) Σ_s log p(x | μ + σ ⊙ ε_s) − KL, per image."""
    from ..vae import kl_to_prior

    mu, logvar, z = _z(model, x, eps)
    return model.log_px(model.flatten(x), z).mean(0) - kl_to_prior(mu, logvar)


def _iwae_eps(model, x, eps):
    """vae.iwae_bound with the draws ε (k, N, D) given: logsumexp_i log w_i − log k, per image."""
    mu, logvar, z = _z(model, x, eps)
    log_w = model.log_px(model.flatten(x), z) + model.prior(dtype=z.dtype).log_prob(z) - model.q(x).log_prob(z)
    return torch.logsumexp(log_w, dim=0) - math.log(eps.shape[0])


register(Exercise("4.1", "the KL to the prior", "lecturekit.vae:kl_to_prior", _kl_cases, atol=1e-9, rtol=1e-9))
register(Exercise("4.2", "the reparametrized ELBO estimate", "lecturekit.exercises.vae:_elbo_eps",
                  _model_cases, atol=1e-8, rtol=1e-8))
register(Exercise("4.3", "the IWAE bound", "lecturekit.exercises.vae:_iwae_eps",
                  _model_cases, atol=1e-8, rtol=1e-8))
