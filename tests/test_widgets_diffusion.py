import pytest
import torch

from lecturekit import data
from lecturekit import diffusion as D
from lecturekit.widgets.diffusion import draw_figure1, time_slider, trajectories


@pytest.fixture(scope="module")
def model():
    return D.make_model(dim=2, num_timesteps=8, hidden_dim=8, num_layers=2)


@pytest.fixture(scope="module")
def points():
    return data.swiss_roll(200, generator=torch.Generator().manual_seed(0))


def test_trajectories_have_a_frame_per_step(model, points):
    traj = trajectories(model, points, grid_size=5)
    assert traj["forward"].shape == (9, 200, 2) and traj["reverse"].shape == (9, 200, 2)
    assert traj["grid"].shape == (25, 2) and traj["drift"].shape == (9, 25, 2)
    assert (traj["forward"][0] == points.numpy()).all()


def test_slider_picks_the_precomputed_frames(model, points):
    app = time_slider(model, points, grid_size=5)
    assert app.error is None and app.image.value[:4] == b"\x89PNG"
    assert app.result["t"] == 8  # starts at t = T, where the reverse process starts
    before = app.image.value
    app.controls["t"].value = 3
    r = app.result
    assert app.error is None and r["t"] == 3
    assert (r["forward"] == app.traj["forward"][3]).all() and (r["reverse"] == app.traj["reverse"][3]).all()
    assert (r["drift"] == app.traj["drift"][3]).all()
    assert app.image.value != before and "t = 3" in app.readout_html.value


def test_play_runs_the_reverse_process(model, points):
    app = time_slider(model, points, grid_size=5)
    assert app.play.min == 0 and app.play.max == 8
    seen = []
    for frame in range(9):
        app.play.value = frame
        seen.append(app.result["t"])
    assert seen == list(range(8, -1, -1))
    assert app.error is None


def test_figure1_draws_three_rows(model, points):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 6))
    axes = draw_figure1(fig, trajectories(model, points, grid_size=5))
    assert axes.shape == (3, 3)
    assert axes[0, 2].get_title() == "t = 8"


def test_bad_arguments(model, points):
    with pytest.raises(TypeError, match="diffusion"):
        time_slider(object(), points)
    with pytest.raises(ValueError, match="x0"):
        time_slider(model, torch.zeros(10, 3))
