"""Widget cases for notebook 06 (see benchmarks/widgets.py): the Gibbs chain slider and model toggle
on 784-100 RBM / 784-100-50 DBN / DBM sized models (untrained: redraw cost does not depend on the weights)."""

import torch

from lecturekit import boltzmann as bm
from lecturekit.widgets.boltzmann import gibbs_chain

from widgets import WidgetCase  # benchmarks/ is on sys.path when widgets.py runs


def _build():
    torch.manual_seed(0)
    return gibbs_chain(bm.RBM(784, 100), bm.DBN(784, (100, 50)), bm.DBM(784, (100, 50)), num_chains=16, num_steps=200)


def _drive_step(app, i):
    app.controls["step"].value = (7 * i + 1) % (app.controls["step"].max + 1)


def _drive_model(app, i):
    options = app.controls["model"].options
    app.controls["model"].value = options[(i + 1) % len(options)]


CASES = [
    WidgetCase("06_boltzmann", "gibbs_chain:step", _build, _drive_step),
    WidgetCase("06_boltzmann", "gibbs_chain:model", _build, _drive_model),
]
