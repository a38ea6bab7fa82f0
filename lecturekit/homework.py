"""Homework checks: compare a student's function with the stored answers on seeded inputs.

In a notebook, after each exercise::

    lk.homework.check("1.1", e_step)   # prints one deterministic verdict line

The check builds the exercise's public cases (:mod:`lecturekit.exercises`), calls the student's
function on fresh copies of them and compares the results with the answers stored in
``lecturekit/exercises/answers.pt``. No reference solution ships with the package: the references
and the held-out ("hidden") cases live in the repository's ``solutions/`` folder, which only the
grader (:mod:`lecturekit.grading`) reads; ``lecturekit homework refresh`` rewrites the stored
answers from them.

Solution blocks in the notebooks sit between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
:func:`lecturekit.grading.build_student` replaces them with a stub that raises
``NotImplementedError``.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path

import torch

from .utils import check_bool, check_nonnegative_float, check_nonnegative_int, check_positive_int, seeded

__all__ = ["Exercise", "Verdict", "EXERCISES", "register", "check", "run_case", "compare", "flatten",
           "fingerprint", "exercises_of", "BEGIN", "END", "ANSWERS"]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
ANSWERS = Path(__file__).resolve().parent / "exercises" / "answers.pt"


@dataclass(frozen=True)
class Exercise:
    """An exercise of a notebook.

    Args:
        id: "N.M", the notebook number and the exercise number.
        title: a few words.
        function: the name of the function the student writes in the notebook.
        cases: builds the public cases, a list of ``(label, args)``; the student's function is
            called as ``fn(*args)`` on fresh copies of the arguments.
        atol, rtol: the tolerance of the comparison.
        forbidden: package functions that compute the answer (``"module:qualname"``, ``*`` for
            any class: ``"lecturekit.expfam:*._mean"``). The grader switches them off while it
            runs a submission, so calling them earns nothing.
    """

    id: str
    title: str
    function: str
    cases: Callable[[], list[tuple[str, tuple]]]
    atol: float = 1e-6
    rtol: float = 1e-6
    forbidden: tuple[str, ...] = ()

    def __post_init__(self):
        if not isinstance(self.id, str) or not re.fullmatch(r"[1-9][0-9]?\.[1-9][0-9]?", self.id):
            raise ValueError(f"id must be 'N.M' (notebook N, exercise M), such as '1.2', got {self.id!r}")
        if not isinstance(self.title, str) or not self.title.strip():
            raise TypeError(f"title must be a non-empty string, got {self.title!r}")
        if not isinstance(self.function, str) or not self.function.isidentifier():
            raise ValueError(f"function must be the name of the student's function, got {self.function!r}")
        if not callable(self.cases):
            raise TypeError(f"cases must be a function that builds the public cases, got {type(self.cases).__name__}")
        check_nonnegative_float("atol", self.atol)
        check_nonnegative_float("rtol", self.rtol)
        if isinstance(self.forbidden, str) or not isinstance(self.forbidden, (tuple, list)) or not all(
                isinstance(f, str) and f.startswith("lecturekit.") and ":" in f for f in self.forbidden):
            raise TypeError(f"forbidden must be a tuple of 'lecturekit.module:function' names, got {self.forbidden!r}")

    @property
    def notebook(self) -> int:
        return int(self.id.split(".")[0])


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check; prints as one line, e.g. ``Exercise 1.1: passed (4 of 4 cases)``."""

    exercise: str
    passed: bool
    detail: str

    def __post_init__(self):
        if not isinstance(self.exercise, str):
            raise TypeError(f"exercise must be an exercise id such as '1.2', got {self.exercise!r}")
        check_bool("passed", self.passed)
        if not isinstance(self.detail, str):
            raise TypeError(f"detail must be a string, got {type(self.detail).__name__}")

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return f"Exercise {self.exercise}: {'passed' if self.passed else 'FAILED'} {self.detail}".rstrip()

    __repr__ = __str__

    def assert_passed(self) -> None:
        """Raise ``AssertionError`` with the verdict line unless the check passed (for test cells)."""
        if not self.passed:
            raise AssertionError(str(self))


