"""What runs inside the grading sandbox, and the redacted copy of the package it imports.

The grader (:mod:`lecturekit.grading`) gives each submission a private folder (the "box") with

* ``job.json``: the exercises to run (id and function name) and how to get the functions:
  ``"cells"`` (execute the notebook's import lines and its exercise cells, nothing else) or
  ``"pickle"`` (functions serialized by value with cloudpickle, for otter and nbgrader tests);
* ``cases.pt``: the inputs of the public and the held-out cases (no expected outputs);
* ``submission.ipynb`` or ``functions.pkl``.

``python -m lecturekit.exercises.sandbox BOX`` (exit status 2 and one line on stderr for a bad
BOX) calls each function on each case and writes the
flattened outputs (tensors only) to ``BOX/results.pt``; the grader compares them with the
answers, which never enter the box. It prints a marker line before each cell and each case so
that the grader can enforce a per-cell time limit (the clock starts at the first exercise cell:
start-up and imports count against the per-notebook limit only). The package it imports is a copy in which
every function listed in an exercise's ``forbidden`` raises :class:`RuntimeError`
(:func:`redacted_package`): a submission that calls the package's answer gets nothing for it.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import shutil
import sys
from pathlib import Path

__all__ = ["redacted_package", "resolve_forbidden", "exercise_cells", "import_lines", "main"]

MARK = "@@lecturekit-sandbox"


# ------------------------------------------------------------------------------------ redaction

class _Redactor(ast.NodeTransformer):
    """Replace the body of each function whose qualified name is in ``targets`` by a raise."""

    def __init__(self, targets: dict[str, str]):
        self.targets, self._class = targets, []

    def visit_ClassDef(self, node):
        self._class.append(node.name)
        self.generic_visit(node)
        self._class.pop()
        return node

    def visit_FunctionDef(self, node):
        qualname = ".".join([*self._class, node.name])
        if qualname in self.targets:
            message = (f"{self.targets[qualname]} is switched off while grading: it computes the answer to an "
                       f"exercise; write the computation yourself")
            node.body = [ast.Raise(exc=ast.Call(func=ast.Name("RuntimeError", ast.Load()),
                                                args=[ast.Constant(message)], keywords=[]), cause=None)]
        return node  # nested functions keep their code

    visit_AsyncFunctionDef = visit_FunctionDef


def _members(module):
    """(public path, function) for the functions and the methods of the classes that the module
    or its submodules define (so a package's re-exports count, imported helpers do not)."""
    import inspect

    def own(obj):
        defined = getattr(obj, "__module__", "") or ""
        return defined == module.__name__ or defined.startswith(module.__name__ + ".")

    for name, obj in vars(module).items():
        if inspect.isclass(obj) and own(obj):
            for cls in obj.__mro__:
                if not own(cls):
                    continue
                for attr, val in vars(cls).items():
                    if isinstance(val, (staticmethod, classmethod)):
                        val = val.__func__
                    elif isinstance(val, property):
                        val = val.fget
                    if inspect.isfunction(val):
                        yield f"{name}.{attr}", val
        elif inspect.isfunction(obj) and own(obj):
            yield name, obj


def check_forbidden(forbidden) -> list[str]:
    """``forbidden`` checked: a list, tuple or set of ``"lecturekit.module:pattern"`` strings."""
    if isinstance(forbidden, (str, bytes)) or not isinstance(forbidden, (list, tuple, set, frozenset)):
        raise TypeError(f"forbidden must be a list of 'lecturekit.module:function' strings, got {forbidden!r}")
    items = list(forbidden)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"forbidden must hold 'lecturekit.module:function' strings, got {item!r}")
        module_name, _, pattern = item.partition(":")
        if not module_name.startswith("lecturekit.") or not pattern:
            raise ValueError(f"forbidden entries look like 'lecturekit.module:function', got {item!r}")
    return items


def resolve_forbidden(forbidden) -> tuple[dict[str, dict[str, str]], dict[str, int]]:
    """Map ``"module:pattern"`` entries to the functions they name, by import: defining file
    (relative to the package) -> {qualname: public name}; and how many each entry matched."""
    import importlib
    import inspect

    package = Path(__file__).resolve().parents[1]
    targets: dict[str, dict[str, str]] = {}
    counts = {}
    for item in check_forbidden(forbidden):
        module_name, _, pattern = item.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            counts[item] = 0
            continue
        n = 0
        for public, fn in _members(module):
            if not fnmatch.fnmatchcase(public, pattern):
                continue
            fn = inspect.unwrap(fn)
            try:
                rel = Path(inspect.getsourcefile(fn)).resolve().relative_to(package)
            except (TypeError, ValueError):
                continue
            targets.setdefault(str(rel), {})[fn.__qualname__] = f"{module_name}.{public}"
            n += 1
        counts[item] = n
    return targets, counts


