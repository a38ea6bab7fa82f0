r"""Variational autoencoders: the reparametrized ELBO, the IWAE bound and active units.

The model of Kingma & Welling (2014): a prior p(z) = N(0, I), a decoder p_θ(x | z) (Bernoulli
for binary images, Gaussian for grey levels) and an encoder q_β(z | x) = N(μ(x), diag σ²(x))
with variational parameters β (the slides' letter). For every image the evidence splits into the
bound and a gap,

    log p(x | θ) = L(θ, β, x) + KL(q_β(z | x) ‖ p(z | x, θ)),
    L(θ, β, x) = E_q[log p_θ(x | z)] − KL(q_β(z | x) ‖ p(z)),

and the reparametrization z = μ(x) + σ(x) ⊙ ε, ε ~ N(0, I), gives an unbiased gradient of the
Monte Carlo estimate of the first term. The KL to the prior is analytic. A β-VAE weights the KL
by λ (``kl_weight``); only λ = 1 is a bound on log p(x). :func:`iwae_bound` is the
importance-weighted bound L_k of Burda et al. (2016), L_1 = ELBO ≤ L_k ≤ L_{k+1} ≤ log p(x).

The encoder's log-variance is soft-clamped to (−10, 10) (``b tanh(raw / b)``): positive,
bounded variance with a gradient everywhere, so a bad batch cannot overflow exp(log σ²).
The thresholds that notebook 04 checks its trained models against are the ``MIN_*``/``MAX_*``
constants below; the tests show that untrained models miss each of them.

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
from .train import Batches, History, check_num_steps, evaluating, fit
from .utils import (bernoulli, check_bool, check_choice, check_device, check_dtype, check_float, check_generator,
                    check_positive_float, check_positive_int, check_tensor, randn)

__all__ = ["VAE", "Encoding", "kl_to_prior", "elbo", "iwae_bound", "mean_bound", "active_units", "fit_vae",
           "latent_grid", "shift_images", "shift_nll", "shift_bound", "LOGVAR_BOUND"]

#: |log σ²| of the encoder stays below this (soft clamp).
LOGVAR_BOUND = 10.0

# -- What notebook 04 claims (784-256-z VAEs on the 4,000 digits of mnist_5k, binarized by sampling)
#: test ELBO, nats per image, of the dim z = 20 and dim z = 2 VAEs (an untrained one: about −545).
MIN_TEST_ELBO_Z20 = -135.0
MIN_TEST_ELBO_Z2 = -175.0
#: the dim z = 20 VAE's training ELBO exceeds its test ELBO by at least this (it overfits 4,000 digits).
MIN_OVERFIT_GAP = 1.0
#: the digit judge on 1,000 decoded draws z ~ p(z) of the dim z = 20 VAE (test digits score 9.6 and
#: 8.9, uniform noise 1.1 and 1,444; an untrained decoder's grey blobs about 1 and 1,000+).
MIN_INCEPTION_Z20 = 3.5
MAX_FRECHET_Z20 = 500.0
MIN_CLASSES_Z20 = 9
#: L_50 of the dim z = 20 VAE on 200 test digits, and L_50 − L_1 (the importance-weighting gain; an
#: estimator that averages log w outside the log gains nothing).
MIN_TEST_L50_Z20 = -130.0
MIN_IWAE_GAIN = 1.0
#: the Gaussian-decoder VAE: −L_50 of a digit shifted by 2 pixels exceeds that of the digit by this, nats.
MIN_SHIFT_COST = 50.0
#: active units (A_u > 0.01) of 50 of the 784-128-50 models after 80 epochs: the VAE has at most MAX_ACTIVE_VAE (an encoder
#: whose means all move with the input fails), the IWAE (k = 5) at least MIN_ACTIVE_IWAE, and at
#: least MIN_ACTIVE_GAIN more than the VAE (an untrained encoder has almost none active).
MAX_ACTIVE_VAE = 40
MIN_ACTIVE_IWAE = 35
MIN_ACTIVE_GAIN = 5
_PIXEL_HINT = "a Bernoulli likelihood needs pixels in [0, 1]: divide 0-255 pixels by 255"


class Encoding(Independent):
    r"""q_β(z | x) = N(μ(x), diag σ²(x)): a ``torch.distributions`` diagonal Gaussian that also
    keeps log σ² (``logvar``). It unpacks as ``mu, logvar = model.encode(x)``."""

    def __init__(self, mu: torch.Tensor, logvar: torch.Tensor):
        _check_moments(mu, logvar)
        super().__init__(Normal(mu, (0.5 * logvar).exp(), validate_args=False), 1, validate_args=False)
        self.logvar = logvar

    def __iter__(self):
        return iter((self.mean, self.logvar))


def _check_moments(mu, logvar) -> None:
    """μ and log σ² of a diagonal Gaussian: finite floating tensors of one shape, |log σ²| small enough for exp."""
    check_tensor("mu", mu)
    check_tensor("logvar", logvar)
    if not mu.is_floating_point() or not logvar.is_floating_point():
        raise TypeError(f"mu and logvar must be floating-point tensors, got {mu.dtype} and {logvar.dtype}")
    if logvar.shape != mu.shape:
        raise ValueError(f"logvar must have the shape of mu {tuple(mu.shape)}, got {tuple(logvar.shape)}")
    if float(logvar.detach().abs().max()) > 80:
        raise ValueError(f"logvar must lie in [-80, 80] (σ² = exp(logvar) overflows beyond), got values up to "
                         f"{float(logvar.detach().abs().max()):.3g}")


def _check_vae(model) -> "VAE":
    if not isinstance(model, VAE):
        raise TypeError(f"model must be a lecturekit.vae.VAE, got {type(model).__name__}")
    return model


class VAE(nn.Module):
    """An MLP VAE: q_β(z | x) = N(μ(x), diag σ²(x)), p(z) = N(0, I), p_θ(x | z) Bernoulli or Gaussian.

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
    >>> model.encode(torch.zeros(3, 1, 28, 28)).rsample().shape
    torch.Size([3, 2])
    """

    def __init__(self, *, image_shape: Sequence[int] = (28, 28), hidden_dim: int = 400, latent_dim: int = 20,
                 likelihood: str = "bernoulli", min_std: float = 0.01, init_std: float = 0.2):
        super().__init__()
        if not isinstance(image_shape, Sequence) or len(image_shape) != 2:
            raise ValueError(f"image_shape must be (H, W), got {image_shape!r}")
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

    # -- argument checks (public entry points only) ----------------------------------------------
    def check_images(self, x: torch.Tensor, name: str = "x") -> torch.Tensor:
        """Check images (N, 1, H, W) for this model: its size and dtype, finite, and pixels in
        [0, 1] for the Bernoulli likelihood. Returns them flattened to (N, H·W)."""
        if not isinstance(name, str):
            raise TypeError(f"name must be the argument's name (a string), got {name!r}")
        bernoulli_pixels = self.likelihood == "bernoulli"
        check_tensor(name, x, shape=(None, 1, *self.image_shape), model=self, low=0.0 if bernoulli_pixels else None,
                     high=1.0 if bernoulli_pixels else None, hint=_PIXEL_HINT if bernoulli_pixels else "")
        return x.reshape(x.shape[0], self.input_dim)

    flatten = check_images

    # -- q_β(z | x) ----------------------------------------------------------------------------
    def _moments(self, xf: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ, log σ²) for flat images (N, H·W), unchecked: the training path."""
        mu, raw = self.encoder(xf).chunk(2, dim=-1)
        return mu, LOGVAR_BOUND * torch.tanh(raw / LOGVAR_BOUND)

    def encode(self, x: torch.Tensor) -> Encoding:
        """q_β(z | x) = N(μ(x), diag σ²(x)) for images x (N, 1, H, W): a distribution with ``mean``,
        ``stddev``, ``logvar``, ``rsample`` and ``log_prob`` (over the last axis of z)."""
        return Encoding(*self._moments(self.check_images(x)))

    def q(self, x: torch.Tensor) -> Encoding:
        """The same as :meth:`encode`: q_β(z | x) as the slides write it."""
        return self.encode(x)

    def prior(self, *, device=None, dtype=None) -> Independent:
        """p(z) = N(0, I)."""
        ref = next(self.parameters())
        device = ref.device if device is None else check_device("device", device)
        dtype = ref.dtype if dtype is None else check_dtype("dtype", dtype, floating=True)
        zero = torch.zeros(self.latent_dim, device=device, dtype=dtype)
        return Independent(Normal(zero, torch.ones_like(zero), validate_args=False), 1)

    # -- p_θ(x | z) ----------------------------------------------------------------------------
    @property
    def std(self) -> torch.Tensor:
        """σ of the Gaussian decoder."""
        if self.likelihood != "gaussian":
            raise AttributeError("std is defined for the Gaussian decoder only")
        return self.min_std + F.softplus(self.raw_std)

    def p_x(self, z: torch.Tensor) -> Independent:
        """p_θ(x | z) over flat images (..., H·W) as a distribution."""
        self._check_z(z)
        return self._p_x(z)

    def _check_z(self, z) -> torch.Tensor:
        check_tensor("z", z, model=self)
        if z.shape[-1] != self.latent_dim:
            raise ValueError(f"z must have last dimension latent_dim = {self.latent_dim}, got shape {tuple(z.shape)}")
        return z

    def _p_x(self, z: torch.Tensor) -> Independent:
        out = self.decoder(z)
        if self.likelihood == "bernoulli":
            return Independent(Bernoulli(logits=out, validate_args=False), 1)
        return Independent(Normal(out, self.std.expand_as(out), validate_args=False), 1)

    def log_px(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p_θ(x | z), summed over pixels: x (N, D) flat, z (..., N, latent_dim) -> (..., N)."""
        bernoulli_pixels = self.likelihood == "bernoulli"
        check_tensor("x", x, shape=(None, self.input_dim), model=self, low=0.0 if bernoulli_pixels else None,
                     high=1.0 if bernoulli_pixels else None, hint=_PIXEL_HINT if bernoulli_pixels else "")
        self._check_z(z)
        if z.ndim < 2 or z.shape[-2] != x.shape[0]:
            raise ValueError(f"z must have shape (..., {x.shape[0]}, {self.latent_dim}) to match x's {x.shape[0]} "
                             f"images, got {tuple(z.shape)}")
        return self._log_px(x, z)

    def _log_px(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self._p_x(z).log_prob(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The mean image E[x | z] (N, 1, H, W) for latents z (N, latent_dim)."""
        check_tensor("z", z, shape=(None, self.latent_dim), model=self)
        out = self.decoder(z)
        mean = torch.sigmoid(out) if self.likelihood == "bernoulli" else out
        return mean.reshape(-1, 1, *self.image_shape)

    def sample(self, n: int, *, generator: torch.Generator | None = None, mean: bool = True) -> torch.Tensor:
        """n images from z ~ p(z): the decoder means (``mean=True``) or draws x ~ p_θ(x | z)."""
        n = check_positive_int("n", n)
        mean = check_bool("mean", mean)
        check_generator(generator)
        ref = next(self.parameters())
        z = randn((n, self.latent_dim), generator=generator, device=ref.device, dtype=ref.dtype)
        m = self.decode(z)
        if mean:
            return m
        if self.likelihood == "bernoulli":
            return bernoulli(m, generator=generator)
        return m + self.std * randn(m.shape, generator=generator, device=m.device, dtype=m.dtype)


def kl_to_prior(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²), over the last axis.

    The closed form of ``torch.distributions.kl_divergence`` for these two Gaussians (tested
    against it), written out because the lecture derives it.
    """
    _check_moments(mu, logvar)
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def _codes(mu, logvar, num, generator):
    eps = randn((num, *mu.shape), generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + (0.5 * logvar).exp() * eps


def _elbo(model: VAE, xf: torch.Tensor, num_samples: int, kl_weight: float, generator) -> torch.Tensor:
    mu, logvar = model._moments(xf)
    z = _codes(mu, logvar, num_samples, generator)
    return model._log_px(xf, z).mean(0) - kl_weight * 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def _iwae(model: VAE, xf: torch.Tensor, k: int, generator) -> torch.Tensor:
    mu, logvar = model._moments(xf)
    q = Encoding(mu, logvar)
    z = _codes(mu, logvar, k, generator)
    log_w = model._log_px(xf, z) + model.prior(dtype=z.dtype).log_prob(z) - q.log_prob(z)
    return torch.logsumexp(log_w, dim=0) - math.log(k)


def elbo(model: VAE, x: torch.Tensor, *, num_samples: int = 1, kl_weight: float = 1.0,
         generator: torch.Generator | None = None) -> torch.Tensor:
    r"""L = (1/S) Σ_s log p_θ(x | μ + σ ⊙ ε_s) − λ KL(q_β(z | x) ‖ p(z)), per image.

    The reconstruction term is an S-sample reparametrized Monte Carlo estimate; the KL to the
    prior is analytic (Kingma & Welling 2014, eq. 10).

    Args:
        model: a :class:`VAE`.
        x: images (N, 1, H, W) of the model's size (pixels in [0, 1] for a Bernoulli decoder).
        num_samples: S, the number of ε draws per image.
        kl_weight: λ, the weight of the KL (λ = 1: the evidence lower bound; λ > 1: a β-VAE).
        generator: for the ε draws.

    Returns:
        (N,) values in nats.
    """
    xf = _check_vae(model).check_images(x)
    check_generator(generator)
    num_samples = check_positive_int("num_samples", num_samples)
    kl_weight = check_positive_float("kl_weight", kl_weight, allow_zero=True)
    return _elbo(model, xf, num_samples, kl_weight, generator)


def iwae_bound(model: VAE, x: torch.Tensor, k: int = 5, *, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""L_k = log (1/k) Σ_i p_θ(x, z_i) / q_β(z_i | x), z_i ~ q_β(z | x), per image (logsumexp).

    L_1 is the single-sample ELBO estimator; E[L_k] rises with k, and tends to log p(x) as
    k → ∞ when p(x, z) / q(z | x) is bounded (Burda et al. 2016, Theorem 1).

    Returns:
        (N,) bounds in nats.
    """
    xf = _check_vae(model).check_images(x)
    check_generator(generator)
    return _iwae(model, xf, check_positive_int("k", k), generator)


def mean_bound(model: VAE, x: torch.Tensor, *, k: int | None = None, num_samples: int = 1, batch_size: int = 250,
               generator: torch.Generator | None = None) -> float:
    """The mean over images of :func:`elbo` (``k=None``) or of :func:`iwae_bound` with ``k``, in
    nats per image, computed in eval mode under ``no_grad`` in batches."""
    xf = _check_vae(model).check_images(x)
    check_generator(generator)
    batch_size = check_positive_int("batch_size", batch_size)
    num_samples = check_positive_int("num_samples", num_samples)
    if k is not None:
        k = check_positive_int("k", k)
    total = 0.0
    with evaluating(model):
        for xb in xf.split(batch_size):
            b = _elbo(model, xb, num_samples, 1.0, generator) if k is None else _iwae(model, xb, k, generator)
            total += float(b.sum())
    return total / x.shape[0]


def active_units(model: VAE, x: torch.Tensor, *, threshold: float = 1e-2) -> tuple[int, torch.Tensor]:
    r"""The units u with A_u = Cov_x(E_{q(u | x)}[u]) > ``threshold`` (Burda et al. 2016, §5.2).

    Returns:
        (count, A) with A the (latent_dim,) activity of every unit.
    """
    _check_vae(model).check_images(x)
    check_positive_float("threshold", threshold)
    with evaluating(model):
        mu = model.encode(x).mean
    activity = mu.var(0, unbiased=False) if mu.shape[0] > 1 else torch.zeros_like(mu[0])
    return int((activity > threshold).sum()), activity


def _neg_elbo_mean(model: VAE, xf: torch.Tensor, kl_weight: float, generator=None) -> torch.Tensor:
    """−mean of the one-sample :func:`elbo` over a batch of flat images, with fused sums (the training loss)."""
    mu, logvar = model._moments(xf)
    out = model.decoder(_codes(mu, logvar, 1, generator)[0])
    if model.likelihood == "bernoulli":
        rec = F.binary_cross_entropy_with_logits(out, xf, reduction="sum")
    else:
        rec = -Normal(out, model.std, validate_args=False).log_prob(xf).sum()
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)  # kl_to_prior, unchecked on the training path
    return (rec + kl_weight * kl.sum()) / xf.shape[0]


