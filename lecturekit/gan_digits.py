"""Notebook 10's image GANs on digits: the cached DCGAN and LAPGAN, and the checks of their samples.

- :data:`DCGAN_CONFIG`, :data:`LAPGAN_CONFIG`, :func:`trained`: the models of notebook 10, trained once
  on ``mnist_5k("train")`` through the model cache (``benchmarks/sample_quality.py`` uses the same).
- :data:`THRESHOLDS` and the ``*_claims`` functions: what notebook 10 requires of them, as keyword
  arguments of :func:`lecturekit.claims.check`, judged by :func:`lecturekit.judge.digit_scores`
  (``tests/test_gan_digits.py`` shows that each one fails on an untrained or broken model).
- :func:`residual_discriminator_view`: what LAPGAN's conditional discriminator makes of real,
  generated and mismatched detail; :func:`nearest_distances`: distances to the training digits.

The models and their training live in :mod:`lecturekit.lapgan`; keeping the configs and checks here
means that editing a check does not change the cache key of the trained models.
"""

from __future__ import annotations

import torch
from torch import nn

from .lapgan import DCGAN, LAPGAN, fit_digits, laplacian_pyramid, upsample
from .train import History, evaluating
from .utils import check_choice, check_images, randperm

__all__ = ["DATA", "DCGAN_CONFIG", "LAPGAN_CONFIG", "trained", "THRESHOLDS", "sample_claims", "coarse_claims",
           "refinement_claims", "residual_discriminator_view", "mismatch_claims", "nearest_distances",
           "copy_claims"]

# --------------------------------------------------------------------------- the models

#: What identifies the training data of notebook 10's models (the model cache keys on it).
DATA = {"name": "mnist_5k", "split": "train"}

#: The DCGAN of notebook 10: model config (what :class:`DCGAN` takes) and training config (what
#: :func:`fit_dcgan` takes, plus the seed).
DCGAN_CONFIG = {"model": {"latent_dim": 32, "channels": 48, "d_channels": 16},
                "train": {"num_steps": 1800, "batch_size": 64, "lr": 2e-4, "seed": 0}}

#: The LAPGAN of notebook 10 (see :data:`DCGAN_CONFIG`).
LAPGAN_CONFIG = {"model": {"latent_dim": 32, "channels": 32, "fine_channels": 16},
                 "train": {"num_steps": 1500, "num_fine_steps": 800, "batch_size": 64, "lr": 2e-4, "seed": 0}}

_KINDS = {"dcgan": (DCGAN, DCGAN_CONFIG), "lapgan": (LAPGAN, LAPGAN_CONFIG)}


def trained(kind: str = "dcgan", *, device: str | torch.device | None = None, model: dict | None = None,
            **train) -> tuple[nn.Module, History]:
    """Notebook 10's ``"dcgan"`` or ``"lapgan"``, trained once on ``mnist_5k("train")`` and cached.

    It is :func:`lecturekit.checkpoint.cached` with :data:`DCGAN_CONFIG` or :data:`LAPGAN_CONFIG`;
    ``model`` replaces model settings and keyword arguments replace training settings (e.g.
    ``seed=3``), each part of the cache key.

    Returns:
        ``(model, history)``, the model in eval mode on ``device`` (default: the CPU).
    """
    from .checkpoint import cached

    build, config = _KINDS[check_choice("kind", kind, tuple(_KINDS))]
    return cached(kind, build=build, model={**config["model"], **(model or {})}, fit=fit_digits,
                  train={**config["train"], **train}, data=DATA, device=device)


# --------------------------------------------------------------------------- checks

#: What notebook 10 requires of the digit judge's scores (:func:`lecturekit.judge.digit_scores`) on
#: 1,000 samples. Ratios to the yardsticks of :func:`lecturekit.judge.reference_scores`, so that the
#: printed thresholds do not move with the judge's own training run:
#:
#: - ``inception_ratio``: inception score ≥ this × the test digits';
#: - ``frechet_ratio``: Fréchet distance ≤ this × uniform noise's;
#: - ``classes``: at least this many classes hold 2% of the images;
#: - ``coarse_*``: the same for LAPGAN's upsampled 14x14 images l = u(g̃_1) alone;
#: - ``refine_frechet``: LAPGAN's samples l + h̃_0 reach at most this × the Fréchet distance of l alone;
#: - ``mismatch_ratio``: D1's mean probability for real detail on the wrong coarse image is at most
#:   this × its mean for real pairs (D1 uses its conditional input l);
#: - ``copy_ratio``: the median distance from a sample to its nearest training digit is at least this ×
#:   the same for the test digits (the generator does not copy its training set).
THRESHOLDS = {"inception_ratio": 0.5, "frechet_ratio": 0.15, "classes": 9,
              "coarse_inception_ratio": 0.4, "coarse_frechet_ratio": 0.35, "coarse_classes": 9,
              "refine_frechet": 0.9, "mismatch_ratio": 0.1, "copy_ratio": 0.8}


