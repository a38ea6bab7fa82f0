"""Widget cases for notebook 06 (see benchmarks/widgets.py): the Gibbs sweep slider and model toggle
on 784-100 RBM / 784-100-50 DBN / DBM sized models (untrained: redraw cost does not depend on the
weights), with chains started at 16 training digits as in the notebook."""

import torch

from lecturekit import boltzmann as bm
from lecturekit.data import mnist_5k
from lecturekit.utils import seeded
from lecturekit.widgets.boltzmann import gibbs_chain

from widgets import WidgetCase  # benchmarks/ is on sys.path when widgets.py runs


def _build():
    with seeded(0):
        models = bm.RBM(784, 100), bm.DBN(784, (100, 50)), bm.DBM(784, (100, 50))
    x0 = mnist_5k("train", binarize=True)[0][:16]
    return gibbs_chain(*models, num_chains=16, num_sweeps=200, x0=x0)


def _drive_sweep(app, i):
    app.controls["sweep"].value = (7 * i + 1) % (app.controls["sweep"].max + 1)


def _drive_model(app, i):
    options = app.controls["model"].options
    app.controls["model"].value = options[(i + 1) % len(options)]


CASES = [
    WidgetCase("06_boltzmann", "gibbs_chain:sweep", _build, _drive_sweep),
    WidgetCase("06_boltzmann", "gibbs_chain:model", _build, _drive_model),
]
