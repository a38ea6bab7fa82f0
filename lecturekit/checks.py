"""Argument checks for public entry points: integers, floats, probabilities, choices, devices,
dtypes, paths and tensors (shape, dtype, device, finite values, ranges).

Every check follows one pattern: the argument's name, what was expected, and what arrived
("latent_dim must be a positive integer, got 0"), raised as ``TypeError`` for the wrong kind of
value and ``ValueError`` for the right kind out of range. A float64 tensor given to a float32 model
says what to call ("x is float64 but the model is float32; call model.double() or x.float()").

These names are re-exported by :mod:`lecturekit.utils` (``lk.utils.check_tensor`` works), which
keeps seeding, random draws and device choice.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = [
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


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


# -- the validators' own arguments: a mistake in the call to a check is reported as such, not as a
# -- confusing message about the argument it checks (or, worse, no message at all)

def _own_name(fn: str, name: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{fn}: name must be the checked argument's name as a str, got {name!r}")
    if not name.strip():
        raise ValueError(f"{fn}: name must be the checked argument's name, got the empty string {name!r}")


def _own_bool(fn: str, arg: str, value: Any) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fn}: {arg} must be True or False, got {value!r}")


def _own_bound(fn: str, arg: str, value: Any, *, integer: bool = False) -> None:
    """``low``/``high`` of a range check: ``None`` or a number (an integer for integer checks), not NaN."""
    if value is None:
        return
    if integer and not _is_int(value):
        raise TypeError(f"{fn}: {arg} must be an integer or None, got {value!r}")
    if not isinstance(value, Real) or isinstance(value, bool):
        raise TypeError(f"{fn}: {arg} must be a number or None, got {value!r}")
    if math.isnan(value):
        raise ValueError(f"{fn}: {arg} must be a number or None, got {value!r}")


def _own_range(fn: str, low: Any, high: Any, *, integer: bool = False) -> None:
    _own_bound(fn, "low", low, integer=integer)
    _own_bound(fn, "high", high, integer=integer)
    if low is not None and high is not None and low > high:
        raise ValueError(f"{fn}: low must not exceed high, got low={low!r} and high={high!r}")


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise naming ``name``."""
    _own_name("check_positive_int", name)
    if not _is_int(value):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_nonnegative_int(name: str, value: Any) -> int:
    """Return ``value`` as an int if it is an integer >= 0, else raise naming ``name``."""
    _own_name("check_nonnegative_int", name)
    if not _is_int(value):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def check_positive_float(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if it is finite and > 0 (or >= 0), else raise naming ``name``."""
    _own_name("check_positive_float", name)
    _own_bool("check_positive_float", "allow_zero", allow_zero)
    what = "a non-negative number" if allow_zero else "a positive number"
    if not isinstance(value, Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be {what}, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return value


def check_probability(name: str, value: Any, *, open_interval: bool = True) -> float:
    """Return ``value`` as a float in (0, 1) (or [0, 1]), else raise naming ``name``."""
    _own_name("check_probability", name)
    _own_bool("check_probability", "open_interval", open_interval)
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
    _own_name("check_choice", name)
    if isinstance(choices, (str, bytes)) or not isinstance(choices, Iterable):
        raise TypeError(f"check_choice: choices must be a tuple or list of the allowed values, got {choices!r}")
    choices = tuple(choices)
    if not choices:
        raise ValueError("check_choice: choices must hold at least one allowed value, got none")
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
    _own_name("check_int", name)
    _own_range("check_int", low, high, integer=True)
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
    _own_name("check_float", name)
    _own_range("check_float", low, high)
    _own_bool("check_float", "open_low", open_low)
    _own_bool("check_float", "open_high", open_high)
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
    _own_name("check_bool", name)
    _own_bool("check_bool", "allow_none", allow_none)
    if value is None and allow_none:
        return None
    if not isinstance(value, (bool, np.bool_)):
        extra = " or None" if allow_none else ""
        raise TypeError(f"{name} must be True or False{extra}, got {value!r}")
    return bool(value)


def check_device(name: str, device: Any) -> torch.device:
    """``device`` (a ``torch.device`` or a name such as ``"cpu"``, ``"cuda:0"``) as a ``torch.device``."""
    _own_name("check_device", name)
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"{name} must be a device such as 'cpu' or 'cuda', got {device!r}")
    try:
        return torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(f"{name} must be a device such as 'cpu', 'cuda', 'cuda:1' or 'mps', got {device!r}") from None


_PATH_KINDS = (None, "file", "dir", "new_file", "new_dir")


def check_path(name: str, value: Any, *, kind: str | None = None, suffixes: Sequence[str] = ()) -> Path:
    """``value`` (a non-empty ``str`` or ``os.PathLike``) as a ``Path`` with ``~`` expanded.

    ``kind``: ``"file"`` or ``"dir"`` must exist as one (FileNotFoundError if missing,
    IsADirectoryError / NotADirectoryError if the other kind); ``"new_file"`` or ``"new_dir"`` is a
    path to write or create: missing or of that kind, with no file in place of a folder above it.
    ``suffixes`` (``(".ipynb",)``) are the endings a file may have (ValueError otherwise).
    """
    _own_name("check_path", name)
    if kind not in _PATH_KINDS:
        raise ValueError(f"check_path: kind must be one of {_PATH_KINDS}, got {kind!r}")
    if isinstance(suffixes, str) or not all(isinstance(s, str) and s.startswith(".") for s in suffixes):
        raise TypeError(f"check_path: suffixes must be a tuple of endings such as ('.ipynb',), got {suffixes!r}")
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file or folder path (str or pathlib.Path), got {type(value).__name__}")
    if not str(os.fspath(value)).strip():
        raise ValueError(f"{name} must be a non-empty path, got {value!r}")
    path = Path(value).expanduser()
    if suffixes and path.suffix not in suffixes:
        raise ValueError(f"{name} must be a {' or '.join(suffixes)} file, got {str(path)!r}")
    if kind in ("file", "dir") and not path.exists():
        raise FileNotFoundError(f"{name} must be a {'file' if kind == 'file' else 'folder'} that exists, "
                                f"got {str(path)!r}")
    if kind in ("file", "new_file") and path.is_dir():
        raise IsADirectoryError(f"{name} must be a file, but {str(path)!r} is a folder")
    if kind in ("dir", "new_dir") and path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{name} must be a folder, but {str(path)!r} is a file")
    if kind in ("new_file", "new_dir"):
        parent = next((q for q in path.parents if q.exists()), None)
        if parent is not None and not parent.is_dir():
            raise NotADirectoryError(f"{name} {str(path)!r} cannot be made: {str(parent)!r} is a file")
    return path


def check_dtype(name: str, dtype: Any, *, floating: bool = False) -> torch.dtype:
    """``dtype`` if it is a ``torch.dtype`` (a floating one when ``floating``), else raise naming ``name``."""
    _own_name("check_dtype", name)
    _own_bool("check_dtype", "floating", floating)
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
    _own_name("as_tensor_2d", name)
    if dtype is not None:
        check_dtype("as_tensor_2d: dtype", dtype, floating=True)
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
    _own_name("as_float_tensor", name)
    check_dtype("as_float_tensor: dtype", dtype, floating=True)
    if ndim is not None:
        check_nonnegative_int("as_float_tensor: ndim", ndim)
    _own_bool("as_float_tensor", "finite", finite)
    _own_bool("as_float_tensor", "nonempty", nonempty)
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
    _own_name("check_images", name)
    if size is not None:
        what = f"check_images: size must be None or (height, width), two positive integers, got {size!r}"
        if isinstance(size, (str, bytes)) or not isinstance(size, Sequence) or not all(_is_int(s) for s in size):
            raise TypeError(what)
        if len(size) != 2 or not all(s > 0 for s in size):
            raise ValueError(what)
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
    _own_name("check_nonnegative_float", name)
    return check_positive_float(name, value, allow_zero=True)


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


def _check_tensor_spec(name, ndim, shape, dtype, model, finite, low, high, nonempty, hint, device) -> None:
    """check_tensor's own arguments (everything but ``x``)."""
    fn = "check_tensor"
    _own_name(fn, name)
    if ndim is not None:
        check_nonnegative_int(f"{fn}: ndim", ndim)
    if shape is not None:
        if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
            raise TypeError(f"{fn}: shape must be a tuple of sizes (int, or None for any size), got {shape!r}")
        for s in shape:
            if s is not None and not _is_int(s):
                raise TypeError(f"{fn}: shape must be a tuple of sizes (int, or None for any size), got {shape!r}")
            if s is not None and s < 0:
                raise ValueError(f"{fn}: shape must hold sizes >= 0 (or None), got {shape!r}")
        if ndim is not None and ndim != len(shape):
            raise ValueError(f"{fn}: shape {tuple(shape)!r} has {len(shape)} axes but ndim is {ndim}")
    if dtype is not None:
        check_dtype(f"{fn}: dtype", dtype)
    if model is not None:
        _check_module(f"{fn}: model", model)
    _own_bool(fn, "finite", finite)
    _own_bool(fn, "nonempty", nonempty)
    _own_range(fn, low, high)
    if not isinstance(hint, str):
        raise TypeError(f"{fn}: hint must be a str, got {hint!r}")
    if device is not None and not _is_int(device):  # torch.device(0) is cuda:0
        check_device(f"{fn}: device", device)


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

    The check's own arguments are checked too: a bad ``shape``, or a ``dtype`` that is not a
    ``torch.dtype``, raises naming that argument.
    """
    _check_tensor_spec(name, ndim, shape, dtype, model, finite, low, high, nonempty, hint, device)
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
