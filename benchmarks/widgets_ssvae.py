"""Widget cases for notebook 05 (see benchmarks/widgets.py): an M2 of the notebook's size
(untrained weights redraw exactly as fast as trained ones) on the 1,000 test digits."""

import numpy as np

from lecturekit import data, ssvae
from lecturekit.utils import seeded
from lecturekit.widgets.ssvae import analogies, style_explorer

from widgets import WidgetCase  # benchmarks/ is on sys.path when widgets.py runs


def _model_and_digits():
    with seeded(0):
        model = ssvae.M2(x_dim=784, num_classes=10, latent_dim=4, hidden_dim=256).eval()
    x, y = data.mnist_5k("test")
    return model, x, y


def _build_style():
    return style_explorer(*_model_and_digits())


def _drive_style(app, i):
    # one control per update, as a reader moves them: every tenth update picks another class
    # (setting the class and a slider in one update timed two redraws as one)
    if i % 10 == 0:
        app.controls["label"].value = (i // 10) % 10
        return
    grid = np.linspace(-2.5, 2.5, 21)
    app.controls["z1" if i % 2 else "z2"].value = float(grid[i % len(grid)])


def _build_analogies():
    return analogies(*_model_and_digits())


def _drive_analogies(app, i):
    app.controls["index"].value = (37 * i) % 1000


CASES = [
    WidgetCase("05_ssvae", "style_explorer", _build_style, _drive_style),
    WidgetCase("05_ssvae", "analogies", _build_analogies, _drive_analogies),
]
