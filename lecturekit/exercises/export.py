"""Export the exercises as an otter-grader assignment or an nbgrader source folder.

Each notebook with exercises becomes a homework notebook: a title, one cell with the lecture
notebook's imports, and its Exercises section (prompts and solution cells). Each exercise is
graded by two tests that call :func:`lecturekit.grading.verify`, which runs the student's
function, serialized by value, in the grading sandbox with the package's answers switched off:
a public test on the cases students can check themselves, and a hidden one on held-out cases
whose inputs and answers are written into the instructor's files only (otter: a file in the
autograder zip; nbgrader: a hidden-tests block, removed from the release).

    lecturekit homework export --format otter OUT     # then: cd OUT/01_em && otter assign 01_em.ipynb dist
    lecturekit homework export --format nbgrader OUT  # then: cd OUT && nbgrader generate_assignment 01_em
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat

from .. import homework
from ..checks import check_path
from ..homework import BEGIN, END
from ..nbtools import NOTEBOOKS
from .sandbox import import_lines

__all__ = ["homework_notebook", "export_otter", "export_nbgrader", "FORMATS", "hidden_file"]

FORMATS = ("otter", "nbgrader")
_CHECK = re.compile(r"homework\.check\(\s*[\"'](\d+\.\d+)[\"']")
_EXERCISE_ID = re.compile(r"[0-9]+\.[0-9]+")


def hidden_file(exercise: str) -> str:
    """The name of the file an otter autograder keeps the held-out cases of ``exercise`` in."""
    if not isinstance(exercise, str):
        raise TypeError(f"exercise must be an exercise id such as '1.1', got {exercise!r}")
    if not _EXERCISE_ID.fullmatch(exercise):
        raise ValueError(f"exercise must be an exercise id such as '1.1' (notebook.number), got {exercise!r}")
    return f"lecturekit_hidden_{exercise}.txt"


def _title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "Homework"


def homework_notebook(src: str | os.PathLike) -> tuple[nbformat.NotebookNode, list]:
    """The homework notebook of lecture notebook ``src`` (with solutions), and its exercises as
    ``(exercise, prompt cells, solution cell)``."""
    src = _lecture_notebook(src)
    try:
        nb = nbformat.read(src, as_version=4)
    except Exception as err:  # not JSON, not a notebook
        raise ValueError(f"src must be a Jupyter notebook, but {src.name} cannot be read as one "
                         f"({type(err).__name__})") from None
    exercises = {ex.id: ex for ex in homework.exercises_of(int(src.stem[:2]))}
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    start = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "## Exercises" in c.source), None)
    if start is None or not exercises:
        raise ValueError(f"src {src.name} has no Exercises section (or no exercises registered)")
    intro = nb.cells[start].source
    intro = intro[intro.index("## Exercises"):].replace("## Exercises", "## Instructions", 1)
    intro = re.sub(r"run the\s+check cell: it compares", "run the test cell below it: it compares", intro)
    items, prompts, solution = [], [], None
    for cell in nb.cells[start + 1:]:
        m = _CHECK.search(cell.source) if cell.cell_type == "code" else None
        if m:
            items.append((exercises[m.group(1)], prompts, solution))
            prompts, solution = [], None
        elif cell.cell_type == "code" and BEGIN in cell.source:
            solution = cell
        elif cell.cell_type == "markdown" and not cell.source.lstrip().startswith(("### Going further", "## References")):
            prompts.append(cell)
        elif cell.cell_type == "markdown":
            break
    missing = set(exercises) - {ex.id for ex, _, _ in items}
    if missing or any(s is None for _, _, s in items):
        raise ValueError(f"src {src.name}: exercises {sorted(missing) or ''} lack a solution or a check cell")
    head = [nbformat.v4.new_markdown_cell(f"# Homework · {_title(nb)}\n\nThe exercises of the lecture notebook "
                                          f"`{src.stem}.ipynb`; read it first.\n\n{intro}"),
            nbformat.v4.new_code_cell("\n".join(_imports_used(import_lines(code), [s.source for _, _, s in items])))]
    out = nbformat.v4.new_notebook(cells=head, metadata={"kernelspec": {"display_name": "Python 3 (ipykernel)",
                                                                        "language": "python", "name": "python3"}})
    return out, items


def _lecture_notebook(src) -> Path:
    """``src`` checked: an existing ``NN_topic.ipynb`` file."""
    src = check_path("src", src, kind="file", suffixes=(".ipynb",))
    if not re.fullmatch(r"[0-9]{2}_.*", src.stem):
        raise ValueError(f"src must be a lecture notebook named like 01_em.ipynb, got {src.name}")
    return src


def _check_export_args(out_dir, key_fn) -> Path:
    out_dir = check_path("out_dir", out_dir, kind="new_dir")
    if key_fn is not None and not callable(key_fn):
        raise TypeError(f"key_fn must be a function like grading.answer_key or None, got {key_fn!r}")
    return out_dir


def _imports_used(lines: list[str], sources: list[str]) -> list[str]:
    """The import lines that bind a name the solutions use (plus torch and lecturekit as lk)."""
    import ast

    text, keep = "\n".join(sources), []
    for line in dict.fromkeys(lines):
        names = [a.asname or a.name.split(".")[0] for a in ast.parse(line).body[0].names]
        if any(n in ("torch", "lk") or re.search(rf"\b{re.escape(n)}\b", text) for n in names):
            keep.append(line)
    return keep


def _tests(ex, *, hidden: str | None) -> tuple[str, str]:
    # each test imports verify itself, so that a student's global named verify changes nothing
    imp = "from lecturekit.grading import verify as _lk_verify\n"
    public = f'{imp}_lk_verify("{ex.id}", {ex.function}{", hidden=" + repr(hidden) if hidden else ""}).assert_passed()'
    secret = f'{imp}_lk_verify("{ex.id}", {ex.function}, "hidden", hidden={hidden!r}).assert_passed()'
    return public, secret


def export_otter(out_dir: str | os.PathLike, names=None, *, key_fn=None) -> list[Path]:
    """Write one otter-grader master notebook per lecture notebook into ``out_dir/NN_topic/``,
    with the held-out cases in files listed as ``autograder_files``. Returns the notebooks."""
    from .. import grading

    out_dir = _check_export_args(out_dir, key_fn)
    written = []
    for src in _sources(names):
        nb, items = homework_notebook(src)
        folder = Path(out_dir) / src.stem
        folder.mkdir(parents=True, exist_ok=True)
        key = (key_fn or grading.answer_key)([ex.id for ex, _, _ in items])
        files = []
        for ex, _, _ in items:
            (folder / hidden_file(ex.id)).write_text(grading.encode_cases(key, ex.id) + "\n")
            files.append(hidden_file(ex.id))
        config = {"name": src.stem, "init_cell": True, "check_all_cell": False, "export_cell": False,
                  "run_tests": False, "generate": True, "autograder_files": files,
                  "tests": {"files": False, "ok_format": True}}
        cells = [nbformat.v4.new_raw_cell("# ASSIGNMENT CONFIG\n" + _yaml(config)), *nb.cells]
        for ex, prompts, solution in items:
            public, secret = _tests(ex, hidden=hidden_file(ex.id))
            sol = solution.source.replace(BEGIN, "# BEGIN SOLUTION").replace(END, "# END SOLUTION")
            cells += [nbformat.v4.new_raw_cell(f"# BEGIN QUESTION\nname: q{ex.id.replace('.', '_')}\npoints: 1"),
                      *[nbformat.v4.new_markdown_cell(p.source) for p in prompts],
                      nbformat.v4.new_raw_cell("# BEGIN SOLUTION"),
                      nbformat.v4.new_code_cell(sol),
                      nbformat.v4.new_raw_cell("# END SOLUTION"),
                      nbformat.v4.new_raw_cell("# BEGIN TESTS"),
                      nbformat.v4.new_code_cell(public),
                      nbformat.v4.new_code_cell('""" # BEGIN TEST CONFIG\nhidden: true\n""" # END TEST CONFIG\n' + secret),
                      nbformat.v4.new_raw_cell("# END TESTS"),
                      nbformat.v4.new_raw_cell("# END QUESTION")]
        nb.cells = cells
        path = folder / f"{src.stem}.ipynb"
        nbformat.write(nb, path)
        written.append(path)
    return written


