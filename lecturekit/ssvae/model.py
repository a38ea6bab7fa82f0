r"""M2 and its two bounds, the shared classifier, and label/style analogies (Kingma et al. 2014).

* :class:`M2`: $p(y)\,p(z)\,p_\theta(x\mid y, z)$ with $y \sim \mathrm{Cat}(1/K)$, $z \sim \mathcal{N}(0, I)$,
  and the inference networks $q_\beta(z\mid x, y)$ (a ``Normal``) and $q_\beta(y\mid x)$ (a ``Categorical``).
* :func:`labelled_bound` $\mathcal{L}(x, y)$ and :func:`unlabelled_bound` $\mathcal{U}(x)$, which
  enumerates the K classes; :func:`m2_loss` adds the classification term weighted by $\alpha$.
* :class:`Classifier`: the supervised baseline ("NN"), the same network as M2's $q(y\mid x)$.
* :func:`style_of`, :func:`render_classes`, :func:`analogy_grid`, :func:`analogy_accuracy`: a
  digit's style rendered as every class, and the digit judge's verdict on each rendering.

Gaussian log-densities and KLs come from ``torch.distributions``.

References:
    Kingma, Rezende, Mohamed & Welling (2014). Semi-supervised learning with deep generative models.
    NeurIPS. arXiv:1406.5298.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Bernoulli, Categorical, Normal, kl_divergence

from ..nn import mlp
from ..train import evaluating
from ..utils import (check_bool, check_choice, check_generator, check_positive_float, check_positive_int, check_tensor,
                     randn)

__all__ = [
    "check_labels", "classifier_net", "Classifier", "M2", "labelled_bound", "unlabelled_bound", "m2_loss",
    "predict", "error_rate", "style_of", "render_classes", "style_plane", "analogy_inputs", "analogy_grid",
    "analogy_accuracy",
]

_LIKELIHOODS = ("bernoulli", "gaussian")


def check_labels(name: str, y, num_classes: int) -> torch.Tensor:
    """Return ``y`` as an int64 tensor of class indices in 0..num_classes-1, else raise naming ``name``.

    ``y`` may be a tensor, a NumPy array or a list of integers.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be the argument's name (a non-empty str), got {name!r}")
    num_classes = check_positive_int("num_classes", num_classes)
    if not isinstance(y, torch.Tensor):
        if y is None or isinstance(y, (str, bytes, bool, dict, set)):
            raise TypeError(f"{name} must be a 1-D tensor of class indices, got {type(y).__name__}")
        try:
            arr = np.asarray(y)
        except (TypeError, ValueError):
            arr = np.asarray([object()])
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be a 1-D tensor of class indices, got {type(y).__name__} that holds "
                            f"{arr.dtype} values")
        y = torch.as_tensor(arr)
    if y.device.type == "meta":
        raise ValueError(f"{name} is on the meta device, which holds no values; call {name}.to('cpu') on real labels")
    if y.ndim != 1 or y.numel() == 0:
        raise ValueError(f"{name} must be a non-empty 1-D tensor of class indices, got shape {tuple(y.shape)}")
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer class indices, got dtype {y.dtype}")
    if int(y.min()) < 0 or int(y.max()) >= num_classes:
        raise ValueError(f"{name} must hold class indices in 0..{num_classes - 1}, "
                         f"got values in {int(y.min())}..{int(y.max())}")
    return y.long()


