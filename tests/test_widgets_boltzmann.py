"""The Gibbs chain widget: frames are precomputed, the sweep slider picks one, the toggle picks the model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lecturekit import boltzmann as bm
from lecturekit.utils import make_generator
from lecturekit.widgets.boltzmann import GibbsChainApp, gibbs_chain


@pytest.fixture(scope="module")
def models():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return bm.RBM(16, 5), bm.DBN(16, (5, 3)), bm.DBM(16, (5, 3))


def test_builds_with_one_chain_per_model(models):
    rbm, dbn, dbm = models
    app = gibbs_chain(rbm, dbn, dbm, num_chains=4, num_sweeps=6, image_shape=(4, 4))
    assert app.error is None and app.image.value[:4] == b"\x89PNG"
    assert list(app.controls["model"].options) == ["RBM", "DBN", "DBM"]
    assert app.controls["sweep"].max == 6
    assert app.result["model"] == "RBM" and app.result["sweep"] == 0
    assert app.result["images"].shape == (4, 4, 4)
    assert set(np.unique(app.result["images"])) <= {0.0, 1.0}  # step 0 is binary noise


def test_the_slider_picks_the_precomputed_frame(models):
    rbm, dbn, _ = models
    app = gibbs_chain(rbm, dbn, num_chains=4, num_sweeps=6, image_shape=(4, 4), seed=3)
    chain = rbm.sample(4, num_sweeps=6, keep_chain=True, generator=make_generator(3))
    before = app.image.value
    app.controls["sweep"].value = 5
    assert app.error is None and app.result["sweep"] == 5
    np.testing.assert_allclose(app.result["images"].reshape(4, 16), chain.frames[5].numpy(), atol=1e-6)
    assert app.image.value != before
    assert "sweep 5 of 6" in app.readout_html.value


def test_the_toggle_switches_to_dbn_sampling(models):
    rbm, dbn, _ = models
    app = gibbs_chain(rbm, dbn, num_chains=4, num_sweeps=6, image_shape=(4, 4))
    app.controls["sweep"].value = 3
    rbm_frame = app.result["images"].copy()
    app.controls["model"].value = "DBN"
    assert app.error is None and app.result["model"] == "DBN" and app.result["sweep"] == 3
    assert not np.allclose(app.result["images"], rbm_frame)
    assert "DBN" in app.readout_html.value


def test_chains_start_at_given_images_for_every_model(models):
    rbm, dbn, dbm = models
    x0 = (torch.rand(6, 16, generator=make_generator(0)) < 0.3).float()
    app = gibbs_chain(rbm, dbn, dbm, num_chains=4, num_sweeps=3, image_shape=(4, 4), x0=x0)
    np.testing.assert_array_equal(app.result["images"].reshape(4, 16), x0[:4].numpy())  # RBM at sweep 0: x0
    app.controls["model"].value = "DBM"
    np.testing.assert_array_equal(app.result["images"].reshape(4, 16), x0[:4].numpy())
    assert "the start" in app.readout_html.value


def test_the_image_is_a_crisp_upscaled_grid(models):
    from PIL import Image
    import io

    rbm, _, _ = models
    app = gibbs_chain(rbm, num_chains=4, num_sweeps=2, image_shape=(4, 4), scale=3)
    img = Image.open(io.BytesIO(app.image.value))
    assert img.size == (3 * (2 * 4 + 1), 3 * (2 * 4 + 1))  # 2x2 tiles with a 1-pixel gap, x3
    assert app.image.layout.width == f"{img.size[0]}px"


def test_bad_arguments(models):
    rbm, dbn, _ = models
    with pytest.raises(TypeError, match="rbm must be"):
        gibbs_chain(dbn)
    with pytest.raises(ValueError, match="num_sweeps"):
        gibbs_chain(rbm, num_sweeps=0)
    with pytest.raises(TypeError, match="dbm must be"):
        gibbs_chain(rbm, dbn, dbn)
    with pytest.raises(ValueError, match="x0 must hold at least num_chains=4"):
        gibbs_chain(rbm, num_chains=4, x0=torch.ones(3, 16))
    with pytest.raises(ValueError, match="x0 must be binary"):
        gibbs_chain(rbm, num_chains=2, x0=torch.full((3, 16), 0.5))
    with pytest.raises(ValueError, match="num_chains"):
        gibbs_chain(rbm, num_chains=0)
    with pytest.raises(ValueError, match="chains must name"):
        GibbsChainApp({})


def test_grid_png_draws_the_same_picture_as_viz_array_png():
    import io

    from PIL import Image

    from lecturekit.viz import array_png
    from lecturekit.widgets.boltzmann import grid_png

    a = np.random.default_rng(0).random((9, 7)).astype(np.float32)
    ours = np.asarray(Image.open(io.BytesIO(grid_png(a, scale=3))))
    theirs = np.asarray(Image.open(io.BytesIO(array_png(a, scale=3))))
    np.testing.assert_array_equal(ours, theirs)