_NBGRADER_CONFIG = '''c = get_config()  # noqa: F821 - nbgrader's configuration object
c.CourseDirectory.course_id = "lecturekit"
c.ExecutePreprocessor.timeout = 600
'''


def export_nbgrader(out_dir: str | os.PathLike, names=None, *, key_fn=None) -> list[Path]:
    """Write an nbgrader course folder: ``nbgrader_config.py`` and ``source/NN_topic/NN_topic.ipynb``
    per lecture notebook, the held-out cases inside hidden-test blocks. Returns the notebooks."""
    from .. import grading

    out_dir = _check_export_args(out_dir, key_fn)
    written = []
    for src in _sources(names):
        nb, items = homework_notebook(src)
        key = (key_fn or grading.answer_key)([ex.id for ex, _, _ in items])
        for ex, prompts, solution in items:
            public, secret = _tests(ex, hidden=None)
            blob = grading.encode_cases(key, ex.id)
            secret = secret.replace(repr(None), "_lecturekit_hidden")
            sol = nbformat.v4.new_code_cell(solution.source)
            sol.metadata["nbgrader"] = {"grade": False, "grade_id": ex.function, "locked": False,
                                        "schema_version": 3, "solution": True, "task": False}
            test = nbformat.v4.new_code_cell(
                f"### BEGIN HIDDEN TESTS\n_lecturekit_hidden = {blob!r}\n{secret}\n### END HIDDEN TESTS\n{public}")
            test.metadata["nbgrader"] = {"grade": True, "grade_id": f"test_{ex.id.replace('.', '_')}", "locked": True,
                                         "points": 1, "schema_version": 3, "solution": False, "task": False}
            nb.cells += [*[nbformat.v4.new_markdown_cell(p.source) for p in prompts], sol, test]
        folder = Path(out_dir) / "source" / src.stem
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{src.stem}.ipynb"
        nbformat.write(nb, path)
        written.append(path)
    (Path(out_dir) / "nbgrader_config.py").write_text(_NBGRADER_CONFIG)
    return written


