"""Image GANs: Laplacian pyramids, a small DCGAN and a two-level LAPGAN for 28x28 digits.

- :func:`downsample`, :func:`upsample`, :func:`laplacian_pyramid`, :func:`reconstruct`: the
  pyramid h_k = g_k - u(d(g_k)), g_{k+1} = d(g_k), and its exact inverse g_k = u(g_{k+1}) + h_k.
- :class:`DCGAN`: strided (transposed) convolutions with batch normalization (Radford et al., 2016).
- :class:`LAPGAN`: a coarse 14x14 generator, then a generator of the 28x28 Laplacian residual
  conditioned on the upsampled coarse image (Denton et al., 2015).
- :func:`fit_dcgan`, :func:`fit_lapgan`: :func:`lecturekit.gan.fit_gan` on (N, 1, 28, 28) digits.
- :func:`interpolate_latents`, :func:`digit_endpoints`: paths in latent space between chosen digits.

Notebook 10's trained models and the checks of their samples are in :mod:`lecturekit.gan_digits`.

References:
    Burt & Adelson (1983). The Laplacian pyramid as a compact image code.
    Denton, Chintala, Szlam & Fergus (2015). Deep generative image models using a Laplacian pyramid
    of adversarial networks. NeurIPS.
    Radford, Metz & Chintala (2016). Unsupervised representation learning with deep convolutional
    generative adversarial networks. ICLR.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .gan import _check_betas, fit_gan
from .train import History, check_num_steps
from .utils import check_float, check_generator, check_images, check_positive_int, check_tensor, randint, randn

__all__ = ["downsample", "upsample", "laplacian_pyramid", "reconstruct", "DCGAN", "LAPGAN", "fit_dcgan",
           "fit_lapgan", "fit_digits", "interpolate_latents", "digit_endpoints"]


# --------------------------------------------------------------------------- pyramids


def _check_maps(name: str, x, *, even: bool = False) -> torch.Tensor:
    """``x`` as a finite floating (N, C, H, W) batch of images (signed values allowed: residuals)."""
    check_tensor(name, x, ndim=4)
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor of images, got dtype {x.dtype}")
    if even and (x.shape[-1] % 2 or x.shape[-2] % 2):
        raise ValueError(f"{name} must hold images of even height and width to halve them, got {tuple(x.shape[-2:])}")
    return x


def downsample(x: torch.Tensor) -> torch.Tensor:
    """d(x): the mean of each 2x2 block (a box blur, then keep every second pixel)."""
    return _down(_check_maps("x", x, even=True))


def upsample(x: torch.Tensor) -> torch.Tensor:
    """u(x): bilinear upsampling by 2."""
    return _up(_check_maps("x", x))


def _down(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, 2)


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def laplacian_pyramid(x: torch.Tensor, *, levels: int = 2) -> list[torch.Tensor]:
    """[h_0, ..., h_{levels-1}, g_levels] with g_0 = x, g_{k+1} = d(g_k), h_k = g_k - u(g_{k+1}).

    Raises:
        ValueError: ``x`` is not (N, 1, H, W) with H and W divisible by 2**levels.
    """
    levels = check_positive_int("levels", levels)
    x = check_images("x", x)
    factor = 2**levels
    if x.shape[-1] % factor or x.shape[-2] % factor:
        raise ValueError(f"x must hold images whose height and width are divisible by 2**levels = {factor}, "
                         f"got {tuple(x.shape[-2:])}")
    pyramid, g = [], x
    for _ in range(levels):
        coarse = _down(g)
        pyramid.append(g - _up(coarse))
        g = coarse
    return pyramid + [g]


def reconstruct(pyramid: list[torch.Tensor]) -> torch.Tensor:
    """g_0 from [h_0, ..., h_{K-1}, g_K] by g_k = u(g_{k+1}) + h_k (exact, up to rounding)."""
    if not isinstance(pyramid, (list, tuple)):
        raise TypeError(f"pyramid must be a list [h_0, ..., g_K] of tensors, got {type(pyramid).__name__}")
    if len(pyramid) < 2:
        raise ValueError(f"pyramid must hold at least one residual and the coarse image, got {len(pyramid)} tensors")
    for i, t in enumerate(pyramid):
        _check_maps(f"pyramid[{i}]", t)
    for i in range(len(pyramid) - 1):
        small, big = pyramid[i + 1], pyramid[i]
        if big.shape[:2] != small.shape[:2] or tuple(big.shape[-2:]) != (2 * small.shape[-2], 2 * small.shape[-1]):
            raise ValueError(f"pyramid[{i}] must be twice the size of pyramid[{i + 1}] (same N and channels), "
                             f"got {tuple(big.shape)} and {tuple(small.shape)}")
        if big.dtype != small.dtype or big.device != small.device:
            raise TypeError(f"pyramid must hold tensors of one dtype and device, got {big.dtype} on {big.device} "
                            f"and {small.dtype} on {small.device}")
    g = pyramid[-1]
    for h in reversed(pyramid[:-1]):
        g = _up(g) + h
    return g


# --------------------------------------------------------------------------- models


def _device(module: nn.Module) -> torch.device:
    return next(module.parameters()).device


class _ImageGenerator(nn.Module):
    """z -> Linear -> (width, 7, 7) -> stride-2 transposed convolutions (width halves at each, batch
    norm and ReLU) -> one channel of 7·2^ups pixels a side, squashed into [0, 1] by a sigmoid.

    ``head="up"``: the last of the ``ups`` upsamplings makes the single channel (DCGAN);
    ``head="conv"``: all ``ups`` upsamplings keep channels and a 3x3 convolution makes the channel.
    """

    def __init__(self, *, latent_dim: int, width: int, ups: int, head: str = "up"):
        super().__init__()
        self.width = width
        self.project = nn.Sequential(nn.Linear(latent_dim, width * 49, bias=False), nn.BatchNorm1d(width * 49),
                                     nn.ReLU())
        blocks, c = [], width
        for _ in range(ups - 1 if head == "up" else ups):
            blocks += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU()]
            c //= 2
        blocks.append(nn.ConvTranspose2d(c, 1, 4, 2, 1) if head == "up" else nn.Conv2d(c, 1, 3, padding=1))
        self.body = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.body(self.project(z).view(-1, self.width, 7, 7)))


class _ConvDiscriminator(nn.Module):
    """Logits a(x) of two stride-2 convolutions (LeakyReLU 0.2, batch norm on the second) and a linear
    read-out, for (N, in_channels, size, size) inputs with size 14 or 28."""

    def __init__(self, *, in_channels: int, size: int, channels: int):
        super().__init__()
        c = channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2))
        self.head = nn.Linear(2 * c * (size // 4) ** 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1)).squeeze(-1)


class DCGAN(nn.Module):
    """A small DCGAN for 28x28 images in [0, 1] (Radford et al., 2016).

    G: z ~ N(0, I_latent_dim) -> linear -> (2c, 7, 7) -> transposed convolutions 7 -> 14 -> 28 with batch
    norm and ReLU -> sigmoid. D: convolutions 28 -> 14 -> 7 with LeakyReLU (batch norm on the second)
    -> a logit. ``c = channels``; ``d_channels`` sets D's width apart (``None``: the same as G's).
    The defaults are notebook 10's: a discriminator as wide as the generator wins the game early.
    """

    def __init__(self, *, latent_dim: int = 32, channels: int = 48, d_channels: int | None = 16):
        super().__init__()
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        c = check_positive_int("channels", channels)
        d = c if d_channels is None else check_positive_int("d_channels", d_channels)
        self.generator = _ImageGenerator(latent_dim=latent_dim, width=2 * c, ups=2)
        self.discriminator = _ConvDiscriminator(in_channels=1, size=28, channels=d)

    def sample_z(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """z ~ N(0, I), (n, latent_dim), on the model's device."""
        return randn((check_positive_int("n", n), self.latent_dim), generator=check_generator(generator),
                     device=_device(self))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """G(z): (n, 1, 28, 28) images in [0, 1]."""
        return self.generator(check_tensor("z", z, shape=(None, self.latent_dim), model=self))

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """n samples G(z), z ~ N(0, I)."""
        return self.generator(self.sample_z(n, generator=generator))


