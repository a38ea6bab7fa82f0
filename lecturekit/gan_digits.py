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

import inspect
import math

import torch
from torch import nn

from .lapgan import DCGAN, LAPGAN, fit_dcgan, fit_digits, fit_lapgan, laplacian_pyramid, upsample
from .train import History, evaluating
from .utils import check_choice, check_device, check_images, check_tensor, randperm

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

_KINDS = {"dcgan": (DCGAN, DCGAN_CONFIG, fit_dcgan), "lapgan": (LAPGAN, LAPGAN_CONFIG, fit_lapgan)}


def _options(fn, drop=()) -> list[str]:
    return [p for p in inspect.signature(fn).parameters if p not in drop]


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

    build, config, fit = _KINDS[check_choice("kind", kind, tuple(_KINDS))]
    if device is not None:
        check_device("device", device)
    if model is not None and not isinstance(model, dict):
        raise TypeError(f"model must be a dict of {build.__name__} settings or None, got {type(model).__name__}")
    for what, given, options in (("model", model or {}, _options(build)),
                                 ("train", train, _options(fit, ("model", "images", "progress")) + ["seed"])):
        for key in given:
            if key not in options:
                name = key if what == "train" else f"model[{key!r}]"
                raise TypeError(f"{name} is not a {what} setting of the {kind} (options: {', '.join(options)})")
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


def _check_scores(name: str, scores, *, divisor: bool = False):
    """``scores`` if it is a DigitScores (with a positive inception score and Fréchet distance when a
    ratio divides by them; a real sample's Fréchet distance may round to a hair below 0)."""
    from .judge import DigitScores

    if not isinstance(scores, DigitScores):
        raise TypeError(f"{name} must be the DigitScores of lecturekit.judge.digit_scores, got {type(scores).__name__}")
    if divisor and (not scores.inception_score > 0 or not scores.frechet_distance > 0):
        raise ValueError(f"{name} must have a positive inception score and Fréchet distance to divide by, got "
                         f"{scores.inception_score} and {scores.frechet_distance}")
    return scores


def _check_reference(reference) -> dict:
    if not isinstance(reference, dict):
        raise TypeError(f"reference must be the dict of lecturekit.judge.reference_scores, got {type(reference).__name__}")
    for key in ("test digits", "uniform noise"):
        if key not in reference:
            raise ValueError(f"reference must hold {key!r} (lecturekit.judge.reference_scores()), got keys {list(reference)}")
        _check_scores(f"reference[{key!r}]", reference[key], divisor=True)
    return reference


def _check_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"name must be a non-empty string naming the model, got {name!r}")
    return name


def _ratios(scores, reference) -> tuple[float, float]:
    return (scores.inception_score / reference["test digits"].inception_score,
            scores.frechet_distance / reference["uniform noise"].frechet_distance)


def sample_claims(name: str, scores, reference: dict, *, prefix: str = "") -> list[dict]:
    """The three checks of :data:`THRESHOLDS` for ``scores`` (a :class:`~lecturekit.judge.DigitScores`)
    against ``reference`` (:func:`~lecturekit.judge.reference_scores`), as keyword arguments of
    :func:`lecturekit.claims.check`: ``for c in sample_claims("DCGAN", s, ref): check(**c)``."""
    _check_name(name)
    _check_scores("scores", scores)
    _check_reference(reference)
    check_choice("prefix", prefix, ("", "coarse_"))
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
    _check_scores("low_scores", low_scores)
    return sample_claims("LAPGAN coarse level l", low_scores, reference, prefix="coarse_")


def refinement_claims(low_scores, scores) -> list[dict]:
    """The residual level helps: the Fréchet distance of l + h̃_0 is at most ``refine_frechet`` × that
    of l alone, and the inception score does not drop."""
    _check_scores("low_scores", low_scores, divisor=True)
    _check_scores("scores", scores)
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
    if not isinstance(model, LAPGAN):
        raise TypeError(f"model must be a lecturekit.lapgan.LAPGAN, got {type(model).__name__}")
    images = check_images("images", images, size=(28, 28)).to(next(model.parameters()).device)
    check_tensor("images", images, model=model)
    if images.shape[0] < 2:
        raise ValueError(f"images must hold at least 2 digits (the mismatched pairs shuffle them), got {images.shape[0]}")
    h0, g1 = laplacian_pyramid(images, levels=1)
    low = upsample(g1)
    shuffle = randperm(images.shape[0], generator=generator, device=images.device)
    with evaluating(model):
        mean_d = lambda h: float(torch.sigmoid(model.residual_discriminator(torch.cat([low, h], dim=1))).mean())  # noqa: E731
        return {"real": mean_d(h0), "generated": mean_d(model.residual(low, generator=generator)),
                "mismatched": mean_d(h0[shuffle])}


def mismatch_claims(view: dict[str, float]) -> list[dict]:
    """D1 rejects real detail placed on the wrong coarse image (see :func:`residual_discriminator_view`)."""
    if not isinstance(view, dict):
        raise TypeError(f"view must be the dict of residual_discriminator_view, got {type(view).__name__}")
    for key in ("real", "mismatched"):
        value = view.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 1:
            raise ValueError(f"view[{key!r}] must be a mean probability in [0, 1], got {value!r}")
    if view["real"] == 0:
        raise ValueError("view['real'] is 0: D1 rejects every real pair, so the ratio is undefined")
    return [{"claim": "mean D1, real detail on the wrong digit / on its own digit",
             "value": view["mismatched"] / view["real"], "at_most": THRESHOLDS["mismatch_ratio"], "digits": 3}]


def nearest_distances(images: torch.Tensor, train: torch.Tensor) -> torch.Tensor:
    """‖x − x_nn‖₂ for each image x, x_nn its nearest neighbour among ``train`` (pixels, chunks of 500)."""
    for name, t in (("images", images), ("train", train)):
        check_tensor(name, t)
        if not t.is_floating_point() or t.ndim < 2:
            raise TypeError(f"{name} must be a floating-point batch (N, ...) of images, got {t.dtype} {tuple(t.shape)}")
    if images.shape[1:].numel() != train.shape[1:].numel():
        raise ValueError(f"train must hold images of the size of images' {tuple(images.shape[1:])}, got {tuple(train.shape[1:])}")
    a, b = images.flatten(1).float(), train.flatten(1).float().to(images.device)
    return torch.cat([torch.cdist(chunk, b).min(1).values for chunk in a.split(500)]).cpu()


def copy_claims(name: str, images: torch.Tensor, train: torch.Tensor, test: torch.Tensor) -> list[dict]:
    """The samples are no copies of the training digits: their median nearest-training-digit distance,
    over that of the test digits, is at least ``copy_ratio``."""
    _check_name(name)
    check_tensor("test", test)
    ratio = float(nearest_distances(images, train).median() / nearest_distances(test, train).median())
    return [{"claim": f"{name} distance to the nearest training digit / the test digits'", "value": ratio,
             "at_least": THRESHOLDS["copy_ratio"]}]
