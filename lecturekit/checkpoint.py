"""Checkpoints and the model cache.

A checkpoint is two files: ``NAME.pt``, a plain ``state_dict`` saved by ``torch.save`` and read
back with ``weights_only=True`` (so a pickle that carries code is refused, never run), and
``NAME.json``, the configs that rebuild and retrain the model plus what training recorded.

:func:`cached` trains a model once and reloads it afterwards in well under a second. Like
nanoGPT's checkpoints, which keep ``model_args`` apart from the run's ``config``, its key hashes
three configs kept apart: the **model** config (what :func:`build` takes), the **train** config
(what ``fit`` takes: steps, learning rate, seed, ...) and the **data** identity (split,
binarization, ...), plus the lecturekit version and the source of the modules that build and
train the model. Changing any of them retrains.

Cache folders are searched in order: every folder in ``$LECTUREKIT_SHARED_CACHE`` (separated by
``os.pathsep``; read-only, e.g. a class server's pre-trained models from ``lecturekit cache warm``),
then the writable cache ``$LECTUREKIT_CACHE``, else ``$XDG_CACHE_HOME/lecturekit``, else
``~/.cache/lecturekit``. Last come the models shipped in the package (:data:`SHIPPED_DIR`:
the digit judge). A miss trains and saves into the writable cache; a folder that cannot be
written never raises (the model is returned, with a warning that it was not saved).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = ["CheckpointError", "cache_dir", "cache_dirs", "shared_cache_dirs", "find", "entries", "save", "load",
           "cached", "cache_key"]

_FORMAT = "lecturekit-checkpoint/1"


class CheckpointError(ValueError):
    """A file is not a valid lecturekit checkpoint (missing, truncated, foreign, or unsafe)."""


_SHARED_ENV = "LECTUREKIT_SHARED_CACHE"


def _check_name(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string (a file name without '/'), got {type(value).__name__}")
    if not value.strip() or "/" in value or "\\" in value or value in (".", ".."):
        raise ValueError(f"{name} must be a non-empty file name without '/', got {value!r}")
    return value


def cache_dir(*, create: bool = True) -> Path:
    """The writable model cache (created on first use when it can be)."""
    from .utils import check_bool

    create = check_bool("create", create)
    env = os.environ.get("LECTUREKIT_CACHE")
    if env:
        root = Path(env).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        root = Path(base) / "lecturekit"
    if create:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            warnings.warn(f"the model cache {root} cannot be created ({err.strerror}); trained models "
                          "will not be saved", stacklevel=2)
    return root


def shared_cache_dirs() -> list[Path]:
    """The read-only shared cache folders of ``$LECTUREKIT_SHARED_CACHE``, in order (missing ones skipped)."""
    raw = os.environ.get(_SHARED_ENV, "")
    return [Path(part).expanduser() for part in raw.split(os.pathsep) if part.strip()]


#: Read-only models that ship inside the package, searched last: only the digit judge
#: (:mod:`lecturekit.judge`), a measuring instrument rather than a model a notebook teaches, so that
#: a cold notebook does not spend minutes training it. Its key carries judge.py's source like any
#: other entry; ``tests/test_judge.py`` fails when the shipped copy no longer matches that key.
SHIPPED_DIR = Path(__file__).resolve().parent / "models"


def cache_dirs() -> list[tuple[str, Path]]:
    """Every cache folder in search order, as ``(kind, path)`` with kind ``"shared"``, ``"user"``
    or ``"shipped"`` (:data:`SHIPPED_DIR`)."""
    return ([("shared", d) for d in shared_cache_dirs()] + [("user", cache_dir(create=False))]
            + [("shipped", SHIPPED_DIR)])


def find(key: str) -> Path | None:
    """The first checkpoint ``KEY.pt`` (with its .json) in the cache folders, or ``None``."""
    _check_name("key", key)
    for _, folder in cache_dirs():
        path = folder / f"{key}.pt"
        if path.is_file() and path.with_suffix(".json").is_file():
            return path
    return None


def entries() -> list[dict]:
    """Every checkpoint in the cache folders: ``name``, ``key``, ``kind`` (shared/user), ``path``, ``mb``.

    A key present in several folders is listed once, from the folder :func:`find` would use.
    """
    seen, out = set(), []
    for kind, folder in cache_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.pt")):
            if path.stem in seen or not path.with_suffix(".json").is_file():
                continue
            seen.add(path.stem)
            out.append({"name": path.stem.rsplit("-", 1)[0], "key": path.stem, "kind": kind, "path": path,
                        "mb": path.stat().st_size / 2**20})
    return out


def _atomic_write(path: Path, write: Callable[[Any], None], mode: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as f:
            write(f)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save(path: str | os.PathLike, model: nn.Module, config: dict, extras: dict | None = None) -> Path:
    """Write ``model.state_dict()`` to ``path`` (.pt) and ``config`` plus ``extras`` to its .json."""
    from .utils import check_path

    path = check_path("path", path).with_suffix(".pt")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    _check_config("config", config)
    _check_config("extras", extras, optional=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        meta = json.dumps({"format": _FORMAT, "config": config, "extras": extras or {}}, indent=1)
    except TypeError as err:
        raise TypeError(f"config and extras must be JSON-serializable: {err}") from None
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    _atomic_write(path, lambda f: torch.save(state, f), "wb")
    _atomic_write(path.with_suffix(".json"), lambda f: f.write(meta), "w")
    return path


def load(path: str | os.PathLike, *, map_location: str | torch.device = "cpu") -> tuple[dict, dict, dict]:
    """Read a checkpoint written by :func:`save`: returns ``(state_dict, config, extras)``.

    The weights are read with ``torch.load(..., weights_only=True)``: only tensors and plain
    containers are accepted, so a file that carries code is refused without running it.

    Raises:
        CheckpointError: the file is missing, truncated, not a checkpoint, or unsafe; the message
            names the path.
    """
    from .utils import check_device, check_path

    path = check_path("path", path).with_suffix(".pt")
    map_location = check_device("map_location", map_location)
    if map_location.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"map_location is {str(map_location)!r} but CUDA is not available here; use 'cpu'")
    meta_path = path.with_suffix(".json")
    if not path.exists() or not meta_path.exists():
        raise CheckpointError(f"no checkpoint at {path} (expected {path.name} and {meta_path.name})")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{meta_path} is not a valid checkpoint config: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise CheckpointError(f"{meta_path} is not a lecturekit checkpoint config")
    if not isinstance(meta.get("config"), dict):
        raise CheckpointError(f"{meta_path} has no \"config\" entry: it was not written by lecturekit.checkpoint.save")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # truncated zips, unpickling refusals and foreign formats alike
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{path} is not a valid checkpoint and was not loaded: {first}") from None
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise CheckpointError(f"{path} does not hold a state_dict of named tensors")
    return state, meta["config"], meta.get("extras", {})


def _source_hash(*fns: Callable) -> str:
    h = hashlib.sha256()
    for fn in fns:
        module = inspect.getmodule(fn)
        try:
            source = inspect.getsource(module) if module is not None and module.__name__ != "__main__" else inspect.getsource(fn)
        except (OSError, TypeError):
            source = getattr(fn, "__qualname__", repr(fn))
        h.update(source.encode())
    return h.hexdigest()


def _check_config(name: str, value: Any, *, optional: bool = False) -> dict:
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict (a JSON-serializable config), got {type(value).__name__}")
    try:
        json.dumps(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be JSON-serializable: {err}") from None
    return value


def cache_key(name: str, *, model: dict, train: dict, data: dict | None = None,
              code: tuple[Callable, ...] = ()) -> str:
    """The cache file's stem: ``name`` plus a hash of the three configs, the version and the code."""
    from . import __version__

    _check_name("name", name)
    _check_config("model", model)
    _check_config("train", train)
    _check_config("data", data, optional=True)
    if not isinstance(code, (tuple, list)) or not all(callable(c) for c in code):
        raise TypeError(f"code must be a tuple of the functions whose modules' source keys the cache, got {code!r}")

    payload = json.dumps({"model": model, "train": train, "data": data or {}, "version": __version__,
                          "code": _source_hash(*code)}, sort_keys=True)
    return f"{name}-{hashlib.sha256(payload.encode()).hexdigest()[:16]}"