def redacted_package(dest: str | os.PathLike, forbidden, *, source: Path | None = None) -> dict[str, int]:
    """Copy the ``lecturekit`` package into ``dest/lecturekit`` with every function named by
    ``forbidden`` (``"module:qualname"``, ``fnmatch`` patterns, ``*`` for any class) replaced by
    one that raises. The stored answers are left out.

    Returns how many functions each entry matched (an entry that matches nothing is a stale name).
    """
    from ..checks import check_path

    dest = check_path("dest", dest, kind="new_dir")
    if source is None:
        source = Path(__file__).resolve().parents[1]
    else:
        source = check_path("source", source, kind="dir")
        if not (source / "__init__.py").is_file():
            raise ValueError(f"source must be the folder of the lecturekit package, but {source} has no __init__.py")
    check_forbidden(forbidden)
    target = dest / "lecturekit"
    src, tgt = source.resolve(), target.resolve()
    if src == tgt or src in tgt.parents or tgt in src.parents:
        raise ValueError(f"dest must not hold the package being copied: {target} would replace {source}")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "answers.pt"))
    targets, counts = resolve_forbidden(forbidden)
    for rel, names in targets.items():
        path = target / rel
        tree = _Redactor(names).visit(ast.parse(path.read_text(), filename=str(path)))
        path.write_text(ast.unparse(ast.fix_missing_locations(tree)) + "\n")
    return counts


# ---------------------------------------------------------------------- what runs of a notebook

_MAGIC = re.compile(r"^\s*[%!]")


def _parse(source: str):
    source = "\n".join("pass  # magic" if _MAGIC.match(line) else line for line in source.splitlines())
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def _check_cells(cells) -> list[str]:
    if isinstance(cells, (str, bytes)) or not isinstance(cells, (list, tuple)):
        raise TypeError(f"cells must be a list of code cells' sources (str), got {type(cells).__name__}")
    for source in cells:
        if not isinstance(source, str):
            raise TypeError(f"cells must hold the code cells' sources as str, got {type(source).__name__}")
    return list(cells)


def import_lines(cells: list[str]) -> list[str]:
    """Every top-level ``import``/``from … import`` statement of the code cells, in order."""
    cells = _check_cells(cells)
    out = []
    for source in cells:
        tree = _parse(source)
        for node in tree.body if tree else []:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                out.append(ast.unparse(node))
    return out


def _defines(tree, names: set[str]) -> bool:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in names:
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(n, ast.Name) and n.id in names for t in targets for n in ast.walk(t)):
                return True
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name.split(".")[0]) in names for a in node.names):
                return True
    return False


def exercise_cells(cells: list[str], functions) -> list[int]:
    """Indices of the code cells that define one of the exercise functions at top level."""
    cells = _check_cells(cells)
    if isinstance(functions, (str, bytes)) or not isinstance(functions, (list, tuple, set, frozenset)):
        raise TypeError(f"functions must be a list of function names, got {functions!r}")
    for f in functions:
        if not isinstance(f, str):
            raise TypeError(f"functions must hold function names as str, got {f!r}")
        if not f.isidentifier():
            raise ValueError(f"functions must hold Python function names, got {f!r}")
    names = set(functions)
    return [i for i, source in enumerate(cells) if (tree := _parse(source)) is not None and _defines(tree, names)]


# --------------------------------------------------------------------------------- the runner

def _say(*words) -> None:
    sys.__stdout__.write(" ".join([MARK, *map(str, words)]) + "\n")
    sys.__stdout__.flush()


def _first_line(err: BaseException) -> str:
    msg = str(err).splitlines()[0] if str(err) else ""
    return f"{type(err).__name__}: {msg}".rstrip(": ")


def _save(results: dict, box: Path) -> None:
    import torch

    tmp = box / ".results.tmp"
    torch.save(results, tmp)
    os.replace(tmp, box / "results.pt")


class _UsageError(Exception):
    pass


