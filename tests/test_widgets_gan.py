import numpy as np
import pytest
import torch

from lecturekit import lapgan
from lecturekit.widgets.gan import latent_interpolation, trajectory_frames, training_player


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:  # a private cache, and the caller's setting restored after
        mp.setenv("LECTUREKIT_CACHE", str(tmp_path_factory.mktemp("cache")))
        return trajectory_frames(ks=(1, 3), num_steps=100, snapshot_every=20)


def test_player_picks_frames(frames):
    app = training_player(frames)
    assert app.error is None and app.image.value[:4] == b"\x89PNG"
    assert app.result["step"] == 0 and app.result["loss"] == "nonsaturating"
    first = app.image.value
    app.controls["frame"].value = 5
    assert app.error is None and app.result["step"] == 100
    assert app.image.value != first
    np.testing.assert_allclose(app.result["d"], frames[(1, "nonsaturating")]["d"][5])
    app.controls["k"].value = 3
    app.controls["loss"].value = "minimax"
    np.testing.assert_allclose(app.result["p_g"], frames[(3, "minimax")]["p_g"][5])
    assert "JSD" in app.readout_html.value
    assert app.play.max == app.controls["frame"].max


def test_player_rejects_empty_frames():
    with pytest.raises(ValueError, match="frames"):
        training_player({})


def test_latent_interpolation_moves_between_endpoints():
    model = lapgan.DCGAN(latent_dim=8, channels=4).eval()
    app = latent_interpolation(model, num_images=4)
    assert app.error is None
    with torch.no_grad():
        np.testing.assert_allclose(app.result["images"], model.decode(app.z0).numpy(), atol=1e-5)
    app.controls["t"].value = 1.0
    with torch.no_grad():
        np.testing.assert_allclose(app.result["images"], model.decode(app.z1).numpy(), atol=1e-5)