EXERCISES: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise`` to :data:`EXERCISES` (a later one with the same id replaces it)."""
    if not isinstance(exercise, Exercise):
        raise TypeError(f"exercise must be a homework.Exercise, got {type(exercise).__name__}")
    EXERCISES[exercise.id] = exercise
    return exercise


def _load_all() -> None:
    importlib.import_module("lecturekit.exercises")


def exercises_of(notebook: int) -> list[Exercise]:
    """The exercises of notebook ``notebook`` (1 for 01_em), in order."""
    check_positive_int("notebook", notebook)
    _load_all()
    return sorted((ex for ex in EXERCISES.values() if ex.notebook == notebook),
                  key=lambda ex: tuple(map(int, ex.id.split("."))))


def _get(exercise: str) -> Exercise:
    if not isinstance(exercise, str):
        raise TypeError(f"exercise must be an exercise id such as '1.2', got {exercise!r}")
    _load_all()
    if exercise not in EXERCISES:
        raise ValueError(f"exercise must be one of {', '.join(sorted(EXERCISES))}, got {exercise!r}")
    return EXERCISES[exercise]


def clone(value):
    """A deep copy of tensors inside tuples, lists, dicts and dataclasses (modules are deep-copied)."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, torch.nn.Module):
        import copy

        return copy.deepcopy(value)
    if is_dataclass(value) and not isinstance(value, type):
        return type(value)(**{f.name: clone(getattr(value, f.name)) for f in fields(value) if f.init})
    if isinstance(value, (tuple, list)):
        return type(value)(clone(v) for v in value)
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    return value


