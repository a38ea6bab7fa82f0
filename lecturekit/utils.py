"""Seeding, random draws, device choice and argument checks shared by every topic module.

Randomness has one convention (scikit-learn's ``check_random_state`` idea): a public function that
samples takes ``generator=None`` and draws through :func:`randn`, :func:`rand`, :func:`randint`,
:func:`randperm` or :func:`bernoulli`. With ``generator=None`` they use torch's global RNG on the
target device; with a generator they draw on the generator's own device (a CPU generator works for
CUDA tensors too) and move the result. Only :func:`seed`, :func:`seeded` and :func:`make_generator`
seed anything; the library never reseeds torch's global RNG behind the caller's back.

Errors follow one pattern: the argument's name, what was expected, and what arrived
("latent_dim must be a positive integer, got 0").
"""

from __future__ import annotations

import contextlib
import math
import os
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch

__all__ = [
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
    "check_positive_int",
    "check_nonnegative_int",
    "check_int",
    "check_positive_float",
    "check_nonnegative_float",
    "check_float",
    "check_probability",
    "check_choice",
    "check_bool",
    "check_device",
    "check_dtype",
    "check_path",
    "as_tensor_2d",
    "as_float_tensor",
    "check_images",
    "check_tensor",
    "model_dtype",
    "model_device",
]

