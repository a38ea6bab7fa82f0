"""Training a transport from data: a flow by maximum likelihood, a GAN by its discriminator.

A generative model defines p(x) implicitly as the image of a simple base density p_h under a map
Φ: for every measurable f,

    ∫ f(x) p(x) dx = ∫ f(Φ(h)) p_h(h) dh        (Tabak & Vanden-Eijnden 2010; the slides' form).

A normalizing flow makes Φ a diffeomorphism and trains it by maximum likelihood, which needs
p(x) = p_h(Φ⁻¹(x)) |det ∇Φ⁻¹(x)|; a GAN lets Φ = G be any network and trains it against a
discriminator, which needs samples only, so G(h) has no density to evaluate. This module trains
both on the same two-moons points so that notebook 07 can push one base sample through each.
:func:`fit_max_likelihood` works on any data for coupling flows, whose inverse is exact.

References:
    Tabak & Vanden-Eijnden (2010), Density estimation by dual ascent of the log-likelihood.
    Dinh, Sohl-Dickstein & Bengio (2017), Density estimation using Real NVP.
    Goodfellow et al. (2014), Generative adversarial nets.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import data
from ..train import Batches, History, check_num_steps, evaluating, fit
from ..utils import (as_tensor_2d, check_float, check_generator, check_nonnegative_int, check_positive_float,
                     check_positive_int, make_generator, randint)
from .fitting import _adam, _check_flow, one_thread
from .layers import Flow, PlanarFlow, _check_z

__all__ = ["MOONS_MIN_GAIN", "fit_max_likelihood", "log_likelihood", "moons", "fit_moons_flow", "fit_moons_gan"]


#: Real NVP on two moons must beat a full-covariance Gaussian by this many nats per test point.
MOONS_MIN_GAIN = 1.0


def fit_max_likelihood(flow: Flow, x, *, num_steps: int = 2000, batch_size: int = 256, lr: float = 2e-3,
                       generator: torch.Generator | None = None, progress: bool | None = None) -> History:
    """Maximize (1/N) Σ_n log q_K(x_n) over minibatches (coupling flows, whose inverse is exact).

    Returns a :class:`~lecturekit.train.History` of the negative log-likelihood per point."""
    if _check_flow(flow).num_flows is not None or isinstance(flow.transform, PlanarFlow):
        raise ValueError("flow must be a single coupling flow (NICE or RealNVP) for maximum likelihood")
    x = as_tensor_2d("x", x, dtype=flow.base.mean.dtype).to(flow.base.mean.device)
    _check_z(x, flow.dim, "x")
    num_steps = check_num_steps("num_steps", num_steps)
    lr = check_positive_float("lr", lr)
    check_generator(generator)
    optimizer = _adam(flow, lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, num_steps, eta_min=lr / 20)
    batches = Batches(x, batch_size=check_positive_int("batch_size", batch_size), shuffle=True,
                      drop_last=len(x) >= batch_size, generator=generator)
    with one_thread():
        return fit(lambda xb: -flow.log_prob(xb).mean(), optimizer, batches, num_steps, model=flow,
                   scheduler=scheduler, desc="max likelihood", progress=progress)


@torch.no_grad()
def log_likelihood(flow: Flow, x) -> float:
    """(1/N) Σ_n log q_K(x_n) in nats per point."""
    x = as_tensor_2d("x", x, dtype=_check_flow(flow).base.mean.dtype).to(flow.base.mean.device)
    with evaluating(flow):
        return float(flow.log_prob(x).mean())


def moons(num_points: int, *, seed: int) -> torch.Tensor:
    """``num_points`` two-moons points drawn with a generator seeded by ``seed`` (the same seed
    gives the same points, so the flow and the GAN see the same training set)."""
    num_points = check_positive_int("num_points", num_points)
    return data.two_moons(num_points, generator=make_generator(check_nonnegative_int("seed", seed)))


def fit_moons_flow(flow: Flow, *, num_points: int = 2000, data_seed: int = 0, test_seed: int = 1,
                   num_steps: int = 2000, batch_size: int = 256, lr: float = 2e-3,
                   generator: torch.Generator | None = None, progress: bool | None = None) -> History:
    """Maximum likelihood of a coupling flow on :func:`moons` (``num_points``, ``data_seed``).

    ``info["test_loglik"]`` is the mean log q_K on as many fresh points (``test_seed``), in nats."""
    check_nonnegative_int("data_seed", data_seed)
    check_nonnegative_int("test_seed", test_seed)  # checked before training, not after
    x = moons(num_points, seed=data_seed)
    history = fit_max_likelihood(flow, x, num_steps=num_steps, batch_size=batch_size, lr=lr, generator=generator,
                                 progress=progress)
    history.info["test_loglik"] = log_likelihood(flow, moons(num_points, seed=test_seed))
    return history


def fit_moons_gan(gan: nn.Module, *, num_points: int = 2000, data_seed: int = 0, num_steps: int = 3000,
                  batch_size: int = 256, lr: float = 1e-3, decay_from: float = 0.5,
                  generator: torch.Generator | None = None, progress: bool | None = None) -> History:
    """Train a :class:`lecturekit.gan.GAN` (``gan.g_net``, ``gan.d_net``) on minibatches
    of the same :func:`moons` points, with :func:`lecturekit.gan.fit_gan` (Adam, β₁ = 0.5, the
    learning rate decayed linearly to zero from ``decay_from`` · num_steps on).

    Returns the :class:`~lecturekit.train.History` of ``fit_gan`` (``d_loss`` and ``g_loss`` series)."""
    from ..gan import fit_gan

    if not isinstance(gan, nn.Module) or not all(hasattr(gan, name) for name in ("g_net", "d_net")):
        raise TypeError(f"gan must be a lecturekit.gan.GAN (with g_net and d_net), got {type(gan).__name__}")
    check_generator(generator)
    check_positive_float("lr", lr)
    check_num_steps("num_steps", num_steps)
    check_positive_int("batch_size", batch_size)
    check_float("decay_from", decay_from, low=0.0, high=1.0)
    check_nonnegative_int("data_seed", data_seed)
    device = next(gan.parameters()).device
    x = moons(num_points, seed=data_seed).to(device=device, dtype=next(gan.parameters()).dtype)

    def sample_data(n: int) -> torch.Tensor:
        return x[randint(len(x), n, generator=generator, device=device)]

    with one_thread():
        return fit_gan(gan.g_net, gan.d_net, sample_data, num_steps=num_steps, lr=lr,
                       batch_size=batch_size, decay_from=decay_from, generator=generator, progress=progress)
