"""Homework: checks that compare a student's function with the reference on seeded inputs, and
the build/grade tools behind ``lecturekit homework``.

In a notebook, after each exercise::

    lk.homework.check("1.1", e_step)   # prints one deterministic verdict line

Reference solutions sit between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
:func:`build_student` replaces them with a stub that raises ``NotImplementedError``.
:func:`grade` runs nbval on each submission (see :mod:`lecturekit.grading`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass

import torch

__all__ = ["Exercise", "Verdict", "EXERCISES", "register", "check", "BEGIN", "END"]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


@dataclass(frozen=True)
class Exercise:
    """An exercise: the reference (``"module:function"``), seeded cases and a tolerance.

    ``cases()`` returns a list of ``(label, args)``; the student's and the reference function are
    both called as ``fn(*args)`` on fresh copies of the arguments.
    """

    id: str
    title: str
    reference: str
    cases: Callable[[], list[tuple[str, tuple]]]
    atol: float = 1e-6
    rtol: float = 1e-6

    def reference_fn(self) -> Callable:
        module, _, name = self.reference.partition(":")
        return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check; prints as one line, e.g. ``Exercise 1.1: passed (4 of 4 cases)``."""

    exercise: str
    passed: bool
    detail: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return f"Exercise {self.exercise}: {'passed' if self.passed else 'FAILED'} {self.detail}".rstrip()

    __repr__ = __str__


EXERCISES: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    EXERCISES[exercise.id] = exercise
    return exercise


def _clone(value):
    if isinstance(value, torch.Tensor):
        return value.clone()
    if is_dataclass(value) and not isinstance(value, type):
        return type(value)(**{f.name: _clone(getattr(value, f.name)) for f in fields(value) if f.init})
    if isinstance(value, (tuple, list)):
        return type(value)(_clone(v) for v in value)
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    return value


def _flatten(value, prefix="output") -> dict[str, torch.Tensor]:
    """Name every tensor inside a result (tensors, numbers, tuples, dataclasses)."""
    if isinstance(value, torch.Tensor):
        return {prefix: value.detach()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {prefix: torch.tensor(float(value), dtype=torch.float64)}
    if is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in fields(value):
            out.update(_flatten(getattr(value, f.name), f"{prefix}.{f.name}"))
        return out
    if isinstance(value, (tuple, list)):
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}[{i}]"))
        return out
    raise TypeError(f"{prefix} must be a tensor, a number, or a tuple of them, got {type(value).__name__}")


def _compare(got, want, atol: float, rtol: float) -> str | None:
    """None if ``got`` matches ``want``, else what differs."""
    try:
        g = _flatten(got)
    except TypeError as err:
        return str(err)
    w = _flatten(want)
    if set(g) != set(w):
        return f"returned {sorted(g)} but expected {sorted(w)}"
    for name in w:
        a, b = g[name], w[name]
        if tuple(a.shape) != tuple(b.shape):
            return f"{name} has shape {tuple(a.shape)}, expected {tuple(b.shape)}"
        a, b = a.to(torch.float64), b.to(torch.float64)
        if not torch.isfinite(a).all():
            return f"{name} holds NaN or inf"
        diff = (a - b).abs()
        bad = diff > atol + rtol * b.abs()
        if bad.any():
            return f"{name} is off by up to {float(diff.max()):.2g} (tolerance {atol:g})"
    return None


def check(exercise: str, fn: Callable) -> Verdict:
    """Compare ``fn`` with the reference solution of ``exercise`` on its seeded cases.

    Returns a :class:`Verdict` (printed as one line): passed, not attempted (the stub still
    raises NotImplementedError), or which case failed and by how much.
    """
    _load_all()
    if exercise not in EXERCISES:
        raise ValueError(f"exercise must be one of {', '.join(sorted(EXERCISES))}, got {exercise!r}")
    if not callable(fn):
        raise TypeError(f"fn must be the function you wrote, got {type(fn).__name__}")
    ex = EXERCISES[exercise]
    reference = ex.reference_fn()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        cases = ex.cases()
    for i, (label, args) in enumerate(cases, start=1):
        try:
            with torch.random.fork_rng():
                torch.manual_seed(i)
                got = fn(*_clone(args))
        except NotImplementedError:
            return Verdict(exercise, False, "(not attempted: the function still raises NotImplementedError)")
        except Exception as err:  # a student's bug is a verdict, not a crash
            msg = str(err).splitlines()[0] if str(err) else ""
            return Verdict(exercise, False, f"on case {i} ({label}): raised {type(err).__name__}: {msg}")
        with torch.random.fork_rng():
            torch.manual_seed(i)
            want = reference(*_clone(args))
        problem = _compare(got, want, ex.atol, ex.rtol)
        if problem:
            return Verdict(exercise, False, f"on case {i} ({label}): {problem}")
    return Verdict(exercise, True, f"({len(cases)} of {len(cases)} cases)")


_TOPICS = ("lecturekit.exercises",)


def _load_all() -> None:
    for name in _TOPICS:
        importlib.import_module(name)
