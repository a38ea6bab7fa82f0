"""Grading: each submission's exercise cells run in the sandbox of
:mod:`lecturekit.exercises.isolation` on the public and the held-out cases, this process compares the
returned tensors with the answer key, and the verdicts become one :class:`GradeResult` per
submission, a score table and a CSV file. :func:`verify` does the same for one function (the
otter-grader and nbgrader tests that :mod:`lecturekit.exercises.export` writes call it)."""

from __future__ import annotations

import base64
import csv
import functools
import hashlib
import io
import os
import re
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import torch

from .. import homework
from ..homework import Verdict
from ..exercises.isolation import Run, package_dir, run_sandboxed, sandbox_mode
from ..checks import check_path, check_positive_float, check_positive_int
from ..nbtools import NOTEBOOKS
from .answers import SOLUTIONS, answer_key, load_solutions

__all__ = ["GradeResult", "grade", "verify", "score_table", "write_csv"]


def _check_paths(name: str, paths) -> list[Path]:
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be a list of paths, got a single {type(paths).__name__} "
                        f"(write [{str(paths)!r}])")
    try:
        paths = list(paths)
    except TypeError:
        raise TypeError(f"{name} must be a list of paths, got {type(paths).__name__}") from None
    for p in paths:
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(f"{name} must hold paths, got {type(p).__name__}")
        if not str(os.fspath(p)).strip():
            raise ValueError(f"{name} must hold paths, got the empty string")
    return [Path(p) for p in paths]


def _check_results(name: str, results) -> list[GradeResult]:
    if isinstance(results, (GradeResult, str, bytes, dict)) or not isinstance(results, (list, tuple)):
        raise TypeError(f"{name} must be a list of GradeResult (what grade returns), got {type(results).__name__}")
    for r in results:
        if not isinstance(r, GradeResult):
            raise TypeError(f"{name} must hold GradeResult objects (what grade returns), got {type(r).__name__}")
    return list(results)


@dataclass
class GradeResult:
    """One submission's verdict per exercise (``passed`` or why not), on the public cases
    (``seen``) and on the held-out ones (``hidden``); an exercise passes when both do."""


    student: str
    notebook: str | None
    verdicts: dict[str, str] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)
    error: str | None = None


    def __post_init__(self):
        if not isinstance(self.student, str):
            raise TypeError(f"student must be a str (the submission's name), got {self.student!r}")
        if self.notebook is not None and not isinstance(self.notebook, str):
            raise TypeError(f"notebook must be a notebook name such as '01_em' or None, got {self.notebook!r}")
        for name in ("verdicts", "seen", "hidden"):
            value = getattr(self, name)
            if not isinstance(value, dict):
                raise TypeError(f"{name} must be a dict of exercise id -> verdict, got {type(value).__name__}")
            for ex, verdict in value.items():
                if not isinstance(ex, str) or not re.fullmatch(r"\d+\.\d+", ex):
                    raise ValueError(f"{name} must be keyed by exercise ids such as '1.1', got {ex!r}")
                if not isinstance(verdict, str):
                    raise TypeError(f"{name} must hold verdicts as str ('passed' or why not), got {verdict!r} for {ex}")
        if self.error is not None and not isinstance(self.error, str):
            raise TypeError(f"error must be a str or None, got {self.error!r}")


    @property
    def score(self) -> int:
        return sum(v == "passed" for v in self.verdicts.values())


def _notebooks(reference_dir: Path) -> list[str]:
    names = {p.stem for p in reference_dir.glob("[0-9][0-9]_*.ipynb")} | {p.stem for p in reference_dir.glob("[0-9][0-9]_*.py")}
    return sorted(names)


def _which_notebook(sub: Path, nb, names: list[str]) -> str:
    meta = (nb.metadata.get("lecturekit") or {}).get("notebook")
    for name in names:
        if name == meta:
            return name
    for name in names:
        if name in sub.stem:
            return name
    raise ValueError(f"cannot tell which notebook {sub.name} answers (name it like 01_em.ipynb)")


