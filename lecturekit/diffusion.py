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

from .utils import check_choice, check_positive_float, check_positive_int

__all__ = ["SWISS_ROLL", "MNIST_14", "beta_schedule", "DenoisingMLP", "GaussianDiffusion", "make_model", "fit_model",
           "gaussian_reverse_kernels", "isotropic_gaussian_log_likelihood", "energy_distance", "bits"]

_LOG_2PI = math.log(2 * math.pi)


def beta_schedule(num_steps: int, *, kind: str = "linear", beta_start: float = 1e-4,
                  beta_end: float = 0.02) -> torch.Tensor:
    r"""The noise schedule $\beta_1, \dots, \beta_T$ in float64 (length ``num_steps``).

    ``"linear"`` spaces β evenly (DDPM); ``"sigmoid"`` follows a logistic curve between the two
    ends (small steps near the data, as in Sohl-Dickstein's swiss roll); ``"cosine"`` makes
    $\bar\alpha_t = \cos^2\big(\tfrac{t/T + s}{1 + s}\tfrac{\pi}{2}\big)$ (Nichol & Dhariwal 2021)
    and ignores the two ends.
    """
    num_steps = check_positive_int("num_steps", num_steps)
    check_choice("kind", kind, ("linear", "sigmoid", "cosine"))
    for name, b in (("beta_start", beta_start), ("beta_end", beta_end)):
        if not isinstance(b, (int, float)) or isinstance(b, bool) or not 0 < b < 1:
            raise ValueError(f"{name} must be a number in (0, 1), got {b!r}")
    if kind == "linear":
        return torch.linspace(beta_start, beta_end, num_steps, dtype=torch.float64)
    if kind == "sigmoid":
        s = torch.sigmoid(torch.linspace(-6, 6, num_steps, dtype=torch.float64))
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

    def __init__(self, dim: int, *, num_steps: int, hidden_dim: int = 128, num_layers: int = 3,
                 out_dim: int | None = None, residual: bool = False):
        super().__init__()
        self.residual = bool(residual)
        dim, num_steps = check_positive_int("dim", dim), check_positive_int("num_steps", num_steps)
        hidden_dim, num_layers = check_positive_int("hidden_dim", hidden_dim), check_positive_int("num_layers", num_layers)
        out_dim = check_positive_int("out_dim", out_dim or dim)
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
        h = nn.functional.silu(self.inp(x) + self.embeddings[0](t))
        for layer, emb in zip(self.layers, self.embeddings[1:]):
            h = nn.functional.silu(layer(h) + emb(t)) + (h if self.residual else 0)
        return self.out(h) + self.skip(x) if self.residual else self.out(h)


def _gaussian_kl(mean1, log_var1, mean2, log_var2):
    """KL(N(mean1, e^log_var1) || N(mean2, e^log_var2)), elementwise."""
    return 0.5 * (log_var2 - log_var1 + (log_var1.exp() + (mean1 - mean2) ** 2) / log_var2.exp() - 1)


