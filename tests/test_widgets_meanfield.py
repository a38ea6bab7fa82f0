"""The widgets of notebook 03: the mean-field variance and the gradient-estimator variance."""

import numpy as np
import pytest

from lecturekit.widgets.meanfield import gradient_variance, meanfield_gaussian


@pytest.mark.parametrize("rho", [-0.9, 0.0, 0.5, 0.95])
def test_meanfield_variance_follows_rho(rho):
    app = meanfield_gaussian()
    app.controls["rho"].value = rho
    assert app.error is None
    np.testing.assert_allclose(app.result["var"], 1 - rho**2, atol=1e-4)
    assert app.result["kl"] >= 0


def test_gradient_variance_widget():
    app = gradient_variance()
    app.controls["num_samples"].value = 100
    r = app.result
    assert app.error is None and r["estimator"] == "score"
    assert r["score"].shape == (300,)
    assert abs(r["var_score"] * 100 / 15 - 1) < 0.3 and abs(r["var_reparam"] * 100 / 4 - 1) < 0.3
    var_plain = r["var_score"]
    app.controls["control_variate"].value = True
    assert app.result["estimator"] == "score_cv"
    assert app.result["var_score"] < var_plain
    app.controls["num_samples"].value = 2
    assert app.error is None and app.result["var_reparam"] > 0.5  # 4 / 2 = 2 in expectation
    assert "exact gradient" in app.readout_html.value
    # the variance-against-S points computed at build time fall like 1/S
    assert app.var_curves["reparam"][0] > 50 * app.var_curves["reparam"][-1]