def _read_job(argv) -> tuple[Path, dict]:
    """The box folder named by the one argument, and its checked ``job.json``."""
    if len(argv) != 1:
        raise _UsageError(f"expected one argument, the box folder, got {len(argv)}: usage: python -m "
                          "lecturekit.exercises.sandbox BOX")
    box = Path(argv[0])
    if not argv[0].strip() or not box.is_dir():
        raise _UsageError(f"box must be an existing folder, got {argv[0]!r}")
    try:
        job = json.loads((box / "job.json").read_text())
    except (OSError, ValueError) as err:
        raise _UsageError(f"box {argv[0]!r} has no readable job.json ({type(err).__name__})") from None
    if not isinstance(job, dict) or job.get("mode") not in ("cells", "pickle"):
        mode = job.get("mode") if isinstance(job, dict) else None
        raise _UsageError(f"job.json: mode must be 'cells' or 'pickle', got {mode!r}")
    exercises = job.get("exercises")
    if not isinstance(exercises, list) or not all(
            isinstance(ex, dict) and isinstance(ex.get("id"), str) and isinstance(ex.get("function"), str)
            for ex in exercises):
        raise _UsageError("job.json: exercises must be a list of {\"id\": ..., \"function\": ...} entries")
    if not (box / "cases.pt").is_file():
        raise _UsageError(f"box {argv[0]!r} has no cases.pt")
    needed = "submission.ipynb" if job["mode"] == "cells" else None
    if needed and not (box / needed).is_file():
        raise _UsageError(f"box {argv[0]!r} has no {needed} (job.json's mode is 'cells')")
    return box, job


def main(argv: list[str] | None = None) -> int:
    """``python -m lecturekit.exercises.sandbox BOX``: run the job in BOX (see the module docstring)."""
    argv = sys.argv[1:] if argv is None else argv
    if isinstance(argv, (str, bytes)) or not isinstance(argv, (list, tuple)) or \
            not all(isinstance(a, str) for a in argv):
        raise TypeError(f"argv must be a list of str (the box folder), got {argv!r}")
    try:
        box, job = _read_job(list(argv))
    except _UsageError as err:
        print(f"lecturekit.exercises.sandbox: error: {err}", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(1)
    from lecturekit.homework import run_case

    cases = torch.load(box / "cases.pt", weights_only=False)
    results = {"notes": [], "exercises": {}}
    functions = {}
    if job["mode"] == "cells":
        nb = json.loads((box / "submission.ipynb").read_text())
        cells = [("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
                 for c in nb.get("cells", []) if c.get("cell_type") == "code"]
        names = [ex["function"] for ex in job["exercises"]]
        ns = {"__name__": "__main__", "__builtins__": __builtins__}
        for line in import_lines(cells):  # bounded by the per-notebook limit only (imports can be slow)
            try:
                exec(compile(line, "<imports>", "exec"), ns)
            except BaseException as err:  # noqa: BLE001 - a bad import is the student's, not ours
                results["notes"].append(f"import failed: {line} ({_first_line(err)})")
        for i in exercise_cells(cells, names):
            _say("cell", i)
            source = "\n".join("" if _MAGIC.match(line) else line for line in cells[i].splitlines())
            try:
                exec(compile(source, f"<cell {i}>", "exec"), ns)
            except BaseException as err:  # noqa: BLE001
                results["notes"].append(f"cell {i} raised {_first_line(err)}")
        for ex in job["exercises"]:
            functions[ex["id"]] = ns.get(ex["function"])
    else:
        import cloudpickle

        for ex in job["exercises"]:
            _say("load", ex["id"])
            try:
                with open(box / f"function-{ex['id']}.pkl", "rb") as f:
                    functions[ex["id"]] = cloudpickle.load(f)
            except BaseException as err:  # noqa: BLE001
                functions[ex["id"]] = None
                results["notes"].append(f"{ex['function']} could not be loaded: {_first_line(err)}")
    for ex in job["exercises"]:
        fn = functions.get(ex["id"])
        out = {}
        for split in ("visible", "hidden"):
            out[split] = []
            for i, args in enumerate(cases[ex["id"]].get(split, []), start=1):
                if not callable(fn):
                    out[split].append(f"missing: the notebook defines no function {ex['function']}")
                    continue
                _say("case", ex["id"], split, i)
                try:
                    out[split].append(run_case(fn, args, seed=i))
                except BaseException as err:  # noqa: BLE001 - SystemExit and friends are verdicts too
                    out[split].append(f"raised {_first_line(err)}")
        results["exercises"][ex["id"]] = out
        _save(results, box)
    _say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
