"""Data and training for notebook 05: the semi-supervised split, the trainers of the four methods
of Kingma et al. (2014, Table 1) and the model cache.

* :func:`ssl_data` splits the training digits into a labelled set (stratified), a labelled
  **validation** set (held out, for choosing settings) and the unlabelled rest.
* :func:`fit_classifier` (NN, and M1's classifier), :func:`fit_m2` (M2 and M1+M2) and M1's VAE,
  :class:`lecturekit.vae.VAE` trained by :func:`lecturekit.vae.fit_vae`; :func:`features` are its
  latent means.
* :func:`cached_method` trains one of them through :func:`lecturekit.checkpoint.cached` (test and
  validation errors in ``history.info``); :func:`run_methods` trains all four on one split with
  :func:`default_settings`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .. import vae as _vae
from ..checkpoint import cache_key, cached
from ..train import MANY_STEPS, Batches, History, evaluating, fit
from ..utils import (check_bool, check_choice, check_generator, check_nonnegative_int, check_positive_float,
                     check_positive_int, check_tensor)
from ..utils import make_generator, one_thread, randint, randperm
from .model import M2, Classifier, _check_model, _flat, _inputs, _m2_loss, check_labels, error_rate

__all__ = ["draw_labels", "SSLData", "ssl_data", "fit_classifier", "fit_m2", "features", "cached_method",
           "METHODS", "default_settings", "run_methods"]

#: The four methods of the comparison, in the paper's order.
METHODS = ("nn", "m1", "m2", "m1m2")


# --------------------------------------------------------------------------- the split


def draw_labels(y, num_labels: int, *, num_classes: int = 10, generator: torch.Generator | None = None) -> torch.Tensor:
    """Indices of ``num_labels`` examples, ``num_labels / num_classes`` of each class, drawn with ``generator``.

    Raises:
        ValueError: ``num_labels`` exceeds the examples, is not a multiple of ``num_classes`` (a class
            would get no label or an unequal share), or a class has too few examples in ``y``.
    """
    num_classes = check_positive_int("num_classes", num_classes)
    y = check_labels("y", y, num_classes).cpu()
    num_labels = check_positive_int("num_labels", num_labels)
    check_generator(generator)
    if num_labels > y.numel():
        raise ValueError(f"num_labels must be at most the number of examples ({y.numel()}), got {num_labels}")
    if num_labels % num_classes:
        raise ValueError(f"num_labels must be a multiple of num_classes ({num_classes}) so that every class "
                         f"gets the same number of labels, got {num_labels}")
    per_class = num_labels // num_classes
    counts = torch.bincount(y, minlength=num_classes)
    short = [c for c in range(num_classes) if counts[c] < per_class]
    if short:
        raise ValueError(f"y has fewer than {per_class} examples of class(es) {short}, so num_labels={num_labels} "
                         f"cannot give every class {per_class} labels")
    picks = []
    for c in range(num_classes):
        idx = torch.nonzero(y == c).flatten()
        picks.append(idx[randperm(idx.numel(), generator=generator, device="cpu")[:per_class]])
    picks = torch.cat(picks)
    return picks[randperm(picks.numel(), generator=generator, device="cpu")]


@dataclass
class SSLData:
    """A semi-supervised split: labelled (x_l, y_l), unlabelled x_u, a labelled validation set
    (x_val, y_val) held out of training, and the test set.

    ``config`` (JSON) says how it was made; it keys the cached models trained on it.
    """

    x_l: torch.Tensor
    y_l: torch.Tensor
    x_u: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    config: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("x_l", "x_u", "x_val", "x_test"):
            check_tensor(name, getattr(self, name), nonempty=name != "x_val")
        for xs, ys in (("x_l", "y_l"), ("x_val", "y_val"), ("x_test", "y_test")):
            y = getattr(self, ys)
            if not isinstance(y, torch.Tensor) or y.ndim != 1 or y.is_floating_point() or y.is_complex() \
                    or y.dtype == torch.bool:
                raise TypeError(f"{ys} must be a 1-D tensor of class indices, got {type(y).__name__} "
                                f"{tuple(getattr(y, 'shape', ()))}")
            if y.device.type == "meta":
                raise ValueError(f"{ys} is on the meta device, which holds no values")
            if y.numel() and int(y.min()) < 0:
                raise ValueError(f"{ys} must hold class indices 0, 1, ..., got {int(y.min())}")
            if len(y) != len(getattr(self, xs)):
                raise ValueError(f"{ys} must have one label per row of {xs} ({len(getattr(self, xs))}), "
                                 f"got {len(y)} labels")
        widths = {name: _flat(getattr(self, name)).shape[1:] for name in ("x_l", "x_u", "x_test")}
        if len(set(widths.values())) != 1:
            raise ValueError(f"x_l, x_u and x_test must have the same shape per row, got {widths}")
        if not isinstance(self.config, dict):
            raise TypeError(f"config must be a dict, got {type(self.config).__name__}")

    @property
    def x_dim(self) -> int:
        return _flat(self.x_l).shape[1]

    @property
    def device(self) -> torch.device:
        return self.x_l.device

    @property
    def x_all(self) -> torch.Tensor:
        """Every training input a generative model may see, labelled or not (not the validation set)."""
        return torch.cat([self.x_l, self.x_u])

    def map(self, fn: Callable[[torch.Tensor], torch.Tensor], tag: str) -> SSLData:
        """The same split with every input replaced by ``fn(x)`` (for example M1's features); ``tag``
        (a str such as a cache key) names the features in the split's config."""
        if not callable(fn):
            raise TypeError(f"fn must be a function of a tensor of inputs, got {type(fn).__name__}")
        if not isinstance(tag, str) or not tag:
            raise TypeError(f"tag must be a non-empty str naming the features, got {tag!r}")

        def apply(name):
            x = getattr(self, name)
            out = fn(x)
            if not isinstance(out, torch.Tensor):
                raise TypeError(f"fn must return a torch.Tensor, got {type(out).__name__} for {name}")
            if out.ndim < 1 or len(out) != len(x):
                raise ValueError(f"fn must return one row per row of its input ({len(x)} for {name}), "
                                 f"got shape {tuple(out.shape)}")
            return out

        return SSLData(apply("x_l"), self.y_l, apply("x_u"), apply("x_val"), self.y_val, apply("x_test"),
                       self.y_test, {**self.config, "features": tag})


def ssl_data(x, y, x_test, y_test, num_labels: int, *, num_validation: int = 500, seed: int = 0,
             num_classes: int = 10, name: str = "data") -> SSLData:
    """Split a training set into ``num_validation`` labelled validation examples, then
    ``num_labels`` labelled examples, both stratified and drawn with ``seed``, and the rest unlabelled.

    The validation examples never enter training, labelled or not: settings chosen on them are not
    tuned on the test set.
    """
    num_classes = check_positive_int("num_classes", num_classes)
    check_positive_int("num_labels", num_labels)
    check_tensor("x", x)
    check_tensor("x_test", x_test)
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str naming the data set, got {name!r}")
    y = check_labels("y", y, num_classes)
    y_test = check_labels("y_test", y_test, num_classes)
    if len(x) != len(y):
        raise ValueError(f"y must have one label per row of x ({len(x)}), got {len(y)} labels")
    if len(x_test) != len(y_test):
        raise ValueError(f"y_test must have one label per row of x_test ({len(x_test)}), got {len(y_test)} labels")
    if x.ndim < 2 or x_test.ndim != x.ndim or _flat(x).shape[1:] != _flat(x_test).shape[1:]:
        raise ValueError(f"x and x_test must hold rows of the same shape (N, ...), got shapes {tuple(x.shape)} "
                         f"and {tuple(x_test.shape)}")
    num_validation = check_nonnegative_int("num_validation", num_validation)
    if num_validation % num_classes:
        raise ValueError(f"num_validation must be a multiple of num_classes ({num_classes}) so that every class "
                         f"gets the same number of validation digits, got {num_validation}")
    if num_validation + num_labels > len(y):
        raise ValueError(f"num_labels must be at most the number of examples left after the {num_validation} "
                         f"validation examples ({len(y) - num_validation}), got {num_labels}")
    g = make_generator(check_nonnegative_int("seed", seed))
    val = draw_labels(y, num_validation, num_classes=num_classes, generator=g) if num_validation else \
        torch.zeros(0, dtype=torch.long)
    rest = torch.ones(len(y), dtype=torch.bool)
    rest[val] = False
    pool = torch.nonzero(rest).flatten()
    lab = pool[draw_labels(y.cpu()[pool], num_labels, num_classes=num_classes, generator=g)]
    rest[lab] = False
    unl = torch.nonzero(rest).flatten()
    dev = x.device
    return SSLData(x[lab.to(dev)], y[lab.to(y.device)], x[unl.to(dev)], x[val.to(dev)], y[val.to(y.device)],
                   x_test, y_test, {"name": name, "num_labels": num_labels, "num_validation": num_validation,
                                    "seed": seed, "n": len(y)})


# --------------------------------------------------------------------------- trainers


class _Mixed:
    """One epoch of unlabelled minibatches, each paired with a class-balanced labelled minibatch."""

    def __init__(self, x_l, y_l, x_u, *, batch_size, labelled_batch_size, num_classes, generator):
        self.unlabelled = Batches(x_u, batch_size=batch_size, drop_last=len(x_u) >= batch_size, generator=generator)
        self.by_class = [torch.nonzero(y_l == c).flatten() for c in range(num_classes)]
        self.per_class = max(1, labelled_batch_size // num_classes)
        self.x_l, self.y_l, self.generator = x_l, y_l, generator

    def labelled(self):
        idx = torch.cat([ids[randint(len(ids), self.per_class, generator=self.generator, device=ids.device)]
                         for ids in self.by_class])
        return self.x_l[idx], self.y_l[idx]

    def __iter__(self):
        for (xu,) in self.unlabelled:
            yield (*self.labelled(), xu)


def _labelled_set(model, x_l, y_l):
    x_l = _inputs(model, x_l, "x_l")
    y_l = check_labels("y_l", y_l, model.num_classes)
    if len(x_l) != len(y_l):
        raise ValueError(f"y_l must have one label per row of x_l ({len(x_l)}), got {len(y_l)} labels")
    missing = sorted(set(range(model.num_classes)) - set(y_l.tolist()))
    if missing:
        raise ValueError(f"y_l must hold at least one label of every class; class(es) {missing} have none")
    return x_l, y_l.to(x_l.device)


def fit_classifier(model: Classifier, x_l: torch.Tensor, y_l: torch.Tensor, *, num_steps: int = 500,
                   lr: float = 1e-3, weight_decay: float = 1e-3, batch_size: int = 100,
                   generator: torch.Generator | None = None, progress: bool | None = None) -> History:
    """Minimize the cross-entropy of ``model`` on the labelled examples (Adam, L2 weight decay)."""
    x_l, y_l = _labelled_set(_check_model(model, Classifier), x_l, y_l)
    opt = torch.optim.Adam(model.parameters(), lr=check_positive_float("lr", lr),
                           weight_decay=check_positive_float("weight_decay", weight_decay, allow_zero=True))
    batches = Batches(x_l, y_l, batch_size=min(check_positive_int("batch_size", batch_size), len(y_l)),
                      generator=check_generator(generator))
    return fit(lambda x, y: F.cross_entropy(model._logits(x), y), opt, batches, num_steps, model=model,
               desc="classifier", progress=progress)


def fit_m2(model: M2, x_l: torch.Tensor, y_l: torch.Tensor, x_u: torch.Tensor, *, num_epochs: int = 50,
           batch_size: int = 100, labelled_batch_size: int = 100, alpha: float | None = None, lr: float = 1e-3,
           lr_decay: bool = False, generator: torch.Generator | None = None, progress: bool | None = None) -> History:
    """Minimize :func:`~lecturekit.ssvae.m2_loss` for ``num_epochs`` passes over the unlabelled
    ``x_u``; each step pairs ``batch_size`` unlabelled digits with a class-balanced batch of
    ``labelled_batch_size`` labelled ones. ``alpha`` defaults to the paper's 0.1 N per labelled
    digit, 0.1 (N_l + N_u) / N_l (3.5 for 100 labels among 3,500 digits). With ``lr_decay`` Adam's
    learning rate falls linearly from ``lr`` to zero over the run."""
    x_l, y_l = _labelled_set(_check_model(model, M2), x_l, y_l)
    x_u = _inputs(model, x_u, "x_u")
    n_l, n_u = len(y_l), len(x_u)
    alpha = 0.1 * (n_l + n_u) / n_l if alpha is None else check_positive_float("alpha", alpha, allow_zero=True)
    generator = check_generator(generator)
    lr_decay = check_bool("lr_decay", lr_decay)
    batches = _Mixed(x_l, y_l, x_u, batch_size=check_positive_int("batch_size", batch_size),
                     labelled_batch_size=check_positive_int("labelled_batch_size", labelled_batch_size),
                     num_classes=model.num_classes, generator=generator)
    opt = torch.optim.Adam(model.parameters(), lr=check_positive_float("lr", lr))
    num_steps = check_positive_int("num_epochs", num_epochs) * len(batches.unlabelled)
    if num_steps > MANY_STEPS:
        warnings.warn(f"num_epochs={num_epochs:,} gives {num_steps:,} steps, over {MANY_STEPS:,}: this will run for "
                      "a very long time (interrupt with Ctrl-C)", stacklevel=2)
    decay = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1 - step / num_steps) if lr_decay else None
    history = fit(lambda xl, yl, xu: _m2_loss(model, xl, yl, xu, alpha, generator), opt, batches, num_steps,
                  model=model, scheduler=decay, desc="M2", progress=progress)
    history.info["alpha"] = alpha
    return history


def features(model: _vae.VAE, x: torch.Tensor, *, batch_size: int = 1000) -> torch.Tensor:
    r"""M1's features: the latent means $\mathbb{E}_{q(z|x)}[z]$ of images ``x`` (N, 1, H, W)."""
    if not isinstance(model, _vae.VAE):
        raise TypeError(f"model must be a lecturekit.vae.VAE (M1), got {type(model).__name__}")
    check_tensor("x", x, ndim=4, model=model)
    with evaluating(model):
        return torch.cat([model.q(xb).mean for xb in x.split(check_positive_int("batch_size", batch_size))])


# --------------------------------------------------------------------------- cached runs


def _scores(model, data: SSLData) -> dict:
    out = {"test_error": error_rate(model, data.x_test, data.y_test)}
    if len(data.y_val):
        out["val_error"] = error_rate(model, data.x_val, data.y_val)
    return out


def _vae_model(model: dict) -> dict:
    return {"image_shape": [28, 28], "likelihood": "bernoulli", **model}


def cached_method(kind: str, data: SSLData, *, model: dict, train: dict, retrain: bool = False):
    """Train (or load from the model cache) one model on ``data``: ``(model, history)``.

    ``kind`` is ``"nn"`` (:class:`Classifier` by :func:`fit_classifier` on the labelled digits),
    ``"m2"`` (:class:`M2` by :func:`fit_m2`) or ``"vae"`` (M1's :class:`lecturekit.vae.VAE` by
    :func:`lecturekit.vae.fit_vae` on every training digit, labels unused). ``model`` holds the
    model's arguments, ``train`` the trainer's (and ``seed``); the split's ``config`` is the data
    identity. Classifiers record ``test_error`` and ``val_error`` in ``history.info``.
    """
    check_choice("kind", kind, ("nn", "m2", "vae"))
    retrain = check_bool("retrain", retrain)
    if not isinstance(data, SSLData):
        raise TypeError(f"data must be an SSLData (from ssl_data), got {type(data).__name__}")
    for name, cfg in (("model", model), ("train", train)):
        if not isinstance(cfg, dict):
            raise TypeError(f"{name} must be a dict of keyword arguments, got {type(cfg).__name__}")

    def fit_one(m, *, generator, **kw):
        with one_thread():  # the same model whatever the reader's thread count (see utils.one_thread)
            if kind == "vae":
                return _vae.fit_vae(m, data.x_all, generator=generator, **kw)
            if kind == "nn":
                history = fit_classifier(m, data.x_l, data.y_l, generator=generator, **kw)
            else:
                history = fit_m2(m, data.x_l, data.y_l, data.x_u, generator=generator, **kw)
            history.info.update(_scores(m, data))
            return history

    if kind == "vae":
        build, model = _vae.VAE, _vae_model(model)
    else:
        build, model = (Classifier if kind == "nn" else M2), {"x_dim": data.x_dim, **model}
    return cached(f"ssvae-{kind}", build=build, model=model, fit=fit_one, train=dict(train), data=data.config,
                  device=data.device, retrain=retrain)


def default_settings(*, num_epochs: int = 150, lr: float = 3e-3, latent_dim: int = 4, alpha: float = 30.0,
                     dropout: float = 0.5, input_noise: float = 0.5, nn_dropout: float = 0.0,
                     nn_input_noise: float = 1.0, vae_epochs: int = 75, m1m2_epochs: int = 50, hidden_dim: int = 256,
                     seed: int = 0) -> dict:
    """Model and training configs of every method for :func:`run_methods`.

    M2 trains for ``num_epochs`` passes over the unlabelled digits at Adam's learning rate ``lr``;
    M1's VAE for ``vae_epochs`` passes over all training digits, M1+M2 (small and fast) for
    ``m1m2_epochs``, both at 1e-3; the classifiers for 500 steps. NN and M2's q(y | x) are the same
    network. NN's ``nn_input_noise`` and ``nn_dropout`` are the values that ``benchmarks/ssvae.py
    --select nn`` chose by the mean error on the validation digits of three label draws (never the
    test digits): input noise 1.0 and no dropout (validation error 21.1%; 0.7 with dropout 0.5:
    21.7%; 1.5: 23.3-24.3%). M2's ``lr`` was compared on the validation digits, and ``--select m2``
    chose its ``alpha`` per labelled digit, 30, by the mean validation error of three label draws
    (alpha 3.5, the paper's 0.1 N: 13.3%; 10: 13.4%; 30: 12.7%; 100: 12.9%), with ``input_noise``
    0.5 and ``dropout`` 0.5, which were varied one at a time at alpha 10 (noise 0.3: 15.7%, 0.7:
    13.5%; no dropout: 13.3%) and kept. M1+M2 uses the paper's alpha.
    """
    for name, value in (("hidden_dim", hidden_dim), ("latent_dim", latent_dim), ("num_epochs", num_epochs),
                        ("vae_epochs", vae_epochs), ("m1m2_epochs", m1m2_epochs)):
        check_positive_int(name, value)
    for name, value in (("dropout", dropout), ("nn_dropout", nn_dropout)):
        if not 0 <= check_positive_float(name, value, allow_zero=True) < 1:
            raise ValueError(f"{name} must be in [0, 1), got {value}")
    check_positive_float("input_noise", input_noise, allow_zero=True)
    check_positive_float("nn_input_noise", nn_input_noise, allow_zero=True)
    seed = check_nonnegative_int("seed", seed)
    return {
        "nn": {"model": {"hidden_dim": hidden_dim, "dropout": nn_dropout, "input_noise": nn_input_noise},
               "train": {"num_steps": 500, "seed": seed}},
        "vae": {"model": {"latent_dim": 32, "hidden_dim": hidden_dim},
                "train": {"num_epochs": vae_epochs, "batch_size": 100, "seed": seed}},
        "m1": {"model": {"hidden_dim": 64}, "train": {"num_steps": 500, "weight_decay": 1e-2, "seed": seed}},
        "m2": {"model": {"latent_dim": latent_dim, "hidden_dim": hidden_dim, "dropout": dropout,
                         "input_noise": input_noise},
               "train": {"num_epochs": num_epochs, "batch_size": 100, "lr": check_positive_float("lr", lr),
                         "alpha": check_positive_float("alpha", alpha, allow_zero=True), "seed": seed}},
        "m1m2": {"model": {"latent_dim": 16, "hidden_dim": 128, "likelihood": "gaussian"},
                 "train": {"num_epochs": m1m2_epochs, "batch_size": 100, "seed": seed}},
    }


def run_methods(data: SSLData, settings: dict, *, retrain: bool = False) -> dict:
    """Train every method of :data:`METHODS` on one split, ``settings[method] = {"model": ..., "train": ...}``
    (and ``settings["vae"]`` for M1's VAE). Returns ``{method: (model, history)}`` plus ``"vae"``
    and ``"m1_data"`` (the split as M1's features)."""
    if not isinstance(data, SSLData):
        raise TypeError(f"data must be an SSLData (from ssl_data), got {type(data).__name__}")
    retrain = check_bool("retrain", retrain)
    if not isinstance(settings, dict):
        raise TypeError(f"settings must be a dict such as default_settings() returns, got {type(settings).__name__}")
    missing = [m for m in ("nn", "vae", "m1", "m2", "m1m2") if m not in settings]
    if missing:
        raise ValueError(f"settings must have an entry for every method, missing {missing}")
    for m in ("nn", "vae", "m1", "m2", "m1m2"):
        if not isinstance(settings[m], dict) or set(settings[m]) != {"model", "train"}:
            raise ValueError(f"settings[{m!r}] must be a dict with the keys 'model' and 'train', got {settings[m]!r}")
    out = {"nn": cached_method("nn", data, **settings["nn"], retrain=retrain),
           "m2": cached_method("m2", data, **settings["m2"], retrain=retrain)}
    vae, vae_history = out["vae"] = cached_method("vae", data, **settings["vae"], retrain=retrain)
    # The features' identity is the VAE's cache key: a retrained VAE retrains M1 and M1+M2.
    tag = cache_key("ssvae-vae", model=_vae_model(settings["vae"]["model"]), train=settings["vae"]["train"],
                    data=data.config, code=(_vae.VAE, cached_method))
    m1_data = out["m1_data"] = data.map(lambda x: features(vae, x), tag)
    out["m1"] = cached_method("nn", m1_data, **settings["m1"], retrain=retrain)
    out["m1m2"] = cached_method("m2", m1_data, **settings["m1m2"], retrain=retrain)
    return out


# --------------------------------------------------------------------------- what notebook 05 claims

#: The supervised baseline's test error with 100 labels must fall in this range (an untrained MLP
#: errs on about 90%, a leak of test labels would give far less than 15%; the paper: 25.8%).
NN_ERROR_RANGE = (0.15, 0.35)
#: M1 + classifier's test error with 100 labels (the paper's M1 + TSVM: 11.8%).
M1_ERROR_MAX = 0.35
#: M2's test error as a multiple of NN's with 100 labels (the paper: 0.46).
M2_OVER_NN_MAX = 0.75
#: M1+M2's test error as a multiple of NN's with 100 labels (the paper: 0.13). Here M1+M2 beats the
#: baseline but not M2 (0.70 x NN on the notebook's split with the earlier NN; 0.69 x at 600 and 0.84 x
#: at 1,000 labels, one draw each): its features come from a VAE trained on 3,500 digits.
M1M2_OVER_NN_MAX = 0.8
#: Share of the analogy figure's cells that the digit judge reads as their intended class (an untrained
#: M2: about one in ten). With alpha 30, chosen on the validation digits for M2's error, the cells read
#: right fall from about 90% (alpha 10) to about 85-90%, so the claim is four cells in five.
ANALOGY_ACCURACY_MIN = 0.8
#: U(x) of the test digits, in nats of the cross-entropy on grey levels (an untrained M2: about -550).
UNLABELLED_BOUND_RANGE = (-200.0, -50.0)
