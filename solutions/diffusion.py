"""References and held-out cases of notebook 08 (diffusion), through GaussianDiffusion."""

import torch

from lecturekit import diffusion
from lecturekit.exercises.diffusion import marginal_cases, posterior_cases


def _diffusion(betas, dim):
    # the forward process needs only the schedule: any module stands in for the denoiser
    return diffusion.GaussianDiffusion(torch.nn.Identity(), betas=betas).to(torch.float64)


def q_sample(betas, x0, t, noise):
    """x^(t) = sqrt(ᾱ_t) x^(0) + sqrt(1 − ᾱ_t) ε."""
    with torch.no_grad():
        return _diffusion(betas, x0.shape[-1]).q_sample(x0, t, noise=noise)


def q_posterior(betas, x0, xt, t):
    """(μ̃_t, β̃_t) of q(x^(t−1) | x^(t), x^(0))."""
    with torch.no_grad():
        return _diffusion(betas, x0.shape[-1]).q_posterior(x0, xt, t)


REFERENCES = {"8.1": q_sample, "8.2": q_posterior}

_SETTINGS = [(5, 1, 20, 7), (9, 4, 60, 60), (3, 2, 8, 2)]
HIDDEN = {"8.1": lambda: marginal_cases(_SETTINGS, seed=1800), "8.2": lambda: posterior_cases(_SETTINGS, seed=1810)}
