"""The exports graded by the real tools: ``otter assign`` + ``otter run`` (no Docker) and nbgrader
``generate_assignment`` + ``autograde`` on a good, a wrong and a cheating submission of notebook
01, with the same verdicts as ``lecturekit homework grade``."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lecturekit import grading, nbtools
from lecturekit.exercises import export

pytest.importorskip("otter", reason="otter-grader is in the 'grading' extra (make test installs it)")
pytest.importorskip("nbgrader", reason="nbgrader is in the 'grading' extra (make test installs it)")

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
ENV = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", OMP_NUM_THREADS="1", TQDM_DISABLE="1")

GOOD = {
    "e_step": "def e_step(x, theta):\n    g = torch.distributions.MultivariateNormal(theta.means, covariance_matrix="
              "theta.covariances)\n    return torch.softmax(theta.weights.log() + g.log_prob(x[:, None, :]), 1)",
    "lower_bound": "def lower_bound(x, q, theta):\n    g = torch.distributions.MultivariateNormal(theta.means, "
                   "covariance_matrix=theta.covariances)\n    lj = theta.weights.log() + g.log_prob(x[:, None, :])\n"
                   "    return (q * lj).sum() - torch.special.xlogy(q, q).sum()",
    "m_step": "def m_step(x, q):\n    nk = q.sum(0)\n    means = q.T @ x / nk[:, None]\n    d = x[None] - means[:, None]\n"
              "    cov = torch.einsum('nk,kni,knj->kij', q, d, d) / nk[:, None, None]\n"
              "    return em.MixtureParams(nk / len(x), means, cov)",
}
SUBMISSIONS = {
    "good": GOOD,
    "wrong": {**GOOD, "lower_bound": GOOD["lower_bound"] + " + 1e-3"},
    "cheat": {"e_step": "from lecturekit.em import e_step",
              "lower_bound": "def lower_bound(x, q, theta):\n    return lk.em.lower_bound(x, q, theta)",
              "m_step": "def m_step(x, q):\n    return em.m_step(x, q, reg_covar=0.0)"},
}
EXPECTED = {"good": [1, 1, 1], "wrong": [1, 0, 1], "cheat": [0, 0, 0]}


def _fill(student: Path, out: Path, functions: dict[str, str]) -> Path:
    """The released notebook with each exercise cell replaced by the submission's code."""
    nb = nbformat.read(student, as_version=4)
    for cell in nb.cells:
        for name, source in functions.items():
            if cell.cell_type == "code" and cell.source.lstrip().startswith(f"def {name}("):
                cell.source = source
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


def _code(path: Path) -> str:
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


def _run(cmd, cwd, timeout=600):
    out = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def otter_scores(tmp_path_factory):
    root = tmp_path_factory.mktemp("otter")
    [master] = export.export_otter(root, ["01"])
    _run([str(BIN / "otter"), "assign", master.name, "dist"], cwd=master.parent)
    dist = master.parent / "dist"
    student = dist / "student" / "01_em.ipynb"
    [zip_path] = (dist / "autograder").glob("*.zip")
    scores = {}
    for name, functions in SUBMISSIONS.items():
        sub = _fill(student, root / "subs" / f"{name}_01_em.ipynb", functions)
        out = root / f"out-{name}"
        out.mkdir()
        _run([str(BIN / "otter"), "run", "-a", str(zip_path), "-o", str(out), "--no-logo", str(sub)], cwd=root)
        tests = json.loads((out / "results.json").read_text())["tests"]
        scores[name] = {t["name"]: t["score"] for t in tests if t["name"].startswith("q")}
    return scores, dist, root


@pytest.fixture(scope="module")
def nbgrader_scores(tmp_path_factory):
    root = tmp_path_factory.mktemp("nbgrader")
    export.export_nbgrader(root, ["01"])
    _run([str(BIN / "nbgrader"), "generate_assignment", "01_em", "--force"], cwd=root)
    release = root / "release" / "01_em" / "01_em.ipynb"
    for name, functions in SUBMISSIONS.items():
        _fill(release, root / "submitted" / name / "01_em" / "01_em.ipynb", functions)
    _run([str(BIN / "nbgrader"), "autograde", "01_em", "--force"], cwd=root)
    _run([str(BIN / "nbgrader"), "export"], cwd=root)
    totals = {row["student_id"]: float(row["score"]) for row in csv.DictReader(open(root / "grades.csv"))}
    per_cell = {}
    for name in SUBMISSIONS:
        graded = nbformat.read(root / "autograded" / name / "01_em" / "01_em.ipynb", as_version=4)
        per_cell[name] = [0 if any(o.get("output_type") == "error" for o in c.outputs) else 1
                          for c in graded.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    return totals, per_cell, release


@pytest.fixture(scope="module")
def lecturekit_scores(tmp_path_factory):
    root = tmp_path_factory.mktemp("inhouse")
    student = grading.build_student(nbtools.NOTEBOOKS / "01_em.ipynb", root / "build")
    paths = [_fill(student, root / "subs" / f"{name}_01_em.ipynb", f) for name, f in SUBMISSIONS.items()]
    return {r.student.split("_")[0]: r for r in grading.grade(paths, timeout=300, cell_timeout=60)}


def test_otter_gives_full_partial_and_no_credit(otter_scores):
    scores, dist, _ = otter_scores
    for name, expected in EXPECTED.items():
        assert [scores[name][f"q1_{i}"] for i in (1, 2, 3)] == expected, (name, scores[name])
    # the students' folder has neither solutions nor the held-out cases
    code = _code(dist / "student" / "01_em.ipynb")
    assert "def e_step(" in code and "gauss.log_prob" not in code and "einsum" not in code
    assert not list((dist / "student").glob("lecturekit_hidden_*"))


def test_nbgrader_gives_full_partial_and_no_credit(nbgrader_scores):
    totals, per_cell, release = nbgrader_scores
    assert totals == {"good": 3.0, "wrong": 2.0, "cheat": 0.0}
    assert per_cell == EXPECTED
    code = _code(release)
    assert "_lecturekit_hidden" not in code and "BEGIN HIDDEN TESTS" not in code
    assert "def e_step(" in code and "gauss.log_prob" not in code and "einsum" not in code


def test_the_three_ways_agree(otter_scores, nbgrader_scores, lecturekit_scores):
    otter, _, _ = otter_scores
    _, nbgrader, _ = nbgrader_scores
    for name, expected in EXPECTED.items():
        r = lecturekit_scores[name]
        ours = [int(r.verdicts[ex] == "passed") for ex in ("1.1", "1.2", "1.3")]
        assert ours == expected == nbgrader[name] == [otter[name][f"q1_{i}"] for i in (1, 2, 3)], name
    assert "switched off while grading" in lecturekit_scores["cheat"].verdicts["1.1"]
