"""Diffusion probabilistic models (Sohl-Dickstein et al. 2015; Ho et al. 2020).

A forward Markov chain q(x^(t) | x^(t-1)) = N(sqrt(1 - β_t) x^(t-1), β_t I) turns the data into
N(0, I) in T small steps. The generative model runs it backwards with Gaussian kernels
p(x^(t-1) | x^(t)) = N(μ(x^(t), t), Σ(x^(t), t)) whose mean and covariance are learned.

Time runs as in the paper: t = 0 is the data and t = T is noise; every schedule buffer is indexed
directly by t (``beta[0] = 0`` so ``alpha_bar[0] = 1``). Schedules are built in float64 and cast
to the data's dtype when used, so the same model computes in float32 or float64.

Names follow DDPM (``q_sample``, ``q_posterior``, ``p_sample``, ``p_sample_loop``, ``p_losses``).

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

from .train import Batches, History, check_num_steps, fit
from .utils import (check_bool, check_choice, check_device, check_float, check_generator, check_int, check_positive_float,
                    check_positive_int, check_tensor, model_dtype, randint, randn)

__all__ = ["SWISS_ROLL", "MNIST_14", "GAIN_BITS_BAND", "ENERGY_RATIO_MAX", "INPAINT_ACCURACY_MIN",
           "INPAINT_HIDDEN_ROWS", "inpaint_mask", "judged_inpainting", "beta_schedule", "DenoisingMLP", "GaussianDiffusion", "make_model",
           "fit_diffusion", "gaussian_reverse_kernels", "isotropic_gaussian_log_likelihood", "energy_distance", "bits"]


def beta_schedule(num_timesteps: int, *, kind: str = "linear", beta_start: float = 1e-4,
                  beta_end: float = 0.02, center: float = 0.5) -> torch.Tensor:
    r"""The noise schedule $\beta_1, \dots, \beta_T$ in float64 (length ``num_timesteps`` = T).

    ``"linear"`` spaces β evenly (DDPM); ``"sigmoid"`` follows a logistic curve between the two
    ends, steepest at the fraction ``center`` of the chain (small steps near the data, as in
    Sohl-Dickstein's swiss roll; a later ``center`` keeps more structure at t = T/2); ``"cosine"`` makes
    $\bar\alpha_t = \cos^2\big(\tfrac{t/T + s}{1 + s}\tfrac{\pi}{2}\big)$ (Nichol & Dhariwal 2021)
    and ignores the two ends.
    """
    num_steps = check_positive_int("num_timesteps", num_timesteps)
    check_choice("kind", kind, ("linear", "sigmoid", "cosine"))
    for name, b in (("beta_start", beta_start), ("beta_end", beta_end)):
        if not isinstance(b, (int, float)) or isinstance(b, bool) or not 0 < b < 1:
            raise ValueError(f"{name} must be a number in (0, 1), got {b!r}")
    center = check_float("center", center, low=0.0, high=1.0, open_low=True, open_high=True)
    if kind == "linear":
        return torch.linspace(beta_start, beta_end, num_steps, dtype=torch.float64)
    if kind == "sigmoid":
        s = torch.sigmoid(torch.linspace(-6, 6, num_steps, dtype=torch.float64) - 12 * (center - 0.5))
        return beta_start + (beta_end - beta_start) * (s - s[0]) / (s[-1] - s[0])
    t = torch.arange(num_steps + 1, dtype=torch.float64) / num_steps
    f = torch.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    return (1 - f[1:] / f[:-1]).clamp(max=0.999)


class DenoisingMLP(nn.Module):
    """f(x^(t), t): an MLP whose every hidden layer adds a learned embedding of the step t.

    With ``residual``, hidden layers add their input and a linear skip joins input and output (in
    high dimension the map from x^(t) to ε is close to linear at large t, which a plain MLP with a
    narrow hidden layer learns slowly).

    ``out_dim`` is ``dim`` for the noise-prediction form and ``2 * dim`` for the paper's
    (mean, covariance) form; the output layers start at zero, so an untrained model outputs 0.
    """

    def __init__(self, dim: int, *, num_timesteps: int, hidden_dim: int = 128, num_layers: int = 3,
                 out_dim: int | None = None, residual: bool = False):
        super().__init__()
        self.residual = check_bool("residual", residual)
        dim, num_steps = check_positive_int("dim", dim), check_positive_int("num_timesteps", num_timesteps)
        hidden_dim, num_layers = check_positive_int("hidden_dim", hidden_dim), check_positive_int("num_layers", num_layers)
        out_dim = check_positive_int("out_dim", dim if out_dim is None else out_dim)
        self.dim, self.num_timesteps = dim, num_steps
        self.inp = nn.Linear(dim, hidden_dim)
        self.layers = nn.ModuleList(nn.Linear(hidden_dim, hidden_dim) for _ in range(num_layers - 1))
        self.embeddings = nn.ModuleList(nn.Embedding(num_steps + 1, hidden_dim) for _ in range(num_layers))
        self.out = nn.Linear(hidden_dim, out_dim)
        self.skip = nn.Linear(dim, out_dim, bias=False)
        for layer in (self.out, self.skip):
            nn.init.zeros_(layer.weight)
        self.skip.requires_grad_(self.residual)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The network's output for points x (N, dim) at integer steps t (N,) in 0..T."""
        check_tensor("x", x, shape=(None, self.dim), model=self)
        t = _check_steps(t, x.shape[0], x.device, 0, self.num_timesteps)
        h = nn.functional.silu(self.inp(x) + self.embeddings[0](t))
        for layer, emb in zip(self.layers, self.embeddings[1:]):
            h = nn.functional.silu(layer(h) + emb(t)) + (h if self.residual else 0)
        return self.out(h) + self.skip(x) if self.residual else self.out(h)


def _check_steps(t, n: int, device, low: int, high: int) -> torch.Tensor:
    """Steps t: a Python int, or an integer tensor of shape () or (n,), every value in low..high."""
    if isinstance(t, bool) or not isinstance(t, (int, torch.Tensor)):
        raise TypeError(f"t must be an integer step or an integer tensor of steps, got {type(t).__name__}")
    if isinstance(t, torch.Tensor):
        if t.is_floating_point() or t.dtype == torch.bool or t.is_complex():
            raise TypeError(f"t must hold integer steps, got dtype {t.dtype}")
        if t.ndim > 1 or (t.ndim == 1 and t.shape[0] != n):
            raise ValueError(f"t must be one step or {n} steps (one per example), got shape {tuple(t.shape)}")
    t = torch.as_tensor(t, device=device, dtype=torch.long)
    if t.ndim == 0:
        t = t.expand(n)
    if bool(((t < low) | (t > high)).any()):
        raise ValueError(f"t must lie in {low}..{high}, got values in [{int(t.min())}, {int(t.max())}]")
    return t


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


#: The swiss-roll model of notebook 08 and its benchmark, the paper's (mean, covariance) form, with
#: model, training and data configs kept apart (the cache keys on all three). The sigmoid schedule
#: is steepest at 0.9 T, so that q(x^(T/2)) is still a blurred spiral (ᾱ_{T/2} ≈ 0.975) while
#: ᾱ_T ≈ 0.0015; the roll carries Gaussian noise of std 0.03 (a noise-free curve has no density).
SWISS_ROLL = {"model": dict(dim=2, num_timesteps=40, hidden_dim=128, num_layers=3, schedule="sigmoid",
                            beta_start=1e-4, beta_end=0.7, center=0.9, parameterization="mean_cov"),
              "train": dict(num_steps=5000, batch_size=512, lr=2e-3, seed=0),
              "data": dict(name="swiss_roll", n=10_000, noise=0.03, seed=0)}
#: The inpainting model: DDPM's noise prediction on 14x14 digits scaled to [-1, 1], T = 100.
MNIST_14 = {"model": dict(dim=196, num_timesteps=100, hidden_dim=256, num_layers=3, schedule="cosine",
                          parameterization="eps", variance="posterior", clip_x0=1.0, residual=True),
            "train": dict(num_steps=4000, batch_size=128, lr=2e-3, seed=0),
            "data": dict(name="mnist_5k", split="train", size=14, scale="[-1, 1]")}

#: Notebook 08's checked claims. The held-out bound's gain over an isotropic Gaussian, in bits
#: (the paper's Table 1: 2.35 on its swiss roll; an untrained model is below 0).
GAIN_BITS_BAND = (1.5, 3.5)
#: Energy distance of the samples to held-out points, at most this share of a fitted Gaussian's.
ENERGY_RATIO_MAX = 0.1
#: Share of inpainted digits (lower third hidden) that the digit judge labels as the original digit.
INPAINT_ACCURACY_MIN = 0.8
#: Rows of the 14x14 digit hidden from the sampler in the checked inpainting (the lower third).
INPAINT_HIDDEN_ROWS = 5


def make_model(*, dim: int, num_timesteps: int = 40, hidden_dim: int = 128, num_layers: int = 3,
               schedule: str = "sigmoid", beta_start: float = 1e-5, beta_end: float = 0.1, center: float = 0.5,
               parameterization: str = "mean_cov", variance: str = "beta", clip_x0: float | None = None,
               residual: bool = False) -> GaussianDiffusion:
    """An untrained :class:`GaussianDiffusion` on a :class:`DenoisingMLP` (the builder for
    :func:`lecturekit.checkpoint.cached`). The defaults are the swiss-roll model: T = 40 steps of
    a sigmoid schedule and the paper's (mean, covariance) form."""
    dim = check_positive_int("dim", dim)
    check_choice("schedule", schedule, ("linear", "sigmoid", "cosine"))
    check_choice("parameterization", parameterization, ("mean_cov", "eps"))
    out_dim = dim if parameterization == "eps" else 2 * dim
    net = DenoisingMLP(dim, num_timesteps=num_timesteps, hidden_dim=hidden_dim, num_layers=num_layers,
                       out_dim=out_dim, residual=residual)
    betas = beta_schedule(num_timesteps, kind=schedule, beta_start=beta_start, beta_end=beta_end, center=center)
    return GaussianDiffusion(net, betas=betas, parameterization=parameterization, variance=variance, clip_x0=clip_x0)


def fit_diffusion(diffusion: GaussianDiffusion, x: torch.Tensor, *, num_steps: int = 3000, batch_size: int = 512,
                  lr: float = 2e-3, generator: torch.Generator | None = None, progress: bool | None = None) -> History:
    """Train with Adam and a cosine learning-rate decay on :meth:`GaussianDiffusion.p_losses`: a
    minibatch, a step t ~ U{1..T} and the noise per example, all drawn with ``generator``."""
    if not isinstance(diffusion, GaussianDiffusion):
        raise TypeError(f"diffusion must be a GaussianDiffusion, got {type(diffusion).__name__}")
    x = diffusion._data("x", x).flatten(1).to(diffusion.beta.device)
    num_steps = check_num_steps("num_steps", num_steps)
    check_generator(generator)
    opt = torch.optim.Adam(diffusion.parameters(), lr=check_positive_float("lr", lr))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, num_steps)
    batches = Batches(x, batch_size=min(check_positive_int("batch_size", batch_size), x.shape[0]), generator=generator)
    return fit(lambda xb: diffusion.p_losses(xb, generator=generator), opt, batches, num_steps, model=diffusion,
               scheduler=scheduler, desc="diffusion", progress=progress)


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


