"""Build student notebooks and grade submissions with nbval.

``build_student`` replaces every reference solution (between ``### BEGIN SOLUTION`` and
``### END SOLUTION``) with a stub that raises ``NotImplementedError`` and clears all outputs.

``grade`` treats each submission as untrusted code. It rebuilds a grading copy in a fresh
temporary folder: the submission's own cells, but every check cell replaced by the canonical one
from the solution notebook, carrying the reference verdict as its expected output. It then runs
``pytest --nbval-lax`` on that copy in a subprocess with its own kernel, a per-cell and an overall
timeout, and a private copy of the model cache. Submissions run one after another and the score
file is written by this process alone, after all of them.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .homework import BEGIN, END
from .nbtools import NOTEBOOKS

__all__ = ["build_student", "build_all", "check_cells", "grade", "GradeResult", "score_table", "write_csv"]

_CHECK = re.compile(r"homework\.check\(\s*[\"'](\d+\.\d+)[\"']")
_VERDICT = re.compile(r"Exercise \d+\.\d+: (?:passed|FAILED)[^\n'\"\\]*")


def _strip_solutions(source: str) -> str:
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# YOUR CODE HERE")
            out.append(f'{indent}raise NotImplementedError("write your solution here")')
            inside = True
        elif stripped == END:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"a solution block is not closed with {END!r}")
    return "\n".join(out)


def build_student(src: str | os.PathLike, out_dir: str | os.PathLike) -> Path:
    """Write the student version of notebook ``src`` into ``out_dir``: solutions replaced by
    stubs, outputs and execution counts cleared. Returns the new file's path."""
    src = Path(src)
    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = _strip_solutions(cell.source)
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("jupytext", None)
    nb.metadata["lecturekit"] = {"notebook": src.stem, "student": True}
    out = Path(out_dir) / src.name
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