def _split_verdict(got: list, want: list, cases: list, ex: homework.Exercise, hidden: bool, note: str | None) -> str:
    word = "hidden case" if hidden else "case"
    for i, ((label, _), w) in enumerate(zip(cases, want), start=1):
        if i > len(got):
            return "timeout" if note and "stopped" in note else "not run"
        g = got[i - 1]
        problem = g if isinstance(g, str) else homework.compare(g, w, ex.atol, ex.rtol)
        if problem:
            if problem.startswith("not attempted") or problem.startswith("missing"):
                return problem
            return f"FAILED on {word} {i} ({label}): {problem}"
    return "passed"


def _verdicts(result: GradeResult, exercises, key: dict, run: Run) -> None:
    per_ex = (run.results or {}).get("exercises", {})
    for ex in exercises:
        out = per_ex.get(ex.id)
        if not isinstance(out, dict):
            seen = hidden = "timeout" if (run.note and "stopped" in run.note) else "not run"
        else:
            seen = _split_verdict(list(out.get("visible", [])), key[ex.id]["expected"]["visible"],
                                  key[ex.id]["visible"], ex, False, run.note)
            hidden = _split_verdict(list(out.get("hidden", [])), key[ex.id]["expected"]["hidden"],
                                    key[ex.id]["hidden"], ex, True, run.note)
        result.seen[ex.id], result.hidden[ex.id] = seen, hidden
        result.verdicts[ex.id] = seen if seen != "passed" else hidden


def grade(submissions, *, reference_dir: str | os.PathLike = NOTEBOOKS, solutions_dir: str | os.PathLike = SOLUTIONS,
          timeout: float = 600, cell_timeout: float = 120, memory_mb: float = 4096,
          sandbox: str = "auto", jobs: int = 1) -> list[GradeResult]:
    """Grade each submitted notebook (see the module docstring) and return one result each.


    Args:
        submissions: a list of paths to ``.ipynb`` files, named like ``alice_01_em.ipynb`` (or
            carrying the student build's metadata). Missing or unreadable files get a result
            with an ``error`` and no verdicts; the others are graded all the same.
        reference_dir: the folder of the lecture notebooks (their names tell which one a
            submission answers; it is hidden from the sandbox).
        solutions_dir: the references and held-out cases (hidden from the sandbox).
        timeout: seconds for one whole submission; cell_timeout: seconds for one cell or call.
        memory_mb: the address-space limit of the sandboxed process.
        sandbox: ``"auto"`` (namespaces; refuses to run without them) or ``"none"`` (no
            isolation: only for notebooks you trust).
        jobs: how many submissions run at once (each in its own sandbox).
    """
    paths = _check_paths("submissions", submissions)
    timeout = check_positive_float("timeout", timeout)
    cell_timeout = min(check_positive_float("cell_timeout", cell_timeout), timeout)
    check_positive_float("memory_mb", memory_mb)
    if not isinstance(sandbox, str):
        raise TypeError(f"sandbox must be 'auto' or 'none', got {sandbox!r}")
    if sandbox not in ("auto", "none"):
        raise ValueError(f"sandbox must be 'auto' or 'none', got {sandbox!r}")
    jobs = check_positive_int("jobs", jobs)
    reference_dir = check_path("reference_dir", reference_dir, kind="dir")
    solutions_dir = check_path("solutions_dir", solutions_dir, kind="dir")
    names = _notebooks(reference_dir)
    if not names:
        raise ValueError(f"reference_dir {str(reference_dir)!r} holds no lecture notebooks (NN_topic.ipynb): "
                         "point it at the repository's notebooks/ folder")
    try:
        solutions = load_solutions(solutions_dir)
    except ValueError as err:
        raise ValueError(f"solutions_dir: {err}") from None
    keys: dict[str, dict] = {}
    hide = [reference_dir, solutions_dir, *paths, *{p.resolve().parent for p in paths if p.exists()}]
    results, runs = [], []
    for sub in paths:
        result = GradeResult(student=sub.stem, notebook=None)
        results.append(result)
        if not sub.is_file():
            result.error = f"file not found: {sub}"
            continue
        try:
            raw = sub.read_bytes()
            sub_nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        except Exception as err:  # unreadable, not JSON, not a notebook
            result.error = f"not a notebook ({type(err).__name__})"
            continue
        try:
            name = _which_notebook(sub, sub_nb, names)
        except ValueError as err:
            result.error = str(err)
            continue
        result.notebook = name
        exercises = homework.exercises_of(int(name[:2]))
        if not exercises:
            result.error = f"{name} has no exercises"
            continue
        if name not in keys:
            keys[name] = answer_key([ex.id for ex in exercises], solutions)
        key = keys[name]
        forbidden = tuple(sorted({f for ex in exercises for f in ex.forbidden}))
        job = {"mode": "cells", "exercises": [{"id": ex.id, "function": ex.function} for ex in exercises]}
        cases = {ex.id: {s: [args for _, args in key[ex.id][s]] for s in ("visible", "hidden")} for ex in exercises}
        runs.append((result, exercises, key, functools.partial(
            run_sandboxed, job, cases, {"submission.ipynb": nbformat.writes(sub_nb).encode()},
            pkg=package_dir(forbidden), hide=hide, timeout=timeout, cell_timeout=cell_timeout,
            memory_mb=memory_mb, sandbox=sandbox)))
    from concurrent.futures import ThreadPoolExecutor


    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each run is a process; threads only wait
        for (result, exercises, key, _), run in zip(runs, pool.map(lambda r: r[3](), runs)):
            _verdicts(result, exercises, key, run)
            notes = [str(n)[:200] for n in (run.results or {}).get("notes", [])][:3]
            result.error = "; ".join(filter(None, [run.note, *notes])) or None
    return results


