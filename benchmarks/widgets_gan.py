"""Widget cases for notebooks 09 and 10 (see benchmarks/widgets.py)."""

import torch

from lecturekit import lapgan
from lecturekit.widgets.gan import latent_interpolation, trajectory_frames, training_player

from widgets import WidgetCase  # benchmarks/ is on sys.path when widgets.py runs


def _build_player():
    return training_player(trajectory_frames(ks=(1, 2, 5)))  # cached after the notebook's first run


def _drive_frame(app, i):
    s = app.controls["frame"]
    s.value = i % (s.max + 1)


def _drive_setting(app, i):
    # one control per update, as a reader moves them: k steps through its options, and after each
    # round the loss changes instead (setting both in one update timed two redraws as one)
    ks = app.controls["k"].options
    if i % (len(ks) + 1) == len(ks):
        loss = app.controls["loss"]
        loss.value = "minimax" if loss.value == "nonsaturating" else "nonsaturating"
    else:
        app.controls["k"].value = ks[i % (len(ks) + 1)]


def _build_interp():
    torch.manual_seed(0)
    return latent_interpolation(lapgan.DCGAN().eval(), num_images=8)


def _drive_t(app, i):
    app.controls["t"].value = round((i % 21) * 0.05, 2)


CASES = [
    WidgetCase("09_gan", "training_player:frame", _build_player, _drive_frame),
    WidgetCase("09_gan", "training_player:k_loss", _build_player, _drive_setting),
    WidgetCase("10_dcgan", "latent_interpolation:t", _build_interp, _drive_t),
]