def flatten(value, prefix: str = "output") -> dict[str, torch.Tensor]:
    """Name every tensor inside a result (tensors, numbers, tuples, dataclasses)."""
    if not isinstance(prefix, str) or not prefix:
        raise TypeError(f"prefix must be a non-empty string naming the result, got {prefix!r}")
    if isinstance(value, torch.Tensor):
        return {prefix: value.detach().cpu()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {prefix: torch.tensor(float(value), dtype=torch.float64)}
    if is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in fields(value):
            out.update(flatten(getattr(value, f.name), f"{prefix}.{f.name}"))
        return out
    if isinstance(value, (tuple, list)):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
        return out
    raise TypeError(f"{prefix} must be a tensor, a number, or a tuple of them, got {type(value).__name__}")


def compare(got: dict[str, torch.Tensor], want: dict[str, torch.Tensor], atol: float, rtol: float) -> str | None:
    """None if the flattened result ``got`` matches ``want``, else what differs."""
    if not isinstance(want, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in want.items()):
        raise TypeError(f"want must be a flattened answer (a dict of name -> tensor, from flatten), got "
                        f"{type(want).__name__}")
    atol, rtol = check_nonnegative_float("atol", atol), check_nonnegative_float("rtol", rtol)
    if not isinstance(got, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in got.items()):
        return "returned something that is not a tensor or a tuple of tensors"
    if set(got) != set(want):
        return f"returned {sorted(got)} but expected {sorted(want)}"
    for name in want:
        a, b = got[name], want[name]
        if tuple(a.shape) != tuple(b.shape):
            return f"{name} has shape {tuple(a.shape)}, expected {tuple(b.shape)}"
        if a.is_complex() or not (a.is_floating_point() or a.dtype in (torch.int64, torch.int32, torch.bool)):
            return f"{name} has dtype {a.dtype}, expected a real tensor"
        a, b = a.to(torch.float64), b.to(torch.float64)
        if not torch.isfinite(a).all():
            return f"{name} holds NaN or inf"
        diff = (a - b).abs()
        if (diff > atol + rtol * b.abs()).any():
            return f"{name} is off by up to {float(diff.max()):.2g} (tolerance {atol:g})"
    return None


def run_case(fn: Callable, args: tuple, seed: int) -> dict[str, torch.Tensor] | str:
    """Call ``fn(*args)`` on a copy of ``args`` with the global RNG seeded; the flattened result,
    or a one-line reason (``not attempted``, ``raised …``, ``returned …``)."""
    if not callable(fn):
        raise TypeError(f"fn must be the function to run, got {type(fn).__name__}")
    if not isinstance(args, tuple):
        raise TypeError(f"args must be the tuple of the case's arguments, got {type(args).__name__}")
    seed = check_nonnegative_int("seed", seed)
    try:
        with seeded(seed):
            result = fn(*clone(args))
        return flatten(result)
    except NotImplementedError:
        return "not attempted: the function still raises NotImplementedError"
    except Exception as err:  # a student's bug is a verdict, not a crash
        msg = str(err).splitlines()[0] if str(err) else ""
        if isinstance(err, TypeError) and msg.startswith("output"):
            return msg
        return f"raised {type(err).__name__}: {msg}".rstrip(": ")


def fingerprint(value) -> str:
    """A short hash of a case's inputs (tensors, modules, dataclasses, callables by name), to tell
    stored answers that no longer match the cases the package builds."""
    h = hashlib.sha256()

    def walk(v):
        if isinstance(v, torch.Tensor):
            t = v.detach().cpu().contiguous()
            h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
            h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
        elif isinstance(v, torch.nn.Module):
            h.update(f"M{type(v).__qualname__}".encode())
            for k, t in v.state_dict().items():
                h.update(k.encode())
                walk(t)
        elif is_dataclass(v) and not isinstance(v, type):
            h.update(f"D{type(v).__qualname__}".encode())
            for f in fields(v):
                walk(getattr(v, f.name))
        elif isinstance(v, (tuple, list)):
            h.update(f"L{len(v)}".encode())
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for k in sorted(v, key=str):
                h.update(str(k).encode())
                walk(v[k])
        elif callable(v) and hasattr(v, "__qualname__"):
            h.update(f"F{v.__module__}.{v.__qualname__}".encode())
        elif isinstance(v, (set, frozenset)) or " at 0x" in repr(v):
            # a set's order and a default repr's address change between runs: the hash would too
            raise TypeError(f"value must hold tensors, modules, dataclasses, numbers, strings, lists, tuples "
                            f"and dicts, got a {type(v).__name__} whose hash would change between runs")
        else:
            h.update(f"V{type(v).__qualname__}:{v!r}".encode())

    walk(value)
    return h.hexdigest()[:16]


def public_cases(ex: Exercise) -> list[tuple[str, tuple]]:
    """The exercise's public cases, built with the global RNG forked and seeded 0."""
    with seeded(0):
        return ex.cases()


_ANSWERS: dict | None = None


def _stored_answers() -> dict:
    global _ANSWERS
    if _ANSWERS is None:
        _ANSWERS = torch.load(ANSWERS, weights_only=True) if ANSWERS.exists() else {}
    return _ANSWERS


def check(exercise: str, fn: Callable) -> Verdict:
    """Compare ``fn`` with the stored answers of ``exercise`` on its public cases.

    Returns a :class:`Verdict` (printed as one line): passed, not attempted (the stub still
    raises NotImplementedError), or which case failed and by how much.
    """
    ex = _get(exercise)
    if not callable(fn):
        raise TypeError(f"fn must be the function you wrote, got {type(fn).__name__}")
    cases = public_cases(ex)
    stored = _stored_answers().get(exercise)
    if stored is None or stored["fingerprints"] != [fingerprint(args) for _, args in cases]:
        return Verdict(exercise, False, "(cannot check: the stored answers do not match this version of "
                                        "lecturekit; maintainers run `lecturekit homework refresh`)")
    for i, ((label, args), want) in enumerate(zip(cases, stored["outputs"]), start=1):
        got = run_case(fn, args, seed=i)
        problem = got if isinstance(got, str) else compare(got, want, ex.atol, ex.rtol)
        if problem:
            if problem.startswith("not attempted"):
                return Verdict(exercise, False, "(not attempted: the function still raises NotImplementedError)")
            return Verdict(exercise, False, f"on case {i} ({label}): {problem}")
    return Verdict(exercise, True, f"({len(cases)} of {len(cases)} cases)")
