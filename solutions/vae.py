"""References and held-out cases of notebook 04 (VAEs): what vae.elbo and vae.iwae_bound compute,
with the draws ε given instead of a generator."""

import math

import torch

from lecturekit import vae
from lecturekit.exercises.vae import kl_cases, model_cases


def _z(model, x, eps):
    mu, logvar = model.encode(x)
    return mu, logvar, mu + (0.5 * logvar).exp() * eps


def elbo_eps(model, x, eps):
    """(1/S) Σ_s log p(x | μ + σ ⊙ ε_s) − KL, per image."""
    mu, logvar, z = _z(model, x, eps)
    return model.log_px(model.flatten(x), z).mean(0) - vae.kl_to_prior(mu, logvar)


def iwae_eps(model, x, eps):
    """logsumexp_i log w_i − log k, per image."""
    mu, logvar, z = _z(model, x, eps)
    log_w = model.log_px(model.flatten(x), z) + model.prior(dtype=z.dtype).log_prob(z) - model.q(x).log_prob(z)
    return torch.logsumexp(log_w, dim=0) - math.log(eps.shape[0])


REFERENCES = {"4.1": vae.kl_to_prior, "4.2": elbo_eps, "4.3": iwae_eps}

_MODELS = [("gaussian", 4, 3, 7), ("bernoulli", 5, 1, 2), ("bernoulli", 12, 5, 30)]
HIDDEN = {
    "4.1": lambda: kl_cases([("N=7, D=3", (7, 3), 2.0), ("batch (2, 2, 3), D=5", (2, 2, 3, 5), 1.0),
                             ("very negative log σ²", (4, 2), 6.0)], seed=1400),
    "4.2": lambda: model_cases(_MODELS, seed=1410),
    "4.3": lambda: model_cases(_MODELS, seed=1430),
}