_VERIFIED: dict = {}


def _decode_cases(blob: str | None) -> dict | None:
    """Held-out cases from an export string, or from a file holding one (None: no such file)."""
    if blob is None:
        return None
    if len(blob) < 300:
        path = Path(blob)
        if not path.is_file():
            return None
        blob = path.read_text().strip()
    return torch.load(io.BytesIO(zlib.decompress(base64.b64decode(blob))), weights_only=False)


def verify(exercise: str, fn, split: str = "visible", *, hidden: str | None = None, timeout: float = 300,
           memory_mb: float = 4096, sandbox: str = "auto") -> Verdict:
    """Run ``fn`` (serialized by value) in the grading sandbox on the public cases of ``exercise``
    and on the held-out ones in ``hidden`` (a string from an export, or the name of a file holding
    one; a missing file means none). ``split`` picks the verdict: ``"visible"`` or ``"hidden"``.
    One sandboxed run serves both splits of the same function. In otter and nbgrader test cells:
    ``verify("1.1", e_step).assert_passed()``."""
    import cloudpickle


    ex = homework._get(exercise)
    if not callable(fn) or isinstance(fn, type):
        raise TypeError(f"fn must be the student's function, got {fn!r}")
    if not isinstance(split, str):
        raise TypeError(f"split must be 'visible' or 'hidden', got {split!r}")
    if split not in ("visible", "hidden"):
        raise ValueError(f"split must be 'visible' or 'hidden', got {split!r}")
    if hidden is not None and not isinstance(hidden, (str, os.PathLike)):
        raise TypeError(f"hidden must be an export string, the name of a file holding one, or None, got {hidden!r}")
    if hidden is not None:
        hidden = os.fspath(hidden)
        if not hidden.strip():
            raise ValueError("hidden must be an export string or a file name, got the empty string")
    timeout = check_positive_float("timeout", timeout)
    check_positive_float("memory_mb", memory_mb)
    if not isinstance(sandbox, str):
        raise TypeError(f"sandbox must be 'auto' or 'none', got {sandbox!r}")
    if sandbox not in ("auto", "none"):
        raise ValueError(f"sandbox must be 'auto' or 'none', got {sandbox!r}")
    if sandbox == "auto" and sandbox_mode() == "none":
        sandbox = "none"  # otter and nbgrader already run the notebook itself unconfined
    bundle = _decode_cases(hidden)
    if split == "hidden" and bundle is None:
        return Verdict(exercise, False, "(the held-out cases were not found: grade with the instructor's files)")
    try:
        pickled = cloudpickle.dumps(fn)
    except Exception as err:  # noqa: BLE001
        return Verdict(exercise, False, f"(cannot send {ex.function} to the grader: {type(err).__name__})")
    visible_cases = homework.public_cases(ex)
    stored = homework._stored_answers().get(exercise)
    if stored is None or stored["fingerprints"] != [homework.fingerprint(a) for _, a in visible_cases]:
        return Verdict(exercise, False, "(cannot check: the stored answers do not match this version of lecturekit)")
    bundle = bundle or {"labels": [], "args": [], "expected": []}
    cache_key, tag = (exercise, hashlib.sha256(pickled).hexdigest()), hashlib.sha256(str(hidden).encode()).hexdigest()
    cached = _VERIFIED.get(cache_key)
    if cached is None or (split == "hidden" and cached[1] != tag):
        job = {"mode": "pickle", "exercises": [{"id": ex.id, "function": ex.function}]}
        cases = {ex.id: {"visible": [a for _, a in visible_cases], "hidden": bundle["args"]}}
        run = run_sandboxed(job, cases, {f"function-{ex.id}.pkl": pickled},
                             pkg=package_dir(tuple(sorted(ex.forbidden))), hide=[NOTEBOOKS], timeout=timeout,
                             cell_timeout=timeout, memory_mb=memory_mb, sandbox=sandbox)
        key = {ex.id: {"visible": visible_cases, "hidden": list(zip(bundle["labels"], bundle["args"])),
                       "expected": {"visible": stored["outputs"], "hidden": bundle["expected"]}}}
        result = GradeResult(student="", notebook=None)
        _verdicts(result, [ex], key, run)
        cached = _VERIFIED[cache_key] = (result, tag)
    result = cached[0]
    text = result.seen[ex.id] if split == "visible" else result.hidden[ex.id]
    n = len(visible_cases) if split == "visible" else len(bundle["args"])
    if text == "passed":
        return Verdict(exercise, True, f"({n} of {n} {'held-out ' if split == 'hidden' else ''}cases)")
    return Verdict(exercise, False, text[len("FAILED "):] if text.startswith("FAILED ") else f"({text})")


