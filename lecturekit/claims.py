"""Checked claims: a number a notebook relies on, printed beside its threshold (and the paper's
value), and an error when it does not hold.

``check("test ELBO (latent 20)", -128.9, at_least=-135, unit="nats", paper=-...)`` prints one line

    ✓ test ELBO (latent 20): -128.9 nats (needs ≥ -135; paper -...)

and raises :class:`ClaimError` (an ``AssertionError``) with a ✗ line when the value misses its
threshold, so a notebook cell that rests on a failed model stops with an error rather than
showing it as a success. Notebook cells that make claims are tagged ``NBVAL_CHECK_OUTPUT``; the
test suite's sanitizer replaces the measured number after the colon, so nbval compares the
verdict and the thresholds (which survive retraining on another CPU) while the reader still sees
the value. Tests call the same function on untrained models and require the error.
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = ["ClaimError", "check", "check_true"]


class ClaimError(AssertionError):
    """A checked claim does not hold: the model behind a figure or a number failed."""


def _fmt(v: float, digits: int) -> str:
    if v == 0 or 1e-3 <= abs(v) < 1e5:
        return f"{v:.{digits}f}"
    return f"{v:.{digits}g}"


def check(claim: str, value, *, at_least: float | None = None, at_most: float | None = None,
          paper: float | str | None = None, unit: str = "", digits: int = 2) -> float:
    """Print ``claim`` with ``value`` and its threshold; raise :class:`ClaimError` if it fails.

    Args:
        claim: what is measured, in plain words (no ": " inside: the sanitizer splits there).
        value: the measured number (a float or a one-element tensor).
        at_least, at_most: the threshold(s); at least one is required.
        paper: the paper's value (or a short text), shown for comparison only.
        unit: printed after the value ("nats", "bits", "%").
        digits: decimals of the printed value.

    Returns:
        ``value`` as a float.
    """
    if not isinstance(claim, str) or not claim or ": " in claim or "\n" in claim:
        raise ValueError(f"claim must be a one-line description without ': ', got {claim!r}")
    if at_least is None and at_most is None:
        raise ValueError("check needs a threshold: give at_least, at_most or both")
    if isinstance(value, (str, bytes, bool)) or (hasattr(value, "numel") and value.numel() != 1):
        got = f"a tensor of shape {tuple(value.shape)}" if hasattr(value, "shape") else repr(value)
        raise TypeError(f"value must be one number (a float or a one-element tensor), got {got}")
    try:
        value = float(value)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"value must be a number, got {type(value).__name__}") from None
    for name, bound in (("at_least", at_least), ("at_most", at_most)):
        if bound is not None and (not isinstance(bound, Real) or isinstance(bound, bool) or not math.isfinite(bound)):
            raise ValueError(f"{name} must be a finite number, got {bound!r}")
    if at_least is not None and at_most is not None and at_least > at_most:
        raise ValueError(f"at_least ({at_least}) must not exceed at_most ({at_most}): no value could pass")
    if not isinstance(unit, str):
        raise TypeError(f"unit must be a string such as 'nats', got {unit!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 12:
        raise ValueError(f"digits must be an integer in 0..12, got {digits!r}")
    if paper is not None and not isinstance(paper, (Real, str)):
        raise TypeError(f"paper must be a number or a short text, got {type(paper).__name__}")
    ok = math.isfinite(value) and (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
    needs = []
    if at_least is not None:
        needs.append(f"≥ {_fmt(at_least, digits)}")
    if at_most is not None:
        needs.append(f"≤ {_fmt(at_most, digits)}")
    extra = f"needs {' and '.join(needs)}"
    if paper is not None:
        extra += f"; paper {_fmt(paper, digits) if isinstance(paper, Real) else paper}"
    unit = f" {unit}" if unit else ""
    line = f"{'✓' if ok else '✗'} {claim}: {_fmt(value, digits)}{unit} ({extra})"
    print(line)
    if not ok:
        raise ClaimError(line)
    return value


def check_true(claim: str, condition: bool, *, detail: str = "") -> bool:
    """Print ``✓ claim`` (with ``detail``, e.g. the numbers behind it) or raise :class:`ClaimError`."""
    if not isinstance(claim, str) or not claim or ": " in claim or "\n" in claim:
        raise ValueError(f"claim must be a one-line description without ': ', got {claim!r}")
    if hasattr(condition, "numel") and condition.numel() != 1:
        raise TypeError(f"condition must be one truth value, got a tensor of shape {tuple(condition.shape)}; "
                        "reduce it with .all() or .any()")
    if hasattr(condition, "size") and hasattr(condition, "ndim") and condition.size != 1:
        raise TypeError(f"condition must be one truth value, got an array of shape {condition.shape}; "
                        "reduce it with .all() or .any()")
    if condition is None or isinstance(condition, (str, bytes)):
        raise TypeError(f"condition must be True or False, got {condition!r}")
    if not isinstance(detail, str):
        raise TypeError(f"detail must be a string, got {type(detail).__name__}")
    ok = bool(condition)
    line = f"{'✓' if ok else '✗'} {claim}: {detail or ('yes' if ok else 'no')}"
    print(line)
    if not ok:
        raise ClaimError(line)
    return ok
