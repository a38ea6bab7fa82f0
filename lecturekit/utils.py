"""Seeding, random draws and device choice shared by every topic module.

Randomness has one convention (scikit-learn's ``check_random_state`` idea): a public function that
samples takes ``generator=None`` and draws through :func:`randn`, :func:`rand`, :func:`randint`,
:func:`randperm` or :func:`bernoulli`. With ``generator=None`` they use torch's global RNG on the
target device; with a generator they draw on the generator's own device (a CPU generator works for
CUDA tensors too) and move the result. Only :func:`seed`, :func:`seeded` and :func:`make_generator`
seed anything; the library never reseeds torch's global RNG behind the caller's back.

Errors follow one pattern: the argument's name, what was expected, and what arrived
("latent_dim must be a positive integer, got 0"). The argument checks live in
:mod:`lecturekit.checks` and are re-exported here, so ``lk.utils.check_tensor`` works.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from . import checks
from .checks import *  # noqa: F403  (re-exported: lk.utils.check_* is the public spelling)
from .checks import _is_int, check_device, check_dtype, check_nonnegative_int, check_positive_int, check_tensor

__all__ = ["one_thread", 
    "seed",
    "seeded",
    "make_generator",
    "check_generator",
    "randn",
    "rand",
    "randint",
    "randperm",
    "bernoulli",
    "get_device",
    *checks.__all__,
]

_DEVICE_ENV = "LECTUREKIT_DEVICE"


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped at its step limit before meeting its tolerance."""


def seed(s: int = 0) -> None:
    """Seed Python's ``random``, NumPy and torch (every device) with ``s``: for notebooks and scripts."""
    s = check_nonnegative_int("s", s)
    random.seed(s)
    np.random.seed(s % 2**32)
    torch.manual_seed(s)


def seeded(s: int) -> contextlib.AbstractContextManager[None]:
    """Run the block with torch's global RNG seeded to ``s``, then restore the state it had before.

    :func:`lecturekit.checkpoint.cached` builds and trains every model inside this block, so what
    a model's weights and dropout masks draw depends on its own config only, not on what ran first.
    A bad seed raises here, at the call, not when the block is entered.
    """
    return _seeded(check_nonnegative_int("seed", s))


@contextlib.contextmanager
def _seeded(s: int) -> Iterator[None]:
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(s)
        yield


def make_generator(s: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with ``s`` (the one way the library makes one)."""
    s = check_nonnegative_int("seed", s)
    return torch.Generator(device=check_device("device", device)).manual_seed(s)


def check_generator(generator: Any, name: str = "generator") -> torch.Generator | None:
    """Return ``generator`` if it is ``None`` or a ``torch.Generator``, else raise naming ``name``."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator or None, got {type(generator).__name__}")
    return generator


def _same_device(a: torch.device, b: torch.device) -> bool:
    if a.type != b.type:
        return False
    if a.type != "cuda":
        return True
    current = torch.cuda.current_device() if torch.cuda.is_available() else 0
    return (a.index if a.index is not None else current) == (b.index if b.index is not None else current)


def _draw(factory, args: tuple, *, generator, device, dtype, **kwargs) -> torch.Tensor:
    """``factory(*args)`` on ``device``: drawn on the generator's device, then moved if they differ."""
    check_generator(generator)
    target = check_device("device", device) if device is not None else (
        generator.device if generator is not None else torch.get_default_device())
    if generator is None:
        return factory(*args, device=target, dtype=dtype, **kwargs)
    if _same_device(generator.device, target):
        return factory(*args, generator=generator, device=target, dtype=dtype, **kwargs)
    return factory(*args, generator=generator, device=generator.device, dtype=dtype, **kwargs).to(target)


def _shape(shape) -> tuple[int, ...]:
    """``shape`` (an int or a sequence of ints >= 0) as a tuple, or a ValueError/TypeError naming it."""
    dims = (shape,) if _is_int(shape) else shape
    if isinstance(dims, torch.Size):
        dims = tuple(dims)
    if not isinstance(dims, (tuple, list)) or not all(_is_int(d) for d in dims):
        raise TypeError(f"shape must be an integer or a sequence of integers, got {shape!r}")
    if any(d < 0 for d in dims):
        raise ValueError(f"shape must hold sizes >= 0, got {tuple(dims)}")
    return tuple(int(d) for d in dims)


