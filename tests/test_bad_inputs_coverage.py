"""Every public module of lecturekit has a bad-input table.

Each ``tests/test_bad_inputs_<topic>.py`` checks that the modules *it names* give every public
entry point at least five bad-input cases. This test closes the gap above that: a module whose
``__all__`` holds an entry point (a function, a class that takes arguments, or a public method)
must be named by one of those tables, so a new module without a table fails the suite.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import lecturekit
from tests.support.bad_inputs import entry_points

HERE = Path(__file__).resolve().parent


def table_modules() -> dict[str, str]:
    """The modules named by each table file's ``Table(topic, [modules...])``: {module: file name}."""
    owners: dict[str, str] = {}
    for path in sorted(HERE.glob("test_bad_inputs_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Table" and len(node.args) >= 2
                    and isinstance(node.args[1], (ast.List, ast.Tuple))):
                for element in node.args[1].elts:
                    if isinstance(element, ast.Constant) and isinstance(element.value, str):
                        owners[element.value] = path.name
    return owners


def public_modules() -> list[str]:
    """Every importable module of the package, except the command-line entry ``__main__``."""
    names = ["lecturekit"]
    for info in pkgutil.walk_packages(lecturekit.__path__, "lecturekit."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            names.append(info.name)
    return sorted(names)


def test_table_files_are_found():
    owners = table_modules()
    # the parser must see the tables (a test that finds nothing would pass vacuously)
    assert len(owners) >= 30, owners
    assert owners.get("lecturekit.em") == "test_bad_inputs_em.py"


def test_every_module_with_entry_points_has_a_table():
    owners = table_modules()
    missing = []
    for name in public_modules():
        module = importlib.import_module(name)
        # a package that only re-exports its submodules' names leaves them to those modules' rows
        siblings = tuple(m for m in owners if m.startswith(name + "."))
        own = entry_points(name, siblings) if getattr(module, "__all__", None) else []
        if own and name not in owners:
            # a submodule of a package whose table covers it: the package re-exports every public name
            parents = [p for p in owners if name.startswith(p + ".")]
            exported = {n for p in parents for n in getattr(importlib.import_module(p), "__all__", ())}
            short = name.removeprefix("lecturekit.") + "."
            own = [k for k in own if k.removeprefix(short).split(".")[0] not in exported]
        if own and name not in owners:
            missing.append(f"{name} ({len(own)} entry points, e.g. {own[0]})")
    assert not missing, ("public modules without a bad-input table (add them to a Table in "
                         "tests/test_bad_inputs_<topic>.py): " + "; ".join(missing))


def test_tables_name_only_real_modules():
    real = set(public_modules())
    stale = sorted(m for m in table_modules() if m not in real)
    assert not stale, f"tables name modules that no longer exist: {stale}"
