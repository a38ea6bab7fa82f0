"""Generative adversarial networks: the minimax game, its optimal discriminator and the k-step
alternation (Goodfellow et al., 2014).

The game is

.. math:: \\min_G \\max_D V(D, G) = \\mathbb{E}_{p_{data}}[\\log D(x)] + \\mathbb{E}_{p_z}[\\log(1 - D(G(z)))].

Discriminators return *logits* ``a`` with ``D = sigmoid(a)``, so every loss is a softplus of
logits (``log D = -softplus(-a)``, ``log(1 - D) = -softplus(a)``) and never takes the log of a
saturated probability. The two networks are ``g_net`` and ``d_net``; ``generator`` always means
a ``torch.Generator`` (the random numbers).

- :func:`d_loss`, :func:`g_loss` (``"minimax"`` or ``"nonsaturating"``), :func:`fit_gan` (k
  discriminator steps per generator step) and :func:`fit_discriminator` (the inner maximization).
- :func:`optimal_discriminator`, :func:`value`, :func:`jsd`: D* = p_data / (p_data + p_g),
  V(D, G) and JSD by numerical integration on a 1-D grid, so that
  V(D*, G) = -log 4 + 2 JSD(p_data || p_g) can be checked.
- :class:`GAN`: an MLP generator and a (packed) MLP discriminator in one module.
- The games of notebook 09 that use these pieces, the 1-D replay of Fig. 1 and the ring of eight
  Gaussians with its mode-coverage score, are in :mod:`lecturekit.gan_toys`.

The thresholds that notebook 09 checks are constants here, so that the notebook and the tests that
show an untrained model failing them share one number.

References:
    Goodfellow et al. (2014). Generative adversarial nets. NeurIPS.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

from .nn import mlp
from .train import History, check_num_steps, fit, run_steps
from .utils import (check_choice, check_generator, check_nonnegative_int, check_positive_float, check_positive_int,
                    check_probability, check_tensor, randn)
from .utils import one_thread as _one_thread

__all__ = [
    "LOSSES", "D_STAR_TOL", "IDENTITY_TOL",
    "d_loss", "g_loss", "MLPGenerator", "MLPDiscriminator", "AffineGenerator", "GAN",
    "fit_gan", "fit_discriminator", "gaussian_density", "optimal_discriminator", "trapezoid", "value", "jsd",
]

LOSSES = ("minimax", "nonsaturating")

#: A discriminator trained against a fixed G must lie within this of D* on the grid (max |D - D*|).
D_STAR_TOL = 0.03
#: |V(D, G) - (-log 4 + 2 JSD)| at most this: holds for D = D*, fails for any other D.
IDENTITY_TOL = 0.01


# --------------------------------------------------------------------------- losses on logits


def _check_logits(name: str, a) -> torch.Tensor:
    a = check_tensor(name, a)
    if not a.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor of logits, got dtype {a.dtype}")
    return a


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-V for the discriminator: -E[log D(x)] - E[log(1 - D(G(z)))] = E[softplus(-a_real)] + E[softplus(a_fake)]."""
    return _d_loss(_check_logits("real_logits", real_logits), _check_logits("fake_logits", fake_logits))


def _d_loss(real_logits, fake_logits):  # unchecked: the training loops call it at every step
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_loss(fake_logits: torch.Tensor, *, loss: str = "nonsaturating") -> torch.Tensor:
    """The generator's loss: minimax E[log(1 - D(G(z)))] = -E[softplus(a)], or the non-saturating
    -E[log D(G(z))] = E[softplus(-a)] (same fixed point, strong gradients when D rejects G's samples)."""
    return _g_loss(_check_logits("fake_logits", fake_logits), check_choice("loss", loss, LOSSES))


def _g_loss(fake_logits, loss):
    return -F.softplus(fake_logits).mean() if loss == "minimax" else F.softplus(-fake_logits).mean()


# --------------------------------------------------------------------------- models


def _check_n(n) -> int:
    return check_positive_int("n", n)


def _check_real(name: str, v) -> float:
    if not isinstance(v, Real) or isinstance(v, bool):
        raise TypeError(f"{name} must be a finite number, got {v!r}")
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {v!r}")
    return float(v)


