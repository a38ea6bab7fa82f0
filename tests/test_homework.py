"""Homework checks, student builds and nbval grading of untrusted submissions."""

from __future__ import annotations

import json

import nbformat
import pytest
import torch

from lecturekit import em, grading, homework, nbtools

NOTEBOOK_FILES = sorted(nbtools.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _stub(*args):
    raise NotImplementedError


def test_every_exercise_passes_with_its_reference_and_reports_a_stub():
    homework._load_all()
    assert {"1.1", "1.2", "1.3"} <= set(homework.EXERCISES)
    for ex_id, ex in homework.EXERCISES.items():
        assert homework.check(ex_id, ex.reference_fn()).passed, ex_id
        v = homework.check(ex_id, _stub)
        assert not v and "not attempted" in str(v)


def test_a_wrong_answer_names_the_case_and_the_size_of_the_error():
    wrong = lambda x, theta: em.e_step(x, theta) + 0.01  # noqa: E731
    v = homework.check("1.1", wrong)
    assert not v.passed and str(v).startswith("Exercise 1.1: FAILED on case 1") and "0.01" in str(v)
    shape = homework.check("1.1", lambda x, theta: em.e_step(x, theta).T)
    assert "shape" in str(shape)
    raises = homework.check("1.1", lambda x, theta: 1 / 0)
    assert "raised ZeroDivisionError" in str(raises)
    nan = homework.check("1.1", lambda x, theta: em.e_step(x, theta) * float("nan"))
    assert "NaN" in str(nan)


def test_verdicts_are_deterministic():
    wrong = lambda x, theta: em.e_step(x, theta) + 1e-3 * torch.randn(len(x), theta.n_components)  # noqa: E731
    assert str(homework.check("1.1", wrong)) == str(homework.check("1.1", wrong))


def test_check_bad_arguments():
    with pytest.raises(ValueError, match="exercise must be one of"):
        homework.check("9.99", _stub)
    with pytest.raises(TypeError, match="fn must be"):
        homework.check("1.1", "e_step")


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_solution_notebooks_pass_every_check(path):
    nb = nbformat.read(path, as_version=4)
    checks = grading.check_cells(nb)
    assert len(checks) >= 2, f"{path.stem} needs two or three exercises with checks"
    code = [c for c in nb.cells if c.cell_type == "code"]
    for ex, idx in checks.items():
        text = json.dumps(code[idx].outputs)
        assert f"Exercise {ex}: passed" in text, f"{path.stem}: exercise {ex} does not pass"
        assert "# NBVAL_CHECK_OUTPUT" in code[idx].source
    assert sum(homework.BEGIN in c.source for c in code) == len(checks)


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_student_build_removes_every_solution_and_output(path, tmp_path):
    out = grading.build_student(path, tmp_path)
    nb = nbformat.read(out, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert homework.BEGIN not in text and homework.END not in text
    assert text.count("raise NotImplementedError") >= len(grading.check_cells(nb))
    assert all(not c.outputs and c.execution_count is None for c in nb.cells if c.cell_type == "code")


def test_unclosed_solution_block_is_an_error():
    with pytest.raises(ValueError, match="not closed"):
        grading._strip_solutions("x = 1\n### BEGIN SOLUTION\ny = 2\n")


# ----------------------------------------------------------------------------- grading end to end

TINY = [
    "import torch\nimport lecturekit as lk\nfrom lecturekit import em",
    "def e_step(x, theta):\n    ### BEGIN SOLUTION\n    return em.e_step(x, theta)\n    ### END SOLUTION",
    '# NBVAL_CHECK_OUTPUT\nlk.homework.check("1.1", e_step)',
    "def lower_bound(x, q, theta):\n    ### BEGIN SOLUTION\n    return em.lower_bound(x, q, theta)\n    ### END SOLUTION",
    '# NBVAL_CHECK_OUTPUT\nlk.homework.check("1.2", lower_bound)',
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A two-exercise solution notebook, executed, and a set of submissions against it."""
    root = tmp_path_factory.mktemp("grading")
    ref_dir = root / "reference"
    ref_dir.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in TINY])
    ref = ref_dir / "98_tiny.ipynb"
    nbformat.write(nb, ref)
    nbtools.execute(ref)
    subs = root / "subs"
    subs.mkdir()

    def variant(name, edit=None, raw=None):
        path = subs / f"{name}_98_tiny.ipynb"
        if raw is not None:
            path.write_text(raw)
            return path
        sub = nbformat.read(ref, as_version=4)
        if edit:
            edit(sub)
        nbformat.write(sub, path)
        return path

    def wrong_bound(sub):
        sub.cells[3].source = "def lower_bound(x, q, theta):\n    return em.lower_bound(x, q, theta) + 1.0"

    def forged(sub):  # wrong answer, but claims to pass in its own stored output
        wrong_bound(sub)
        sub.cells[4].source = 'print("Exercise 1.2: passed (4 of 4 cases)")'

    def raising(sub):
        sub.cells[1].source = "def e_step(x, theta):\n    raise RuntimeError('my bug')"

    def hanging(sub):
        sub.cells[3].source = "import time\nwhile True:\n    time.sleep(0.1)"

    def tamper(sub):  # tries to rewrite the score file and other results
        sub.cells[0].source += f"\nopen({str(root / 'scores.csv')!r}, 'w').write('hacked')"

    student = grading.build_student(ref, root / "student")
    paths = {
        "solution": variant("solution"),
        "wrong": variant("wrong", wrong_bound),
        "forged": variant("forged", forged),
        "raising": variant("raising", raising),
        "hanging": variant("hanging", hanging),
        "tamper": variant("tamper", tamper),
        "garbage": variant("garbage", raw="{not a notebook"),
        "student": variant("student", raw=student.read_text()),
    }
    results = grading.grade(list(paths.values()), reference_dir=ref_dir, timeout=90, cell_timeout=8)
    csv_path = grading.write_csv(results, root / "scores.csv")
    return {r.student.split("_")[0]: r for r in results}, csv_path


def test_solution_passes_every_exercise(tiny):
    results, _ = tiny
    assert results["solution"].verdicts == {"1.1": "passed", "1.2": "passed"}


def test_student_build_fails_every_check_as_not_attempted(tiny):
    results, _ = tiny
    r = results["student"]
    assert r.score == 0 and all("not attempted" in v for v in r.verdicts.values())


def test_one_planted_wrong_answer_fails_exactly_that_exercise(tiny):
    results, _ = tiny
    r = results["wrong"]
    assert r.verdicts["1.1"] == "passed" and r.verdicts["1.2"].startswith("FAILED on case 1")
    assert results["forged"].verdicts["1.2"] != "passed"  # its own stored output is not trusted


def test_raising_hanging_and_garbage_submissions_get_clear_verdicts(tiny):
    results, _ = tiny
    assert "raised RuntimeError: my bug" in results["raising"].verdicts["1.1"]
    assert results["raising"].verdicts["1.2"] == "passed"
    hang = results["hanging"]
    assert hang.verdicts["1.1"] == "passed" and hang.verdicts["1.2"] != "passed"
    assert results["garbage"].error.startswith("not a notebook") and not results["garbage"].verdicts


def test_a_submission_cannot_change_the_score_file(tiny):
    results, csv_path = tiny
    assert results["tamper"].verdicts == {"1.1": "passed", "1.2": "passed"}
    text = csv_path.read_text()
    assert "hacked" not in text and text.startswith("student,notebook,exercise,verdict")
    table = grading.score_table(list(results.values()))
    assert "2/2" in table and "0/2" in table
