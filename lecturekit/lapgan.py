"""Image GANs: Laplacian pyramids, a small DCGAN and a two-level LAPGAN for 28x28 digits.

- :func:`downsample`, :func:`upsample`, :func:`laplacian_pyramid`, :func:`reconstruct`: the
  pyramid h_k = g_k - u(d(g_k)), g_{k+1} = d(g_k), and its exact inverse g_k = u(g_{k+1}) + h_k.
- :class:`DCGAN`: strided (transposed) convolutions with batch normalization (Radford et al., 2016).
- :class:`LAPGAN`: a coarse 14x14 generator, then a generator of the 28x28 Laplacian residual
  conditioned on the upsampled coarse image (Denton et al., 2015).
- :func:`train_dcgan`, :func:`train_lapgan`: :func:`lecturekit.gan.train_gan` on ``mnist_5k``.

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

from .gan import train_gan
from .utils import check_images, check_positive_float, check_positive_int

__all__ = ["downsample", "upsample", "laplacian_pyramid", "reconstruct", "DCGAN", "LAPGAN", "train_dcgan",
           "train_lapgan", "interpolate_latents"]


# --------------------------------------------------------------------------- pyramids


def downsample(x: torch.Tensor) -> torch.Tensor:
    """d(x): the mean of each 2x2 block (a box blur, then keep every second pixel)."""
    return F.avg_pool2d(x, 2)


def upsample(x: torch.Tensor) -> torch.Tensor:
    """u(x): bilinear upsampling by 2."""
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
        coarse = downsample(g)
        pyramid.append(g - upsample(coarse))
        g = coarse
    return pyramid + [g]


def reconstruct(pyramid: list[torch.Tensor]) -> torch.Tensor:
    """g_0 from [h_0, ..., h_{K-1}, g_K] by g_k = u(g_{k+1}) + h_k (exact, up to rounding)."""
    if len(pyramid) < 2:
        raise ValueError(f"pyramid must hold at least one residual and the coarse image, got {len(pyramid)} tensors")
    g = pyramid[-1]
    for h in reversed(pyramid[:-1]):
        g = upsample(g) + h
    return g


# --------------------------------------------------------------------------- models


def _up_block(c_in, c_out):
    return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


class _ConvDiscriminator(nn.Module):
    """Logits of a strided-convolution classifier for (N, in_channels, size, size) inputs."""

    def __init__(self, *, in_channels: int, size: int, channels: int):
        super().__init__()
        c = channels
        layers = [nn.Conv2d(in_channels, c, 4, 2, 1), nn.LeakyReLU(0.2)]
        if size >= 28:
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2)]
            c *= 2
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c * (size // (4 if size >= 28 else 2)) ** 2, 1)

    def forward(self, x):
        return self.head(self.features(x).flatten(1)).squeeze(-1)


class _ImageGenerator(nn.Module):
    """z -> (channels·2^ups)x7x7 -> ups transposed convolutions (x2 each) -> out_channels images."""

    def __init__(self, *, latent_dim: int, channels: int, ups: int, in_channels: int = 0, out: str = "sigmoid"):
        super().__init__()
        self.latent_dim, self.in_channels = latent_dim, in_channels
        width = channels * 2 ** (ups - 1)
        self.project = nn.Sequential(nn.Linear(latent_dim, width * 49, bias=False), nn.BatchNorm1d(width * 49),
                                     nn.ReLU())
        self.width = width
        blocks = []
        for i in range(ups - 1):
            blocks += _up_block(width // 2**i, width // 2 ** (i + 1))
        blocks.append(nn.ConvTranspose2d(width // 2 ** (ups - 1), 1, 4, 2, 1))
        self.body = nn.Sequential(*blocks)
        self.out = out

    def forward(self, z):
        x = self.body(self.project(z).view(-1, self.width, 7, 7))
        return torch.sigmoid(x) if self.out == "sigmoid" else torch.tanh(x)


class DCGAN(nn.Module):
    """A small DCGAN for 28x28 images in [0, 1]: G maps z ~ N(0, I) through a 7x7 projection and
    two stride-2 transposed convolutions; D uses two stride-2 convolutions; both use batch norm."""

    def __init__(self, *, latent_dim: int = 32, channels: int = 16):
        super().__init__()
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        check_positive_int("channels", channels)
        self.generator = _ImageGenerator(latent_dim=latent_dim, channels=channels, ups=2)
        self.discriminator = _ConvDiscriminator(in_channels=1, size=28, channels=channels)
        self.generator.sample = self.sample  # what train_gan calls

    def sample_z(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, generator=generator).to(self.generator.project[0].weight.device)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.generator(self.sample_z(n, generator=generator))


class _ResidualGenerator(nn.Module):
    """h = G1(l, z): the 28x28 Laplacian residual from the upsampled coarse image l and noise z."""

    def __init__(self, *, latent_dim: int, channels: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.noise = nn.Linear(latent_dim, 28 * 28)
        c = channels
        self.net = nn.Sequential(nn.Conv2d(2, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
                                 nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
                                 nn.Conv2d(c, 1, 3, padding=1))

    def forward(self, low, z):
        return self.net(torch.cat([low, self.noise(z).view(-1, 1, 28, 28)], dim=1))


class LAPGAN(nn.Module):
    """Two levels: G0 makes a 14x14 coarse image g_1 from z0; G1 adds the residual h_0 = G1(u(g_1), z1),
    so x = u(g_1) + h_0. D0 judges 14x14 images, D1 judges (u(g_1), h_0) pairs."""

    def __init__(self, *, latent_dim: int = 32, channels: int = 16):
        super().__init__()
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        check_positive_int("channels", channels)
        self.coarse_generator = _ImageGenerator(latent_dim=latent_dim, channels=channels, ups=1)
        self.coarse_discriminator = _ConvDiscriminator(in_channels=1, size=14, channels=channels)
        self.residual_generator = _ResidualGenerator(latent_dim=latent_dim, channels=channels)
        self.residual_discriminator = _ConvDiscriminator(in_channels=2, size=28, channels=channels)

    def _z(self, n, generator):
        return torch.randn(n, self.latent_dim, generator=generator).to(self.residual_generator.noise.weight.device)

    def sample_coarse(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.coarse_generator(self._z(n, generator))

    def refine(self, coarse: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """x = u(g_1) + G1(u(g_1), z1)."""
        low = upsample(coarse)
        return low + self.residual_generator(low, self._z(coarse.shape[0], generator))

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.refine(self.sample_coarse(n, generator=generator), generator=generator)


# --------------------------------------------------------------------------- training


class _Sampler:
    def __init__(self, fn):
        self.sample = fn


def _data_sampler(images, rng):
    def sample(n):
        return images[torch.randint(images.shape[0], (n,), generator=rng).to(images.device)]
    return sample


def _steps(num_images, epochs, batch_size):
    return max(1, round(check_positive_float("epochs", epochs) * num_images / batch_size))


def train_dcgan(model: DCGAN, images: torch.Tensor, *, epochs: float = 5, batch_size: int = 64, lr: float = 2e-4,
                k: int = 1, seed: int = 0) -> dict:
    """Train a :class:`DCGAN` on (N, 1, 28, 28) images with the non-saturating loss; returns the
    JSON-able history (``d_loss``, ``g_loss`` per step, ``seconds``, ``steps``)."""
    images = check_images("images", images, size=(28, 28)).to(model.generator.project[0].weight.device)
    model.train()
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed)
    steps = _steps(images.shape[0], epochs, check_positive_int("batch_size", batch_size))
    hist = train_gan(_Sampler(lambda n, generator=None: model.sample(n)), model.discriminator,
                     _data_sampler(images, rng), steps, k=k, lr=lr, batch_size=batch_size,
                     generator_params=model.generator.parameters())
    return {"d_loss": hist.d_loss, "g_loss": hist.g_loss, "seconds": hist.seconds, "steps": steps}


def train_lapgan(model: LAPGAN, images: torch.Tensor, *, epochs: float = 5, batch_size: int = 64,
                 lr: float = 2e-4, seed: int = 0) -> dict:
    """Train both levels of a :class:`LAPGAN` independently, as Denton et al. do: G0/D0 on the
    14x14 low-pass images d(x), G1/D1 on pairs (u(d(x)), x - u(d(x))) of real digits."""
    images = check_images("images", images, size=(28, 28)).to(model.residual_generator.noise.weight.device)
    model.train()
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed)
    steps = _steps(images.shape[0], epochs, check_positive_int("batch_size", batch_size))
    h0, g1 = laplacian_pyramid(images, levels=1)
    low = upsample(g1)
    coarse = train_gan(_Sampler(lambda n, generator=None: model.sample_coarse(n)), model.coarse_discriminator,
                       _data_sampler(g1, rng), steps, lr=lr, batch_size=batch_size,
                       generator_params=model.coarse_generator.parameters())
    pairs = torch.cat([low, h0], dim=1)
    draw = _data_sampler(low, rng)

    def fake_pairs(n, generator=None):
        cond = draw(n)
        return torch.cat([cond, model.residual_generator(cond, model._z(n, None))], dim=1)

    fine = train_gan(_Sampler(fake_pairs), model.residual_discriminator, _data_sampler(pairs, rng), steps, lr=lr,
                     batch_size=batch_size, generator_params=model.residual_generator.parameters())
    return {"coarse_d_loss": coarse.d_loss, "coarse_g_loss": coarse.g_loss, "fine_d_loss": fine.d_loss,
            "fine_g_loss": fine.g_loss, "seconds": coarse.seconds + fine.seconds, "steps": steps}


def interpolate_latents(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation slerp(z0, z1; t), which keeps Gaussian latents at a typical norm."""
    cos = F.cosine_similarity(z0, z1, dim=-1).clamp(-1 + 1e-7, 1 - 1e-7)
    omega = torch.acos(cos)[..., None]
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)
