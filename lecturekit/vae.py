"""Variational autoencoders: the reparametrized ELBO, the IWAE bound and active units.

The model of Kingma & Welling (2014): a prior p(z) = N(0, I), a decoder p_θ(x | z) (Bernoulli
for binary images, Gaussian for grey levels) and an encoder q_φ(z | x) = N(μ(x), diag σ²(x)).
For every image the evidence splits into the bound and a gap,

    log p(x | θ) = L(θ, φ, x) + KL(q_φ(z | x) ‖ p(z | x, θ)),
    L = E_q[log p(x | z)] − β KL(q_φ(z | x) ‖ p(z))       (β = 1 is the ELBO),

and the reparametrization z = μ(x) + σ(x) ⊙ ε, ε ~ N(0, I), gives an unbiased gradient of the
Monte Carlo estimate of the first term. The KL to the prior is analytic. :func:`iwae_bound` is
the importance-weighted bound L_k of Burda et al. (2016), L_1 = ELBO ≤ L_k ≤ L_{k+1} ≤ log p(x).

The encoder's log-variance is soft-clamped to (−10, 10) (``b tanh(raw / b)``): positive,
bounded variance with a gradient everywhere, so a bad batch cannot overflow exp(log σ²).

References:
    Kingma & Welling (2014). Auto-encoding variational Bayes. ICLR.
    Rezende, Mohamed & Wierstra (2014). Stochastic backpropagation and approximate inference in
    deep generative models. ICML.
    Burda, Grosse & Salakhutdinov (2016). Importance weighted autoencoders. ICLR.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Bernoulli, Independent, Normal

from .nn import mlp
from .train import Batches, evaluating, fit
from .utils import check_choice, check_images, check_positive_float, check_positive_int

__all__ = ["VAE", "kl_to_prior", "elbo", "iwae_bound", "mean_bound", "active_units", "train_vae",
           "latent_grid", "shift_images", "shift_nll", "LOGVAR_BOUND"]

#: |log σ²| of the encoder stays below this (soft clamp).
LOGVAR_BOUND = 10.0
_LOG_2PI = math.log(2 * math.pi)


class VAE(nn.Module):
    """An MLP VAE: q_φ(z | x) = N(μ(x), diag σ²(x)), p(z) = N(0, I), p_θ(x | z) Bernoulli or Gaussian.

    Args:
        image_shape: (H, W) of the (N, 1, H, W) images it models.
        hidden_dim: width of the one hidden layer of encoder and decoder (ReLU).
        latent_dim: the size of z.
        likelihood: ``"bernoulli"`` (decoder outputs logits; for binary images) or ``"gaussian"``
            (decoder outputs the mean, one learned scalar σ shared by all pixels).
        min_std: the smallest σ of the Gaussian decoder (σ = min_std + softplus(s)).
        init_std: σ of the Gaussian decoder before training. σ is learned, but Adam moves it
            slowly, so it starts near the residual scale of grey-level images (0.2), not at 1.

    >>> model = VAE(latent_dim=2, hidden_dim=16)
    >>> model.sample(3).shape
    torch.Size([3, 1, 28, 28])
    """

    def __init__(self, *, image_shape: Sequence[int] = (28, 28), hidden_dim: int = 400, latent_dim: int = 20,
                 likelihood: str = "bernoulli", min_std: float = 0.01, init_std: float = 0.2):
        super().__init__()
        if len(image_shape) != 2:
            raise ValueError(f"image_shape must be (H, W), got {tuple(image_shape)}")
        self.image_shape = (check_positive_int("image_shape[0]", image_shape[0]),
                            check_positive_int("image_shape[1]", image_shape[1]))
        self.hidden_dim = check_positive_int("hidden_dim", hidden_dim)
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        self.likelihood = check_choice("likelihood", likelihood, ("bernoulli", "gaussian"))
        self.min_std = check_positive_float("min_std", min_std)
        self.input_dim = self.image_shape[0] * self.image_shape[1]
        self.encoder = mlp([self.input_dim, hidden_dim, 2 * latent_dim])
        self.decoder = mlp([latent_dim, hidden_dim, self.input_dim])
        init_std = check_positive_float("init_std", init_std)
        if init_std <= self.min_std:
            raise ValueError(f"init_std must exceed min_std = {self.min_std}, got {init_std}")
        if likelihood == "gaussian":
            # the inverse of softplus at init_std − min_std
            self.raw_std = nn.Parameter(torch.tensor(math.log(math.expm1(init_std - self.min_std))))

    # -- q_φ(z | x) --------------------------------------------------------------------------
    def flatten(self, x: torch.Tensor, name: str = "x") -> torch.Tensor:
        """Check (N, 1, H, W) images of this model's size and flatten them to (N, H·W)."""
        check_images(name, x, size=self.image_shape)
        return x.reshape(x.shape[0], self.input_dim)

    def _encode_flat(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, raw = self.encoder(x).chunk(2, dim=-1)
        return mu, LOGVAR_BOUND * torch.tanh(raw / LOGVAR_BOUND)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ(x), log σ²(x)), each (N, latent_dim), for images x (N, 1, H, W)."""
        return self._encode_flat(self.flatten(x))

    def q(self, x: torch.Tensor) -> Independent:
        """q_φ(z | x) = N(μ(x), diag σ²(x)) as a distribution with ``rsample`` and ``log_prob``."""
        mu, logvar = self.encode(x)
        return Independent(Normal(mu, (0.5 * logvar).exp(), validate_args=False), 1)

    def prior(self, *, device=None, dtype=None) -> Independent:
        """p(z) = N(0, I)."""
        ref = next(self.parameters())
        zero = torch.zeros(self.latent_dim, device=device or ref.device, dtype=dtype or ref.dtype)
        return Independent(Normal(zero, torch.ones_like(zero), validate_args=False), 1)

    # -- p_θ(x | z) ----------------------------------------------------------------------------
    @property
    def std(self) -> torch.Tensor:
        """σ of the Gaussian decoder."""
        if self.likelihood != "gaussian":
            raise AttributeError("std is defined for the Gaussian decoder only")
        return self.min_std + F.softplus(self.raw_std)

    def log_px(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p_θ(x | z), summed over pixels: x (N, D) flat, z (..., N, latent_dim) -> (..., N)."""
        out = self.decoder(z)
        if self.likelihood == "bernoulli":
            return -F.binary_cross_entropy_with_logits(out, x.expand_as(out), reduction="none").sum(-1)
        std = self.std
        return -0.5 * (((x - out) / std) ** 2).sum(-1) - self.input_dim * (std.log() + 0.5 * _LOG_2PI)

    def p_x(self, z: torch.Tensor) -> Independent:
        """p_θ(x | z) over flat images (..., H·W) as a distribution."""
        out = self.decoder(z)
        if self.likelihood == "bernoulli":
            return Independent(Bernoulli(logits=out, validate_args=False), 1)
        return Independent(Normal(out, self.std.expand_as(out), validate_args=False), 1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The mean image E[x | z] (N, 1, H, W) for latents z (N, latent_dim)."""
        if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must be a tensor of shape (N, {self.latent_dim}), got "
                             f"{tuple(getattr(z, 'shape', ()))}")
        out = self.decoder(z)
        mean = torch.sigmoid(out) if self.likelihood == "bernoulli" else out
        return mean.reshape(-1, 1, *self.image_shape)

    def sample(self, n: int, *, generator: torch.Generator | None = None, mean: bool = True) -> torch.Tensor:
        """n images from z ~ p(z): the decoder means (``mean=True``) or draws x ~ p_θ(x | z)."""
        n = check_positive_int("n", n)
        ref = next(self.parameters())
        z = torch.randn(n, self.latent_dim, generator=generator, dtype=ref.dtype).to(ref.device)
        m = self.decode(z)
        if mean:
            return m
        if self.likelihood == "bernoulli":
            u = torch.rand(m.shape, generator=generator, dtype=m.dtype).to(m.device)
            return (u < m).to(m.dtype)
        return m + self.std * torch.randn(m.shape, generator=generator, dtype=m.dtype).to(m.device)


def kl_to_prior(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²), over the last axis."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def _noise(shape, like: torch.Tensor, generator):
    if generator is None:
        return torch.randn(shape, device=like.device, dtype=like.dtype)
    return torch.randn(shape, generator=generator, dtype=like.dtype).to(like.device)


def elbo(model: VAE, x: torch.Tensor, *, num_samples: int = 1, beta: float = 1.0,
         generator: torch.Generator | None = None) -> torch.Tensor:
    r"""L(θ, φ, β, x) = (1/S) Σ_s log p_θ(x | μ + σ ⊙ ε_s) − β KL(q_φ(z | x) ‖ p(z)), per image.

    The reconstruction term is an S-sample reparametrized Monte Carlo estimate; the KL to the
    prior is analytic (Kingma & Welling 2014, eq. 10).

    Args:
        model: a :class:`VAE`.
        x: images (N, 1, H, W) of the model's size.
        num_samples: S, the number of ε draws per image.
        beta: weight of the KL (β = 1: the evidence lower bound).
        generator: for the ε draws.

    Returns:
        (N,) bounds in nats.
    """
    xf = model.flatten(x)
    num_samples = check_positive_int("num_samples", num_samples)
    beta = check_positive_float("beta", beta, allow_zero=True)
    mu, logvar = model._encode_flat(xf)
    eps = _noise((num_samples, *mu.shape), mu, generator)
    z = mu + (0.5 * logvar).exp() * eps
    return model.log_px(xf, z).mean(0) - beta * kl_to_prior(mu, logvar)


def iwae_bound(model: VAE, x: torch.Tensor, k: int = 5, *, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""L_k = log (1/k) Σ_i p_θ(x, z_i) / q_φ(z_i | x), z_i ~ q_φ(z | x), per image (logsumexp).

    L_1 is the single-sample ELBO estimator; E[L_k] rises with k towards log p(x)
    (Burda et al. 2016, Theorem 1).

    Returns:
        (N,) bounds in nats.
    """
    xf = model.flatten(x)
    k = check_positive_int("k", k)
    mu, logvar = model._encode_flat(xf)
    eps = _noise((k, *mu.shape), mu, generator)
    z = mu + (0.5 * logvar).exp() * eps
    # log p(z) − log q(z | x): the 2π terms cancel; (z − μ)/σ = ε.
    log_w = model.log_px(xf, z) + (-0.5 * z.pow(2) + 0.5 * eps.pow(2) + 0.5 * logvar).sum(-1)
    return torch.logsumexp(log_w, dim=0) - math.log(k)


def mean_bound(model: VAE, x: torch.Tensor, *, k: int | None = None, num_samples: int = 1, batch_size: int = 250,
               generator: torch.Generator | None = None) -> float:
    """The mean over images of :func:`elbo` (``k=None``) or of :func:`iwae_bound` with ``k``, in
    nats per image, computed in eval mode under ``no_grad`` in batches."""
    batch_size = check_positive_int("batch_size", batch_size)
    if k is not None:
        k = check_positive_int("k", k)
    model.flatten(x)
    total = 0.0
    with evaluating(model):
        for i in range(0, x.shape[0], batch_size):
            xb = x[i : i + batch_size]
            b = (elbo(model, xb, num_samples=num_samples, generator=generator) if k is None
                 else iwae_bound(model, xb, k, generator=generator))
            total += float(b.sum())
    return total / x.shape[0]


def active_units(model: VAE, x: torch.Tensor, *, threshold: float = 1e-2) -> tuple[int, torch.Tensor]:
    r"""The units u with A_u = Cov_x(E_{q(u | x)}[u]) > ``threshold`` (Burda et al. 2016, §5.2).

    Returns:
        (count, A) with A the (latent_dim,) activity of every unit.
    """
    check_positive_float("threshold", threshold)
    with evaluating(model):
        mu, _ = model.encode(x)
    activity = mu.var(0, unbiased=False) if mu.shape[0] > 1 else torch.zeros_like(mu[0])
    return int((activity > threshold).sum()), activity


def _neg_elbo_mean(model: VAE, x: torch.Tensor, beta: float) -> torch.Tensor:
    """−mean of the one-sample :func:`elbo` over a batch, with fused sums (the training loss)."""
    xf = x.reshape(x.shape[0], model.input_dim)
    mu, logvar = model._encode_flat(xf)
    z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
    out = model.decoder(z)
    if model.likelihood == "bernoulli":
        rec = F.binary_cross_entropy_with_logits(out, xf, reduction="sum")
    else:
        std = model.std
        rec = 0.5 * (((xf - out) / std) ** 2).sum() + xf.numel() * (std.log() + 0.5 * _LOG_2PI)
    return (rec + beta * kl_to_prior(mu, logvar).sum()) / x.shape[0]


def train_vae(model: VAE, x: torch.Tensor, *, epochs: int = 10, batch_size: int = 128, lr: float = 1e-3,
              objective: str = "elbo", k: int = 5, beta: float = 1.0, generator: torch.Generator | None = None,
              desc: str = "VAE", progress: bool | None = None) -> dict:
    """Fit ``model`` to images ``x`` with Adam through :func:`lecturekit.train.fit`.

    Args:
        objective: ``"elbo"`` (maximize :func:`elbo`, one ε per image) or ``"iwae"`` (maximize
            :func:`iwae_bound` with ``k`` samples).
        epochs, batch_size, lr: passes over ``x``, minibatch size, Adam's learning rate.
        generator: shuffles the minibatches.

    Returns:
        ``{"epoch_loss": [mean −bound per epoch], "seconds": s, "images_per_s": r}`` (JSON-able).
    """
    xf = model.flatten(x)
    epochs = check_positive_int("epochs", epochs)
    check_choice("objective", objective, ("elbo", "iwae"))
    k = check_positive_int("k", k)
    batches = Batches(x, batch_size=batch_size, shuffle=True, generator=generator)
    del xf
    opt = torch.optim.Adam(model.parameters(), lr=check_positive_float("lr", lr))

    def loss_fn(xb):
        if objective == "elbo":
            return _neg_elbo_mean(model, xb, beta)
        return -iwae_bound(model, xb, k).mean()

    steps = epochs * len(batches)
    history = fit(loss_fn, opt, batches, steps, model=model, desc=desc, progress=progress)
    per_epoch = torch.tensor(history.loss).reshape(epochs, len(batches)).mean(1)
    return {"epoch_loss": [round(float(v), 4) for v in per_epoch], "seconds": history.seconds,
            "images_per_s": epochs * x.shape[0] / history.seconds}


def latent_grid(n: int = 20, *, lo: float = 0.05, hi: float = 0.95, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    r"""An n × n grid of 2-D latents z = (Φ⁻¹(u₁), Φ⁻¹(u₂)), u evenly spaced in [lo, hi] (Kingma &
    Welling 2014, Fig. 4): equal prior mass between neighbours. Row-major, z₂ decreasing down the
    rows and z₁ increasing along them, so the decoded grid reads like a scatter plot of z."""
    n = check_positive_int("n", n)
    if not 0 < lo < hi < 1:
        raise ValueError(f"lo and hi must satisfy 0 < lo < hi < 1, got lo={lo}, hi={hi}")
    u = torch.linspace(lo, hi, n, dtype=torch.float64)
    z = Normal(torch.tensor(0.0, dtype=torch.float64), 1.0).icdf(u)
    z2, z1 = torch.meshgrid(z.flip(0), z, indexing="ij")
    return torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1).to(dtype)


def shift_images(x: torch.Tensor, tau: int) -> torch.Tensor:
    """Images (N, 1, H, W) moved ``tau`` pixels to the right (left if negative), zeros shifted in."""
    check_images("x", x)
    if not isinstance(tau, int) or isinstance(tau, bool):
        raise TypeError(f"tau must be an integer number of pixels, got {tau!r}")
    if tau == 0:
        return x.clone()
    out = torch.zeros_like(x)
    if abs(tau) < x.shape[-1]:
        if tau > 0:
            out[..., tau:] = x[..., :-tau]
        else:
            out[..., :tau] = x[..., -tau:]
    return out


def shift_nll(model: VAE, x: torch.Tensor, taus: Sequence[int]) -> torch.Tensor:
    r"""−log p_θ(x_τ | z = μ(x)) for each shift τ: the code of the unshifted image scoring shifted
    copies of it. Returns (len(taus), N) nats; τ = 0 is the reconstruction."""
    model.flatten(x)
    with evaluating(model):
        mu, _ = model.encode(x)
        rows = [-model.log_px(model.flatten(shift_images(x, int(t))), mu) for t in taus]
    return torch.stack(rows)