def fit_vae(model: VAE, x: torch.Tensor, *, num_epochs: int = 10, batch_size: int = 128, lr: float = 1e-3,
            objective: str = "elbo", k: int = 5, kl_weight: float = 1.0, generator: torch.Generator | None = None,
            desc: str = "VAE", progress: bool | None = None) -> History:
    """Fit ``model`` to images ``x`` with Adam through :func:`lecturekit.train.fit`.

    Args:
        x: training images (N, 1, H, W) of the model's size (checked once, here).
        num_epochs, batch_size, lr: passes over ``x``, minibatch size, Adam's learning rate.
        objective: ``"elbo"`` (maximize :func:`elbo`, one ε per image) or ``"iwae"`` (maximize
            :func:`iwae_bound` with ``k`` samples).
        kl_weight: λ of the ELBO objective (1: the bound).
        generator: shuffles the minibatches and draws ε.

    Returns:
        A :class:`~lecturekit.train.History`: the loss (−bound) of every step, and in ``info``
        ``epoch_loss`` (the mean per epoch), ``seconds`` and ``images_per_s``.
    """
    xf = _check_vae(model).check_images(x)
    num_epochs = check_num_steps("num_epochs", num_epochs)
    check_choice("objective", objective, ("elbo", "iwae"))
    k = check_positive_int("k", k)
    kl_weight = check_positive_float("kl_weight", kl_weight, allow_zero=True)
    batches = Batches(xf, batch_size=batch_size, shuffle=True, generator=generator)
    opt = torch.optim.Adam(model.parameters(), lr=check_positive_float("lr", lr))

    def loss_fn(xb):
        if objective == "elbo":
            return _neg_elbo_mean(model, xb, kl_weight, generator)
        return -_iwae(model, xb, k, generator).mean()

    history = fit(loss_fn, opt, batches, num_epochs * len(batches), model=model, desc=desc, progress=progress)
    per_epoch = torch.tensor(history.loss).reshape(num_epochs, len(batches)).mean(1)
    history.info.update({"epoch_loss": [round(float(v), 4) for v in per_epoch], "seconds": history.seconds,
                         "images_per_s": num_epochs * x.shape[0] / history.seconds})
    return history