_DEVICE_ENV = "LECTUREKIT_DEVICE"


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


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise naming ``name``."""
    if not _is_int(value):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_nonnegative_int(name: str, value: Any) -> int:
    """Return ``value`` as an int if it is an integer >= 0, else raise naming ``name``."""
    if not _is_int(value):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def check_positive_float(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if it is finite and > 0 (or >= 0), else raise naming ``name``."""
    what = "a non-negative number" if allow_zero else "a positive number"
    if not isinstance(value, Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be {what}, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return value


def check_probability(name: str, value: Any, *, open_interval: bool = True) -> float:
    """Return ``value`` as a float in (0, 1) (or [0, 1]), else raise naming ``name``."""
    interval = "(0, 1)" if open_interval else "[0, 1]"
    if not isinstance(value, Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number in {interval}, got {value!r}")
    value = float(value)
    inside = 0 < value < 1 if open_interval else 0 <= value <= 1
    if not inside:
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return value


def check_choice(name: str, value: Any, choices) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise naming ``name`` and the choices."""
    try:
        # bool is an int: False == 0, so 0 would pass for a choice of False without the type test
        found = any(value is c or (bool(value == c) and isinstance(value, bool) == isinstance(c, bool))
                    for c in choices)
    except (TypeError, ValueError, RuntimeError):  # an array or tensor compares elementwise
        found = False
    if not found:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer in [low, high], else raise naming ``name``."""
    rng = f"in [{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
    if not _is_int(value):
        raise TypeError(f"{name} must be an integer {rng}, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer {rng}, got {value!r}")
    return int(value)


def check_float(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                open_low: bool = False, open_high: bool = False) -> float:
    """Return ``value`` as a finite float in the given range, else raise naming ``name``.

    The range is [low, high] (``open_low``/``open_high`` make either end open); ``None`` leaves an
    end unbounded.
    """
    lo = "-inf" if low is None else f"{'(' if open_low else '['}{low:g}"
    hi = "inf" if high is None else f"{high:g}{')' if open_high else ']'}"
    what = "a finite number" + ("" if low is None and high is None else
                               f" in {lo if low is not None else '(-inf'}, {hi if high is not None else 'inf)'}")
    if not isinstance(value, Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be {what}, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    if low is not None and (v < low or (open_low and v == low)):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    if high is not None and (v > high or (open_high and v == high)):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return v


def check_bool(name: str, value: Any, *, allow_none: bool = False) -> bool | None:
    """Return ``value`` if it is True or False (or None when allowed), else raise naming ``name``."""
    if value is None and allow_none:
        return None
    if not isinstance(value, (bool, np.bool_)):
        extra = " or None" if allow_none else ""
        raise TypeError(f"{name} must be True or False{extra}, got {value!r}")
    return bool(value)


def check_device(name: str, device: Any) -> torch.device:
    """``device`` (a ``torch.device`` or a name such as ``"cpu"``, ``"cuda:0"``) as a ``torch.device``."""
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"{name} must be a device such as 'cpu' or 'cuda', got {device!r}")
    try:
        return torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(f"{name} must be a device such as 'cpu', 'cuda', 'cuda:1' or 'mps', got {device!r}") from None


def check_path(name: str, value: Any) -> Path:
    """``value`` (a non-empty ``str`` or ``os.PathLike``) as a ``Path`` with ``~`` expanded."""
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file or folder path (str or pathlib.Path), got {type(value).__name__}")
    if not str(os.fspath(value)).strip():
        raise ValueError(f"{name} must be a non-empty path, got {value!r}")
    return Path(value).expanduser()


def check_dtype(name: str, dtype: Any, *, floating: bool = False) -> torch.dtype:
    """``dtype`` if it is a ``torch.dtype`` (a floating one when ``floating``), else raise naming ``name``."""
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"{name} must be a torch.dtype such as torch.float32, got {dtype!r}")
    if floating and not dtype.is_floating_point:
        raise TypeError(f"{name} must be a floating-point dtype such as torch.float32, got {dtype}")
    return dtype


def as_tensor_2d(name: str, x: Any, *, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Check that ``x`` is a finite (N, D) array or tensor with N >= 1 and return it as a tensor.

    NumPy arrays and nested lists become tensors (float64 unless ``dtype`` says otherwise);
    tensors keep their device.
    """
    if isinstance(x, torch.Tensor):
        if x.dtype == torch.bool or x.is_complex():
            raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
        t = x if dtype is None else x.to(dtype)
    elif isinstance(x, (np.ndarray, list, tuple)):
        try:
            arr = np.asarray(x)
            if arr.dtype.kind not in "biuf" or arr.dtype.kind == "b":
                raise TypeError
            t = torch.as_tensor(arr.astype(np.float64), dtype=dtype or torch.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a numeric (N, D) array, got {type(x).__name__} that is not") from None
    else:
        raise TypeError(f"{name} must be a (N, D) array or tensor, got {type(x).__name__}")
    if t.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (N, D), got shape {tuple(t.shape)}")
    if t.shape[0] < 1 or t.shape[1] < 1:
        raise ValueError(f"{name} must have at least one row and one column, got shape {tuple(t.shape)}")
    if not t.is_floating_point():
        t = t.to(torch.get_default_dtype() if dtype is None else dtype)
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} must hold finite values only, but it contains NaN or inf")
    return t


def as_float_tensor(name: str, value: Any, *, dtype: torch.dtype = torch.float64, ndim: int | None = None,
                    finite: bool = True, nonempty: bool = True) -> torch.Tensor:
    """``value`` (a number, a nested list, an array or a tensor of real numbers) as a ``dtype`` tensor.

    Strings, ``None``, booleans and complex numbers raise a TypeError naming ``name``; a wrong number
    of axes, an empty value or NaN/infinity (when ``finite``) a ValueError. Tensors keep their device.
    """
    if isinstance(value, torch.Tensor):
        if value.dtype == torch.bool or value.is_complex():
            raise TypeError(f"{name} must hold real numbers, got dtype {value.dtype}")
        if value.device.type == "meta":
            raise ValueError(f"{name} is on the meta device, which holds no values")
        t = value.to(dtype)
    else:
        if isinstance(value, (str, bytes, bool, dict, set)) or value is None:
            raise TypeError(f"{name} must be a number, a list of numbers or a tensor, got {value!r}")
        try:
            arr = np.asarray(value)
            if arr.dtype.kind not in "iuf":
                raise TypeError
            t = torch.as_tensor(arr.astype(np.float64), dtype=dtype)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a number, a list of numbers or a tensor, "
                            f"got {type(value).__name__} that is not") from None
    if ndim is not None and t.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} axes, got shape {tuple(t.shape)}")
    if nonempty and t.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(t.shape)}")
    if finite and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} must hold finite values, but it contains NaN or infinity")
    return t


def check_images(name: str, x: Any, *, size: tuple[int, int] | None = None) -> torch.Tensor:
    """Check that ``x`` is a float tensor of images shaped (N, 1, H, W), optionally of a given size."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, 1, H, W), got {type(x).__name__}")
    if x.device.type == "meta":
        raise ValueError(f"{name} is on the meta device, which holds no values")
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"{name} must have shape (N, 1, H, W), got {tuple(x.shape)}")
    if size is not None and tuple(x.shape[-2:]) != tuple(size):
        raise ValueError(f"{name} must hold {size[0]}x{size[1]} images, got {tuple(x.shape[-2:])}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one image, got shape {tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must hold finite values, but it contains NaN or infinity")
    return x