def isotropic_gaussian_log_likelihood(x_train: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    r"""log N(x | m, σ² I) per example, with m and σ² fitted to ``x_train`` by maximum likelihood:
    the baseline L_null of the paper's Table 1."""
    check_tensor("x_train", x_train)
    check_tensor("x", x)
    if not x_train.is_floating_point() or not x.is_floating_point():
        raise TypeError(f"x_train and x must be floating-point tensors, got {x_train.dtype} and {x.dtype}")
    if x_train.ndim < 2 or x_train.shape[0] < 2:
        raise ValueError(f"x_train must hold at least 2 examples (N, ...) to fit a variance, got {tuple(x_train.shape)}")
    if x.shape[1:] != x_train.shape[1:]:
        raise ValueError(f"x must hold examples shaped like x_train's {tuple(x_train.shape[1:])}, got {tuple(x.shape)}")
    m = x_train.mean(0)
    var = ((x_train - m) ** 2).mean()
    if not float(var) > 0:
        raise ValueError("x_train must not be all one point: its fitted variance is 0")
    return _normal(m, var.log().expand_as(m)).log_prob(x).flatten(1).sum(1)


def bits(nats: torch.Tensor | float):
    """Nats to bits: divide by ln 2."""
    if isinstance(nats, torch.Tensor):
        check_tensor("nats", nats, nonempty=False)
        if not nats.is_floating_point():
            raise TypeError(f"nats must be a floating-point tensor or a number, got dtype {nats.dtype}")
    else:
        nats = check_float("nats", nats)
    return nats / math.log(2)


def energy_distance(x: torch.Tensor, y: torch.Tensor) -> float:
    r"""D²(P, Q) = 2 E|X - Y| - E|X - X'| - E|Y - Y'| from two samples (Székely & Rizzo), with
    the within-sample terms averaged over distinct pairs (unbiased; near 0 when P = Q)."""
    check_tensor("x", x)
    check_tensor("y", y)
    x, y = x.flatten(1).double(), y.flatten(1).double()
    if x.shape[0] < 2 or y.shape[0] < 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must hold at least 2 points of the same dimension, got {tuple(x.shape)}, {tuple(y.shape)}")
    n, m = x.shape[0], y.shape[0]
    xy = torch.cdist(x, y).mean()
    xx = torch.cdist(x, x).sum() / (n * (n - 1))
    yy = torch.cdist(y, y).sum() / (m * (m - 1))
    return float(2 * xy - xx - yy)


def inpaint_mask(hidden_rows: int = INPAINT_HIDDEN_ROWS, size: int = 14) -> torch.Tensor:
    """A flat (size²,) boolean mask of a size×size image: True on the known rows, False on the
    lower ``hidden_rows`` rows that the sampler fills in."""
    size = check_positive_int("size", size)
    if size < 2:
        raise ValueError(f"size must be at least 2 (one known and one hidden row), got {size}")
    if isinstance(hidden_rows, bool) or not isinstance(hidden_rows, int) or not 0 < hidden_rows < size:
        raise ValueError(f"hidden_rows must be an integer in 1..{size - 1}, got {hidden_rows!r}")
    mask = torch.ones(size, size, dtype=torch.bool)
    mask[size - hidden_rows:] = False
    return mask.flatten()


def judged_inpainting(diffusion: GaussianDiffusion, images: torch.Tensor, labels: torch.Tensor, *,
                      hidden_rows: int = INPAINT_HIDDEN_ROWS, generator: torch.Generator | None = None):
    """Inpaint the lower ``hidden_rows`` rows of 28x28 digits (N, 1, 28, 28) in [0, 1] at 14x14 and
    judge each completion (upsampled to 28x28) with :mod:`lecturekit.judge`.

    Returns ``(completions (N, 196) in [-1, 1], judge labels (N,), share equal to labels)``.
    """
    import torch.nn.functional as F

    from .judge import digit_scores

    if not isinstance(diffusion, GaussianDiffusion):
        raise TypeError(f"diffusion must be a GaussianDiffusion, got {type(diffusion).__name__}")
    check_tensor("images", images, shape=(None, 1, 28, 28), low=0.0, high=1.0, hint="divide 0-255 pixels by 255")
    check_tensor("labels", labels, shape=(images.shape[0],))
    if labels.dtype != torch.int64 or bool(((labels < 0) | (labels > 9)).any()):
        raise ValueError("labels must be int64 digit labels 0..9, one per image")
    check_generator(generator)
    known = (F.avg_pool2d(images, 2) * 2 - 1).flatten(1).to(diffusion.beta.device)
    mask = inpaint_mask(hidden_rows).to(known.device)
    filled = diffusion.p_sample_loop(known.shape, x_known=known, mask=mask, generator=generator)
    up = F.interpolate(((filled.view(-1, 1, 14, 14) + 1) / 2).clamp(0, 1), size=28, mode="bilinear",
                       align_corners=False).clamp(0, 1)
    judged = digit_scores(up.cpu()).labels
    return filled, judged, float((judged == labels.cpu()).double().mean())