def _float_dtype(dtype) -> torch.dtype | None:
    return None if dtype is None else check_dtype("dtype", dtype, floating=True)


def randn(shape: int | Sequence[int], *, generator: torch.Generator | None = None,
          device: str | torch.device | None = None, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Standard normal draws of ``shape`` on ``device`` (see the module docstring for ``generator``)."""
    return _draw(torch.randn, _shape(shape), generator=generator, device=device, dtype=_float_dtype(dtype))


def rand(shape: int | Sequence[int], *, generator: torch.Generator | None = None,
         device: str | torch.device | None = None, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Uniform draws on [0, 1) of ``shape`` on ``device``."""
    return _draw(torch.rand, _shape(shape), generator=generator, device=device, dtype=_float_dtype(dtype))


def randint(high: int, shape: int | Sequence[int], *, generator: torch.Generator | None = None,
            device: str | torch.device | None = None) -> torch.Tensor:
    """Integers uniform on {0, ..., high - 1} of ``shape`` on ``device`` (int64)."""
    high = check_positive_int("high", high)
    return _draw(torch.randint, (high, _shape(shape)), generator=generator, device=device, dtype=torch.int64)


def randperm(n: int, *, generator: torch.Generator | None = None,
             device: str | torch.device | None = None) -> torch.Tensor:
    """A random permutation of 0..n-1 on ``device``."""
    n = check_nonnegative_int("n", n)
    return _draw(torch.randperm, (n,), generator=generator, device=device, dtype=torch.int64)


def bernoulli(p: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Bernoulli(p) draws, elementwise, as 0/1 in ``p``'s dtype and on ``p``'s device."""
    p = check_tensor("p", p, low=0.0, high=1.0, nonempty=False)
    if not p.is_floating_point():
        raise TypeError(f"p must be a floating-point tensor of probabilities, got dtype {p.dtype}")
    return (rand(p.shape, generator=generator, device=p.device, dtype=p.dtype) < p).to(p.dtype)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device(name: str | None = None) -> torch.device:
    """The device to compute on: CUDA if present, else Apple MPS, else the CPU.

    Args:
        name: ``"cuda"``, ``"cuda:1"``, ``"mps"`` or ``"cpu"``. When ``None``, the environment
            variable ``LECTUREKIT_DEVICE`` decides, and when that is unset too, the best device found.

    Raises:
        ValueError: the name is not a device torch knows, or that device is not available here.
    """
    source = "name"
    if name is None:
        name = os.environ.get(_DEVICE_ENV) or None
        source = _DEVICE_ENV
    if name is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if isinstance(name, torch.device):
        name = str(name)
    if not isinstance(name, str):
        raise TypeError(f"{source} must be a device name such as 'cpu' or 'cuda', got {name!r}")
    try:
        device = torch.device(name.strip().lower())
    except (RuntimeError, ValueError):
        raise ValueError(
            f"{source} must be one of 'cpu', 'cuda', 'cuda:N' or 'mps', got {name!r}"
        ) from None
    if device.type == "cpu":
        return device
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{source} asks for {name!r} but CUDA is not available on this machine")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(
                f"{source} asks for {name!r} but only {torch.cuda.device_count()} CUDA device(s) exist"
            )
        return device
    if device.type == "mps":
        if not _mps_available():
            raise ValueError(f"{source} asks for 'mps' but Apple MPS is not available on this machine")
        return device
    raise ValueError(f"{source} must be one of 'cpu', 'cuda', 'cuda:N' or 'mps', got {name!r}")


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block on one CPU thread, then restore the thread count it had (even on error).

    For trainings whose result a notebook checks. torch splits some ops across threads, and the
    order of a split reduction changes the float rounding, so a chaotic training (a GAN, a
    semi-supervised VAE) can end in a different model with 2 threads than with 1: one thread makes
    the result the same whatever ``OMP_NUM_THREADS`` a reader has. It also avoids a trap of busy
    machines: on two cores every op split across two threads waits for a descheduled thread (a
    planar-flow step took 20 to 50 times longer at a load of 12); the small networks of these
    notebooks are far below the size where threads pay off.
    """
    threads = torch.get_num_threads()
    if threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
