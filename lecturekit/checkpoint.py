"""Checkpoints and the model cache.

A checkpoint is two files: ``NAME.pt``, a plain ``state_dict`` saved by ``torch.save`` and read
back with ``weights_only=True`` (so a pickle that carries code is refused, never run), and
``NAME.json``, the config that rebuilds the model plus what training recorded.

:func:`cached` trains a model once and reloads it afterwards in well under a second. Its key
is a hash of the config, the lecturekit version and the source of the module that builds the
model, so changing either retrains. The cache lives in ``$LECTUREKIT_CACHE``, else
``$XDG_CACHE_HOME/lecturekit``, else ``~/.cache/lecturekit``.
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

__all__ = ["CheckpointError", "cache_dir", "save", "load", "cached", "cache_key"]

_FORMAT = "lecturekit-checkpoint/1"


class CheckpointError(ValueError):
    """A file is not a valid lecturekit checkpoint (missing, truncated, foreign, or unsafe)."""


def cache_dir() -> Path:
    """Where trained models are cached (created on first use)."""
    env = os.environ.get("LECTUREKIT_CACHE")
    if env:
        root = Path(env).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        root = Path(base) / "lecturekit"
    root.mkdir(parents=True, exist_ok=True)
    return root


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
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    path = Path(path).with_suffix(".pt")
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
    path = Path(path).with_suffix(".pt")
    meta_path = path.with_suffix(".json")
    if not path.exists() or not meta_path.exists():
        raise CheckpointError(f"no checkpoint at {path} (expected {path.name} and {meta_path.name})")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{meta_path} is not a valid checkpoint config: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise CheckpointError(f"{meta_path} is not a lecturekit checkpoint config")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # truncated zips, unpickling refusals and foreign formats alike
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{path} is not a valid checkpoint and was not loaded: {first}") from None
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise CheckpointError(f"{path} does not hold a state_dict of named tensors")
    return state, meta["config"], meta.get("extras", {})


def _source_hash(fn: Callable) -> str:
    module = inspect.getmodule(fn)
    try:
        source = inspect.getsource(module) if module is not None else ""
    except (OSError, TypeError):
        source = getattr(fn, "__qualname__", repr(fn))
    return hashlib.sha256(source.encode()).hexdigest()


def cache_key(name: str, config: dict, build: Callable) -> str:
    """The cache file's stem: ``name`` plus a hash of config, version and the builder's source."""
    from . import __version__

    payload = json.dumps({"config": config, "version": __version__, "code": _source_hash(build)}, sort_keys=True)
    return f"{name}-{hashlib.sha256(payload.encode()).hexdigest()[:16]}"


def cached(name: str, config: dict, build: Callable[..., nn.Module], train: Callable[[nn.Module], dict | None],
           *, device: torch.device | str | None = None, retrain: bool = False) -> tuple[nn.Module, dict]:
    """A trained model: loaded from the cache when it is there, else built, trained and saved.

    Args:
        name: a short name for the cache file (``"vae-2d"``).
        config: JSON-serializable keyword arguments; ``build(**config)`` makes the untrained model.
        build: makes the model from the config. The source of its module is part of the key.
        train: trains the model in place; whatever JSON-serializable dict it returns (a loss
            history, a test score) is saved with the weights and returned again on a cache hit,
            so figures drawn from it are never stale.
        device: where the model lives (default: the CPU).
        retrain: ignore a cached copy.

    Returns:
        ``(model, extras)`` with the model in eval mode.
    """
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict of keyword arguments, got {type(config).__name__}")
    device = torch.device(device or "cpu")
    path = cache_dir() / (cache_key(name, config, build) + ".pt")
    model = build(**config)
    if path.exists() and not retrain:
        try:
            state, _, extras = load(path)
            model.load_state_dict(state)
            return model.to(device).eval(), extras
        except (CheckpointError, RuntimeError) as err:
            warnings.warn(f"ignoring the cached model {path}: {err}; training it again", stacklevel=2)
    model = model.to(device)
    extras = train(model) or {}
    save(path, model, config, extras)
    return model.eval(), extras
