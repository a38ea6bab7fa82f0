r"""A digit judge: a small CNN classifier of MNIST digits that scores generated images.

Generative models of digits are judged the way Salimans et al. (2016) and Heusel et al. (2017)
judge ImageNet models, with a classifier trained on real digits in place of Inception:

* the **inception score** :math:`\exp\big(\mathbb{E}_x \mathrm{KL}(p(y|x)\,\|\,p(y))\big)`, high
  when each image is confidently one digit (sharp :math:`p(y|x)`) and the digits are varied
  (flat :math:`p(y) = \mathbb{E}_x p(y|x)`); it lies in [1, 10];
* the **Fréchet distance** :math:`\|\mu_1-\mu_2\|^2 + \mathrm{Tr}(\Sigma_1+\Sigma_2-2(\Sigma_1\Sigma_2)^{1/2})`
  between Gaussians fitted to the judge's penultimate features of the images and of the 1,000
  test digits; 0 for identical feature statistics;
* the class histogram of the judge's labels, and the number of classes holding at least 2% of
  the images (mode coverage).

The judge trains once on ``mnist_5k("train")`` through the model cache (about 20 s on two cores)
and must reach 97% on the 1,000 test digits (:data:`MIN_TEST_ACCURACY`). The math core: no plotting imports.

References:
    Salimans et al. (2016). Improved techniques for training GANs. NeurIPS (the inception score).
    Heusel et al. (2017). GANs trained by a two time-scale update rule converge to a local Nash
    equilibrium. NeurIPS (the Fréchet distance).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .train import Batches, History, check_num_steps, evaluating, fit
from .utils import (check_device, check_generator, check_images, check_int, check_positive_float, check_positive_int,
                    check_probability, check_tensor, randint)

__all__ = ["DigitJudge", "fit_judge", "load_judge", "JUDGE_CONFIG", "DigitScores", "digit_scores",
           "frechet_distance", "inception_score", "MIN_TEST_ACCURACY", "reference_scores"]

#: The judge must classify at least this share of the 1,000 test digits correctly.
MIN_TEST_ACCURACY = 0.97

#: Model and training configs of the cached judge.
JUDGE_CONFIG = {"model": {"channels": 32, "feature_dim": 128},
                "train": {"num_epochs": 20, "batch_size": 64, "lr": 2e-3, "max_shift": 2, "seed": 0}}


class DigitJudge(nn.Module):
    """conv(1→c) → pool → conv(c→2c) → pool → linear(→feature_dim) → linear(→10), ReLU between.

    ``features(x)`` is the penultimate layer (the Fréchet distance's space); ``logits(x)`` the output.
    """

    def __init__(self, *, channels: int = 32, feature_dim: int = 128):
        super().__init__()
        c = check_positive_int("channels", channels)
        self.body = nn.Sequential(nn.Conv2d(1, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                  nn.Linear(2 * c * 49, check_positive_int("feature_dim", feature_dim)), nn.ReLU())
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(feature_dim, 10)

    def _check_x(self, x) -> torch.Tensor:
        check_tensor("x", x, model=self)
        return check_images("x", x, size=(28, 28))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate layer for digits x (N, 1, 28, 28): shape (N, feature_dim)."""
        return self.body(self._check_x(x))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores for digits x (N, 1, 28, 28): shape (N, 10)."""
        return self.head(self.drop(self.features(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits(x)


def _shift(x: torch.Tensor, max_shift: int, generator) -> torch.Tensor:
    """Each image moved by a random whole-pixel offset in [-max_shift, max_shift]² (zeros shifted in)."""
    if max_shift == 0:
        return x
    n = x.shape[0]
    pad = F.pad(x, (max_shift,) * 4)
    dx, dy = (randint(2 * max_shift + 1, n, generator=generator, device=x.device) for _ in range(2))
    rows = (dy[:, None] + torch.arange(28, device=x.device))[:, :, None]
    cols = (dx[:, None] + torch.arange(28, device=x.device))[:, None, :]
    return pad[torch.arange(n, device=x.device)[:, None, None], 0, rows, cols].unsqueeze(1)


def fit_judge(model: DigitJudge, x: torch.Tensor, y: torch.Tensor, *, num_epochs: int = 20, batch_size: int = 64,
              lr: float = 2e-3, max_shift: int = 2, generator: torch.Generator | None = None,
              progress: bool | None = None) -> History:
    """Cross-entropy with Adam (learning rate decayed to 0 on a cosine) on digits moved by up to
    ``max_shift`` pixels (augmentation)."""
    if not isinstance(model, DigitJudge):
        raise TypeError(f"model must be a DigitJudge, got {type(model).__name__}")
    check_images("x", x, size=(28, 28))
    check_tensor("x", x, model=model, low=0.0, high=1.0, hint="divide 0-255 pixels by 255")
    _check_labels(y, x.shape[0], x.device)
    lr = check_positive_float("lr", lr)
    max_shift = check_int("max_shift", max_shift, low=0, high=8)
    check_generator(generator)
    batches = Batches(x, y, batch_size=batch_size, generator=generator)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = check_num_steps("num_epochs", num_epochs) * len(batches)
    decay = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    return fit(lambda xb, yb: F.cross_entropy(model(_shift(xb, max_shift, generator)), yb), opt, batches, steps,
               model=model, scheduler=decay, desc="digit judge", progress=progress)


@functools.lru_cache(maxsize=2)
def _load(device: str) -> tuple[DigitJudge, float]:
    from .checkpoint import cached
    from .data import mnist_5k

    x, y = mnist_5k("train")
    x_test, y_test = mnist_5k("test")

    def fit_and_score(model, **train):
        history = fit_judge(model, x.to(model.head.weight.device), y.to(model.head.weight.device), **train)
        with evaluating(model):
            pred = model(x_test.to(model.head.weight.device)).argmax(-1).cpu()
        history.info["test_accuracy"] = float((pred == y_test).double().mean())
        return history

    model, history = cached("digit-judge", build=DigitJudge, model=JUDGE_CONFIG["model"], fit=fit_and_score,
                            train=JUDGE_CONFIG["train"], data={"name": "mnist_5k", "split": "train"}, device=device)
    return model, history.info["test_accuracy"]


def _check_labels(y, n: int, device: torch.device) -> torch.Tensor:
    y = check_tensor("y", y, shape=(n,))
    if y.dtype != torch.int64:
        raise TypeError(f"y must hold int64 class labels, got dtype {y.dtype}; call y.long()")
    if bool(((y < 0) | (y > 9)).any()):
        raise ValueError(f"y must hold digit labels 0..9, got values in [{int(y.min())}, {int(y.max())}]")
    if y.device.type != device.type:
        raise ValueError(f"y is on {y.device} but x is on {device}; call y.to({str(device)!r})")
    return y


def load_judge(device: str | torch.device = "cpu") -> tuple[DigitJudge, float]:
    """The cached judge (trained on first use) and its accuracy on the 1,000 test digits."""
    device = check_device("device", device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device is {str(device)!r} but CUDA is not available here; use 'cpu'")
    model, acc = _load(str(device))
    if acc < MIN_TEST_ACCURACY:
        raise RuntimeError(f"the digit judge reached only {acc:.1%} on the test digits "
                           f"(needs {MIN_TEST_ACCURACY:.0%}); retrain it with a larger budget")
    return model, acc


def inception_score(probs: torch.Tensor) -> float:
    r"""exp(E_x KL(p(y|x) ‖ p(y))) from class probabilities (N, K); 1 (useless) to K (perfect)."""
    probs = check_tensor("probs", probs, ndim=2)
    if not probs.is_floating_point():
        raise TypeError(f"probs must be a floating-point tensor of class probabilities, got dtype {probs.dtype}")
    if bool((probs < 0).any()) or not torch.allclose(probs.double().sum(1), torch.ones(probs.shape[0], dtype=torch.float64,
                                                                                       device=probs.device), atol=1e-4):
        raise ValueError("probs must hold class probabilities: rows of non-negative numbers that sum to 1 "
                         "(apply softmax to logits first)")
    probs = probs.double().clamp_min(1e-12)
    marginal = probs.mean(0, keepdim=True)
    return float(torch.exp((probs * (probs.log() - marginal.log())).sum(1).mean()))


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    r"""‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^{1/2}) between Gaussians fitted to the rows of a and b."""
    for name, t in (("a", a), ("b", b)):
        check_tensor(name, t, ndim=2)
        if t.shape[0] < 2:
            raise ValueError(f"{name} must hold at least 2 rows to fit a covariance, got {t.shape[0]}")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same number of features, got {a.shape[1]} and {b.shape[1]}")
    if a.device.type != b.device.type:
        raise ValueError(f"b is on {b.device} but a is on {a.device}; call b.to({str(a.device)!r})")
    a, b = a.double(), b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    # Tr (Σ_a Σ_b)^{1/2} = Σ_i sqrt(λ_i) with λ the eigenvalues of Σ_a^{1/2} Σ_b Σ_a^{1/2} (symmetric, ≥ 0)
    w, v = torch.linalg.eigh(cov_a)
    root_a = (v * w.clamp_min(0).sqrt()) @ v.T
    lam = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp_min(0)
    return float((mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * lam.sqrt().sum())


@dataclass(frozen=True)
class DigitScores:
    """What :func:`digit_scores` returns."""

    inception_score: float
    frechet_distance: float
    class_counts: tuple[int, ...]
    classes_hit: int
    labels: torch.Tensor

    def __post_init__(self):
        for name in ("inception_score", "frechet_distance"):
            value = getattr(self, name)
            if not isinstance(value, float) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        counts = self.class_counts
        if not isinstance(counts, tuple) or len(counts) != 10 or not all(isinstance(c, int) and c >= 0 for c in counts):
            raise ValueError(f"class_counts must be a tuple of 10 counts >= 0, got {counts!r}")
        check_int("classes_hit", self.classes_hit, low=0, high=10)
        check_tensor("labels", self.labels, ndim=1, nonempty=False)

    def __str__(self) -> str:
        return (f"inception score {self.inception_score:.2f}, Fréchet distance {self.frechet_distance:.1f}, "
                f"{self.classes_hit} classes with ≥ 2% of the images")


@functools.lru_cache(maxsize=2)
def _test_features(device: str) -> torch.Tensor:
    from .data import mnist_5k

    judge, _ = load_judge(device)
    with evaluating(judge):
        return judge.features(mnist_5k("test")[0].to(device))


def digit_scores(images: torch.Tensor, *, min_share: float = 0.02) -> DigitScores:
    """Judge images (N, 1, 28, 28) in [0, 1]: inception score, Fréchet distance to the test digits'
    features, class histogram and the number of classes with at least ``min_share`` of the images."""
    check_images("images", images, size=(28, 28))
    if images.shape[0] < 2:
        raise ValueError(f"images must hold at least 2 images to fit a covariance, got {images.shape[0]}")
    if not torch.isfinite(images).all():
        raise ValueError("images must be finite, but they contain NaN or infinity")
    min_share = check_probability("min_share", min_share)
    lo, hi = float(images.min()), float(images.max())
    if lo < -0.01 or hi > 1.01:
        raise ValueError(f"images must hold pixels in [0, 1] (as the judge was trained), got values in [{lo:.3g}, {hi:.3g}]")
    device = str(images.device)
    judge, _ = load_judge(device)
    with evaluating(judge):
        x = images.float().clamp(0, 1)
        feats = torch.cat([judge.features(b) for b in x.split(500)])
        probs = torch.cat([judge.head(f).softmax(-1) for f in feats.split(500)])
    labels = probs.argmax(-1).cpu()
    counts = torch.bincount(labels, minlength=10)
    return DigitScores(inception_score=inception_score(probs), frechet_distance=frechet_distance(feats, _test_features(device)),
                       class_counts=tuple(int(c) for c in counts),
                       classes_hit=int((counts >= min_share * images.shape[0]).sum()), labels=labels)


def reference_scores(n: int = 1000) -> dict[str, DigitScores]:
    """The two yardsticks every generator is read against: ``"test digits"`` (the inception score of
    the 1,000 test digits; their Fréchet distance measured on ``n`` training digits, real digits other
    than the reference ones) and ``"uniform noise"`` (n images of U(0, 1) pixels)."""
    from .data import mnist_5k
    from .utils import make_generator, rand

    n = check_int("n", n, low=2, high=4000)
    x_train, _ = mnist_5k("train")
    x_test, _ = mnist_5k("test")
    real = digit_scores(x_test)
    held = digit_scores(x_train[:n])
    noise = digit_scores(rand((n, 1, 28, 28), generator=make_generator(0)))
    return {"test digits": DigitScores(real.inception_score, held.frechet_distance, real.class_counts,
                                       real.classes_hit, real.labels),
            "uniform noise": noise}
