"""Training and judging diffusion models: notebook 08's recipes, the builder, the fit and the
evaluation (the isotropic Gaussian baseline in bits, the energy distance, judged inpainting).

References:
    Sohl-Dickstein et al. (2015), Table 1 (bits over an isotropic Gaussian).
    Székely & Rizzo (2013). Energy statistics: a class of statistics based on distances.
"""

from __future__ import annotations

import math

import torch

from ..train import Batches, History, check_num_steps, fit
from ..utils import check_choice, check_float, check_generator, check_positive_float, check_positive_int, check_tensor
from .chain import GaussianDiffusion, _normal
from .schedule import DenoisingMLP, beta_schedule

__all__ = ["SWISS_ROLL", "MNIST_14", "GAIN_BITS_BAND", "ENERGY_RATIO_MAX", "INPAINT_ACCURACY_MIN",
           "INPAINT_HIDDEN_ROWS", "make_model", "fit_diffusion", "isotropic_gaussian_log_likelihood", "bits",
           "energy_distance", "inpaint_mask", "judged_inpainting"]


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

    from ..judge import digit_scores

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
