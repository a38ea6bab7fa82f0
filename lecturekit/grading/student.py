"""Student notebooks: every reference solution (between ``### BEGIN SOLUTION`` and ``### END
SOLUTION``) replaced by a stub that raises ``NotImplementedError``, all outputs cleared, and a check
that each exercise cell is followed by its ``homework.check`` cell."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat

from ..homework import BEGIN, END
from ..checks import check_path
from ..nbtools import NOTEBOOKS

__all__ = ["build_student", "build_all", "check_cells"]


_CHECK = re.compile(r"homework\.check\(\s*[\"'](\d+\.\d+)[\"']")


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
    src = check_path("src", src, kind="file", suffixes=(".ipynb",))
    out_dir = check_path("out_dir", out_dir, kind="new_dir")
    if out_dir.resolve() == src.resolve().parent:
        raise ValueError(f"out_dir must not be the folder of src: the student version would overwrite "
                         f"{str(src)!r} (its solutions would be lost)")
    try:
        nb = nbformat.read(src, as_version=4)
    except Exception as err:  # not JSON, not a notebook
        raise ValueError(f"src {str(src)!r} is not a notebook ({type(err).__name__})") from None
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = _strip_solutions(cell.source)
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("jupytext", None)
    nb.metadata["lecturekit"] = {"notebook": src.stem, "student": True}
    out = out_dir / src.name
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


def build_all(out_dir: str | os.PathLike, notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Student versions of every notebook that has exercises (notebooks only: no solutions, no
    answers, no held-out cases)."""
    notebooks = check_path("notebooks", notebooks, kind="dir")
    out_dir = check_path("out_dir", out_dir, kind="new_dir")
    if out_dir.resolve() == notebooks.resolve():
        raise ValueError(f"out_dir must not be the notebooks folder: the student versions would overwrite "
                         f"the notebooks in {str(notebooks)!r}")
    built = []
    for src in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        if check_cells(nbformat.read(src, as_version=4)):
            built.append(build_student(src, out_dir))
    return built


def check_cells(nb) -> dict[str, int]:
    """Exercise id -> index (among code cells) of the cell that checks it. ``nb`` is a notebook
    as ``nbformat.read`` returns it (a plain dict with a ``cells`` list is converted)."""
    if isinstance(nb, (str, bytes, os.PathLike)):
        raise TypeError(f"nb must be a notebook object, got a {type(nb).__name__}: read the file first with "
                        "nbformat.read(path, as_version=4)")
    if not isinstance(nb, dict):
        raise TypeError(f"nb must be a notebook (nbformat.NotebookNode), got {type(nb).__name__}")
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise ValueError(f"nb must be a notebook with a list of cells, got {type(cells).__name__} for nb['cells']")
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str) \
                or not isinstance(cell.get("source"), (str, list)):
            raise ValueError(f"nb must hold cells with a cell_type and a source, but cell {i} is {cell!r:.80}")
    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.from_dict(nb)
    found, k = {}, 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        m = _CHECK.search(source)
        if m:
            found[m.group(1)] = k
        k += 1
    return found