def latent_grid(n: int = 20, *, lo: float = 0.05, hi: float = 0.95, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    r"""An n × n grid of 2-D latents z = (Φ⁻¹(u₁), Φ⁻¹(u₂)), u evenly spaced in [lo, hi] (Kingma &
    Welling 2014, Fig. 4): equal prior mass between neighbours. Row-major, z₂ decreasing down the
    rows and z₁ increasing along them, so the decoded grid reads like a scatter plot of z."""
    n = check_positive_int("n", n)
    if n > 1000:
        raise ValueError(f"n must be at most 1000 (an n x n grid of images), got {n}")
    lo = check_float("lo", lo, low=0.0, high=1.0, open_low=True, open_high=True)
    hi = check_float("hi", hi, low=0.0, high=1.0, open_low=True, open_high=True)
    if not lo < hi:
        raise ValueError(f"lo and hi must satisfy 0 < lo < hi < 1, got lo={lo}, hi={hi}")
    dtype = check_dtype("dtype", dtype, floating=True)
    u = torch.linspace(lo, hi, n, dtype=torch.float64)
    z = Normal(torch.tensor(0.0, dtype=torch.float64), 1.0).icdf(u)
    z2, z1 = torch.meshgrid(z.flip(0), z, indexing="ij")
    return torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1).to(dtype)