def _flat(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(1) if x.ndim > 2 else x


def _check_model(model, kind=None) -> nn.Module:
    kinds = kind or (M2, Classifier)
    if not isinstance(model, kinds):
        names = " or ".join(k.__name__ for k in (kinds if isinstance(kinds, tuple) else (kinds,)))
        raise TypeError(f"model must be a lecturekit.ssvae {names}, got {type(model).__name__}")
    return model


def _inputs(model: nn.Module, x, name: str = "x") -> torch.Tensor:
    """Check x (N, D) or (N, 1, H, W) against the model (dtype, width, finite, pixels in [0, 1]) and flatten it."""
    check_tensor(name, x, model=model)
    if x.ndim < 2:
        raise ValueError(f"{name} must have shape (N, {model.x_dim}) or (N, 1, H, W), got {tuple(x.shape)}")
    flat = _flat(x)
    if flat.shape[1] != model.x_dim:
        raise ValueError(f"{name} must have {model.x_dim} values per row (the model's x_dim), got shape {tuple(x.shape)}")
    if getattr(model, "likelihood", None) == "bernoulli":
        check_tensor(name, x, low=0.0, high=1.0, hint="divide 0-255 pixels by 255")
    return flat


def _pair(model: nn.Module, x, y, name_y: str = "y", name_x: str = "x") -> tuple[torch.Tensor, torch.Tensor]:
    x = _inputs(model, x, name_x)
    y = check_labels(name_y, y, model.num_classes)
    if y.numel() != x.shape[0]:
        raise ValueError(f"{name_y} must have one label per row of {name_x} ({x.shape[0]}), got {y.numel()} labels")
    return x, y.to(x.device)


# --------------------------------------------------------------------------- the classifier q(y | x)


class _NoisyInput(nn.Module):
    """x + std * N(0, I) in training mode (drawn from torch's RNG, as dropout is), x unchanged in eval mode."""

    def __init__(self, std: float):
        super().__init__()
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and self.std > 0):
            return x
        return x + self.std * randn(x.shape, device=x.device, dtype=x.dtype)


def classifier_net(x_dim: int, hidden_dim: int, num_classes: int, *, dropout: float = 0.0,
                   input_noise: float = 0.0) -> nn.Sequential:
    """The MLP ``x_dim -> hidden_dim -> num_classes`` shared by the NN baseline and M2's q(y | x).

    With 100 labels it overfits at once; ``input_noise`` (Gaussian, added to x) and ``dropout`` (on
    the hidden layer) regularize it, in training mode only.
    """
    check_positive_float("dropout", dropout, allow_zero=True)
    if dropout >= 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    check_positive_float("input_noise", input_noise, allow_zero=True)
    net = mlp([check_positive_int("x_dim", x_dim), check_positive_int("hidden_dim", hidden_dim),
               check_positive_int("num_classes", num_classes)])
    layers = ([_NoisyInput(input_noise)] if input_noise else []) + list(net[:2])
    layers += ([nn.Dropout(dropout)] if dropout else []) + [net[2]]
    return nn.Sequential(*layers)


class Classifier(nn.Module):
    """The supervised baseline (and M1's classifier): :func:`classifier_net`, the same MLP as M2's q(y | x)."""

    def __init__(self, *, x_dim: int = 784, num_classes: int = 10, hidden_dim: int = 256, dropout: float = 0.0,
                 input_noise: float = 0.0):
        super().__init__()
        self.x_dim = check_positive_int("x_dim", x_dim)
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.net = classifier_net(x_dim, hidden_dim, num_classes, dropout=dropout, input_noise=input_noise)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """The class logits (N, num_classes) of ``x`` (N, x_dim) or (N, 1, H, W)."""
        return self.net(_inputs(self, x))

    def _logits(self, x: torch.Tensor) -> torch.Tensor:  # unchecked, for the training loop
        return self.net(_flat(x))


# --------------------------------------------------------------------------- M2


