import pytest
import torch

from lecturekit import em
from lecturekit.widgets.em import bound_touches


@pytest.fixture(scope="module")
def fitted():
    g = torch.Generator().manual_seed(0)
    theta = em.MixtureParams(torch.tensor([0.5, 0.5], dtype=torch.float64),
                             torch.tensor([[-2.0, 0.0], [2.0, 0.0]], dtype=torch.float64),
                             torch.eye(2, dtype=torch.float64).expand(2, 2, 2).clone())
    x, _ = em.sample_mixture(theta, 100, generator=g)
    return x, em.GaussianMixture(2, max_iter=500, tol=1e-8).fit(x)


def test_builds_and_touches_after_an_e_step(fitted):
    x, gm = fitted
    app = bound_touches(x, gm)
    assert app.error is None and app.image.value[:4] == b"\x89PNG"
    assert app.result["label"] == "E 1"
    assert abs(app.result["kl"]) < 1e-8  # the slider starts at θ_old, where the bound touches


def test_moving_the_mean_opens_a_gap_and_redraws(fitted):
    x, gm = fitted
    app = bound_touches(x, gm)
    before = app.image.value
    app.controls["mean"].value = app.controls["mean"].value + 1.0
    r = app.result
    assert r["kl"] > 1e-3 and r["log_likelihood"] > r["lower_bound"]
    theta = gm.states_[1][0].clone()
    theta.means[0, 0] = r["v"]
    assert r["log_likelihood"] == pytest.approx(float(em.log_likelihood(x.double(), theta)), abs=1e-8)
    assert app.image.value != before
    assert "KL" in app.readout_html.value


def test_stepping_resets_the_slider_to_theta(fitted):
    x, gm = fitted
    app = bound_touches(x, gm)
    app.controls["step"].value = 1  # after the first M-step
    theta = gm.states_[2][0]
    assert app.result["label"] == "M 1"
    assert app.controls["mean"].value == pytest.approx(float(theta.means[0, 0]), abs=app.controls["mean"].step)
    assert app.result["kl"] >= 0
    app.controls["step"].value = 2  # E-step 2: touches again
    assert abs(app.result["kl"]) < 1e-3


def test_an_error_in_a_callback_shows_one_traceback_in_the_app(fitted, monkeypatch):
    x, gm = fitted
    app = bound_touches(x, gm)
    monkeypatch.setattr(app, "compute", lambda **v: 1 / 0)
    app.controls["mean"].value = 0.5
    assert isinstance(app.error, ZeroDivisionError)
    assert len(app.errors.outputs) == 1 and "ZeroDivisionError" in app.errors.outputs[0]["text"]
    app.controls["mean"].value = 0.7
    assert len(app.errors.outputs) == 1
    monkeypatch.undo()
    app.controls["mean"].value = 0.9
    assert app.error is None and app.errors.outputs == ()


def test_bad_arguments(fitted):
    x, gm = fitted
    with pytest.raises(ValueError, match="fitted GaussianMixture"):
        bound_touches(x, em.GaussianMixture(2))
    with pytest.raises(ValueError, match="component"):
        bound_touches(x, gm, component=5)
    with pytest.raises(ValueError, match=r"x must be 2-D data"):
        bound_touches(torch.zeros(10, 3), gm)
