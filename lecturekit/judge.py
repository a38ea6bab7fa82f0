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
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .train import Batches, History, evaluating, fit
from .utils import check_images, check_positive_int, randint

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

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
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
    check_images("x", x, size=(28, 28))
    batches = Batches(x, y, batch_size=batch_size, generator=generator)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = check_positive_int("num_epochs", num_epochs) * len(batches)
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


def load_judge(device: str | torch.device = "cpu") -> tuple[DigitJudge, float]:
    """The cached judge (trained on first use) and its accuracy on the 1,000 test digits."""
    model, acc = _load(str(torch.device(device)))
    if acc < MIN_TEST_ACCURACY:
        raise RuntimeError(f"the digit judge reached only {acc:.1%} on the test digits "
                           f"(needs {MIN_TEST_ACCURACY:.0%}); retrain it with a larger budget")
    return model, acc


def inception_score(probs: torch.Tensor) -> float:
    r"""exp(E_x KL(p(y|x) ‖ p(y))) from class probabilities (N, K); 1 (useless) to K (perfect)."""
    probs = probs.double().clamp_min(1e-12)
    marginal = probs.mean(0, keepdim=True)
    return float(torch.exp((probs * (probs.log() - marginal.log())).sum(1).mean()))


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    r"""‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^{1/2}) between Gaussians fitted to the rows of a and b."""
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

    x_train, _ = mnist_5k("train")
    x_test, _ = mnist_5k("test")
    real = digit_scores(x_test)
    held = digit_scores(x_train[:n])
    noise = digit_scores(rand((n, 1, 28, 28), generator=make_generator(0)))
    return {"test digits": DigitScores(real.inception_score, held.frechet_distance, real.class_counts,
                                       real.classes_hit, real.labels),
            "uniform noise": noise}
