import numpy as np
import pytest
import torch

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


def test_frames_are_cached_per_setting_and_independent_of_the_global_rng(frames, tmp_cache):
    torch.manual_seed(123)
    again = trajectory_frames(ks=(1,), losses=("nonsaturating",), num_steps=100, snapshot_every=20)
    np.testing.assert_allclose(again[(1, "nonsaturating")]["mu"], frames[(1, "nonsaturating")]["mu"])
    assert len(list(tmp_cache.glob("gan-1d-k1-nonsaturating-*.pt"))) == 1


@pytest.mark.parametrize("call, exc, match", [
    (lambda: training_player({}), ValueError, "frames must hold at least one trajectory"),
    (lambda: training_player([1]), TypeError, "frames must be a dict"),
    (lambda: training_player({(1, "minimax"): {"x": 1}}), ValueError, "frames must map"),
    (lambda: training_player({(1, "minimax"): 3}), ValueError, "frames must map"),
    (lambda: trajectory_frames(ks=()), ValueError, "ks must be a non-empty list"),
    (lambda: trajectory_frames(ks=(0,)), ValueError, "ks must be a positive integer"),
    (lambda: trajectory_frames(losses=("wasserstein",)), ValueError, "losses must be one of"),
    (lambda: trajectory_frames(ks=(1,), losses=("minimax",), data_mu=0.0), ValueError, "train must not set data_mu"),
    (lambda: latent_interpolation(object()), TypeError, "model must be a trained image generator"),
])
def test_builders_reject_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_player_rejects_a_bad_interval(frames):
    with pytest.raises(ValueError, match="interval_ms must be a positive integer"):
        training_player(frames, interval_ms=0)


def test_latent_interpolation_moves_between_endpoints():
    from lecturekit import lapgan

    model = lapgan.DCGAN(latent_dim=8, channels=4).eval()
    app = latent_interpolation(model, num_images=4)
    assert app.error is None
    with torch.no_grad():
        np.testing.assert_allclose(app.result["images"], model.decode(app.z0).numpy(), atol=1e-5)
    app.controls["t"].value = 1.0
    with torch.no_grad():
        np.testing.assert_allclose(app.result["images"], model.decode(app.z1).numpy(), atol=1e-5)