def build_all(out_dir: str | os.PathLike, notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Student versions of every notebook that has exercises."""
    built = []
    for src in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        if check_cells(nbformat.read(src, as_version=4)):
            built.append(build_student(src, out_dir))
    return built


def check_cells(nb) -> dict[str, int]:
    """Exercise id -> index (among code cells) of the cell that checks it."""
    found, k = {}, 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        m = _CHECK.search(cell.source)
        if m:
            found[m.group(1)] = k
        k += 1
    return found


@dataclass
class GradeResult:
    """One submission's verdict per exercise: ``passed``, ``FAILED …``, ``missing``, ``timeout``."""

    student: str
    notebook: str | None
    verdicts: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def score(self) -> int:
        return sum(v == "passed" for v in self.verdicts.values())


def _reference_for(sub: Path, nb, reference_dir: Path) -> Path:
    name = (nb.metadata.get("lecturekit") or {}).get("notebook")
    candidates = sorted(reference_dir.glob("[0-9][0-9]_*.ipynb"))
    for ref in candidates:
        if ref.stem == name or ref.stem in sub.stem:
            return ref
    raise ValueError(f"cannot tell which notebook {sub.name} answers (name it like 01_em.ipynb)")


def _grading_copy(sub_nb, ref_nb):
    """The submission's cells, with its check cells replaced by the reference's."""
    ref_cells = {}
    for cell in ref_nb.cells:
        m = _CHECK.search(cell.source) if cell.cell_type == "code" else None
        if m:
            ref_cells[m.group(1)] = cell
    nb = nbformat.v4.new_notebook(metadata=ref_nb.metadata)
    for cell in sub_nb.cells:
        if cell.cell_type != "code":
            nb.cells.append(cell)
            continue
        m = _CHECK.search(cell.source)
        if m and m.group(1) in ref_cells:
            nb.cells.append(ref_cells[m.group(1)])  # canonical check, expected verdict as output
        else:  # the student's own code runs, but nothing of theirs is compared
            src = cell.source.replace("# NBVAL_CHECK_OUTPUT", "")
            nb.cells.append(nbformat.v4.new_code_cell(src))
    return nb


def _run_nbval(nb_path: Path, junit: Path, *, timeout: float, cell_timeout: float, env: dict) -> bool:
    cmd = [sys.executable, "-m", "pytest", str(nb_path), "--nbval-lax", "--nbval-current-env",
           f"--nbval-cell-timeout={cell_timeout}", "-p", "no:cacheprovider", "-o", "addopts=",
           "-o", "testpaths=", "-q", f"--junitxml={junit}"]
    try:
        subprocess.run(cmd, cwd=nb_path.parent, env=env, timeout=timeout, capture_output=True, text=True)
        return True
    except subprocess.TimeoutExpired:
        return False


def _cell_outcomes(junit: Path) -> dict[int, tuple[str, str]]:
    outcomes = {}
    if not junit.exists():
        return outcomes
    for case in ET.parse(junit).getroot().iter("testcase"):
        m = re.search(r"Cell (\d+)", case.get("name", ""))
        if not m:
            continue
        bad = case.find("failure") if case.find("failure") is not None else case.find("error")
        if case.find("skipped") is not None:
            outcomes[int(m.group(1))] = ("skipped", case.find("skipped").get("message") or "")
        elif bad is None:
            outcomes[int(m.group(1))] = ("passed", "")
        else:
            outcomes[int(m.group(1))] = ("failed", (bad.get("message") or "") + "\n" + (bad.text or ""))
    return outcomes


def _failure_reason(exercise: str, text: str) -> str:
    lines = [v for v in _VERDICT.findall(text) if v.startswith(f"Exercise {exercise}:") and "passed" not in v]
    if lines:
        return lines[-1].split(": ", 1)[1].strip()
    if "Timeout" in text or "timed out" in text:
        return "timeout"
    return "FAILED (the check cell raised or printed nothing)"


def grade(submissions, *, reference_dir: str | os.PathLike = NOTEBOOKS, timeout: float = 600,
          cell_timeout: float = 120) -> list[GradeResult]:
    """Grade each submission against the solution notebook it answers (see module docstring)."""
    reference_dir = Path(reference_dir)
    results = []
    for sub in map(Path, submissions):
        result = GradeResult(student=sub.stem, notebook=None)
        results.append(result)
        try:
            sub_nb = nbformat.read(sub, as_version=4)
        except Exception as err:  # unreadable, not JSON, not a notebook
            result.error = f"not a notebook ({type(err).__name__})"
            continue
        try:
            ref = _reference_for(sub, sub_nb, reference_dir)
        except ValueError as err:
            result.error = str(err)
            continue
        result.notebook = ref.stem
        ref_nb = nbformat.read(ref, as_version=4)
        expected = check_cells(ref_nb)
        nb = _grading_copy(sub_nb, ref_nb)
        positions = check_cells(nb)
        with tempfile.TemporaryDirectory(prefix="lecturekit-grade-") as tmp:
            tmp = Path(tmp)
            nb_path = tmp / f"{ref.stem}.ipynb"
            nbformat.write(nb, nb_path)
            env = dict(os.environ, HOME=str(tmp), TQDM_DISABLE="1", MPLBACKEND="Agg")
            from .checkpoint import cache_dir

            private_cache = tmp / "cache"
            shutil.copytree(cache_dir(), private_cache, dirs_exist_ok=True)
            env["LECTUREKIT_CACHE"] = str(private_cache)
            finished = _run_nbval(nb_path, tmp / "junit.xml", timeout=timeout, cell_timeout=cell_timeout, env=env)
            outcomes = _cell_outcomes(tmp / "junit.xml")
        for ex in expected:
            if ex not in positions:
                result.verdicts[ex] = "missing"
                continue
            status, text = outcomes.get(positions[ex], (None, ""))
            if status == "passed":
                result.verdicts[ex] = "passed"
            elif status is None:
                result.verdicts[ex] = "timeout" if not finished else "not run"
            elif status == "skipped":
                result.verdicts[ex] = "not run (an earlier cell timed out or the kernel died)"
            else:
                result.verdicts[ex] = _failure_reason(ex, text)
        if not finished:
            result.error = f"stopped after the {timeout:g} s time limit"
    return results


def score_table(results: list[GradeResult]) -> str:
    """A plain-text table: one row per student, one column per exercise, and the score."""
    exercises = sorted({ex for r in results for ex in r.verdicts}, key=lambda s: tuple(map(int, s.split("."))))
    header = ["student", "notebook", *exercises, "score", "note"]
    rows = [header]
    for r in results:
        cells = [("pass" if r.verdicts.get(ex) == "passed" else ("-" if ex not in r.verdicts else "FAIL"))
                 for ex in exercises]
        rows.append([r.student, r.notebook or "?", *cells, f"{r.score}/{len(r.verdicts)}", r.error or ""])
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def write_csv(results: list[GradeResult], path: str | os.PathLike) -> Path:
    """Write the detailed verdicts (one row per student and exercise) to ``path`` atomically."""
    path = Path(path)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["student", "notebook", "exercise", "verdict", "note"])
    for r in results:
        if not r.verdicts:
            w.writerow([r.student, r.notebook or "", "", "", r.error or ""])
        for ex, verdict in r.verdicts.items():
            w.writerow([r.student, r.notebook or "", ex, verdict, r.error or ""])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", newline="") as f:
        f.write(buf.getvalue())
    os.replace(tmp, path)
    return path