class _ResidualGenerator(nn.Module):
    """h = G1(l, z): the 28x28 Laplacian residual from the upsampled coarse image l and noise z.

    l goes down to 14x14 by a stride-2 convolution, a map made from z joins it as one more channel,
    one 3x3 convolution mixes them, and a transposed convolution returns to 28x28 (no squashing:
    residuals are signed)."""

    def __init__(self, *, latent_dim: int, channels: int):
        super().__init__()
        c = channels
        self.noise = nn.Linear(latent_dim, 14 * 14)
        self.down = nn.Sequential(nn.Conv2d(1, c, 4, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU())
        self.mix = nn.Sequential(nn.Conv2d(c + 1, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU())
        self.up = nn.ConvTranspose2d(c, 1, 4, 2, 1)

    def forward(self, low: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        noise = self.noise(z).view(-1, 1, 14, 14)
        return self.up(self.mix(torch.cat([self.down(low), noise], dim=1)))


class LAPGAN(nn.Module):
    """A two-level LAPGAN for 28x28 images in [0, 1] (Denton et al., 2015).

    G0 makes a 14x14 coarse image g̃_1 from z0 (a DCGAN generator: 7x7 -> 14x14, then a 3x3
    convolution to one channel); G1 adds the residual h̃_0 = G1(l, z1) to l = u(g̃_1), so
    x̃ = l + h̃_0. D0 judges 14x14 images; D1 judges (l, h) pairs, so it can check that the detail
    fits the coarse image.
    """

    def __init__(self, *, latent_dim: int = 32, channels: int = 32, fine_channels: int | None = 16):
        super().__init__()
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        c = check_positive_int("channels", channels)
        f = c if fine_channels is None else check_positive_int("fine_channels", fine_channels)
        self.coarse_generator = _ImageGenerator(latent_dim=latent_dim, width=2 * c, ups=1, head="conv")
        self.coarse_discriminator = _ConvDiscriminator(in_channels=1, size=14, channels=c)
        self.residual_generator = _ResidualGenerator(latent_dim=latent_dim, channels=f)
        self.residual_discriminator = _ConvDiscriminator(in_channels=2, size=28, channels=f)

    def sample_z(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return randn((check_positive_int("n", n), self.latent_dim), generator=check_generator(generator),
                     device=_device(self))

    def sample_coarse(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """g̃_1 = G0(z0): (n, 1, 14, 14) coarse images."""
        return self.coarse_generator(self.sample_z(n, generator=generator))

    def residual(self, low: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """h̃_0 = G1(l, z1) for upsampled coarse images l (n, 1, 28, 28)."""
        check_tensor("low", low, shape=(None, 1, 28, 28), model=self)
        return self._residual(low, generator)

    def _residual(self, low: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        return self.residual_generator(low, self.sample_z(low.shape[0], generator=generator))

    def refine(self, coarse: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """x̃ = u(g̃_1) + G1(u(g̃_1), z1), clipped to [0, 1]."""
        check_images("coarse", coarse, size=(14, 14))
        check_tensor("coarse", coarse, model=self)
        check_generator(generator)
        low = _up(coarse)
        return (low + self._residual(low, generator)).clamp(0, 1)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """n samples x̃ = u(g̃_1) + h̃_0, coarse to fine."""
        return self.refine(self.sample_coarse(n, generator=generator), generator=generator)


def interpolate_latents(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation slerp(z0, z1; t), which keeps Gaussian latents at a typical norm.

    ``z0`` and ``z1`` are (..., latent_dim) codes of one shape; ``t`` in [0, 1] goes from z0 to z1.
    """
    check_tensor("z0", z0)
    check_tensor("z1", z1)
    if not z0.is_floating_point() or not z1.is_floating_point():
        raise TypeError(f"z0 and z1 must be floating-point codes, got {z0.dtype} and {z1.dtype}")
    if z0.shape != z1.shape or z0.ndim == 0:
        raise ValueError(f"z1 must have the shape of z0 {tuple(z0.shape)} (codes on the last axis), got {tuple(z1.shape)}")
    if z0.dtype != z1.dtype or z0.device != z1.device:
        raise TypeError(f"z1 must have z0's dtype and device ({z0.dtype}, {z0.device}), got {z1.dtype}, {z1.device}")
    t = check_float("t", t, low=0.0, high=1.0)
    cos = F.cosine_similarity(z0, z1, dim=-1).clamp(-1 + 1e-7, 1 - 1e-7)
    omega = torch.acos(cos)[..., None]
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def digit_endpoints(model: DCGAN, classify, num_images: int, *, pool: int = 256,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, list[tuple[int, int]]]:
    """Latent pairs (z0, z1) whose images a classifier labels confidently, as two different digits.

    Draws ``pool`` codes, labels G(z) with ``classify`` (images -> (N, K) class probabilities) and
    keeps, per label, the codes in order of confidence. Column j starts at the most confident code of
    the j-th label (labels ordered by confidence) and ends at the second most confident code of
    another label, half the list further on, so every column morphs one digit into another.

    Returns:
        ``(z0, z1, pairs)``: two (num_images, latent_dim) tensors and the (start, end) labels.
    """
    _check_model("model", model, DCGAN)
    if not callable(classify):
        raise TypeError(f"classify must be a function images -> class probabilities, got {type(classify).__name__}")
    num_images = check_positive_int("num_images", num_images)
    if check_positive_int("pool", pool) < 2:
        raise ValueError(f"pool must be at least 2 (codes of two different digits), got {pool}")
    z = model.sample_z(pool, generator=generator)
    with torch.no_grad():
        probs = classify(model.decode(z))
    if not isinstance(probs, torch.Tensor) or probs.ndim != 2 or probs.shape[0] != pool:
        raise ValueError(f"classify must return ({pool}, classes) probabilities for {pool} images, got "
                         f"{tuple(probs.shape) if isinstance(probs, torch.Tensor) else type(probs).__name__}")
    conf, label = probs.max(-1)
    codes: dict[int, list[int]] = {}
    for i in conf.argsort(descending=True).tolist():
        codes.setdefault(int(label[i]), []).append(i)
    labels = sorted(codes, key=lambda c: -float(conf[codes[c][0]]))
    if len(labels) < 2:
        raise ValueError(f"classify gives one label to all {pool} images; digit_endpoints needs two (a larger pool may help)")
    z0, z1, pairs = [], [], []
    for j in range(num_images):
        a, b = labels[j % len(labels)], labels[(j + max(1, len(labels) // 2)) % len(labels)]
        starts, ends = codes[a], codes[b]
        z0.append(z[starts[(j // len(labels)) % len(starts)]])
        z1.append(z[ends[(1 + j // len(labels)) % len(ends)]])
        pairs.append((a, b))
    return torch.stack(z0), torch.stack(z1), pairs


# --------------------------------------------------------------------------- training


def _check_model(name: str, model, cls) -> nn.Module:
    if not isinstance(model, cls):
        kinds = " or ".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
        raise TypeError(f"{name} must be a lecturekit.lapgan {kinds}, got {type(model).__name__}")
    return model


class _Sampler(nn.Module):
    """What :func:`lecturekit.gan.fit_gan` calls as its generator: a module with ``sample(n, generator=)``
    (the parameters it trains are passed to ``fit_gan`` as ``g_params``)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.fn(n, generator=generator)


def _draw(tensors, generator):
    """sample(n): n rows drawn with replacement from each of ``tensors`` (the same rows in each)."""
    def sample(n):
        idx = randint(tensors[0].shape[0], n, generator=generator, device=tensors[0].device)
        return [t[idx] for t in tensors]
    return sample


def fit_dcgan(model: DCGAN, images: torch.Tensor, *, num_steps: int = 1800, batch_size: int = 64, lr: float = 2e-4,
              betas: tuple[float, float] = (0.5, 0.999), k: int = 1, loss: str = "nonsaturating",
              generator: torch.Generator | None = None, progress: bool | None = None) -> History:
    """Train a :class:`DCGAN` on (N, 1, 28, 28) images in [0, 1] by :func:`lecturekit.gan.fit_gan`.

    Args:
        num_steps: generator steps (each after ``k`` discriminator steps).
        batch_size, lr, betas: minibatch size and Adam settings of both players (Radford et al.:
            batch 128, lr 2e-4, betas (0.5, 0.999)).
        loss: the generator's loss (``"nonsaturating"``: -log D(G(z))).
        generator: the random draws (data minibatches and z).

    Returns:
        The :class:`~lecturekit.train.History` of :func:`~lecturekit.gan.fit_gan` (``d_loss`` and
        ``g_loss`` in ``series``); the model is left in eval mode.
    """
    _check_model("model", model, DCGAN)
    images = check_images("images", images, size=(28, 28)).to(_device(model))
    check_tensor("images", images, model=model, low=0.0, high=1.0, hint="divide 0-255 pixels by 255")
    draw = _draw([images], generator)
    model.train()
    history = fit_gan(model, model.discriminator, lambda n: draw(n)[0], num_steps=num_steps, k=k, loss=loss,
                      lr=lr, betas=_check_betas(betas), batch_size=batch_size, generator=generator,
                      g_params=model.generator.parameters(), desc="DCGAN", progress=progress)
    model.eval()
    return history


def fit_lapgan(model: LAPGAN, images: torch.Tensor, *, num_steps: int = 1500, num_fine_steps: int | None = 800,
               batch_size: int = 64, lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999),
               loss: str = "nonsaturating", generator: torch.Generator | None = None,
               progress: bool | None = None) -> History:
    """Train both levels of a :class:`LAPGAN` independently, as Denton et al. do: G0/D0 on the
    14x14 low-pass images g_1 = d(x) for ``num_steps`` generator steps, then G1/D1 on pairs
    (l, h_0) = (u(d(x)), x - u(d(x))) of real digits for ``num_fine_steps`` (default ``num_steps``).

    Returns:
        A :class:`~lecturekit.train.History` whose ``series`` holds ``coarse_d_loss``,
        ``coarse_g_loss``, ``fine_d_loss`` and ``fine_g_loss``, and whose ``info`` holds the
        seconds of each level; the model is left in eval mode.
    """
    _check_model("model", model, LAPGAN)
    images = check_images("images", images, size=(28, 28)).to(_device(model))
    check_tensor("images", images, model=model, low=0.0, high=1.0, hint="divide 0-255 pixels by 255")
    # checked here, before the coarse level trains (fit_gan checks the rest before its first step)
    num_fine_steps = check_num_steps("num_steps", num_steps) if num_fine_steps is None else check_num_steps(
        "num_fine_steps", num_fine_steps)
    betas = _check_betas(betas)
    h0, g1 = laplacian_pyramid(images, levels=1)
    low = _up(g1)
    model.train()
    coarse_real = _draw([g1], generator)
    coarse = fit_gan(_Sampler(model.sample_coarse), model.coarse_discriminator, lambda n: coarse_real(n)[0],
                     num_steps=num_steps, loss=loss, lr=lr, betas=betas, batch_size=batch_size,
                     generator=generator, g_params=model.coarse_generator.parameters(), desc="LAPGAN coarse",
                     progress=progress)
    pairs = _draw([low, h0], generator)
    conditions = _draw([low], generator)

    def fake_pairs(n, generator=None):
        (cond,) = conditions(n)
        return torch.cat([cond, model._residual(cond, generator)], dim=1)

    fine = fit_gan(_Sampler(fake_pairs), model.residual_discriminator, lambda n: torch.cat(pairs(n), dim=1),
                   num_steps=num_fine_steps, loss=loss, lr=lr, betas=betas, batch_size=batch_size,
                   generator=generator, g_params=model.residual_generator.parameters(), desc="LAPGAN residual",
                   progress=progress)
    model.eval()
    series = {f"{level}_{name}": hist.series[name] for level, hist in (("coarse", coarse), ("fine", fine))
              for name in ("d_loss", "g_loss")}
    return History(loss=fine.loss, seconds=coarse.seconds + fine.seconds, series=series,
                   info={"coarse_seconds": coarse.seconds, "fine_seconds": fine.seconds})


def fit_digits(model: nn.Module, **train) -> History:
    """:func:`fit_dcgan` or :func:`fit_lapgan` (by the model's class) on the 4,000 digits of
    ``mnist_5k("train")``: the ``fit`` of notebook 10's cached models (:mod:`lecturekit.gan_digits`)."""
    import inspect

    from .data import mnist_5k

    _check_model("model", model, (DCGAN, LAPGAN))
    fit = fit_dcgan if isinstance(model, DCGAN) else fit_lapgan
    options = [p for p in inspect.signature(fit).parameters if p not in ("model", "images")]
    for key in train:
        if key not in options:
            raise TypeError(f"{key} is not an option of {fit.__name__} (options: {', '.join(options)})")
    return fit(model, mnist_5k("train")[0], **train)