def check_nonnegative_float(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is finite and >= 0, else raise naming ``name``."""
    return check_positive_float(name, value, allow_zero=True)


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped at its step limit before meeting its tolerance."""


def _check_module(name: str, model: Any) -> torch.nn.Module:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(model).__name__}")
    return model


def model_dtype(model: torch.nn.Module) -> torch.dtype:
    """The floating-point dtype of a model's first floating parameter (float32 if it has none)."""
    for p in _check_module("model", model).parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()


def model_device(model: torch.nn.Module) -> torch.device | None:
    """The device of a model's first parameter or buffer (``None`` if it has neither)."""
    for t in _check_module("model", model).parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return None


def check_tensor(name: str, x: Any, *, ndim: int | None = None, shape: Sequence[int | None] | None = None,
                 dtype: torch.dtype | None = None, model: torch.nn.Module | None = None, finite: bool = True,
                 low: float | None = None, high: float | None = None, nonempty: bool = True,
                 hint: str = "", device: torch.device | str | None = None) -> torch.Tensor:
    """Check a tensor argument at a public entry point and return it unchanged; raise naming ``name``.

    Args:
        ndim, shape: the expected number of axes, or the shape (``None`` entries match any size).
        dtype: the expected floating dtype; or ``model``: the dtype of that model's parameters. A
            mismatch says what to call ("x is float64 but the model is float32; call model.double()
            or x.float()"): NumPy arrays are float64 by default, so this is the common case.
        finite: refuse NaN and infinity.
        low, high: the closed range the values must lie in (e.g. pixels in [0, 1]); ``hint`` is
            added to that error (e.g. "divide 0-255 pixels by 255").
        nonempty: refuse a tensor with no elements.
        device: the device ``x`` must be on (default: the model's, when ``model`` is given); a
            mismatch says which ``.to(...)`` to call.
    """
    if not isinstance(x, torch.Tensor):
        kind = type(x).__name__
        extra = "; convert it with torch.as_tensor(x, dtype=torch.float32)" if kind in ("ndarray", "list", "tuple") else ""
        raise TypeError(f"{name} must be a torch.Tensor, got {kind}{extra}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} axes, got shape {tuple(x.shape)}")
    if shape is not None:
        if x.ndim != len(shape) or any(s is not None and s != d for s, d in zip(shape, x.shape)):
            want = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {tuple(x.shape)}")
    if nonempty and x.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    want_device = torch.device(device) if device is not None else (model_device(model) if model is not None else None)
    if want_device is None and x.device.type == "meta":
        raise ValueError(f"{name} is on the meta device, which holds no values; call {name}.to('cpu') on real data")
    if want_device is not None and x.device.type != want_device.type:
        whose = "the model is" if model is not None else "expected"
        raise ValueError(f"{name} is on {x.device} but {whose} on {want_device}; "
                         f"call {name}.to({str(want_device)!r}) (or move the model)")
    want = model_dtype(model) if model is not None else dtype
    if want is not None and x.dtype != want:
        if x.is_floating_point() or x.dtype in (torch.int64, torch.int32, torch.uint8, torch.bool):
            whose = "the model is" if model is not None else "expected"
            fix = "call model.double() or x.float()" if want == torch.float32 else f"call x.to({want})"
            raise TypeError(f"{name} is {str(x.dtype).replace('torch.', '')} but {whose} "
                            f"{str(want).replace('torch.', '')}; {fix.replace('x.', name + '.')}")
    if x.is_floating_point() and x.numel():
        if finite and not bool(torch.isfinite(x).all()):
            raise ValueError(f"{name} must hold finite values, but it contains NaN or infinity")
        if low is not None or high is not None:
            lo, hi = float(x.detach().min()), float(x.detach().max())
            if (low is not None and lo < low) or (high is not None and hi > high):
                rng = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
                raise ValueError(f"{name} must hold values in {rng}, got values in [{lo:.4g}, {hi:.4g}]"
                                 + (f"; {hint}" if hint else ""))
    return x