def _ratios(scores, reference) -> tuple[float, float]:
    return (scores.inception_score / reference["test digits"].inception_score,
            scores.frechet_distance / reference["uniform noise"].frechet_distance)


def sample_claims(name: str, scores, reference: dict, *, prefix: str = "") -> list[dict]:
    """The three checks of :data:`THRESHOLDS` for ``scores`` (a :class:`~lecturekit.judge.DigitScores`)
    against ``reference`` (:func:`~lecturekit.judge.reference_scores`), as keyword arguments of
    :func:`lecturekit.claims.check`: ``for c in sample_claims("DCGAN", s, ref): check(**c)``."""
    inception, frechet = _ratios(scores, reference)
    return [
        {"claim": f"{name} inception score / the test digits'", "value": inception,
         "at_least": THRESHOLDS[f"{prefix}inception_ratio"]},
        {"claim": f"{name} Fréchet distance / uniform noise's", "value": frechet,
         "at_most": THRESHOLDS[f"{prefix}frechet_ratio"], "digits": 3},
        {"claim": f"{name} classes holding 2% of the samples", "value": scores.classes_hit,
         "at_least": THRESHOLDS[f"{prefix}classes"], "digits": 0},
    ]


def coarse_claims(low_scores, reference: dict) -> list[dict]:
    """:func:`sample_claims` for LAPGAN's upsampled coarse images l = u(g̃_1), with the ``coarse_``
    thresholds (recognizable low-resolution digits are blurrier than real ones)."""
    return sample_claims("LAPGAN coarse level l", low_scores, reference, prefix="coarse_")


def refinement_claims(low_scores, scores) -> list[dict]:
    """The residual level helps: the Fréchet distance of l + h̃_0 is at most ``refine_frechet`` × that
    of l alone, and the inception score does not drop."""
    return [
        {"claim": "LAPGAN Fréchet distance, refined / upsampled coarse",
         "value": scores.frechet_distance / low_scores.frechet_distance, "at_most": THRESHOLDS["refine_frechet"]},
        {"claim": "LAPGAN inception score, refined / upsampled coarse",
         "value": scores.inception_score / low_scores.inception_score, "at_least": 1.0},
    ]


def residual_discriminator_view(model: LAPGAN, images: torch.Tensor, *,
                                generator: torch.Generator | None = None) -> dict[str, float]:
    """What D1 makes of three kinds of pairs (l, h) built from real digits, l = u(d(x)): the real
    residual (``"real"``), G1's residual (``"generated"``) and the real residual of another digit
    (``"mismatched"``, l and h shuffled apart). Mean D1 = sigmoid(a) of each, in eval mode."""
    images = check_images("images", images, size=(28, 28)).to(next(model.parameters()).device)
    h0, g1 = laplacian_pyramid(images, levels=1)
    low = upsample(g1)
    shuffle = randperm(images.shape[0], generator=generator, device=images.device)
    with evaluating(model):
        mean_d = lambda h: float(torch.sigmoid(model.residual_discriminator(torch.cat([low, h], dim=1))).mean())  # noqa: E731
        return {"real": mean_d(h0), "generated": mean_d(model.residual(low, generator=generator)),
                "mismatched": mean_d(h0[shuffle])}


def mismatch_claims(view: dict[str, float]) -> list[dict]:
    """D1 rejects real detail placed on the wrong coarse image (see :func:`residual_discriminator_view`)."""
    return [{"claim": "mean D1, real detail on the wrong digit / on its own digit",
             "value": view["mismatched"] / view["real"], "at_most": THRESHOLDS["mismatch_ratio"], "digits": 3}]


def nearest_distances(images: torch.Tensor, train: torch.Tensor) -> torch.Tensor:
    """‖x − x_nn‖₂ for each image x, x_nn its nearest neighbour among ``train`` (pixels, chunks of 500)."""
    a, b = images.flatten(1).float(), train.flatten(1).float().to(images.device)
    return torch.cat([torch.cdist(chunk, b).min(1).values for chunk in a.split(500)]).cpu()


def copy_claims(name: str, images: torch.Tensor, train: torch.Tensor, test: torch.Tensor) -> list[dict]:
    """The samples are no copies of the training digits: their median nearest-training-digit distance,
    over that of the test digits, is at least ``copy_ratio``."""
    ratio = float(nearest_distances(images, train).median() / nearest_distances(test, train).median())
    return [{"claim": f"{name} distance to the nearest training digit / the test digits'", "value": ratio,
             "at_least": THRESHOLDS["copy_ratio"]}]
