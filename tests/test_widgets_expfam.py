"""The conjugate-duality widget of notebook 02: build, move the controls, assert on the result."""

import numpy as np
import pytest

from lecturekit.widgets.expfam import SETTINGS, conjugate_duality


def test_theta_slider_moves_the_tangent_point():
    app = conjugate_duality("Bernoulli")
    assert app.error is None and app.image.value
    app.controls["theta1"].value = 2.0
    r = app.result
    assert app.error is None
    assert np.isclose(r["mu"][0], 1 / (1 + np.exp(-2.0)))
    assert abs(r["A_star"] + r["entropy"]) < 1e-12  # A*(μ) = −H(p_θ)
    assert "A*(μ)" in app.readout_html.value


@pytest.mark.parametrize("family", list(SETTINGS))
def test_every_family_redraws_with_matching_duality(family):
    app = conjugate_duality("Bernoulli")
    app.controls["family"].value = family
    assert app.error is None
    r = app.result
    assert r["family"] == family and len(r["theta"]) == SETTINGS[family][0].dim
    lo, hi = SETTINGS[family][1][0]
    app.controls["theta1"].value = lo + 0.3 * (hi - lo)
    r = app.result
    assert app.error is None
    assert abs(r["A"] + r["A_star"] - float(np.dot(r["theta"], r["mu"]))) < 1e-9  # Fenchel–Young equality
    assert abs(r["A_star"] + r["entropy"] + r["expected_log_base"]) < 1e-6


def test_switching_to_a_constrained_family_keeps_theta_inside_omega():
    app = conjugate_duality("Bernoulli")
    app.controls["theta1"].value = 3.0
    app.controls["family"].value = "Exponential"
    assert app.error is None and app.result["theta"][0] < 0
    assert app.controls["theta2"].disabled
    app.controls["family"].value = "Gaussian"
    assert not app.controls["theta2"].disabled and app.result["theta"][1] < 0


def test_bad_family():
    with pytest.raises(ValueError, match="family"):
        conjugate_duality("Beta")
