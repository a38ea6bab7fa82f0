"""Bad inputs to lecturekit.grading: the student build, the answer key, grading in the sandbox,
verify (otter/nbgrader) and the reports. Every good call uses tiny inputs in a temporary folder;
grade's good call grades a missing file (no sandbox run), verify's runs one sandboxed function."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import nbformat

from lecturekit import grading
from tests.support.bad_inputs import POSITIVE_INT, Table, bad, call

T = Table("grading", ["lecturekit.grading"])

TMP = Path(tempfile.mkdtemp(prefix="lk-bad-grading-"))
A_FILE = TMP / "a_file.txt"
A_FILE.write_text("not a folder\n")
EMPTY_DIR = TMP / "empty"
EMPTY_DIR.mkdir()
MISSING = TMP / "missing"
NOT_EMPTY_NOTES = TMP / "notes"
NOT_EMPTY_NOTES.mkdir()
(NOT_EMPTY_NOTES / "readme.txt").write_text("no notebooks here\n")

SRC_DIR = TMP / "src"
SRC_DIR.mkdir()
_SOURCE = ("def e_step(x, theta):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\n"
           'homework.check("1.1", e_step)')


def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · a tiny EM"), nbformat.v4.new_code_cell("import torch"),
                nbformat.v4.new_code_cell(_SOURCE)]
    return nb


SRC = SRC_DIR / "01_em.ipynb"
nbformat.write(_notebook(), SRC)
GARBAGE = SRC_DIR / "garbage.ipynb"
GARBAGE.write_text("{not a notebook")
(SRC_DIR / "01_em.py").write_text("# a script, not a notebook\n")
AS_DIR = TMP / "folder.ipynb"
AS_DIR.mkdir()
(TMP / "dir.pt").mkdir()
(TMP / "dir.csv").mkdir()

SOLS = grading.load_solutions()


def result(**kw) -> grading.GradeResult:
    base = dict(student="alice_01_em", notebook="01_em", verdicts={"1.1": "passed"}, seen={"1.1": "passed"},
                hidden={"1.1": "passed"}, error=None)
    return grading.GradeResult(**{**base, **kw})


_STUDENT = {"__name__": "student_notebook"}  # not an importable module: cloudpickle sends it by value, as a notebook's
exec("""def e_step(x, theta):
    import torch

    log_joint = torch.distributions.MultivariateNormal(theta.means, theta.covariances).log_prob(x[:, None, :])
    return torch.softmax(log_joint + theta.weights.log(), dim=1)