class M2(nn.Module):
    """M2: p(x | y, z) p(y) p(z) with y ~ Cat(1/K), z ~ N(0, I); q(z | x, y) and q(y | x) by MLPs.

    The first layers of q(z | x, y) and p(x | y, z) are split into an x (or z) part and a y part,
    so enumerating the K classes of an unlabelled x runs the x part once.

    Args:
        x_dim: the data dimension (784 for MNIST, M1's latent size for M1+M2).
        num_classes: K.
        latent_dim: the size of the style variable z.
        hidden_dim: the width of every hidden layer.
        likelihood: ``"bernoulli"`` (pixels in [0, 1]) or ``"gaussian"`` (M1 features, a learned
            variance per dimension).
        dropout, input_noise: regularization of the classifier q(y | x) in training mode
            (:func:`classifier_net`); the bounds in eval mode do not depend on them.
        depth: hidden layers of q(z | x, y) and of p(x | y, z) (the classifier keeps one, as the
            NN baseline it is compared with).
    """

    def __init__(self, *, x_dim: int = 784, num_classes: int = 10, latent_dim: int = 16, hidden_dim: int = 256,
                 likelihood: str = "bernoulli", dropout: float = 0.0, input_noise: float = 0.0, depth: int = 1):
        super().__init__()
        self.x_dim = check_positive_int("x_dim", x_dim)
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        check_positive_int("hidden_dim", hidden_dim)
        self.likelihood = check_choice("likelihood", likelihood, _LIKELIHOODS)
        self.classifier = classifier_net(x_dim, hidden_dim, num_classes, dropout=dropout, input_noise=input_noise)
        self.enc_x = nn.Linear(x_dim, hidden_dim)
        self.enc_y = nn.Linear(num_classes, hidden_dim, bias=False)
        check_positive_int("depth", depth)

        def inner():
            return [m for _ in range(depth - 1) for m in (nn.Linear(hidden_dim, hidden_dim), nn.ReLU())]

        self.enc_out = nn.Sequential(nn.ReLU(), *inner(), nn.Linear(hidden_dim, 2 * latent_dim))
        self.dec_z = nn.Linear(latent_dim, hidden_dim)
        self.dec_y = nn.Linear(num_classes, hidden_dim, bias=False)
        self.dec_out = nn.Sequential(nn.ReLU(), *inner(), nn.Linear(hidden_dim, x_dim))
        self.log_sigma = nn.Parameter(torch.zeros(x_dim)) if likelihood == "gaussian" else None
        self.register_buffer("log_py", torch.full((num_classes,), -math.log(num_classes)))

    # The public methods check their arguments; the training loop calls the unchecked _versions.

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """The logits of q(y | x)."""
        return self._logits(_inputs(self, x))

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(_flat(x))

    def q_y(self, x: torch.Tensor) -> Categorical:
        """q(y | x), the classifier."""
        return Categorical(logits=self.logits(x))

    def q_z(self, x: torch.Tensor, y_onehot: torch.Tensor) -> Normal:
        """q(z | x, y) = N(mu, diag sigma^2); ``y_onehot`` (..., N, K) broadcasts against ``x`` (N, D)."""
        x = _inputs(self, x)
        self._check_onehot(y_onehot, (x.shape[0],), "x")
        return self._q_z(x, y_onehot)

    def _q_z(self, x: torch.Tensor, y_onehot: torch.Tensor) -> Normal:
        mu, s = self.enc_out(self.enc_x(_flat(x)) + self.enc_y(y_onehot)).chunk(2, dim=-1)
        return Normal(mu, F.softplus(s) + 1e-4)

    def _check_onehot(self, y_onehot, batch: tuple, other: str) -> tuple:
        """Check ``y_onehot`` (..., K) with entries in [0, 1] whose leading axes broadcast against ``batch``."""
        check_tensor("y_onehot", y_onehot, model=self, low=0.0, high=1.0,
                     hint="y_onehot holds one-hot rows, e.g. F.one_hot(y, num_classes).float()")
        if y_onehot.ndim < 1 or y_onehot.shape[-1] != self.num_classes:
            raise ValueError(f"y_onehot must have shape (..., N, {self.num_classes}) (one-hot rows of the model's "
                             f"{self.num_classes} classes), got {tuple(y_onehot.shape)}")
        try:
            return tuple(torch.broadcast_shapes(tuple(y_onehot.shape[:-1]), tuple(batch)))
        except RuntimeError:
            raise ValueError(f"y_onehot of shape {tuple(y_onehot.shape)} does not broadcast against {other} "
                             f"(leading axes {tuple(batch)})") from None

    def _check_z(self, z) -> None:
        check_tensor("z", z, model=self)
        if z.ndim < 1 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"z must have shape (..., {self.latent_dim}) (the model's latent_dim), "
                             f"got {tuple(z.shape)}")

    def _check_yz(self, y_onehot, z) -> tuple:
        self._check_z(z)
        return self._check_onehot(y_onehot, tuple(z.shape[:-1]), "z")

    def decode(self, y_onehot: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits (or Gaussian means) of p(x | y, z)."""
        self._check_yz(y_onehot, z)
        return self._decode(y_onehot, z)

    def _decode(self, y_onehot: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.dec_out(self.dec_z(z) + self.dec_y(y_onehot))

    def p_x(self, y_onehot: torch.Tensor, z: torch.Tensor) -> Bernoulli | Normal:
        """p(x | y, z), one factor per dimension of x."""
        self._check_yz(y_onehot, z)
        return self._p_x(y_onehot, z)

    def _p_x(self, y_onehot: torch.Tensor, z: torch.Tensor) -> Bernoulli | Normal:
        out = self._decode(y_onehot, z)
        if self.likelihood == "bernoulli":
            # validate_args=False: grey levels in [0, 1] get the cross-entropy -BCE(x, sigmoid(out))
            return Bernoulli(logits=out, validate_args=False)
        return Normal(out, self.log_sigma.exp())

    def log_px(self, x: torch.Tensor, y_onehot: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x | y, z), summed over the dimensions of x; ``y_onehot`` and ``z`` (..., N, ·) broadcast."""
        x = _inputs(self, x)
        batch = self._check_yz(y_onehot, z)
        if not batch or batch[-1] != x.shape[0]:
            raise ValueError(f"z and y_onehot must give one row per row of x ({x.shape[0]}): their leading axes "
                             f"broadcast to {batch}, whose last size must be {x.shape[0]}")
        return self._log_px(x, y_onehot, z)

    def _log_px(self, x: torch.Tensor, y_onehot: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        p = self._p_x(y_onehot, z)
        return p.log_prob(_flat(x).expand(p.batch_shape)).sum(-1)

    def mean_x(self, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """E[x | y, z] for class indices ``y`` (N,) and styles ``z`` (N, latent_dim)."""
        y = check_labels("y", y, self.num_classes)
        check_tensor("z", z, shape=(None, self.latent_dim), model=self)
        if len(y) != len(z):
            raise ValueError(f"y must have one label per row of z ({len(z)}), got {len(y)} labels")
        return self._mean_x(y.to(z.device), z)

    def _mean_x(self, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self._p_x(F.one_hot(y, self.num_classes).to(z.dtype), z).mean


def _bound(model: M2, x: torch.Tensor, y_onehot: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    # E_q(z|x,y)[log p(x|y,z)] by the reparameterization z = mu + sigma * eps (averaged over the
    # samples in eps), and E_q[log p(z) - log q(z|x,y)] = -KL(q(z|x,y) || N(0, I)) in closed form.
    q = model._q_z(x, y_onehot)
    z = q.loc + q.scale * eps
    log_px = model._log_px(x, y_onehot, z).mean(0)
    kl = kl_divergence(q, Normal(torch.zeros_like(q.loc), torch.ones_like(q.scale))).sum(-1)
    log_py = (y_onehot * model.log_py).sum(-1)
    return log_px + log_py - kl


def _eps(model: M2, n: int, num_samples: int, eps, generator, like: torch.Tensor) -> torch.Tensor:
    """The given noise (checked) or ``num_samples`` fresh standard normal draws, (S, n, latent_dim)."""
    if eps is not None:
        check_tensor("eps", eps, shape=(None, n, model.latent_dim))
        return eps.to(like)
    check_generator(generator)
    return randn((check_positive_int("num_samples", num_samples), n, model.latent_dim), generator=generator,
                 device=like.device, dtype=like.dtype)


def labelled_bound(model: M2, x: torch.Tensor, y: torch.Tensor, *, num_samples: int = 1,
                   eps: torch.Tensor | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""$\log p(x, y) \ge \mathcal{L}(x, y) = \mathbb{E}_{q(z|x,y)}[\log p(x|y,z) + \log p(y) + \log p(z) - \log q(z|x,y)]$.

    The expectation of the log-likelihood is a Monte Carlo average over ``num_samples`` draws
    z = mu + sigma * eps; the KL part is exact.

    Args:
        model: an :class:`M2`.
        x: (N, D) or (N, 1, H, W) inputs.
        y: (N,) class indices.
        num_samples: draws of z per example (ignored when ``eps`` is given).
        eps: standard normal noise (S, N, latent_dim) to use instead of fresh draws.
        generator: for the noise.

    Returns:
        (N,) the bound per example, in nats.
    """
    x, y = _pair(_check_model(model, M2), x, y)
    eps = _eps(model, x.shape[0], num_samples, eps, generator, x)
    return _bound(model, x, F.one_hot(y, model.num_classes).to(x.dtype), eps)


def _unlabelled(model: M2, x: torch.Tensor, eps: torch.Tensor):
    n, k = x.shape[0], model.num_classes
    eye = torch.eye(k, dtype=x.dtype, device=x.device)
    bound_y = _bound(model, x, eye[:, None, :].expand(k, n, k), eps[:, None]).T  # (N, K): every class for every x
    qy = Categorical(logits=model._logits(x))
    return (qy.probs * bound_y).sum(-1) + qy.entropy(), bound_y, qy.probs


def unlabelled_bound(model: M2, x: torch.Tensor, *, num_samples: int = 1, eps: torch.Tensor | None = None,
                     generator: torch.Generator | None = None, return_parts: bool = False):
    r"""$\log p(x) \ge \mathcal{U}(x) = \sum_y q(y|x)\,\mathcal{L}(x, y) + \mathcal{H}(q(y|x))$, enumerating y.

    The same noise ``eps`` is used for every class (common random numbers).

    Returns:
        (N,) the bound per example; with ``return_parts`` also the (N, K) matrix L(x, y) and q(y | x).
    """
    x = _inputs(_check_model(model, M2), x)
    return_parts = check_bool("return_parts", return_parts)
    u, bound_y, probs = _unlabelled(model, x, _eps(model, x.shape[0], num_samples, eps, generator, x))
    return (u, bound_y, probs) if return_parts else u


def _m2_loss(model: M2, x_l, y_l, x_u, alpha: float, generator) -> torch.Tensor:
    y_onehot = F.one_hot(y_l, model.num_classes).to(x_l.dtype)
    labelled = _bound(model, x_l, y_onehot, _eps(model, len(x_l), 1, None, generator, x_l)).mean()
    unlabelled = _unlabelled(model, x_u, _eps(model, len(x_u), 1, None, generator, x_u))[0].mean()
    return -(labelled + unlabelled) + alpha * F.cross_entropy(model._logits(x_l), y_l)


def m2_loss(model: M2, x_l: torch.Tensor, y_l: torch.Tensor, x_u: torch.Tensor, *, alpha: float,
            generator: torch.Generator | None = None) -> torch.Tensor:
    r"""$-\frac{1}{|l|}\sum_l \mathcal{L}(x, y) - \frac{1}{|u|}\sum_u \mathcal{U}(x)
    + \alpha\,\frac{1}{|l|}\sum_l [-\log q(y|x)]$ on a labelled (l) and an unlabelled (u) minibatch.

    The paper's objective sums over the data, $\mathcal{J}^\alpha = \sum_l -\mathcal{L} + \sum_u -\mathcal{U}
    + \alpha_{\text{paper}} \sum_l -\log q(y|x)$ with $\alpha_{\text{paper}} = 0.1 N$. Dividing each
    sum by its size re-weights the objective, it does not only rescale it: the labelled bounds now
    weigh as much as the unlabelled ones (1:1 instead of $N_l : N_u$), and the paper's weight of the
    classification term relative to the labelled bounds becomes $\alpha = 0.1 N$ per labelled digit.
    """
    x_l, y_l = _pair(_check_model(model, M2), x_l, y_l, "y_l", "x_l")
    x_u = _inputs(model, x_u, "x_u")
    return _m2_loss(model, x_l, y_l, x_u, check_positive_float("alpha", alpha, allow_zero=True),
                    check_generator(generator))


def predict(model: nn.Module, x: torch.Tensor, *, batch_size: int = 1000) -> torch.Tensor:
    """The most probable class of every row of ``x`` under ``model.logits`` (an M2 or a Classifier)."""
    x = _inputs(_check_model(model), x)
    batch_size = check_positive_int("batch_size", batch_size)
    with evaluating(model):
        return torch.cat([model._logits(xb).argmax(-1) for xb in x.split(batch_size)])


def error_rate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """The fraction of ``x`` that ``model`` classifies wrongly; ``y`` holds one label per row of ``x``."""
    x, y = _pair(_check_model(model), x, y)
    return float((predict(model, x).cpu() != y.cpu()).double().mean())


# --------------------------------------------------------------------------- label and style


def style_of(model: M2, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    r"""The style $\mathbb{E}_{q(z|x,y)}[z]$ of each x, with y the given labels or else $\arg\max_y q(y|x)$."""
    x = _inputs(_check_model(model, M2), x) if y is None else _pair(_check_model(model, M2), x, y)[0]
    with evaluating(model):
        y = model._logits(x).argmax(-1) if y is None else y.to(x.device).long()
        return model._q_z(x, F.one_hot(y, model.num_classes).to(x.dtype)).loc


def render_classes(model: M2, z: torch.Tensor) -> torch.Tensor:
    """E[x | y, z] for one style z (latent_dim,) and every class y = 0..K-1: (K, x_dim), the analogy row."""
    _check_model(model, M2)
    check_tensor("z", z, shape=(model.latent_dim,), model=model)
    k = model.num_classes
    with evaluating(model):
        return model._mean_x(torch.arange(k, device=z.device), z.expand(k, -1))


def analogy_inputs(y: torch.Tensor, *, num_classes: int = 10, per_class: int = 2) -> torch.Tensor:
    """Indices of the first ``per_class`` digits of each class in the order of ``y``, class by class.

    The inputs of the analogy figure, chosen by this rule alone (not by how well they come out):
    the test split of :func:`lecturekit.data.mnist_5k` is shuffled, so its first digits are a
    random draw.
    """
    y = check_labels("y", y, check_positive_int("num_classes", num_classes)).cpu()
    per_class = check_positive_int("per_class", per_class)
    out = []
    for c in range(num_classes):
        idx = torch.nonzero(y == c).flatten()
        if len(idx) < per_class:
            raise ValueError(f"per_class must be at most the number of digits of each class; class {c} has "
                             f"{len(idx)}, got per_class={per_class}")
        out.append(idx[:per_class])
    return torch.cat(out)


def analogy_grid(model: M2, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Each digit's style (inferred with its label ``y``, or q's guess) rendered as every class: (N, K, x_dim).

    Row i, column c is E[x | y = c, z_i]; the analogies of Kingma et al. (2014), Fig. 2.
    """
    z = style_of(model, x, y)
    return torch.stack([render_classes(model, zi) for zi in z])


def analogy_accuracy(grid: torch.Tensor, *, image_shape=(28, 28)) -> tuple[float, torch.Tensor]:
    """The share of the cells of an :func:`analogy_grid` (N, K, H*W) that the digit judge
    (:func:`lecturekit.judge.digit_scores`) classifies as their intended class c; also the judged
    labels (N, K)."""
    from ..judge import digit_scores

    check_tensor("grid", grid, ndim=3, low=0.0, high=1.0, hint="the cells are pixel means in [0, 1]")
    if not grid.is_floating_point():
        raise TypeError(f"grid must be a floating-point tensor of pixel means, got dtype {grid.dtype}")
    if (not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2
            or not all(isinstance(s, int) and not isinstance(s, bool) for s in image_shape)):
        raise TypeError(f"image_shape must be a pair of integers (H, W), got {image_shape!r}")
    if tuple(image_shape) != (28, 28):
        raise ValueError(f"image_shape must be (28, 28), the size of the digits the judge reads, got {tuple(image_shape)}")
    n, k = grid.shape[:2]
    if n * k < 2:
        raise ValueError(f"grid must hold at least 2 cells for the judge, got shape {tuple(grid.shape)}")
    if grid.shape[2] != int(np.prod(image_shape)):
        raise ValueError(f"grid must hold {image_shape[0]}x{image_shape[1]} images per cell, got shape {tuple(grid.shape)}")
    labels = digit_scores(grid.reshape(n * k, 1, *image_shape).float()).labels.view(n, k)
    return float((labels == torch.arange(k)).double().mean()), labels


def style_plane(model: M2, x: torch.Tensor, y: torch.Tensor | None = None):
    """A 2-D plane through style space: the mean style and the top two principal directions of the
    styles of ``x``, each scaled to one standard deviation. Returns ``(centre, axes (2, latent_dim), coords (N, 2))``."""
    z = style_of(model, x, y)
    centre = z.mean(0)
    if model.latent_dim == 2:  # the plane is the style space itself
        axes = torch.eye(2, dtype=z.dtype, device=z.device)
        return torch.zeros_like(centre), axes, z
    if len(z) < 2:
        raise ValueError(f"x must hold at least 2 digits to span a plane, got {len(z)}")
    _, s, vh = torch.linalg.svd(z - centre, full_matrices=False)
    axes = vh[:2] * (s[:2, None] / math.sqrt(max(len(z) - 1, 1)))
    coords = torch.linalg.lstsq(axes.T, (z - centre).T).solution.T
    return centre, axes, coords