def _order(ex: str):
    return tuple(map(int, ex.split(".")))


def score_table(results: list[GradeResult]) -> str:
    """A plain-text table: one row per student, two columns per exercise (the public cases the
    student could check, and the held-out ones), the score and a note."""
    results = _check_results("results", results)
    exercises = sorted({ex for r in results for ex in r.verdicts}, key=_order)
    header = ["student", "notebook", *[f"{ex} {kind}" for ex in exercises for kind in ("seen", "hidden")],
              "score", "note"]
    rows = [header]


    def mark(v):
        return "-" if v is None else ("pass" if v == "passed" else "FAIL")


    for r in results:
        cells = [mark(getattr(r, kind).get(ex)) for ex in exercises for kind in ("seen", "hidden")]
        rows.append([r.student, r.notebook or "?", *cells, f"{r.score}/{len(r.verdicts)}", r.error or ""])
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def write_csv(results: list[GradeResult], path: str | os.PathLike) -> Path:
    """Write the detailed verdicts (one row per student and exercise) to ``path`` (a .csv file) atomically."""
    results = _check_results("results", results)
    path = check_path("path", path, kind="new_file", suffixes=(".csv",))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["student", "notebook", "exercise", "verdict", "seen", "hidden", "note"])
    for r in results:
        if not r.verdicts:
            w.writerow([r.student, r.notebook or "", "", "", "", "", r.error or ""])
        for ex, verdict in r.verdicts.items():
            w.writerow([r.student, r.notebook or "", ex, verdict, r.seen.get(ex, ""), r.hidden.get(ex, ""),
                        r.error or ""])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", newline="") as f:
        f.write(buf.getvalue())
    os.replace(tmp, path)
    return path