""", _STUDENT)
student_e_step = _STUDENT["e_step"]  # a student's E-step, written without the package's answer


RESULTS_BAD = [bad(None, TypeError), bad(result(), TypeError, "one-result"), bad([1], TypeError, "list-of-int"),
               bad("alice", TypeError), bad([{"student": "alice"}], TypeError, "list-of-dict")]
SECONDS = [bad(0), bad(-1.0), bad(math.nan), bad(math.inf), bad("10", TypeError), bad(None, TypeError)]
SANDBOX = [bad("docker"), bad(None, TypeError), bad(3, TypeError), bad(""), bad("AUTO")]

# -- the student build
T.add("grading.build_student", lambda: call(grading.build_student, SRC, TMP / "out"),
      _check=lambda p: "raise NotImplementedError" in p.read_text() and "return x" not in p.read_text(),
      src=[bad(3, TypeError), bad(None, TypeError), bad(""), bad(MISSING / "01_em.ipynb", FileNotFoundError, "missing"),
           bad(SRC_DIR / "01_em.py", ValueError, "py-suffix"), bad(SRC_DIR, ValueError, "a-folder"),
           bad(AS_DIR, IsADirectoryError, "folder-named-ipynb"), bad(GARBAGE, ValueError, "not-json")],
      out_dir=[bad(None, TypeError), bad(3, TypeError), bad(""), bad(A_FILE, NotADirectoryError, "a-file"),
               bad(SRC_DIR, ValueError, "overwrites-src", names="out_dir")])
T.add("grading.build_all", lambda: call(grading.build_all, TMP / "out_all", notebooks=SRC_DIR),
      _check=lambda built: [p.name for p in built] == ["01_em.ipynb"],
      out_dir=[bad(None, TypeError), bad(3, TypeError), bad(""), bad(A_FILE, NotADirectoryError, "a-file"),
               bad(SRC_DIR, ValueError, "overwrites-notebooks")],
      notebooks=[bad(None, TypeError), bad(3, TypeError), bad(MISSING, FileNotFoundError, "missing"),
                 bad(A_FILE, NotADirectoryError, "a-file"), bad(b"/tmp", TypeError)])
T.add("grading.check_cells", lambda: call(grading.check_cells, _notebook()), _check=lambda found: found == {"1.1": 1},
      nb=[bad(None, TypeError), bad(str(SRC), TypeError, "path-string"), bad(SRC, TypeError, "Path"),
          bad(3, TypeError), bad({}, ValueError, "no-cells"), bad({"cells": 3}, ValueError, "cells-int"),
          bad({"cells": [{"source": "x"}]}, ValueError, "cell-without-type"), bad([_SOURCE], TypeError, "list")])
T.case("grading.check_cells", "plain-dict-is-read", lambda: grading.check_cells(
    {"cells": [{"cell_type": "code", "source": "x"}, {"cell_type": "code", "source": 3}]}), ValueError, names="nb")

# -- references and answers
T.add("grading.load_solutions", lambda: call(grading.load_solutions, grading.SOLUTIONS),
      _check=lambda sols: {"1.1", "1.2", "1.3"} <= set(sols) and not any(k.startswith("error:") for k in sols),
      directory=[bad(3, TypeError), bad(None, TypeError), bad(""), bad(MISSING, FileNotFoundError, "missing"),
                 bad(A_FILE, NotADirectoryError, "a-file"), bad(EMPTY_DIR, ValueError, "empty-folder")])
T.add("grading.answer_key", lambda: call(grading.answer_key, ["1.1"], SOLS),
      _check=lambda key: set(key) == {"1.1"} and len(key["1.1"]["hidden"]) == len(key["1.1"]["expected"]["hidden"]),
      exercises=[bad("1.1", TypeError, "one-string"), bad(None, TypeError), bad(3, TypeError),
                 bad(["9.9"], ValueError, "unknown", names="exercise"), bad([1.1], TypeError, "float-id", names="exercise")],
      solutions=[bad(3, TypeError), bad([], TypeError), bad({"1.1": "ref"}, TypeError, "not-pairs"),
                 bad({}, ValueError, "no-reference")])
T.add("grading.refresh_answers", lambda: call(grading.refresh_answers, TMP / "answers.pt", SOLS),
      _check=lambda p: p.is_file() and p.stat().st_size > 0,
      path=[bad(3, TypeError), bad(None, TypeError), bad(""), bad(TMP, ValueError, "a-folder"),
            bad(TMP / "answers.json", ValueError, "json-suffix"), bad(TMP / "dir.pt", IsADirectoryError, "folder-named-pt"),
            bad(A_FILE / "answers.pt", NotADirectoryError, "under-a-file")],
      solutions=[bad(3, TypeError), bad([], TypeError)])

# -- grading
T.add("grading.grade", lambda: call(grading.grade, [TMP / "bob_01_em.ipynb"], sandbox="none"),
      _check=lambda rs: len(rs) == 1 and rs[0].error.startswith("file not found") and not rs[0].verdicts,
      submissions=[bad(str(SRC), TypeError, "one-path"), bad([1], TypeError, "list-of-int"), bad(None, TypeError),
                   bad(3, TypeError), bad([""], ValueError, "empty-path"), bad(SRC, TypeError, "one-Path")],
      timeout=SECONDS[:5], cell_timeout=SECONDS[:3], memory_mb=[bad(0), bad(-5.0), bad("4096", TypeError)],
      sandbox=SANDBOX, jobs=POSITIVE_INT,
      reference_dir=[bad(MISSING, FileNotFoundError, "missing"), bad(A_FILE, NotADirectoryError, "a-file"),
                     bad(3, TypeError), bad(None, TypeError), bad(NOT_EMPTY_NOTES, ValueError, "no-notebooks")],
      solutions_dir=[bad(MISSING, FileNotFoundError, "missing"), bad(EMPTY_DIR, ValueError, "empty-folder"),
                     bad(None, TypeError), bad(A_FILE, NotADirectoryError, "a-file"), bad("", ValueError)])
T.add("grading.GradeResult", lambda: call(grading.GradeResult, "alice_01_em", "01_em", {"1.1": "passed"},
                                          {"1.1": "passed"}, {"1.1": "passed"}, None),
      _check=lambda r: r.score == 1,
      student=[bad(None, TypeError), bad(3, TypeError), bad(b"alice", TypeError)], notebook=[bad(1, TypeError)],
      verdicts=[bad(["passed"], TypeError), bad({"1.1": True}, TypeError, "bool-verdict"),
                bad({"one": "passed"}, ValueError, "bad-id")],
      seen=[bad(None, TypeError)], hidden=[bad({1.1: "passed"}, ValueError, "float-id")], error=[bad(3, TypeError)])
T.add("grading.verify", lambda: call(grading.verify, "1.1", student_e_step, "visible", timeout=120, sandbox="none"),
      _check=lambda v: v.passed and "cases" in v.detail,
      exercise=[bad("9.9"), bad(1.1, TypeError), bad(None, TypeError), bad(""), bad("e_step")],
      fn=[bad(None, TypeError), bad("e_step", TypeError), bad(3, TypeError), bad(int, TypeError, "a-class")],
      split=[bad("test"), bad(None, TypeError), bad(3, TypeError)], hidden=[bad(3, TypeError), bad("")],
      timeout=SECONDS[:3], memory_mb=[bad(0), bad("4096", TypeError)], sandbox=SANDBOX[:3])

# -- reports
T.add("grading.score_table", lambda: call(grading.score_table, [result()]),
      _check=lambda text: text.splitlines()[1].split()[:4] == ["alice_01_em", "01_em", "pass", "pass"],
      results=RESULTS_BAD)
T.add("grading.write_csv", lambda: call(grading.write_csv, [result()], TMP / "scores.csv"),
      _check=lambda p: p.read_text().splitlines()[1].startswith("alice_01_em,01_em,1.1,passed"),
      results=RESULTS_BAD[:3],
      path=[bad(None, TypeError), bad(3, TypeError), bad(""), bad(TMP, ValueError, "a-folder"),
            bad(TMP / "scores.txt", ValueError, "txt-suffix"), bad(A_FILE / "scores.csv", NotADirectoryError, "under-a-file"),
            bad(TMP / "dir.csv", IsADirectoryError, "folder-named-csv")])

T.install(globals())