def _gaussian_log_prob(x, mean, log_var):
    return -0.5 * (_LOG_2PI + log_var + (x - mean) ** 2 / log_var.exp())


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
        betas = torch.as_tensor(betas, dtype=torch.float64).flatten()
        if betas.numel() == 0:
            raise ValueError("betas must hold at least one step (T >= 1), got T = 0")
        if not bool(((betas > 0) & (betas < 1)).all()):
            raise ValueError(f"betas must all lie in (0, 1), got values in [{betas.min():.3g}, {betas.max():.3g}]")
        self.model = model
        self.num_steps = betas.numel()
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
        clipped[1] = clipped[2] if self.num_steps > 1 else beta[1]
        self.register_buffer("posterior_log_variance", clipped.clamp(min=1e-300).log())
        self.register_buffer("posterior_mean_coef0", beta * alpha_bar_prev.sqrt() / (1 - alpha_bar).clamp(min=1e-300))
        self.register_buffer("posterior_mean_coef_t", (1 - alpha_bar_prev) * alpha.sqrt() / (1 - alpha_bar).clamp(min=1e-300))

    # ------------------------------------------------------------------ helpers
    def _at(self, name: str, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The buffer ``name`` at steps t, shaped to broadcast against x (in x's dtype)."""
        v = getattr(self, name)[t].to(x.dtype)
        return v.reshape(v.shape + (1,) * (x.ndim - v.ndim))

    def _steps(self, t, x: torch.Tensor, *, low: int = 0) -> torch.Tensor:
        t = torch.as_tensor(t, device=x.device, dtype=torch.long)
        if t.ndim == 0:
            t = t.expand(x.shape[0])
        if bool(((t < low) | (t > self.num_steps)).any()):
            raise ValueError(f"t must lie in {low}..{self.num_steps}, got values in [{int(t.min())}, {int(t.max())}]")
        return t

    def _noise(self, x, generator):
        return torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)

    # ------------------------------------------------------------------ forward process q
    def q_step(self, x_prev: torch.Tensor, t, *, generator: torch.Generator | None = None) -> torch.Tensor:
        r"""x^(t) ~ q(x^(t) | x^(t-1)) = N(sqrt(1 - β_t) x^(t-1), β_t I): one step of the chain."""
        t = self._steps(t, x_prev, low=1)
        return self._at("alpha", t, x_prev).sqrt() * x_prev + self._at("beta", t, x_prev).sqrt() * self._noise(x_prev, generator)

    def q_trajectory(self, x0: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """The forward trajectory x^(0), x^(1), ..., x^(T) from running the chain: (T + 1, *x0.shape)."""
        xs = [x0]
        for t in range(1, self.num_steps + 1):
            xs.append(self.q_step(xs[-1], t, generator=generator))
        return torch.stack(xs)

    def q_mean_variance(self, x0: torch.Tensor, t) -> tuple[torch.Tensor, torch.Tensor]:
        r"""q(x^(t) | x^(0)) = N(sqrt(ᾱ_t) x^(0), (1 - ᾱ_t) I), ᾱ_t = Π_{s≤t} (1 - β_s): (mean, variance)."""
        t = self._steps(t, x0)
        return self._at("alpha_bar", t, x0).sqrt() * x0, (1 - self._at("alpha_bar", t, x0)).expand_as(x0)

    def q_sample(self, x0: torch.Tensor, t, *, noise: torch.Tensor | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        r"""x^(t) = sqrt(ᾱ_t) x^(0) + sqrt(1 - ᾱ_t) ε: a draw from the closed form q(x^(t) | x^(0))."""
        mean, var = self.q_mean_variance(x0, t)
        noise = self._noise(x0, generator) if noise is None else noise
        return mean + var.sqrt() * noise

    def q_posterior(self, x0: torch.Tensor, xt: torch.Tensor, t) -> tuple[torch.Tensor, torch.Tensor]:
        r"""q(x^(t-1) | x^(t), x^(0)) = N(μ̃_t, β̃_t I) with
        μ̃_t = sqrt(ᾱ_{t-1}) β_t / (1 - ᾱ_t) x^(0) + sqrt(α_t) (1 - ᾱ_{t-1}) / (1 - ᾱ_t) x^(t) and
        β̃_t = (1 - ᾱ_{t-1}) β_t / (1 - ᾱ_t): (mean, variance)."""
        t = self._steps(t, xt, low=1)
        mean = self._at("posterior_mean_coef0", t, xt) * x0 + self._at("posterior_mean_coef_t", t, xt) * xt
        return mean, self._at("posterior_variance", t, xt).expand_as(xt)

    # ------------------------------------------------------------------ reverse process p
    def p_mean_variance(self, xt: torch.Tensor, t) -> tuple[torch.Tensor, torch.Tensor]:
        r"""p(x^(t-1) | x^(t)) = N(μ(x^(t), t), Σ(x^(t), t)) with diagonal Σ: (mean, log variance)."""
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
        logit = c_beta / math.sqrt(self.num_steps) + torch.log(beta) - torch.log1p(-beta)
        return mean, nn.functional.logsigmoid(logit)

    def drift(self, xt: torch.Tensor, t) -> torch.Tensor:
        """μ(x^(t), t) - x^(t): where the reverse kernel moves a point on average (the paper's
        Figure 1, bottom row)."""
        return self.p_mean_variance(xt, t)[0] - xt

    def p_sample(self, xt: torch.Tensor, t, *, generator: torch.Generator | None = None) -> torch.Tensor:
        r"""x^(t-1) ~ p(x^(t-1) | x^(t)): one reverse step."""
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
        shape = tuple(int(s) for s in shape)
        if len(shape) < 2 or min(shape) < 1:
            raise ValueError(f"shape must be (N, ...) with positive sizes, got {shape}")
        param = next(iter(self.model.parameters()), None)
        dtype = param.dtype if param is not None else torch.get_default_dtype()
        dev = torch.device(device) if device is not None else self.beta.device
        if (x_known is None) != (mask is None):
            raise ValueError("x_known and mask must be given together")
        if mask is not None:
            x_known, mask = _check_known(x_known, mask, shape)
            dtype, dev = x_known.dtype, x_known.device
        x = torch.randn(shape, generator=generator, dtype=dtype, device=dev)
        xs = [x]
        for t in range(self.num_steps, 0, -1):
            x = self.p_sample(x, t, generator=generator)
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
        n = x0.shape[0]
        if t is None:
            t = torch.randint(1, self.num_steps + 1, (n,), generator=generator).to(x0.device)
        t = self._steps(t, x0, low=1)
        noise = self._noise(x0, generator)
        xt = self.q_sample(x0, t, noise=noise)
        if self.parameterization == "eps":
            return ((self.model(xt, t) - noise) ** 2).flatten(1).sum(1).mean()
        return self.num_steps * self._bound_term(x0, xt, t).flatten(1).sum(1).mean()

    def _bound_term(self, x0, xt, t):
        """KL(q(x^(t-1)|x^(t),x^(0)) || p(x^(t-1)|x^(t))) for t > 1, -log p(x^(0)|x^(1)) for t = 1."""
        mean, log_var = self.p_mean_variance(xt, t)
        q_mean, q_var = self.q_posterior(x0, xt, t)
        first = self._at("posterior_variance", t, xt) == 0  # t = 1: q_posterior is a point mass at x0
        kl = _gaussian_kl(q_mean, q_var.clamp(min=1e-30).log(), mean, log_var)
        nll = -_gaussian_log_prob(x0, mean, log_var)
        return torch.where(first.expand_as(xt), nll, kl)

    def forward(self, x0: torch.Tensor) -> torch.Tensor:
        return self.p_losses(x0)

    def lower_bound(self, x0: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        r"""The bound K ≤ log p(x^(0)) per example, in nats (Sohl-Dickstein et al., Eq. 14):

        K = -KL(q(x^(T)|x^(0)) || p(x^(T))) - Σ_{t=2}^T KL(q(x^(t-1)|x^(t),x^(0)) || p(x^(t-1)|x^(t)))
        + log p(x^(0) | x^(1)), each term at its own draw x^(t) ~ q(x^(t) | x^(0)).
        """
        n = x0.shape[0]
        mean_T, var_T = self.q_mean_variance(x0, self.num_steps)
        prior = _gaussian_kl(mean_T, var_T.log(), torch.zeros_like(x0), torch.zeros_like(x0))
        total = -prior.flatten(1).sum(1)
        for t in range(1, self.num_steps + 1):
            steps = torch.full((n,), t, dtype=torch.long, device=x0.device)
            xt = self.q_sample(x0, steps, generator=generator)
            total = total - self._bound_term(x0, xt, steps).flatten(1).sum(1)
        return total


#: The swiss-roll model of notebook 08 and its benchmark: the paper's form, T = 40.
SWISS_ROLL = dict(dim=2, num_steps=40, hidden_dim=128, num_layers=3, schedule="sigmoid", beta_start=1e-4,
                  beta_end=0.25, parameterization="mean_cov", train_steps=5000, batch_size=512, lr=2e-3)
#: The inpainting model: DDPM's noise prediction on 14x14 digits scaled to [-1, 1], T = 100.
MNIST_14 = dict(dim=196, num_steps=100, hidden_dim=256, num_layers=3, schedule="cosine", parameterization="eps",
                variance="posterior", clip_x0=1.0, residual=True, train_steps=4000, batch_size=128, lr=2e-3)


def make_model(*, dim: int, num_steps: int = 40, hidden_dim: int = 128, num_layers: int = 3,
               schedule: str = "sigmoid", beta_start: float = 1e-5, beta_end: float = 0.1,
               parameterization: str = "mean_cov", variance: str = "beta", clip_x0: float | None = None,
               residual: bool = False, train_steps: int = 0, batch_size: int = 0, lr: float = 0.0) -> GaussianDiffusion:
    """An untrained :class:`GaussianDiffusion` on a :class:`DenoisingMLP` (the builder for
    :func:`lecturekit.checkpoint.cached`). The defaults are the swiss-roll model: T = 40 steps of
    a sigmoid schedule and the paper's (mean, covariance) form.

    ``train_steps``, ``batch_size`` and ``lr`` are not used here: they sit in the signature so that
    one config holds both, and changing how the model is trained changes the cache key.
    """
    out_dim = dim if parameterization == "eps" else 2 * dim
    net = DenoisingMLP(dim, num_steps=num_steps, hidden_dim=hidden_dim, num_layers=num_layers, out_dim=out_dim,
                       residual=residual)
    betas = beta_schedule(num_steps, kind=schedule, beta_start=beta_start, beta_end=beta_end)
    return GaussianDiffusion(net, betas=betas, parameterization=parameterization, variance=variance, clip_x0=clip_x0)


def fit_model(diffusion: GaussianDiffusion, x: torch.Tensor, *, train_steps: int = 3000, batch_size: int = 512,
              lr: float = 2e-3, seed: int = 0, progress: bool | None = None, **_model_config) -> dict:
    """Train with Adam and a cosine learning-rate decay on :meth:`GaussianDiffusion.p_losses`.

    Extra keywords (the model part of a :func:`make_model` config) are ignored, so one config
    dict serves both. Returns ``{"loss": [...], "seconds": s}`` (the loss every 10 steps).
    """
    from .train import Batches, fit

    train_steps = check_positive_int("train_steps", train_steps)
    x = x.flatten(1).to(diffusion.beta.device)
    generator = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(diffusion.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, train_steps)
    batches = Batches(x, batch_size=min(check_positive_int("batch_size", batch_size), x.shape[0]), generator=generator)
    torch.manual_seed(seed)  # the steps t and the noise of p_losses
    history = fit(lambda xb: diffusion(xb), opt, batches, train_steps, model=diffusion, scheduler=scheduler,
                  desc="diffusion", progress=progress)
    return {"loss": history.loss[::10], "seconds": history.seconds}


def _check_known(x_known, mask, shape):
    if not isinstance(x_known, torch.Tensor) or not isinstance(mask, torch.Tensor):
        raise TypeError("x_known and mask must be torch tensors")
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
    m = x_train.mean(0)
    var = ((x_train - m) ** 2).mean()
    return _gaussian_log_prob(x, m, var.log()).flatten(1).sum(1)


def bits(nats: torch.Tensor | float):
    """Nats to bits: divide by ln 2."""
    return nats / math.log(2)


def energy_distance(x: torch.Tensor, y: torch.Tensor) -> float:
    r"""D²(P, Q) = 2 E|X - Y| - E|X - X'| - E|Y - Y'| from two samples (Székely & Rizzo), with
    the within-sample terms averaged over distinct pairs (unbiased; near 0 when P = Q)."""
    x, y = x.flatten(1).double(), y.flatten(1).double()
    if x.shape[0] < 2 or y.shape[0] < 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must hold at least 2 points of the same dimension, got {tuple(x.shape)}, {tuple(y.shape)}")
    n, m = x.shape[0], y.shape[0]
    xy = torch.cdist(x, y).mean()
    xx = torch.cdist(x, x).sum() / (n * (n - 1))
    yy = torch.cdist(y, y).sum() / (m * (m - 1))
    return float(2 * xy - xx - yy)