class MLPGenerator(nn.Module):
    """x = G(z), z ~ N(0, I_latent_dim), an MLP with ``num_layers`` hidden layers of ``hidden_dim``."""

    def __init__(self, *, latent_dim: int = 16, data_dim: int = 2, hidden_dim: int = 256, num_layers: int = 3):
        super().__init__()
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        self.data_dim = check_positive_int("data_dim", data_dim)
        check_positive_int("hidden_dim", hidden_dim)
        check_positive_int("num_layers", num_layers)
        self.net = mlp([latent_dim] + [hidden_dim] * num_layers + [data_dim])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(check_tensor("z", z, shape=(None, self.latent_dim), model=self, finite=False))

    def sample_z(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """n latent codes z ~ N(0, I), on the generator network's device."""
        p = next(self.parameters())
        return randn((_check_n(n), self.latent_dim), generator=generator, device=p.device, dtype=p.dtype)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return self(self.sample_z(n, generator=generator))


class MLPDiscriminator(nn.Module):
    """Logits a(x) with D(x) = sigmoid(a(x)); with ``pack`` > 1 it judges ``pack`` samples at once
    (PacGAN, Lin et al. 2018: a batch of n becomes n / pack rows of pack·data_dim inputs, which
    exposes a generator that puts too many samples in one mode)."""

    def __init__(self, *, data_dim: int = 2, hidden_dim: int = 256, num_layers: int = 3, pack: int = 1,
                 activation: str = "leaky_relu"):
        super().__init__()
        self.pack = check_positive_int("pack", pack)
        self.data_dim = check_positive_int("data_dim", data_dim)
        check_positive_int("num_layers", num_layers)
        self.net = mlp([data_dim * pack] + [check_positive_int("hidden_dim", hidden_dim)] * num_layers + [1],
                       activation=activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = check_tensor("x", x, shape=(None, self.data_dim), model=self, finite=False)
        if self.pack > 1:
            if x.shape[0] % self.pack:
                raise ValueError(f"x must hold a number of samples that is a multiple of pack={self.pack}, got {x.shape[0]}")
            x = x.reshape(x.shape[0] // self.pack, -1)
        return self.net(x).squeeze(-1)


class AffineGenerator(nn.Module):
    """x = mu + exp(log_scale) z with z ~ N(0, 1): a 1-D generator whose p_g is known in closed form."""

    latent_dim = 1

    def __init__(self, *, mu: float = -2.0, scale: float = 0.5):
        super().__init__()
        self.mu = nn.Parameter(torch.tensor(_check_real("mu", mu)))
        self.log_scale = nn.Parameter(torch.tensor(math.log(check_positive_float("scale", scale))))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = check_tensor("z", z, model=self, finite=False)
        if z.ndim < 1 or z.shape[-1] != 1:
            raise ValueError(f"z must hold one latent number per sample, shape (N, 1), got {tuple(z.shape)}")
        return self.mu + self.log_scale.exp() * z

    def sample_z(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return randn((_check_n(n), 1), generator=generator, device=self.mu.device, dtype=self.mu.dtype)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return self(self.sample_z(n, generator=generator))

    def density(self, x: torch.Tensor) -> torch.Tensor:
        """p_g(x) = N(x | mu, exp(log_scale)^2)."""
        return gaussian_density(x, self.mu, self.log_scale.exp())


class GAN(nn.Module):
    """An :class:`MLPGenerator` (``g_net``) and an :class:`MLPDiscriminator` (``d_net``) in one
    module, so that one checkpoint holds both players.

    By default the discriminator judges samples in pairs (``pack=2``, PacGAN): a generator that
    crowds one mode makes pairs that look alike, which D can tell from pairs of real samples. It
    costs nothing per step (D sees half as many rows, each twice as wide). The defaults are the
    ring GAN of notebook 09 (:func:`lecturekit.gan_toys.fit_ring` has its training recipe).
    """

    def __init__(self, *, latent_dim: int = 2, data_dim: int = 2, hidden_dim: int = 128, num_layers: int = 3,
                 pack: int = 2):
        super().__init__()
        self.g_net = MLPGenerator(latent_dim=latent_dim, data_dim=data_dim, hidden_dim=hidden_dim,
                                  num_layers=num_layers)
        self.d_net = MLPDiscriminator(data_dim=data_dim, hidden_dim=hidden_dim, num_layers=num_layers, pack=pack)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """n samples x = G(z)."""
        return self.g_net.sample(n, generator=generator)


# --------------------------------------------------------------------------- training


def _check_net(name: str, net, *, sampler: bool = False) -> nn.Module:
    if not isinstance(net, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(net).__name__}")
    if sampler and not callable(getattr(net, "sample", None)):
        raise TypeError(f"{name} must have a sample(n, generator=) method (e.g. MLPGenerator), "
                        f"{type(net).__name__} has none")
    return net


def _check_sampler(name: str, fn, batch_size: int, net: nn.Module) -> Callable[[int], torch.Tensor]:
    """``fn`` callable; its first batch is checked once (a tensor of batch_size rows, the model's dtype,
    finite, and as wide as the discriminator's ``data_dim`` when it has one)."""
    if not callable(fn):
        raise TypeError(f"{name} must be a function n -> (n, ...) tensor, got {type(fn).__name__}")
    first = []

    def checked(n):
        x = fn(n)
        if not first:
            check_tensor(f"{name}({n})", x, model=net)
            if x.ndim < 1 or x.shape[0] != n:
                raise ValueError(f"{name}(n) must return n samples along the first axis, got shape "
                                 f"{tuple(x.shape)} for n = {n}")
            width = getattr(net, "data_dim", None)
            if isinstance(width, int) and (x.ndim != 2 or x.shape[1] != width):
                raise ValueError(f"{name}(n) must return (n, {width}) samples for the discriminator "
                                 f"(data_dim={width}), got shape {tuple(x.shape)}")
            first.append(True)
        return x
    return checked


def _check_betas(betas) -> tuple[float, float]:
    if (not isinstance(betas, (tuple, list)) or len(betas) != 2
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1 for b in betas)):
        raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
    return float(betas[0]), float(betas[1])


def _check_params(name: str, params) -> list | None:
    """``None`` or the parameters (tensors, or dicts of optimizer parameter groups) an optimizer updates."""
    if params is None:
        return None
    if isinstance(params, (torch.Tensor, str, bytes, dict)) or not hasattr(params, "__iter__"):
        raise TypeError(f"{name} must be an iterable of parameters (e.g. g_net.parameters()), got {type(params).__name__}")
    params = list(params)
    if not params:
        raise ValueError(f"{name} must hold at least one parameter, got an empty list")
    for p in params:
        if not isinstance(p, (torch.Tensor, dict)):
            raise TypeError(f"{name} must hold tensors (parameters) or parameter-group dicts, got a {type(p).__name__}")
    return params


def fit_gan(g_net: nn.Module, d_net: nn.Module, sample_data: Callable[[int], torch.Tensor], *, num_steps: int,
            k: int = 1, loss: str = "nonsaturating", lr: float = 2e-4, d_lr: float | None = None,
            betas: tuple[float, float] = (0.5, 0.999), batch_size: int = 256, decay_from: float = 1.0,
            snapshot_every: int = 0, snapshot: Callable[[], object] | None = None,
            generator: torch.Generator | None = None, g_params=None, desc: str = "GAN",
            progress: bool | None = None, r1: float = 0.0) -> History:
    """Alternate k steps of ascent on V for D with one step of descent for G (Algorithm 1 of
    Goodfellow et al., 2014), with Adam on both players, through the shared loop
    (:func:`lecturekit.train.run_steps`: progress bar, a NaN check naming the step).

    Args:
        g_net: the generator network, with ``sample(n, generator=)`` returning (n, ...) samples.
        d_net: the discriminator network; returns logits.
        sample_data: ``sample_data(n)`` returns n fresh data samples on the models' device.
        num_steps: generator steps; the discriminator takes ``k`` steps before each.
        k: discriminator steps per generator step.
        loss: the generator's loss, ``"minimax"`` or ``"nonsaturating"``.
        lr: both players' learning rate (``d_lr`` overrides the discriminator's).
        decay_from: from this fraction of ``num_steps`` on, both learning rates decay linearly to
            zero (1.0: no decay). The last phase then sharpens the modes.
        snapshot_every, snapshot: call ``snapshot()`` under ``no_grad`` at step 0 and every
            ``snapshot_every`` generator steps; the results land in ``history.info["snapshots"]``
            as ``(step, result)`` pairs.
        generator: the ``torch.Generator`` for the noise z.
        g_params: what the generator's optimizer updates (default: ``g_net.parameters()``).
        r1: the weight γ of the R1 penalty (γ/2) E||∇_x a(x)||² on real data added to D's loss
            (Mescheder et al., 2018); 0 turns it off. It keeps D smooth where the data are, so
            G is not thrown around near the end of training.

    Returns:
        A :class:`~lecturekit.train.History` whose ``loss`` is the generator's loss and whose
        ``series`` holds ``d_loss`` and ``g_loss`` per generator step.
    """
    g_net, d_net = _check_net("g_net", g_net, sampler=True), _check_net("d_net", d_net)
    k, loss, lr = check_positive_int("k", k), check_choice("loss", loss, LOSSES), check_positive_float("lr", lr)
    num_steps, batch_size = check_num_steps("num_steps", num_steps), check_positive_int("batch_size", batch_size)
    d_lr = lr if d_lr is None else check_positive_float("d_lr", d_lr)
    decay_from = check_probability("decay_from", decay_from, open_interval=False)
    betas = _check_betas(betas)
    r1 = check_positive_float("r1", r1, allow_zero=True)
    snapshot_every = check_nonnegative_int("snapshot_every", snapshot_every)
    if snapshot is not None and not callable(snapshot):
        raise TypeError(f"snapshot must be a function of no arguments, got {type(snapshot).__name__}")
    if snapshot_every and snapshot is None:
        raise ValueError(f"snapshot_every={snapshot_every} needs a snapshot function to call")
    check_generator(generator)
    g_params = _check_params("g_params", g_params)
    sample_data = _check_sampler("sample_data", sample_data, batch_size, d_net)
    opt_d = torch.optim.Adam(d_net.parameters(), lr=d_lr, betas=betas)
    opt_g = torch.optim.Adam(g_net.parameters() if g_params is None else g_params, lr=lr, betas=betas)
    start_decay = int(decay_from * num_steps)

    def factor(step):
        return 1.0 if step < start_decay else max(0.0, (num_steps - step) / max(1, num_steps - start_decay))

    sched = [torch.optim.lr_scheduler.LambdaLR(o, factor) for o in (opt_d, opt_g)]
    snapshots = []

    def take_snapshot(i):
        with torch.no_grad():
            snapshots.append((i, snapshot()))

    def step(i):
        for _ in range(k):
            with torch.no_grad():
                fake = g_net.sample(batch_size, generator=generator)
            real = sample_data(batch_size)
            if r1:
                real = real.detach().requires_grad_(True)
            real_logits = d_net(real)
            ld = _d_loss(real_logits, d_net(fake))
            opt_d.zero_grad(set_to_none=True)
            if r1:
                (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
                (ld + 0.5 * r1 * grad.pow(2).sum() / real_logits.shape[0]).backward()  # per row of D's input
            else:
                ld.backward()
            opt_d.step()
        lg = _g_loss(d_net(g_net.sample(batch_size, generator=generator)), loss)
        opt_g.zero_grad(set_to_none=True)
        lg.backward()
        opt_g.step()
        for s in sched:
            s.step()
        if snapshot_every and i % snapshot_every == 0:
            take_snapshot(i)
        return {"g_loss": lg, "d_loss": ld}

    if snapshot_every:
        take_snapshot(0)
    history = run_steps(step, num_steps, desc=desc, progress=progress)
    if snapshots:
        history.info["snapshots"] = snapshots
    return history


def fit_discriminator(d_net: nn.Module, g_net: nn.Module, sample_data: Callable[[int], torch.Tensor], *,
                      num_steps: int, lr: float = 1e-2, batch_size: int = 512,
                      generator: torch.Generator | None = None, progress: bool | None = None) -> History:
    """The inner maximization for a fixed generator: ``num_steps`` of Adam descent on :func:`d_loss`
    (ascent on V), the learning rate annealed to zero on a cosine, on one CPU thread (small networks).

    Args:
        d_net: the discriminator to train (logits).
        g_net: the fixed generator; its samples are drawn with ``generator`` and it is not updated.
        sample_data: ``sample_data(n)`` returns n data samples.

    Returns:
        The :class:`~lecturekit.train.History` of :func:`~lecturekit.train.fit`.
    """
    d_net, g_net = _check_net("d_net", d_net), _check_net("g_net", g_net, sampler=True)
    num_steps, lr = check_num_steps("num_steps", num_steps), check_positive_float("lr", lr)
    batch_size = check_positive_int("batch_size", batch_size)
    check_generator(generator)
    sample_data = _check_sampler("sample_data", sample_data, batch_size, d_net)
    opt = torch.optim.Adam(d_net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=num_steps)

    def batch():
        with torch.no_grad():
            return sample_data(batch_size), g_net.sample(batch_size, generator=generator)

    with _one_thread():
        return fit(lambda real, fake: _d_loss(d_net(real), d_net(fake)), opt, batch, num_steps,
                   model=d_net, scheduler=sched, desc="discriminator", progress=progress)


# --------------------------------------------------------------------------- 1-D theory


def _check_number(name: str, v):
    """A finite real number (returned as a float) or a tensor (checked finite, returned as is)."""
    if isinstance(v, torch.Tensor):
        return check_tensor(name, v)
    return _check_real(name, v)


def gaussian_density(x: torch.Tensor, mu, sigma) -> torch.Tensor:
    """N(x | mu, sigma^2), elementwise (a closed form; the tests compare it with ``torch.distributions.Normal``)."""
    x = check_tensor("x", x)
    mu, sigma = _check_number("mu", mu), _check_number("sigma", sigma)
    if not bool(torch.as_tensor(sigma > 0).all()):
        raise ValueError(f"sigma must be positive, got {sigma!r}")
    return torch.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def _check_densities(**named: torch.Tensor) -> list[torch.Tensor]:
    out, shape = [], None
    for name, t in named.items():
        t = check_tensor(name, t, low=0.0)
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got dtype {t.dtype}")
        if shape is not None and t.shape != shape:
            raise ValueError(f"{name} must have the shape of {next(iter(named))} {tuple(shape)}, got {tuple(t.shape)}")
        shape = t.shape
        out.append(t)
    return out


def _check_grid(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    x = check_tensor("x", x, ndim=1)
    if x.shape != like.shape:
        raise ValueError(f"x must be the 1-D grid the densities are given on, {tuple(like.shape)}, got {tuple(x.shape)}")
    if x.numel() < 2 or not bool((x[1:] > x[:-1]).all()):
        raise ValueError("x must be an increasing grid of at least two points")
    return x


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), set to 1/2 where both densities vanish."""
    p_data, p_g = _check_densities(p_data=p_data, p_g=p_g)
    total = p_data + p_g
    return torch.where(total > 0, p_data / total.clamp_min(torch.finfo(total.dtype).tiny), torch.full_like(total, 0.5))


def trapezoid(f: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """∫ f(x) dx by the trapezoidal rule on the grid x."""
    f = check_tensor("f", f, ndim=1)
    return torch.trapezoid(f, _check_grid(x, f))


def value(d: torch.Tensor, p_data: torch.Tensor, p_g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """V(D, G) = ∫ p_data(x) log D(x) + p_g(x) log(1 - D(x)) dx, on the grid x (0 log 0 = 0).

    D is clipped to [tiny, 1 - eps] so that a D rounded to exactly 1 where p_g is tiny but nonzero
    costs p_g log eps (negligible), not -inf.
    """
    p_data, p_g = _check_densities(p_data=p_data, p_g=p_g)
    d = check_tensor("d", d, shape=tuple(p_data.shape), low=0.0, high=1.0,
                     hint="d is a probability D(x) = sigmoid(logit), not a logit")
    _check_grid(x, p_data)
    info = torch.finfo(d.dtype)
    d = d.clamp(info.tiny, 1 - info.eps)
    return torch.trapezoid(torch.special.xlogy(p_data, d) + torch.special.xlogy(p_g, 1 - d), x)


def jsd(p_data: torch.Tensor, p_g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """JSD(p_data ‖ p_g) = ½ KL(p_data ‖ m) + ½ KL(p_g ‖ m), m = (p_data + p_g) / 2, on the grid x."""
    p_data, p_g = _check_densities(p_data=p_data, p_g=p_g)
    _check_grid(x, p_data)
    # KL(p || m) integrates p log(2p / (p_data + p_g)); the ratio stays in [0, 2] even where the
    # densities underflow, where log p - log m would not.
    total = (p_data + p_g).clamp_min(torch.finfo(p_data.dtype).tiny)
    kl = lambda p: torch.trapezoid(torch.special.xlogy(p, 2 * p / total), x)  # noqa: E731
    return 0.5 * kl(p_data) + 0.5 * kl(p_g)
