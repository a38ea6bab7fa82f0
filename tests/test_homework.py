"""Homework: checks against stored answers, the student build, and sandboxed grading of hostile
submissions (one good and three hostile submissions per notebook with exercises)."""

from __future__ import annotations

import csv
import json
import math
import os
import uuid

import jupytext
import nbformat
import pytest
import torch

from lecturekit import em, grading, homework, nbtools
from lecturekit.exercises import sandbox
from tests.support import ROOT

NOTEBOOK_FILES = sorted(nbtools.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
EXERCISE_NOTEBOOKS = [p for p in NOTEBOOK_FILES if homework.exercises_of(int(p.stem[:2]))]


def _stub(*args):
    raise NotImplementedError


# ------------------------------------------------------------------------------ checks in notebooks

@pytest.fixture(scope="module")
def solutions():
    return grading.load_solutions()


def test_every_reference_passes_its_check_and_a_stub_is_not_attempted(solutions):
    homework._load_all()
    assert len(homework.EXERCISES) >= 20 and {"1.1", "1.2", "1.3"} <= set(homework.EXERCISES)
    for ex_id in homework.EXERCISES:
        reference, _ = solutions[ex_id]
        assert homework.check(ex_id, reference).passed, ex_id
        v = homework.check(ex_id, _stub)
        assert not v and "not attempted" in str(v)


def test_stored_answers_match_the_references(solutions):
    """If this fails after a change to a topic module, run `lecturekit homework refresh`."""
    stored = torch.load(homework.ANSWERS, weights_only=True)
    key = grading.answer_key(sorted(homework.EXERCISES), solutions)
    for ex_id, k in key.items():
        ex = homework.EXERCISES[ex_id]
        assert stored[ex_id]["fingerprints"] == [homework.fingerprint(a) for _, a in k["visible"]], ex_id
        for got, want in zip(stored[ex_id]["outputs"], k["expected"]["visible"]):
            assert homework.compare(got, want, ex.atol, ex.rtol) is None, ex_id


def test_ssvae_references_restate_the_package(solutions):
    """The 5.2 and 5.3 references (written on plain tensors for students) equal what
    ssvae.unlabelled_bound and ssvae.m2_loss compute on a real model (moved here from
    test_ssvae.py when the references left the package)."""
    from lecturekit import ssvae

    unlabelled, m2_objective = solutions["5.2"][0], solutions["5.3"][0]
    torch.manual_seed(3)
    model = ssvae.M2(x_dim=12, num_classes=4, latent_dim=2, hidden_dim=8).double()
    x_l, y_l = torch.rand(6, 12, dtype=torch.float64), torch.tensor([0, 1, 2, 3, 0, 1])
    x_u = torch.rand(9, 12, dtype=torch.float64)
    u, bound_y, probs = ssvae.unlabelled_bound(model, x_u, generator=torch.Generator().manual_seed(1),
                                               return_parts=True)
    torch.testing.assert_close(unlabelled(bound_y, probs.log()), u)
    loss = ssvae.m2_loss(model, x_l, y_l, x_u, alpha=2.5, generator=torch.Generator().manual_seed(7))
    g = torch.Generator().manual_seed(7)  # the same draws, in m2_loss's order
    bound_l = ssvae.labelled_bound(model, x_l, y_l, generator=g)
    bound_u = ssvae.unlabelled_bound(model, x_u, generator=g)
    torch.testing.assert_close(m2_objective(bound_l, bound_u, model.logits(x_l), y_l, 2.5), loss)


def test_every_exercise_has_held_out_cases_unlike_the_public_ones(solutions):
    key = grading.answer_key(sorted(homework.EXERCISES), solutions)
    for ex_id, k in key.items():
        seen = {homework.fingerprint(a) for _, a in k["visible"]}
        hidden = [homework.fingerprint(a) for _, a in k["hidden"]]
        assert len(hidden) >= 2 and not seen & set(hidden), ex_id


def test_a_wrong_answer_names_the_case_and_the_size_of_the_error():
    wrong = lambda x, theta: em.e_step(x, theta) + 0.01  # noqa: E731
    v = homework.check("1.1", wrong)
    assert not v.passed and str(v).startswith("Exercise 1.1: FAILED on case 1") and "0.01" in str(v)
    assert "shape" in str(homework.check("1.1", lambda x, theta: em.e_step(x, theta).T))
    assert "raised ZeroDivisionError" in str(homework.check("1.1", lambda x, theta: 1 / 0))
    assert "NaN" in str(homework.check("1.1", lambda x, theta: em.e_step(x, theta) * float("nan")))
    assert "must be a tensor" in str(homework.check("1.1", lambda x, theta: "q"))
    with pytest.raises(AssertionError, match="Exercise 1.1: FAILED"):
        homework.check("1.1", wrong).assert_passed()


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
    assert set(checks) == {ex.id for ex in homework.exercises_of(int(path.stem[:2]))}
    code = [c for c in nb.cells if c.cell_type == "code"]
    for ex, idx in checks.items():
        assert f"Exercise {ex}: passed" in json.dumps(code[idx].outputs), f"{path.stem}: exercise {ex} does not pass"
        assert "# NBVAL_CHECK_OUTPUT" in code[idx].source
    assert sum(homework.BEGIN in c.source for c in code) == len(checks)


# ------------------------------------------------------------------------- no answers shipped

def test_student_build_ships_no_solution_and_the_package_no_reference(tmp_path):
    built = grading.build_all(tmp_path)
    assert [p.name for p in built] == [p.name for p in EXERCISE_NOTEBOOKS]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in built)  # notebooks only
    for path in built:
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells)
        assert homework.BEGIN not in text and homework.END not in text
        assert text.count("raise NotImplementedError") >= len(grading.check_cells(nb))
        assert all(not c.outputs and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    # the references live outside the installed package
    from setuptools import find_packages

    assert all(p.startswith("lecturekit") for p in find_packages(str(ROOT), include=["lecturekit*"]))
    assert not list((ROOT / "lecturekit").rglob("REFERENCES*"))
    assert all("REFERENCES" not in p.read_text() for p in (ROOT / "lecturekit" / "exercises").rglob("*.py"))


def test_unclosed_solution_block_is_an_error():
    with pytest.raises(ValueError, match="not closed"):
        grading._strip_solutions("x = 1\n### BEGIN SOLUTION\ny = 2\n")


def test_every_forbidden_name_switches_off_a_function(tmp_path):
    """A stale name (a topic function renamed) would silently switch nothing off."""
    homework._load_all()
    forbidden = sorted({f for ex in homework.EXERCISES.values() for f in ex.forbidden})
    counts = sandbox.redacted_package(tmp_path, forbidden)
    assert counts and all(n > 0 for n in counts.values()), [k for k, n in counts.items() if n == 0]
    assert not (tmp_path / "lecturekit" / "exercises" / "answers.pt").exists()
    em_source = (tmp_path / "lecturekit" / "em.py").read_text()
    assert "lecturekit.em.e_step is switched off while grading" in em_source
    assert "softmax(log_joint" not in em_source  # the answer's code is gone, not only unreachable


# --------------------------------------------------------------------------------- bad arguments

def test_grade_bad_arguments(tmp_path):
    sub = tmp_path / "alice_01_em.ipynb"
    with pytest.raises(TypeError, match="a list of paths, got a single str"):
        grading.grade(str(sub))
    with pytest.raises(TypeError, match="must hold paths"):
        grading.grade([1])
    for bad in (0, -5, math.nan, math.inf):
        with pytest.raises(ValueError, match="timeout must be a positive number"):
            grading.grade([sub], timeout=bad)
        with pytest.raises(ValueError, match="cell_timeout must be a positive number"):
            grading.grade([sub], cell_timeout=bad)
    with pytest.raises(ValueError, match="sandbox must be"):
        grading.grade([sub], sandbox="docker")


def test_missing_and_garbage_files_are_named_and_still_written_to_the_csv(tmp_path):
    garbage = tmp_path / "carol_01_em.ipynb"
    garbage.write_text("{not a notebook")
    results = grading.grade([tmp_path / "alice_01_em.ipynb", garbage, tmp_path / "x.txt"])
    assert results[0].error == f"file not found: {tmp_path / 'alice_01_em.ipynb'}"
    assert results[1].error.startswith("not a notebook") and results[2].error.startswith("file not found")
    rows = list(csv.DictReader(open(grading.write_csv(results, tmp_path / "scores.csv"))))
    assert [r["student"] for r in rows] == ["alice_01_em", "carol_01_em", "x"]


# ---------------------------------------------------------------- hostile submissions, sandboxed

TOKEN = uuid.uuid4().hex[:12]
PKG = ROOT / "lecturekit"
SOLUTIONS = ROOT / "solutions"
HEADER = "import torch\nimport numpy as np\nimport lecturekit as lk\nfrom lecturekit import em, lapgan"

_LOAD_REFERENCE = f'''
def _reference(topic, ex):  # read the answer from the grader's solutions/ folder
    import importlib.util
    spec = importlib.util.spec_from_file_location("ref_" + topic, "{SOLUTIONS}/" + topic + ".py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.REFERENCES[ex]
'''

# Each exercise's function as a student who just calls the answer would write it.
CHEATS = {
    "1.1": "from lecturekit.em import e_step",
    "1.2": "def lower_bound(x, q, theta):\n    return lk.em.lower_bound(x, q, theta)",
    "1.3": "def m_step(x, q):\n    return lk.em.m_step(x, q, reg_covar=0.0)",
    "2.1": "def bernoulli_log_partition_and_mean(theta):\n    fam = lk.expfam.Bernoulli()\n"
           "    return fam.log_partition(theta[:, None]), fam.mean(theta[:, None])[..., 0]",
    "2.2": "def categorical_conjugate(mu):\n    return lk.expfam.Categorical(mu.shape[-1] + 1).conjugate(mu)",
    "2.3": "conjugate_newton = lk.expfam.conjugate",
    "3.1": "def score_gradient(f, m, log_s, eps):\n    g = lk.meanfield._per_sample(f, m, log_s, eps, 'score')\n"
           "    return g[0].mean(0), g[1].mean(0)",
    "3.2": "def reparam_gradient(f, m, log_s, eps):\n    return lk.meanfield.gradient_estimate(f, m, log_s, estimator='reparam')",
    "3.3": "def score_cv_gradient(f, m, log_s, eps):\n    g = lk.meanfield._per_sample(f, m, log_s, eps, 'score_cv')\n"
           "    return g[0].mean(0), g[1].mean(0)",
    "4.1": "from lecturekit.vae import kl_to_prior",
    "4.2": "def elbo(model, x, eps):\n    mu, logvar = model.encode(x)\n    z = mu + (0.5 * logvar).exp() * eps\n"
           "    return model.log_px(model.flatten(x), z).mean(0) - lk.vae.kl_to_prior(mu, logvar)",
    "4.3": _LOAD_REFERENCE + "iwae_bound = _reference('vae', '4.3')",
    "5.1": "def labelled_bound(model, x, y, eps):\n    return lk.ssvae.labelled_bound(model, x, y, eps=eps)",
    "5.2": _LOAD_REFERENCE + "unlabelled_bound = _reference('ssvae', '5.2')",
    "5.3": _LOAD_REFERENCE + "m2_objective = _reference('ssvae', '5.3')",
    "6.1": "def p_z_given_x(x, W, b, c):\n    rbm = lk.boltzmann.RBM(W.shape[0], W.shape[1]).double()\n"
           "    rbm.load_state_dict({'W': W, 'b': b, 'c': c}, strict=False)\n    return rbm.p_z_given_x(x).detach()",
    "6.2": "def free_energy(x, W, b, c):\n    rbm = lk.boltzmann.RBM(W.shape[0], W.shape[1]).double()\n"
           "    rbm.load_state_dict({'W': W, 'b': b, 'c': c}, strict=False)\n    return rbm.free_energy(x).detach()",
    "7.1": _LOAD_REFERENCE + "u_hat = _reference('flows', '7.1')",
    "7.2": "def planar_layer(z, w, u, b):\n    flow = lk.flows.PlanarFlow(w.shape[-1], 1).double()\n"
           "    with torch.no_grad():\n        flow.w.copy_(w[None]); flow.u.copy_(u[None]); flow.b.copy_(b.reshape(1))\n"
           "        return flow(z)",
    "8.1": "def q_sample(betas, x0, t, noise):\n    d = lk.diffusion.GaussianDiffusion(torch.nn.Identity(), betas=betas).double()\n    return d.q_sample(x0, t, noise=noise).detach()",
    "8.2": "def q_posterior(betas, x0, xt, t):\n    d = lk.diffusion.GaussianDiffusion(torch.nn.Identity(), betas=betas).double()\n    return tuple(v.detach() for v in d.q_posterior(x0, xt, t))",
    "9.1": "def optimal_discriminator(p_data, p_g, x):\n    return lk.gan.optimal_discriminator(p_data, p_g)",
    "9.2": "jsd = lk.gan.jsd",
    "10.1": "from lecturekit.lapgan import reconstruct",
    "10.2": "def pyramid_level(x):\n    return tuple(lk.lapgan.laplacian_pyramid(x, levels=1))",
}



def _cheat(ex) -> str:
    """The cheat for an exercise: calls the package's answer, or else loads the reference."""
    if ex.id in CHEATS:
        return CHEATS[ex.id]
    topic = next(p.stem for p in SOLUTIONS.glob("*.py") if f'"{ex.id}"' in p.read_text())
    return _LOAD_REFERENCE + f"{ex.function} = _reference({topic!r}, {ex.id!r})"


# The checker is replaced everywhere a student can reach it, and the function is a stub.
PATCH = """import lecturekit.homework as _hw
import lecturekit.grading as _gr
_hw.check = lambda exercise, fn: _hw.Verdict(exercise, True, "(4 of 4 cases)")
_hw.compare = lambda *args, **kwargs: None
_hw.run_case = lambda fn, args, seed: {"output": torch.zeros(())}
_gr.verify = lambda exercise, *args, **kwargs: _hw.Verdict(exercise, True, "")
torch.save = lambda *args, **kwargs: None
def %s(*args, **kwargs):
    raise NotImplementedError
"""


def _targets(subs_dir):
    """Where the escaping submission tries to write: absolute paths, ../, the package, the
    solutions, the notebooks, the other submissions, and every world-writable folder."""
    return [f"/tmp/lk-escape-{TOKEN}", f"../lk-escape-{TOKEN}", f"../../lk-escape-{TOKEN}",
            f"{PKG}/lk_escape_{TOKEN}.py", f"{PKG}/exercises/lk_escape_{TOKEN}.py",
            f"{SOLUTIONS}/lk_escape_{TOKEN}.py", f"{nbtools.NOTEBOOKS}/lk-escape-{TOKEN}.txt",
            f"{subs_dir}/lk-escape-{TOKEN}.ipynb", f"/var/tmp/lk-escape-{TOKEN}", f"/dev/shm/lk-escape-{TOKEN}",
            f"{ROOT}/lk-escape-{TOKEN}"]


ESCAPE = """import os
def _escape():
    written = []
    for target in {targets!r}:
        try:
            with open(target, "w") as f:
                f.write("pwned")
            written.append(target)
        except OSError:
            pass
    with open({package!r} + "/em.py", "a") as f:  # rewrite the grader for the students after me
        f.write("\\npwned = True\\n")
    return written
_escape_at_import = _escape
try:
    _escape()
except OSError:
    pass
def %s(*args):
    _escape()
    for other in os.listdir({subs!r}):  # read another student's answer
        open(os.path.join({subs!r}, other)).read()
    return open({solutions!r} + "/em.py").read()
"""


def _notebook(cells, name):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in cells])
    nb.metadata["lecturekit"] = {"notebook": name, "student": True}
    return nb


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Per notebook with exercises: the solution notebook itself, and three hostile submissions
    (calls the answer, monkeypatches the checker, writes outside its folder), graded together."""
    subs = tmp_path_factory.mktemp("subs")
    before = {p: sorted(os.listdir(p)) for p in (PKG, PKG / "exercises", SOLUTIONS, nbtools.NOTEBOOKS, ROOT)}
    paths = []
    for src in EXERCISE_NOTEBOOKS:
        exercises = homework.exercises_of(int(src.stem[:2]))
        good = subs / f"good_{src.stem}.ipynb"
        nb = jupytext.read(src.with_suffix(".py"))  # the source, even while its .ipynb awaits re-execution
        if src.stem == "01_em":  # the whole solution notebook, every import line of it
            nbformat.write(nb, good)
        else:  # its exercise cells (the grader runs nothing else), to keep the test short
            code = [c.source for c in nb.cells if c.cell_type == "code"]
            cells = [code[i] for i in sandbox.exercise_cells(code, [ex.function for ex in exercises])]
            nbformat.write(_notebook([HEADER, *cells], src.stem), good)
        cheat = _notebook([HEADER, *[_cheat(ex) for ex in exercises]], src.stem)
        patch = _notebook([HEADER, *[PATCH % ex.function for ex in exercises]], src.stem)
        escape = _notebook([HEADER, *[ESCAPE.format(targets=_targets(subs), package=str(PKG), subs=str(subs),
                                                    solutions=str(SOLUTIONS)) % ex.function for ex in exercises]],
                           src.stem)
        for kind, nb in (("cheat", cheat), ("patch", patch), ("escape", escape)):
            path = subs / f"{kind}_{src.stem}.ipynb"
            nbformat.write(nb, path)
            paths.append(path)
        paths.append(good)
    results = grading.grade(paths, timeout=300, cell_timeout=60, jobs=2)
    after = {p: sorted(os.listdir(p)) for p in before}
    return {r.student: r for r in results}, subs, before, after


@pytest.mark.slow
def test_good_submissions_pass_public_and_hidden_cases(hostile):
    results, *_ = hostile
    for src in EXERCISE_NOTEBOOKS:
        r = results[f"good_{src.stem}"]
        assert r.error is None and r.score == len(r.verdicts) >= 2, (src.stem, r.verdicts, r.error)
        assert set(r.seen.values()) == set(r.hidden.values()) == {"passed"}


@pytest.mark.slow
def test_calling_the_answer_scores_zero(hostile):
    results, *_ = hostile
    for src in EXERCISE_NOTEBOOKS:
        r = results[f"cheat_{src.stem}"]
        assert r.score == 0 and r.verdicts, (src.stem, r.verdicts)
        for ex, v in r.verdicts.items():
            assert "switched off while grading" in v or "FileNotFoundError" in v or "missing" in v, (ex, v)
    assert "lecturekit.em.e_step is switched off while grading" in results["cheat_01_em"].verdicts["1.1"]


@pytest.mark.slow
def test_monkeypatching_the_checker_scores_zero(hostile):
    results, *_ = hostile
    for src in EXERCISE_NOTEBOOKS:
        r = results[f"patch_{src.stem}"]
        assert r.score == 0 and not any(v == "passed" for v in [*r.seen.values(), *r.hidden.values()]), r.verdicts


@pytest.mark.slow
def test_writing_outside_its_folder_fails_and_leaves_nothing(hostile):
    results, subs, before, after = hostile
    for src in EXERCISE_NOTEBOOKS:
        r = results[f"escape_{src.stem}"]
        assert r.score == 0, (src.stem, r.verdicts)
    assert before == after  # nothing new in the package, the solutions, the notebooks or the repository
    for target in _targets(subs):
        assert not os.path.exists(os.path.join(subs, target)), target
    assert "pwned" not in (PKG / "em.py").read_text()
    assert sorted(p.name for p in subs.iterdir()) == sorted(f"{k}_{s.stem}.ipynb" for s in EXERCISE_NOTEBOOKS
                                                            for k in ("good", "cheat", "patch", "escape"))


@pytest.mark.slow
def test_score_table_and_csv_show_public_and_hidden_verdicts(hostile, tmp_path):
    results, *_ = hostile
    rows = [results["good_01_em"], results["cheat_01_em"]]
    table = grading.score_table(rows).splitlines()
    assert table[0].split()[:8] == ["student", "notebook", "1.1", "seen", "1.1", "hidden", "1.2", "seen"]
    assert "3/3" in table[1] and "0/3" in table[2]
    text = grading.write_csv(rows, tmp_path / "scores.csv").read_text()
    assert text.startswith("student,notebook,exercise,verdict,seen,hidden,note")
    assert text.count("\ngood_01_em,01_em,") == 3


# ------------------------------------------------------------------- limits, timeouts, the student

GOOD_01 = {
    "e_step": "def e_step(x, theta):\n    g = torch.distributions.MultivariateNormal(theta.means, covariance_matrix="
              "theta.covariances)\n    return torch.softmax(theta.weights.log() + g.log_prob(x[:, None, :]), 1)",
    "lower_bound": "def lower_bound(x, q, theta):\n    g = torch.distributions.MultivariateNormal(theta.means, "
                   "covariance_matrix=theta.covariances)\n    lj = theta.weights.log() + g.log_prob(x[:, None, :])\n"
                   "    return (q * lj).sum() - torch.special.xlogy(q, q).sum()",
    "m_step": "def m_step(x, q):\n    nk = q.sum(0)\n    means = q.T @ x / nk[:, None]\n    d = x[None] - means[:, None]\n"
              "    cov = torch.einsum('nk,kni,knj->kij', q, d, d) / nk[:, None, None]\n"
              "    return em.MixtureParams(nk / len(x), means, cov)",
}


@pytest.mark.slow
def test_hanging_memory_hungry_wrong_and_unattempted_submissions(tmp_path):
    def sub(name, **cells):
        nb = _notebook([HEADER, *[cells.get(k, v) for k, v in GOOD_01.items()]], "01_em")
        nbformat.write(nb, tmp_path / f"{name}_01_em.ipynb")
        return tmp_path / f"{name}_01_em.ipynb"

    student = grading.build_student(nbtools.NOTEBOOKS / "01_em.ipynb", tmp_path / "build")
    paths = [sub("hang", lower_bound="def lower_bound(x, q, theta):\n    while True:\n        pass"),
             sub("hog", m_step="def m_step(x, q):\n    return bytearray(8 * 2**30)"),
             sub("wrong", lower_bound=GOOD_01["lower_bound"] + " + 1e-3"),
             tmp_path / "dave_01_em.ipynb"]
    paths[-1].write_bytes(student.read_bytes())
    results = {r.student.split("_")[0]: r for r in grading.grade(paths, timeout=120, cell_timeout=10, jobs=2)}
    hang = results["hang"]
    assert hang.verdicts["1.1"] == "passed" and hang.verdicts["1.2"] == "timeout" and hang.verdicts["1.3"] != "passed"
    assert "ran past the 10 s limit" in hang.error
    assert results["hog"].verdicts["1.3"].startswith("FAILED on case 1") and "MemoryError" in results["hog"].verdicts["1.3"]
    assert results["hog"].verdicts["1.1"] == "passed"
    wrong = results["wrong"]
    assert wrong.seen["1.2"].startswith("FAILED on case 1") and wrong.hidden["1.2"].startswith("FAILED on hidden case 1")
    assert wrong.score == 2
    assert results["dave"].score == 0 and all("not attempted" in v for v in results["dave"].verdicts.values())
