"""The notebook pipeline: every percent script has an executed, in-sync .ipynb with no errors.

nbval itself (``pytest --nbval-lax``, configured in pyproject.toml) re-runs every notebook and
compares the outputs of ``# NBVAL_CHECK_OUTPUT`` cells; these tests make sure it has something
real to compare.
"""

from __future__ import annotations

import re

import jupytext
import nbformat
import pytest

from lecturekit import nbtools

SCRIPTS = nbtools.list_notebooks()
IDS = [s.stem for s in SCRIPTS]


def test_there_are_notebooks():
    assert SCRIPTS, "no notebooks/NN_topic.py found"
    assert [s.stem[:2] for s in SCRIPTS] == sorted(s.stem[:2] for s in SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_pair_in_sync(script):
    ipynb = script.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.name} is missing: run `make notebooks`"
    from_ipynb = jupytext.writes(jupytext.read(ipynb), fmt="py:percent")
    from_script = jupytext.writes(jupytext.read(script, fmt="py:percent"), fmt="py:percent")
    assert from_ipynb == from_script, f"{ipynb.name} is out of sync with {script.name}: run `make notebooks`"


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_every_code_cell_executed_without_error(script):
    nb = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    counts = [c.execution_count for c in code]
    assert None not in counts, f"{script.stem}: unexecuted cells would pass nbval unchecked"
    assert counts == list(range(1, len(code) + 1)), f"{script.stem}: executed out of order {counts}"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{script.stem} stores an error output: {errors[0].get('ename')}"


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_numbers_are_checked(script):
    nb = jupytext.read(script, fmt="py:percent")
    checked = [c for c in nb.cells if c.cell_type == "code" and "# NBVAL_CHECK_OUTPUT" in c.source]
    assert checked, f"{script.stem} has no # NBVAL_CHECK_OUTPUT cell: nbval would compare nothing"


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_structure(script):
    text = script.read_text()
    assert "lk.seed(" in text, "the setup cell must seed"
    assert "## Summary" in text and "## Exercises" in text


FLOAT_REPR = re.compile(r"^-?\d+\.\d{7,}(e[-+]\d+)?$|^-?\d(\.\d+)?e[-+]\d+$")


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_checked_cells_store_no_full_precision_number(script):
    """A checked cell whose last line is ``check(...)`` would show its return value, a float in
    full precision, which nbval then compares digit for digit (it differs in the 13th digit on
    another run): such cells assign it (``_ = check(...)``)."""
    nb = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "NBVAL_CHECK_OUTPUT" not in cell.source:
            continue
        for out in cell.outputs:
            text = str(out.get("data", {}).get("text/plain", "")).strip() if out.output_type == "execute_result" else ""
            assert not FLOAT_REPR.match(text), f"{script.stem} cell {i} stores the bare number {text}"
