"""The answer key. The reference solutions and the held-out cases live in the repository's
``solutions/`` folder (:func:`load_solutions`); :func:`answer_key` computes the expected outputs of
each exercise's public and held-out cases in this process, never in a submission's;
:func:`refresh_answers` stores the public ones in the package (what ``homework.check`` compares a
student's notebook with); :func:`encode_cases` packs held-out cases for the graders' tools."""

from __future__ import annotations

import base64
import importlib.util
import io
import os
import zlib
from pathlib import Path

import torch

from .. import homework
from ..homework import ANSWERS
from ..checks import check_path
from ..nbtools import ROOT
from ..utils import seeded

__all__ = ["SOLUTIONS", "load_solutions", "answer_key", "refresh_answers"]


SOLUTIONS = ROOT / "solutions"


def _check_solutions(name: str, solutions) -> dict | None:
    if solutions is None:
        return None
    if not isinstance(solutions, dict):
        raise TypeError(f"{name} must be the dict load_solutions returns, or None, got {type(solutions).__name__}")
    for k, v in solutions.items():
        if not isinstance(k, str) or not (isinstance(v, tuple) and len(v) == 2):
            raise TypeError(f"{name} must map exercise ids to (reference, hidden_cases) as load_solutions does, "
                            f"got {k!r}: {type(v).__name__}")
    return solutions


def load_solutions(directory: str | os.PathLike = SOLUTIONS) -> dict[str, tuple]:
    """Exercise id -> ``(reference, hidden_cases)`` from the ``solutions/`` folder of a checkout."""
    directory = check_path("directory", directory)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f"directory must be the solutions/ folder, but {str(directory)!r} is a file")
    if not directory.is_dir():
        raise FileNotFoundError(f"directory {str(directory)!r} does not exist: the reference solutions are not "
                                f"there; grading needs a checkout of the lecturekit repository (its solutions/ folder)")
    files = sorted(directory.glob("[a-z]*.py"))
    if not files:
        raise ValueError(f"directory {str(directory)!r} holds no reference solutions (no topic .py files): "
                         "point it at the repository's solutions/ folder")
    out = {}
    for path in files:
        name = f"lecturekit_solutions_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as err:  # one broken topic must not stop the others' grading
            out[f"error:{path.name}"] = (None, f"{path.name} does not load: {type(err).__name__}: {err}")
            continue
        if not isinstance(getattr(module, "REFERENCES", None), dict) or not isinstance(getattr(module, "HIDDEN", None), dict):
            out[f"error:{path.name}"] = (None, f"{path.name} defines no REFERENCES and HIDDEN dicts")
            continue
        for ex, ref in module.REFERENCES.items():
            out[ex] = (ref, module.HIDDEN[ex])
    return out


def _seeded(builder):
    with seeded(0):
        return builder()


def _expected(reference, cases) -> list[dict]:
    out = []
    for i, (label, args) in enumerate(cases, start=1):
        got = homework.run_case(reference, args, seed=i)
        if isinstance(got, str):
            raise RuntimeError(f"the reference fails on case {i} ({label}): {got}")
        out.append(got)
    return out


def answer_key(exercises, solutions: dict | None = None) -> dict:
    """For each exercise id: the public and the held-out cases and the references' outputs."""
    if isinstance(exercises, (str, bytes)) or not isinstance(exercises, (list, tuple, set, frozenset)):
        raise TypeError(f"exercises must be a list of exercise ids such as ['1.1'], got {exercises!r}")
    for ex_id in exercises:
        homework._get(ex_id)  # an unknown or malformed id raises naming exercise, before any work
    solutions = load_solutions() if _check_solutions("solutions", solutions) is None else solutions
    key = {}
    for ex_id in exercises:
        ex = homework._get(ex_id)
        if ex_id not in solutions:
            broken = [msg for k, (_, msg) in solutions.items() if k.startswith("error:")]
            raise ValueError(f"solutions/ has no reference for exercise {ex_id}" + (f" ({'; '.join(broken)})" if broken else ""))
        reference, hidden = solutions[ex_id]
        visible_cases, hidden_cases = homework.public_cases(ex), _seeded(hidden)
        key[ex_id] = {
            "visible": visible_cases, "hidden": hidden_cases,
            "expected": {"visible": _expected(reference, visible_cases), "hidden": _expected(reference, hidden_cases)},
        }
    return key


def refresh_answers(path: str | os.PathLike = ANSWERS, solutions: dict | None = None) -> Path:
    """Store the references' outputs on the public cases (what ``homework.check`` compares with)."""
    path = check_path("path", path, kind="new_file", suffixes=(".pt",))
    _check_solutions("solutions", solutions)
    homework._load_all()
    key = answer_key(sorted(homework.EXERCISES), solutions)
    stored = {ex: {"labels": [label for label, _ in k["visible"]],
                   "fingerprints": [homework.fingerprint(args) for _, args in k["visible"]],
                   "outputs": k["expected"]["visible"]} for ex, k in key.items()}
    path = Path(path)
    torch.save(stored, path)
    homework._ANSWERS = None
    return path


def encode_cases(key: dict, exercise: str) -> str:
    """The held-out cases of one exercise and their answers, compressed into one string."""
    buf = io.BytesIO()
    k = key[exercise]
    torch.save({"labels": [label for label, _ in k["hidden"]], "args": [args for _, args in k["hidden"]],
                "expected": k["expected"]["hidden"]}, buf)
    return base64.b64encode(zlib.compress(buf.getvalue(), 9)).decode()