def _sources(names) -> list[Path]:
    all_nbs = sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if homework.exercises_of(int(p.stem[:2])))
    if names is None:
        return all_nbs
    if isinstance(names, (str, bytes, os.PathLike)):
        raise TypeError(f"names must be a list of notebook names, got a single {type(names).__name__}")
    if not isinstance(names, (list, tuple)):
        raise TypeError(f"names must be a list of notebook names such as ['01'] (or None for all), got {names!r}")
    if not names:
        raise ValueError("names must list at least one notebook (or be None for all), got an empty list")
    out = []
    for name in names:
        if not isinstance(name, (str, os.PathLike)):
            raise TypeError(f"names must hold notebook names such as '01' or '01_em', got {name!r}")
        match = [p for p in all_nbs if str(name) in (p.stem, p.stem[:2], p.name)]
        if not match:
            raise ValueError(f"names: each notebook must be one of {', '.join(p.stem for p in all_nbs)}, "
                             f"got {name!r}")
        out.extend(match)
    return out


def _yaml(value, indent: int = 0) -> str:
    """A small YAML writer for the otter config (dicts, lists, strings, numbers, booleans)."""
    pad, lines = " " * indent, []
    for k, v in value.items():
        if isinstance(v, dict):
            lines.append(f"{pad}{k}:")
            lines.append(_yaml(v, indent + 2))
        elif isinstance(v, list):
            lines.append(f"{pad}{k}:" + ("" if v else " []"))
            lines += [f"{pad}  - {json.dumps(x)}" for x in v]
        else:
            lines.append(f"{pad}{k}: {json.dumps(v)}")
    return "\n".join(lines)