def shift_images(x: torch.Tensor, tau: int) -> torch.Tensor:
    """Images (N, 1, H, W) moved ``tau`` pixels to the right (left if negative), zeros shifted in."""
    check_tensor("x", x, ndim=4)
    if x.shape[1] != 1:
        raise ValueError(f"x must have shape (N, 1, H, W), got {tuple(x.shape)}")
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


def _check_taus(taus) -> list[int]:
    if isinstance(taus, (str, bytes)) or not hasattr(taus, "__iter__"):
        raise TypeError(f"taus must be a non-empty sequence of integer shifts, got {taus!r}")
    taus = list(taus)
    if not taus or not all(isinstance(t, int) and not isinstance(t, bool) for t in taus):
        raise TypeError(f"taus must be a non-empty sequence of integer shifts, got {taus!r}")
    return taus


def shift_nll(model: VAE, x: torch.Tensor, taus: Sequence[int]) -> torch.Tensor:
    r"""−log p_θ(x_τ | z = μ(x)) for each shift τ: the code of the *unshifted* image scoring shifted
    copies of it (a reconstruction error, not the model's density of x_τ; see :func:`shift_bound`).
    Returns (len(taus), N) nats; τ = 0 is the reconstruction."""
    _check_vae(model).check_images(x)
    taus = _check_taus(taus)
    with evaluating(model):
        mu = model._moments(model.check_images(x))[0]
        rows = [-model._log_px(shift_images(x, t).reshape(x.shape[0], -1), mu) for t in taus]
    return torch.stack(rows)


def shift_bound(model: VAE, x: torch.Tensor, taus: Sequence[int], *, k: int = 50,
                generator: torch.Generator | None = None) -> torch.Tensor:
    r"""L_k(x_τ) for each shift τ: the model's own bound on log p(x_τ), with x_τ re-encoded.

    This is the slide's question, how far log p(x_τ) moves from log p(x) for a small shift τ, in
    the model's terms (IWAE with ``k`` samples, a lower bound that tightens with k). Returns
    (len(taus), N) nats."""
    _check_vae(model).check_images(x)
    check_generator(generator)
    taus = _check_taus(taus)
    k = check_positive_int("k", k)
    with evaluating(model):
        rows = [_iwae(model, shift_images(x, t).reshape(x.shape[0], -1), k, generator) for t in taus]
    return torch.stack(rows)
