"""Bad inputs to the grading machinery of lecturekit.exercises: the otter/nbgrader export, the
isolation of a run (the grader's side) and the sandbox runner (the inside, with its command line)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import nbformat
import torch

from lecturekit.exercises import export, isolation, sandbox
from lecturekit.nbtools import NOTEBOOKS
from tests.support.bad_inputs import POSITIVE_FLOAT, Table, bad, call

T = Table("exercises", ["lecturekit.exercises.export", "lecturekit.exercises.isolation",
                        "lecturekit.exercises.sandbox"])
_TMP = tempfile.TemporaryDirectory(prefix="lk-bad-inputs-exercises-")
TMP = Path(_TMP.name)
TEXT = TMP / "notes.txt"
TEXT.write_text("not a notebook")
MISSING = TMP / "missing"
EM_NB = NOTEBOOKS / "01_em.ipynb"
BROKEN = TMP / "07_broken.ipynb"
BROKEN.write_text("{not json")
UNNUMBERED = TMP / "em.ipynb"
shutil.copy(EM_NB, UNNUMBERED)
NO_EXERCISES = TMP / "99_tiny.ipynb"
nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Tiny")]), NO_EXERCISES)
PATHS = [bad(3, TypeError), bad(None, TypeError), bad("", ValueError, "empty-string")]
FORBIDDEN = ["lecturekit.em:e_step"]
FORBIDDEN_BAD = [bad(None, TypeError), bad("lecturekit.em:e_step", TypeError, "one-string"), bad([3], TypeError),
                 bad(["e_step"], ValueError, "no-module"), bad(["lecturekit.em:"], ValueError, "no-function")]


def out_dir(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=TMP))


# -- export ------------------------------------------------------------------------------------------------------
T.add("exercises.export.hidden_file", lambda: call(export.hidden_file, "1.1"),
      _check=lambda out: out == "lecturekit_hidden_1.1.txt",
      exercise=[bad(1.1, TypeError), bad(None, TypeError), bad(""), bad("1"), bad("../1.1", ValueError, "path"),
                bad("1.1 ", ValueError, "trailing-space")])
T.add("exercises.export.homework_notebook", lambda: call(export.homework_notebook, EM_NB),
      _check=lambda out: [ex.id for ex, _, _ in out[1]] == ["1.1", "1.2", "1.3"] and len(out[0].cells) == 2,
      src=PATHS + [bad(MISSING / "01_em.ipynb", FileNotFoundError, "missing"), bad(TMP, ValueError, "a-folder"),
                   bad(TEXT, ValueError, "not-ipynb"), bad(BROKEN, ValueError, "not-json"),
                   bad(UNNUMBERED, ValueError, "unnumbered"), bad(NO_EXERCISES, ValueError, "no-exercises")])
NAMES_BAD = [bad("01", TypeError, "one-string"), bad(["99"], ValueError, "unknown"), bad([], ValueError, "empty-list"),
             bad([1], TypeError, "int-entry"), bad(3, TypeError)]
OUT_BAD = PATHS + [bad(TEXT, NotADirectoryError, "a-file")]
KEY_FN_BAD = [bad("answer_key", TypeError), bad(3, TypeError)]
for fn in ("export_otter", "export_nbgrader"):
    T.add(f"exercises.export.{fn}", lambda fn=fn: call(getattr(export, fn), out_dir(fn), ["01"]),
          _check=lambda out: len(out) == 1 and out[0].name == "01_em.ipynb" and out[0].is_file(),
          out_dir=OUT_BAD, names=NAMES_BAD, key_fn=KEY_FN_BAD)
    # nothing is written before the arguments are checked
    T.case(f"exercises.export.{fn}", "nothing-written",
           lambda fn=fn: (getattr(export, fn)(TMP / f"never-{fn}", ["01", "99"]), None)[1], ValueError, names="names")


def test_a_bad_export_writes_nothing():
    for fn in ("export_otter", "export_nbgrader"):
        assert not (TMP / f"never-{fn}").exists()


# -- isolation: the grader's side ----------------------------------------------------------------------------------
T.add("exercises.isolation.Run", lambda: call(isolation.Run, None, True, None),
      results=[bad([], TypeError), bad("results", TypeError), bad(3, TypeError)],
      finished=[bad("yes", TypeError), bad(1, TypeError), bad(None, TypeError)],
      note=[bad(3, TypeError), bad(b"note", TypeError)])
T.add("exercises.isolation.package_dir", lambda: call(isolation.package_dir, tuple(FORBIDDEN)),
      _check=lambda out: "switched off while grading" in (out / "lecturekit" / "em.py").read_text(),
      forbidden=FORBIDDEN_BAD + [bad(["lecturekit.em:no_such_function"], ValueError, "stale"),
                                 bad(["lecturekit.no_such_module:f"], ValueError, "stale-module")])
JOB = {"mode": "pickle", "exercises": []}


def run_good():
    return call(isolation.run_sandboxed, dict(JOB), {}, {}, pkg=isolation.package_dir(()), hide=[],
                timeout=120.0, cell_timeout=120.0, memory_mb=8192.0, sandbox="none")


T.add("exercises.isolation.run_sandboxed", run_good,
      _check=lambda run: run.finished and run.note is None,  # starts a Python process: a few seconds
      job=[bad(None, TypeError), bad("job", TypeError), bad({"mode": "run", "exercises": []}, names="mode"),
           bad({"mode": "cells"}, names="exercises"), bad({"mode": "cells", "exercises": [{"id": "1.1"}]}, names="exercises")],
      cases=[bad(None, TypeError), bad([], TypeError)],
      files=[bad(None, TypeError), bad({"../escape.txt": b""}, ValueError, "path"), bad({"job.json": b"{}"}, ValueError, "box-file"),
             bad({"a.pkl": "text"}, TypeError, "str-content"), bad({3: b""}, TypeError, "int-name")],
      pkg=PATHS + [bad(TMP, ValueError, "no-package")],
      hide=[bad("/tmp", TypeError, "one-string"), bad(None, TypeError), bad([3], TypeError)],
      timeout=POSITIVE_FLOAT, cell_timeout=POSITIVE_FLOAT[:3], memory_mb=POSITIVE_FLOAT[:3],
      sandbox=[bad("nope"), bad(""), bad(None, ValueError), bad("jail", ValueError)])
T.case("exercises.isolation.run_sandboxed", "cases-missing-an-exercise",
       lambda: isolation.run_sandboxed({"mode": "pickle", "exercises": [{"id": "1.1", "function": "e_step"}]}, {}, {},
                                       pkg=isolation.package_dir(()), hide=[], timeout=60, cell_timeout=60,
                                       memory_mb=4096, sandbox="none"), ValueError, names="cases")

# -- sandbox: the inside -------------------------------------------------------------------------------------------
T.add("exercises.sandbox.resolve_forbidden", lambda: call(sandbox.resolve_forbidden, FORBIDDEN),
      _check=lambda out: out[1] == {"lecturekit.em:e_step": 1} and out[0] == {"em.py": {"e_step": "lecturekit.em.e_step"}},
      forbidden=FORBIDDEN_BAD + [bad(["os:path"], ValueError, "not-lecturekit"), bad({"a": 1}, TypeError, "dict")])
FAKE = TMP / "fake"
(FAKE / "lecturekit").mkdir(parents=True)
(FAKE / "lecturekit" / "__init__.py").write_text("")
(TMP / "notpkg").mkdir()
T.add("exercises.sandbox.redacted_package", lambda: call(sandbox.redacted_package, out_dir("redacted"), FORBIDDEN),
      _check=lambda out: out == {"lecturekit.em:e_step": 1},
      dest=PATHS + [bad(TEXT, NotADirectoryError, "a-file")], forbidden=FORBIDDEN_BAD[:3],
      source=[bad(3, TypeError), bad(MISSING, FileNotFoundError, "missing"), bad(TMP / "notpkg", ValueError, "no-init")])
# dest/lecturekit is the source itself: it would be deleted before the copy (a fake package, so a regression costs nothing)
T.case("exercises.sandbox.redacted_package", "dest-holds-source",
       lambda: sandbox.redacted_package(FAKE, FORBIDDEN, source=FAKE / "lecturekit"), ValueError, names="dest")


def test_redacted_package_never_deletes_its_source():
    assert (FAKE / "lecturekit" / "__init__.py").is_file()


CELLS = ["import torch", "def e_step(x, theta):\n    return x", "y = 1"]
CELLS_BAD = [bad("import torch", TypeError, "one-string"), bad(None, TypeError), bad([3], TypeError),
             bad([None], TypeError, "none-entry"), bad([{"source": "import torch"}], TypeError, "cell-dicts")]
T.add("exercises.sandbox.exercise_cells", lambda: call(sandbox.exercise_cells, CELLS, ["e_step"]),
      _check=lambda out: out == [1],
      cells=CELLS_BAD[:3], functions=[bad("e_step", TypeError, "one-string"), bad(None, TypeError), bad([3], TypeError),
                                      bad(["e step"], ValueError, "not-a-name"), bad(5, TypeError)])
T.add("exercises.sandbox.import_lines", lambda: call(sandbox.import_lines, CELLS),
      _check=lambda out: out == ["import torch"], cells=CELLS_BAD + [bad({"a": "import os"}, TypeError, "dict")])


# main: the command line the grader starts inside the box
def box(name: str, job=None, cases=True) -> str:
    folder = TMP / name
    folder.mkdir()
    if job is not None:
        (folder / "job.json").write_text(job if isinstance(job, str) else json.dumps(job))
    if cases:
        torch.save({}, folder / "cases.pt")
    return str(folder)


GOOD_BOX = box("good", JOB)
T.add("exercises.sandbox.main", lambda: call(sandbox.main, [GOOD_BOX]), _run_good=False,  # runs the job here
      argv=[bad("box", TypeError, "one-string"), bad([3], TypeError), bad(3, TypeError, "int")])
for argv, needle in (([], "one argument"), (["a", "b"], "one argument"), ([str(MISSING)], "box must be"),
                     ([""], "box must be"), ([box("nojob")], "job.json"), ([box("badjson", "{not json")], "job.json"),
                     ([box("badmode", {"mode": "run", "exercises": []})], "mode"),
                     ([box("badex", {"mode": "pickle", "exercises": [{"id": "1.1"}]})], "exercises"),
                     ([box("nocases", JOB, cases=False)], "cases.pt"),
                     ([box("nosub", {"mode": "cells", "exercises": []})], "submission.ipynb")):
    T.exit_case("exercises.sandbox.main", sandbox.main, argv, needle)


def test_sandbox_main_runs_a_good_box():
    """The control for the exit cases: a well-formed box runs and writes nothing for no exercises."""
    import contextlib
    import io

    folder = box("control", JOB)
    threads = torch.get_num_threads()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            assert sandbox.main([folder]) == 0
    finally:
        torch.set_num_threads(threads)  # main sets one thread for the sandboxed process


T.install(globals())