def cached(name: str, *, build: Callable[..., nn.Module], model: dict, fit: Callable[..., Any], train: dict,
           data: dict | None = None, device: torch.device | str | None = None,
           retrain: bool = False) -> tuple[nn.Module, History]:
    """A trained model: loaded from a cache folder when it is there, else built, trained and saved.

    ``build(**model)`` makes the untrained model, then ``fit(model, generator=g, **train)`` (with
    ``seed`` taken out of ``train``) trains it in place and returns a :class:`~lecturekit.train.History`.
    Both run with torch's global RNG forked and seeded from ``train["seed"]`` (default 0), and ``g``
    is a CPU generator seeded the same way, so the result depends on the configs alone: not on what
    was trained or sampled before, in this process or in another.

    Args:
        name: a short name for the cache file (``"vae-2d"``).
        build: makes the model from ``model``; the source of its module is part of the key.
        model: JSON-serializable keyword arguments of ``build``.
        fit: trains the model; the source of its module is part of the key. What it records in
            the History (losses, test scores in ``info``) is saved with the weights and returned on
            a cache hit, so figures drawn from it are never stale.
        train: JSON-serializable keyword arguments of ``fit`` (plus ``seed``).
        data: what identifies the training data (name, split, binarization, size); only keys the cache.
        device: where the model lives (default: the CPU).
        retrain: ignore a cached copy.

    Returns:
        ``(model, history)`` with the model in eval mode.
    """
    from .train import History
    from .utils import check_bool, check_device, check_nonnegative_int, make_generator, seeded

    _check_name("name", name)
    for arg, fn in (("build", build), ("fit", fit)):
        if not callable(fn):
            raise TypeError(f"{arg} must be callable, got {type(fn).__name__}")
    model_cfg = _check_config("model", model)
    train_cfg = _check_config("train", train)
    data_cfg = _check_config("data", data, optional=True)
    seed = check_nonnegative_int("seed", train_cfg.get("seed", 0))
    fit_kwargs = {k: v for k, v in train_cfg.items() if k != "seed"}
    device = check_device("device", device if device is not None else "cpu")
    retrain = check_bool("retrain", retrain)
    key = cache_key(name, model=model_cfg, train=train_cfg, data=data_cfg, code=(build, fit))
    with seeded(seed):
        module = build(**model_cfg)
    if not isinstance(module, nn.Module):
        raise TypeError(f"build must return a torch.nn.Module, got {type(module).__name__}")
    path = None if retrain else find(key)
    if path is not None:
        try:
            state, _, extras = load(path)
            module.load_state_dict(state)
            return module.to(device).eval(), History.from_dict(extras)
        except (CheckpointError, RuntimeError, TypeError) as err:
            warnings.warn(f"ignoring the cached model {path}: {err}; training it again", stacklevel=2)
    module = module.to(device)
    with seeded(seed):
        history = fit(module, generator=make_generator(seed), **fit_kwargs)
    if not isinstance(history, History):
        raise TypeError(f"fit must return a lecturekit.train.History, got {type(history).__name__}")
    target = cache_dir() / f"{key}.pt"
    try:
        save(target, module, {"name": name, "model": model_cfg, "train": train_cfg, "data": data_cfg},
             history.to_dict())
    except OSError as err:
        warnings.warn(f"the trained model {name!r} was not saved to {target.parent} ({err.strerror or err}); "
                      "it is in memory for this session only", stacklevel=2)
    return module.eval(), history
