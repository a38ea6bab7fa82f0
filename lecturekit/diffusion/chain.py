r"""The forward chain q and the learned reverse chain p: :class:`GaussianDiffusion`.

q(x^(t) | x^(t-1)) = N(sqrt(1 - β_t) x^(t-1), β_t I) has the closed form
q(x^(t) | x^(0)) = N(sqrt(ᾱ_t) x^(0), (1 - ᾱ_t) I) and the Gaussian posterior q(x^(t-1) | x^(t), x^(0));
the reverse kernels p(x^(t-1) | x^(t)) are Gaussians whose mean (and covariance, in the paper's
form) a network predicts. Time runs as in the paper: t = 0 is the data, t = T is noise.

References:
    Sohl-Dickstein, Weiss, Maheswaranathan & Ganguli (2015). Deep unsupervised learning using
    nonequilibrium thermodynamics. ICML.
    Ho, Jain & Abbeel (2020). Denoising diffusion probabilistic models. NeurIPS.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.distributions import Normal, kl_divergence

from ..utils import (check_bool, check_choice, check_device, check_float, check_generator, check_positive_float,
                     check_tensor, randint, randn)
from .schedule import _check_steps

__all__ = ["GaussianDiffusion", "gaussian_reverse_kernels"]


def _normal(mean: torch.Tensor, log_var: torch.Tensor) -> Normal:
    """N(mean, e^log_var) elementwise, as a torch distribution (its log_prob and KL are closed form)."""
    return Normal(mean, (0.5 * log_var).exp(), validate_args=False)


class GaussianDiffusion(nn.Module):
    r"""The forward chain q and the learned reverse chain p of a Gaussian diffusion model.

    Args:
        model: a network ``model(x, t)`` of the noisy data x^(t) and the integer step t.
        betas: the schedule β_1..β_T, each in (0, 1) (see :func:`beta_schedule`).
        parameterization: ``"mean_cov"`` (the paper: the network outputs ``(c_μ, c_β)`` with
            μ = sqrt(1 - β_t) x^(t) + sqrt(β_t) c_μ and Σ = σ(c_β / sqrt(T) + logit β_t) I, trained
            on the bound) or ``"eps"`` (DDPM: the network predicts the noise ε and Σ = β_t I,
            trained on ||ε - ε̂||²).
        clip_x0: with ``"eps"``, clip the implied x̂^(0) to [-clip_x0, clip_x0] when computing μ
            (for data known to lie in a box, such as images scaled to [-1, 1]).
        variance: with ``"eps"``, Σ = β_t I (``"beta"``) or the posterior's β̃_t I (``"posterior"``);
            Ho et al. found both work, β̃_t gives cleaner images.

    ``forward(x0)`` returns the training loss (:meth:`p_losses`).
    """

    def __init__(self, model: nn.Module, *, betas: torch.Tensor, parameterization: str = "mean_cov",
                 clip_x0: float | None = None, variance: str = "beta"):
        super().__init__()
        self.variance = check_choice("variance", variance, ("beta", "posterior"))
        self.clip_x0 = None if clip_x0 is None else check_positive_float("clip_x0", clip_x0)
        self.parameterization = check_choice("parameterization", parameterization, ("mean_cov", "eps"))
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module model(x, t), got {type(model).__name__}")
        check_tensor("betas", betas)
        betas = betas.to(torch.float64).flatten()
        if betas.numel() == 0:
            raise ValueError("betas must hold at least one step (T >= 1), got T = 0")
        if not bool(((betas > 0) & (betas < 1)).all()):
            raise ValueError(f"betas must all lie in (0, 1), got values in [{betas.min():.3g}, {betas.max():.3g}]")
        self.model = model
        self.num_timesteps = betas.numel()
        beta = torch.cat([betas.new_zeros(1), betas])  # beta[t] for t = 0..T
        alpha = 1 - beta
        alpha_bar = torch.cumprod(alpha, 0)
        alpha_bar_prev = torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])
        self.register_buffer("beta", beta)
        self.register_buffer("alpha", alpha)
        self.register_buffer("alpha_bar", alpha_bar)
        self.register_buffer("alpha_bar_prev", alpha_bar_prev)
        # q(x^(t-1) | x^(t), x^(0)) = N(coef0 x^(0) + coef_t x^(t), posterior_variance)
        self.register_buffer("posterior_variance", beta * (1 - alpha_bar_prev) / (1 - alpha_bar).clamp(min=1e-300))
        # log β̃_t with β̃_1 (= 0) replaced by β̃_2, as DDPM does, so p(x^(0) | x^(1)) keeps a density
        clipped = self.posterior_variance.clone()
        clipped[1] = clipped[2] if self.num_timesteps > 1 else beta[1]
        self.register_buffer("posterior_log_variance", clipped.clamp(min=1e-300).log())
        self.register_buffer("posterior_mean_coef0", beta * alpha_bar_prev.sqrt() / (1 - alpha_bar).clamp(min=1e-300))
        self.register_buffer("posterior_mean_coef_t", (1 - alpha_bar_prev) * alpha.sqrt() / (1 - alpha_bar).clamp(min=1e-300))

    # ------------------------------------------------------------------ helpers
    def _at(self, name: str, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The buffer ``name`` at steps t, shaped to broadcast against x (in x's dtype)."""
        v = getattr(self, name)[t].to(x.dtype)
        return v.reshape(v.shape + (1,) * (x.ndim - v.ndim))

    def _steps(self, t, x: torch.Tensor, *, low: int = 0) -> torch.Tensor:
        return _check_steps(t, x.shape[0], x.device, low, self.num_timesteps)

    def _data(self, name: str, x, *, network: bool = True) -> torch.Tensor:
        """Data (N, ...): finite and floating; for what the network sees (``network``) also in its
        dtype, on its device and of its input size. The forward process q casts its float64
        schedule to the data's dtype, so it takes float32 and float64 alike."""
        has_params = next(self.model.parameters(), None) is not None
        check_tensor(name, x, model=self.model if network and has_params else None,
                     device=None if network else self.beta.device)
        if x.ndim < (2 if network else 1):
            raise ValueError(f"{name} must have shape (N, ...) with a batch axis, got {tuple(x.shape)}")
        if not x.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
        dim = getattr(self.model, "dim", None)
        if network and dim is not None and x[0].numel() != dim:
            raise ValueError(f"{name} must hold examples of {dim} numbers (the network's input), got shape "
                             f"{tuple(x.shape)}")
        return x

    def _noise(self, x, generator):
        return randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)

    # ------------------------------------------------------------------ forward process q
    def q_step(self, x_prev: torch.Tensor, t, *, generator: torch.Generator | None = None) -> torch.Tensor:
        r"""x^(t) ~ q(x^(t) | x^(t-1)) = N(sqrt(1 - β_t) x^(t-1), β_t I): one step of the chain."""
        self._data("x_prev", x_prev, network=False)
        check_generator(generator)
        t = self._steps(t, x_prev, low=1)
        return self._at("alpha", t, x_prev).sqrt() * x_prev + self._at("beta", t, x_prev).sqrt() * self._noise(x_prev, generator)

    def q_trajectory(self, x0: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """The forward trajectory x^(0), x^(1), ..., x^(T) from running the chain: (T + 1, *x0.shape)."""
        self._data("x0", x0, network=False)
        check_generator(generator)
        xs = [x0]
        for t in range(1, self.num_timesteps + 1):
            xs.append(self.q_step(xs[-1], t, generator=generator))
        return torch.stack(xs)

    def q_mean_variance(self, x0: torch.Tensor, t) -> tuple[torch.Tensor, torch.Tensor]:
        r"""q(x^(t) | x^(0)) = N(sqrt(ᾱ_t) x^(0), (1 - ᾱ_t) I), ᾱ_t = Π_{s≤t} (1 - β_s): (mean, variance)."""
        self._data("x0", x0, network=False)
        t = self._steps(t, x0)
        return self._at("alpha_bar", t, x0).sqrt() * x0, (1 - self._at("alpha_bar", t, x0)).expand_as(x0)

    def q_sample(self, x0: torch.Tensor, t, *, noise: torch.Tensor | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        r"""x^(t) = sqrt(ᾱ_t) x^(0) + sqrt(1 - ᾱ_t) ε: a draw from the closed form q(x^(t) | x^(0))."""
        mean, var = self.q_mean_variance(x0, t)
        check_generator(generator)
        if noise is not None:
            check_tensor("noise", noise, shape=tuple(x0.shape), dtype=x0.dtype)
        noise = self._noise(x0, generator) if noise is None else noise
        return mean + var.sqrt() * noise

    def q_posterior(self, x0: torch.Tensor, xt: torch.Tensor, t) -> tuple[torch.Tensor, torch.Tensor]:
        r"""q(x^(t-1) | x^(t), x^(0)) = N(μ̃_t, β̃_t I) with
        μ̃_t = sqrt(ᾱ_{t-1}) β_t / (1 - ᾱ_t) x^(0) + sqrt(α_t) (1 - ᾱ_{t-1}) / (1 - ᾱ_t) x^(t) and
        β̃_t = (1 - ᾱ_{t-1}) β_t / (1 - ᾱ_t): (mean, variance)."""
        self._data("x0", x0, network=False)
        self._data("xt", xt, network=False)
        if xt.shape != x0.shape:
            raise ValueError(f"xt must have the shape of x0 {tuple(x0.shape)}, got {tuple(xt.shape)}")
        t = self._steps(t, xt, low=1)
        mean = self._at("posterior_mean_coef0", t, xt) * x0 + self._at("posterior_mean_coef_t", t, xt) * xt
        return mean, self._at("posterior_variance", t, xt).expand_as(xt)

    # ------------------------------------------------------------------ reverse process p
    def p_mean_variance(self, xt: torch.Tensor, t) -> tuple[torch.Tensor, torch.Tensor]:
        r"""p(x^(t-1) | x^(t)) = N(μ(x^(t), t), Σ(x^(t), t)) with diagonal Σ: (mean, log variance)."""
        self._data("xt", xt)
        t = self._steps(t, xt, low=1)
        out = self.model(xt, t)
        beta = self._at("beta", t, xt)
        if self.parameterization == "eps":
            # μ = (x^(t) - β_t / sqrt(1 - ᾱ_t) ε̂) / sqrt(α_t), written as q_posterior at the x^(0)
            # that ε̂ implies, so x̂^(0) can be clipped to the data's range (DDPM's sampler).
            alpha_bar = self._at("alpha_bar", t, xt)
            x0 = (xt - (1 - alpha_bar).sqrt() * out.reshape(xt.shape)) / alpha_bar.sqrt()
            if self.clip_x0 is not None:
                x0 = x0.clamp(-self.clip_x0, self.clip_x0)
            log_var = beta.log() if self.variance == "beta" else self._at("posterior_log_variance", t, xt)
            return self.q_posterior(x0, xt, t)[0], log_var.expand_as(xt)
        c_mu, c_beta = out.chunk(2, dim=1)
        c_mu, c_beta = c_mu.reshape(xt.shape), c_beta.reshape(xt.shape)
        mean = (1 - beta).sqrt() * xt + beta.sqrt() * c_mu
        # Σ is a perturbation of the forward β_t (Sohl-Dickstein's code), kept in (0, 1).
        logit = c_beta / math.sqrt(self.num_timesteps) + torch.log(beta) - torch.log1p(-beta)
        return mean, nn.functional.logsigmoid(logit)

    def drift(self, xt: torch.Tensor, t) -> torch.Tensor:
        """μ(x^(t), t) - x^(t): where the reverse kernel moves a point on average (the paper's
        Figure 1, bottom row)."""
        return self.p_mean_variance(xt, t)[0] - xt

    def p_sample(self, xt: torch.Tensor, t, *, generator: torch.Generator | None = None) -> torch.Tensor:
        r"""x^(t-1) ~ p(x^(t-1) | x^(t)): one reverse step."""
        check_generator(generator)
        mean, log_var = self.p_mean_variance(xt, t)
        return mean + (0.5 * log_var).exp() * self._noise(xt, generator)

    @torch.no_grad()
    def p_sample_loop(self, shape, *, x_known: torch.Tensor | None = None, mask: torch.Tensor | None = None,
                      generator: torch.Generator | None = None, device=None,
                      return_trajectory: bool = False) -> torch.Tensor:
        r"""Ancestral sampling: x^(T) ~ N(0, I), then x^(t-1) ~ p(x^(t-1) | x^(t)) down to x^(0).

        With ``x_known`` and ``mask`` (1 where a coordinate or pixel is known), every reverse step
        clamps the known coordinates to a draw of q(x^(t-1) | x^(0) = x_known), and x^(0) to
        x_known itself: conditional sampling, i.e. inpainting.

        Returns:
            x^(0) with ``shape``, or the whole trajectory (T + 1, *shape) indexed by t when
            ``return_trajectory``.
        """
        if isinstance(shape, torch.Size):
            shape = tuple(shape)
        if not isinstance(shape, (tuple, list)) or not all(isinstance(s, int) and not isinstance(s, bool) for s in shape):
            raise TypeError(f"shape must be a tuple of integers such as (N, 2), got {shape!r}")
        shape = tuple(shape)
        if len(shape) < 2 or min(shape) < 1:
            raise ValueError(f"shape must be (N, ...) with positive sizes, got {shape}")
        dim = getattr(self.model, "dim", None)
        if dim is not None and math.prod(shape[1:]) != dim:
            raise ValueError(f"shape must describe examples of {dim} numbers (the network's input), got {shape}")
        check_generator(generator)
        return_trajectory = check_bool("return_trajectory", return_trajectory)
        if return_trajectory and (self.num_timesteps + 1) * math.prod(shape) > 2 * 10**8:
            raise ValueError(f"return_trajectory=True keeps T + 1 = {self.num_timesteps + 1} copies of {shape}: over "
                             "2e8 numbers; sample fewer points or keep x^(0) only")
        param = next(iter(self.model.parameters()), None)
        dtype = param.dtype if param is not None else torch.get_default_dtype()
        dev = check_device("device", device) if device is not None else self.beta.device
        if (x_known is None) != (mask is None):
            raise ValueError("x_known and mask must be given together")
        if mask is not None:
            x_known, mask = _check_known(x_known, mask, shape)
            dtype, dev = x_known.dtype, x_known.device
        x = randn(shape, generator=generator, dtype=dtype, device=dev)
        xs = [x]
        for t in range(self.num_timesteps, 0, -1):
            # the last step returns the mean of p(x^(0) | x^(1)) (DDPM's sampler): its noise would
            # only add grain at the data's own resolution
            x = self.p_sample(x, t, generator=generator) if t > 1 else self.p_mean_variance(x, t)[0]
            if self.clip_x0 is not None and t == 1:
                x = x.clamp(-self.clip_x0, self.clip_x0)
            if mask is not None:
                known = x_known if t == 1 else self.q_sample(x_known, t - 1, generator=generator)
                x = torch.where(mask, known, x)
            xs.append(x)
        return torch.stack(xs[::-1]) if return_trajectory else x

    # ------------------------------------------------------------------ objective
    def p_losses(self, x0: torch.Tensor, *, t: torch.Tensor | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        r"""The training loss at a random step t ~ U{1..T}, averaged over the batch.

        ``"eps"``: ||ε - ε̂(x^(t), t)||² (Ho et al.'s simplified objective). ``"mean_cov"``:
        T · KL(q(x^(t-1) | x^(t), x^(0)) || p(x^(t-1) | x^(t))) for t > 1 and
        -T log p(x^(0) | x^(1)) for t = 1, an unbiased estimate of the negative bound (up to the
        constant prior term), in nats per example.
        """
        self._data("x0", x0)
        check_generator(generator)
        n = x0.shape[0]
        if t is None:
            t = 1 + randint(self.num_timesteps, n, generator=generator, device=x0.device)
        t = self._steps(t, x0, low=1)
        noise = self._noise(x0, generator)
        xt = self.q_sample(x0, t, noise=noise)
        if self.parameterization == "eps":
            return ((self.model(xt, t) - noise) ** 2).flatten(1).sum(1).mean()
        return self.num_timesteps * self._bound_term(x0, xt, t).flatten(1).sum(1).mean()

    def _bound_term(self, x0, xt, t):
        """KL(q(x^(t-1)|x^(t),x^(0)) || p(x^(t-1)|x^(t))) for t > 1, -log p(x^(0)|x^(1)) for t = 1."""
        mean, log_var = self.p_mean_variance(xt, t)
        q_mean, q_var = self.q_posterior(x0, xt, t)
        first = self._at("posterior_variance", t, xt) == 0  # t = 1: q_posterior is a point mass at x0
        kl = kl_divergence(_normal(q_mean, q_var.clamp(min=1e-30).log()), _normal(mean, log_var))
        nll = -_normal(mean, log_var).log_prob(x0)
        return torch.where(first.expand_as(xt), nll, kl)

    def forward(self, x0: torch.Tensor) -> torch.Tensor:
        return self.p_losses(x0)

    def lower_bound(self, x0: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        r"""The bound K ≤ log p(x^(0)) per example, in nats (Sohl-Dickstein et al., Eq. 14):

        K = -KL(q(x^(T)|x^(0)) || p(x^(T))) - Σ_{t=2}^T KL(q(x^(t-1)|x^(t),x^(0)) || p(x^(t-1)|x^(t)))
        + log p(x^(0) | x^(1)), each term at its own draw x^(t) ~ q(x^(t) | x^(0)).
        """
        self._data("x0", x0)
        check_generator(generator)
        n = x0.shape[0]
        mean_T, var_T = self.q_mean_variance(x0, self.num_timesteps)
        prior = kl_divergence(_normal(mean_T, var_T.log()), _normal(torch.zeros_like(x0), torch.zeros_like(x0)))
        total = -prior.flatten(1).sum(1)
        for t in range(1, self.num_timesteps + 1):
            steps = torch.full((n,), t, dtype=torch.long, device=x0.device)
            xt = self.q_sample(x0, steps, generator=generator)
            total = total - self._bound_term(x0, xt, steps).flatten(1).sum(1)
        return total


def _check_known(x_known, mask, shape):
    check_tensor("x_known", x_known)
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a torch.Tensor (True or 1 where x_known is known), got {type(mask).__name__}")
    if mask.is_floating_point() and not bool(((mask == 0) | (mask == 1)).all()):
        raise ValueError("mask must hold 0/1 or True/False (known or not), got other values")
    if tuple(x_known.shape[1:]) != shape[1:] or x_known.shape[0] not in (1, shape[0]):
        raise ValueError(f"x_known must have shape {shape} (or 1 row of it), got {tuple(x_known.shape)}")
    if tuple(mask.shape) != tuple(x_known.shape) and tuple(mask.shape) != tuple(x_known.shape[1:]):
        raise ValueError(f"mask must have the shape of x_known {tuple(x_known.shape)} or of one example "
                         f"{tuple(x_known.shape[1:])}, got {tuple(mask.shape)}")
    return x_known.expand(shape), mask.to(torch.bool, copy=False).to(x_known.device).expand(shape)


def gaussian_reverse_kernels(diffusion: GaussianDiffusion, *, mean: float, std: float):
    r"""The exact reverse kernels q(x^(t-1) | x^(t)) = N(a_t x^(t) + b_t, v_t) when the data are
    N(mean, std²) in 1-D: with m_t = sqrt(ᾱ_t) mean and s²_t = ᾱ_t std² + 1 - ᾱ_t,
    a_t = sqrt(α_t) s²_{t-1} / s²_t, b_t = m_{t-1} - a_t m_t, v_t = s²_{t-1} - α_t s⁴_{t-1} / s²_t.

    Returns float64 tensors ``(a, b, v)`` indexed by t = 0..T (entry 0 unused). A Gaussian
    reverse kernel is exact here for every β; for other data it is only so as β_t → 0.
    """
    if not isinstance(diffusion, GaussianDiffusion):
        raise TypeError(f"diffusion must be a GaussianDiffusion, got {type(diffusion).__name__}")
    mean = check_float("mean", mean)
    std = check_positive_float("std", std)
    ab = diffusion.alpha_bar.double().cpu()
    alpha = diffusion.alpha.double().cpu()
    m = ab.sqrt() * mean
    s2 = ab * std**2 + 1 - ab
    a, b, v = torch.zeros_like(ab), torch.zeros_like(ab), torch.zeros_like(ab)
    a[1:] = alpha[1:].sqrt() * s2[:-1] / s2[1:]
    b[1:] = m[:-1] - a[1:] * m[1:]
    v[1:] = s2[:-1] - alpha[1:] * s2[:-1] ** 2 / s2[1:]
    return a, b, v

