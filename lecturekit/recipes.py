"""Full-scale training recipes: what ``lecturekit train MODEL`` runs, and where notebooks find it.

The notebooks train small models on the 4,000 embedded digits so that they run in minutes on a
laptop. A recipe trains the lecture's full-size version (for example the 20-D VAE on the 60,000
MNIST digits) for users with a GPU or time, and saves it in the model cache under a key made of
the recipe's name, the data, the model config and the source of the modules that build and train
it (:func:`lecturekit.checkpoint.cache_key`), in the ``trained/`` folder of the writable cache.
:func:`load_trained` finds it again there or in a shared cache folder (a class server's GPU-trained
models), so a notebook cell can show the full-size model when one has been trained and say how to
train it when not. Unlike :func:`lecturekit.checkpoint.cached`, the key leaves out the training
settings on purpose: the latest run of a recipe replaces the previous one, and its settings
(epochs, seed, device, seconds, test bound) are stored beside the weights.

Recipes:

- ``vae``: the 784-400-20 Bernoulli VAE of Kingma & Welling (2014), Adam, binarized digits;
  records the test ELBO and IWAE-50 bound in nats.
- ``vae-2d``: the same with a 2-D latent (the manifold figure).
- ``dcgan``: the DCGAN of notebook 10 (non-saturating loss).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .checkpoint import CheckpointError, cache_dir, cache_dirs, cache_key, load, save
from .data import data_root
from .lapgan import DCGAN
from .utils import (check_bool, check_choice, check_device, check_nonnegative_int, check_path, check_positive_int,
                    get_device, make_generator, seeded)
from .vae import VAE

__all__ = ["Recipe", "RECIPES", "DATASETS", "data_dir", "load_data", "fit_recipe", "trained_path", "load_trained",
           "describe"]

DATASETS = ("mnist", "mnist5k")


@dataclass(frozen=True)
class Recipe:
    """A model to train at full size: how to build it, its default epochs and how to train it."""

    name: str
    summary: str
    build: Callable[..., nn.Module]
    config: dict
    epochs: int
    fit: Callable[..., dict] = field(repr=False)

    def __post_init__(self):
        for name in ("name", "summary"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise TypeError(f"{name} must be a non-empty string, got {getattr(self, name)!r}")
        for name in ("build", "fit"):
            if not callable(getattr(self, name)):
                raise TypeError(f"{name} must be callable, got {type(getattr(self, name)).__name__}")
        if not isinstance(self.config, dict):
            raise TypeError(f"config must be a dict of build's keyword arguments, got {type(self.config).__name__}")
        check_positive_int("epochs", self.epochs)


def _fit_vae(model, x_train, x_test, *, epochs, seed, progress):
    from . import vae
    from .data import binarize

    device = x_train.device  # binarize with a seeded CPU generator, then move back
    x_train = binarize(x_train.cpu(), "sample", seed=seed).to(device)
    x_test = binarize(x_test.cpu(), "sample", seed=seed + 1).to(device)
    history = vae.fit_vae(model, x_train, num_epochs=epochs, batch_size=100, lr=1e-3,
                          generator=make_generator(seed), progress=progress, desc="VAE")
    stats = dict(history.info)
    gen = make_generator(seed)  # noise is drawn on the CPU, then moved (lecturekit.utils.randn)
    stats["test_elbo"] = round(vae.mean_bound(model, x_test, num_samples=10, generator=gen), 3)
    stats["test_iwae50"] = round(vae.mean_bound(model, x_test, k=50, generator=gen), 3)
    return stats


def _fit_dcgan(model, x_train, x_test, *, epochs, seed, progress):
    from . import lapgan

    batch_size = 64
    num_steps = max(1, round(epochs * x_train.shape[0] / batch_size))  # generator steps
    hist = lapgan.fit_dcgan(model, x_train, num_steps=num_steps, batch_size=batch_size,
                            generator=make_generator(seed), progress=progress)
    d, g = hist.series["d_loss"][-100:], hist.series["g_loss"][-100:]
    return {"seconds": hist.seconds, "steps": num_steps, "final_d_loss": round(sum(d) / len(d), 4),
            "final_g_loss": round(sum(g) / len(g), 4)}


RECIPES: dict[str, Recipe] = {r.name: r for r in (
    Recipe("vae", "784-400-20 Bernoulli VAE (Kingma & Welling, 2014); test ELBO and IWAE-50",
           VAE, {"latent_dim": 20, "hidden_dim": 400}, 100, _fit_vae),
    Recipe("vae-2d", "784-400-2 Bernoulli VAE: the 2-D latent manifold at full size",
           VAE, {"latent_dim": 2, "hidden_dim": 400}, 100, _fit_vae),
    Recipe("dcgan", "the DCGAN of notebook 10 (strided convolutions, batch norm)",
           DCGAN, {"latent_dim": 32, "channels": 48, "d_channels": 16}, 20, _fit_dcgan),
)}


def data_dir() -> Path:
    """Where full MNIST is looked for and downloaded: ``$LECTUREKIT_DATA/mnist`` (default
    ``~/lecturekit_data/mnist``, beside the Frey Face file of notebook 04)."""
    return data_root() / "mnist"


def load_data(name: str, *, root: str | os.PathLike | None = None, download: bool = False):
    """``(x_train, x_test)`` images (N, 1, 28, 28) in [0, 1] for ``name`` in :data:`DATASETS`.

    ``mnist`` is the full MNIST under ``root`` (default :func:`data_dir`), fetched and checked
    against its SHA-256 only when ``download`` is True; ``mnist5k`` is the offline 4,000 / 1,000 split.
    """
    from . import data

    check_choice("name", name, DATASETS)
    check_bool("download", download)
    root = check_path("root", root) if root is not None else data_dir()
    if name == "mnist5k":
        return data.mnist_5k("train")[0], data.mnist_5k("test")[0]
    return data.mnist(root, "train", download=download)[0], data.mnist(root, "test", download=download)[0]


def _recipe(name: str) -> Recipe:
    check_choice("name", name, tuple(RECIPES))
    return RECIPES[name]


def _trained_key(name: str, data: str) -> str:
    recipe = _recipe(name)
    check_choice("data", data, DATASETS)
    return cache_key(f"{name}-{data}", model=recipe.config, train={}, data={"name": data},
                     code=(recipe.build, recipe.fit))


def trained_path(name: str, data: str = "mnist") -> Path:
    """The file a full-scale ``name`` trained on ``data`` is saved to in the writable cache (it may not exist)."""
    return cache_dir() / "trained" / (_trained_key(name, data) + ".pt")


def fit_recipe(name: str, *, num_epochs: int | None = None, data: str = "mnist", device: str | torch.device | None = None,
          seed: int = 0, limit: int | None = None, root: str | os.PathLike | None = None, download: bool = False,
          progress: bool | None = None) -> tuple[nn.Module, dict, Path]:
    """Train recipe ``name`` and save it where :func:`load_trained` (and the notebooks) look.

    Args:
        num_epochs: passes over the training images (default: the recipe's).
        data: ``"mnist"`` (full, from ``root``) or ``"mnist5k"`` (offline).
        device: ``"cpu"``, ``"cuda"``, ...; default :func:`lecturekit.utils.get_device`. The model
            and the data both move there.
        limit: use only the first ``limit`` training images (smoke tests).

    Returns:
        ``(model, extras, path)``: the trained model in eval mode, what training recorded, and the
        checkpoint written.
    """
    from .train import check_num_steps, progress_disabled

    recipe = _recipe(name)
    epochs = recipe.epochs if num_epochs is None else check_num_steps("num_epochs", num_epochs)
    seed = check_nonnegative_int("seed", seed)
    check_choice("data", data, DATASETS)
    if limit is not None:
        limit = check_positive_int("limit", limit)
    progress_disabled(progress)
    if device is not None:
        try:
            device = get_device(str(check_device("device", device)))
        except ValueError as err:
            raise ValueError(f"device {str(device)!r} cannot be used: {err}") from None
    else:
        device = get_device()
    x_train, x_test = load_data(data, root=root, download=download)
    if limit is not None:
        x_train = x_train[:limit]
    x_train, x_test = x_train.to(device), x_test.to(device)
    start = time.perf_counter()
    with seeded(seed):
        model = recipe.build(**recipe.config).to(device)
        extras = recipe.fit(model, x_train, x_test, epochs=epochs, seed=seed, progress=progress)
    extras.update({"recipe": name, "data": data, "epochs": epochs, "device": str(device), "seed": seed,
                   "train_images": int(x_train.shape[0]), "wall_s": round(time.perf_counter() - start, 2)})
    extras = {k: v for k, v in extras.items() if _jsonable(v)}
    path = save(trained_path(name, data), model, recipe.config, extras)
    return model.eval(), extras, path


def _jsonable(v) -> bool:
    if isinstance(v, float):
        return math.isfinite(v)
    return isinstance(v, (int, str, bool, list, dict)) or v is None


def load_trained(name: str, *, data: str | None = None, device: str | torch.device | None = None):
    """The full-scale ``name`` saved by :func:`fit_recipe` (``lecturekit train``), or None if there is none.

    With ``data=None`` the full-MNIST model is preferred, then the ``mnist5k`` one. A checkpoint
    that no longer fits the current code is ignored (None), never half-loaded.

    Returns:
        ``(model, extras)`` with the model in eval mode on ``device`` (default: the CPU), or None.
    """
    recipe = _recipe(name)
    device = check_device("device", device if device is not None else "cpu")
    for d in (DATASETS if data is None else (check_choice("data", data, DATASETS),)):
        key = _trained_key(name, d)
        found = [f / "trained" / f"{key}.pt" for _, f in cache_dirs()]
        path = next((f for f in found if f.exists()), None)
        if path is None:
            continue
        try:
            state, _, extras = load(path)
            model = recipe.build(**recipe.config)
            model.load_state_dict(state)
        except (CheckpointError, RuntimeError):
            continue
        return model.to(device).eval(), extras
    return None


def describe(extras: dict) -> str:
    """One line on how a full-scale model was trained (and its test bounds), from its extras."""
    if not isinstance(extras, dict):
        raise TypeError(f"extras must be the dict that fit_recipe or load_trained returns, got {type(extras).__name__}")
    for key in ("train_images", "wall_s", "test_elbo", "test_iwae50"):
        value = extras.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"extras[{key!r}] must be a finite number, got {value!r}")
    line = (f"{extras.get('recipe', '?')} trained on {extras.get('train_images', 0):,} digits ({extras.get('data', '?')}) "
            f"for {extras.get('epochs', '?')} epochs on {extras.get('device', '?')} in {extras.get('wall_s', 0):.0f} s")
    bounds = [f"{label} {extras[key]:.1f} nats" for key, label in (("test_elbo", "test ELBO"), ("test_iwae50", "IWAE-50"))
              if key in extras]
    return line + (": " + ", ".join(bounds) if bounds else "")
