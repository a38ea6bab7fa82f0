"""Widget cases for notebook 04 (see benchmarks/widgets.py): the latent explorer's sliders."""

import numpy as np
import lecturekit as lk
from lecturekit import vae
from lecturekit.data import mnist_5k
from lecturekit.widgets.vae import latent_explorer

from widgets import WidgetCase  # benchmarks/ is on sys.path when widgets.py runs


def _build():
    # The decoder's cost does not depend on training, so a briefly trained model of the
    # notebook's size (784-256-2) measures the same redraw.
    lk.seed(0)
    x, _ = mnist_5k("train", binarize="sample")
    xt, yt = mnist_5k("test", binarize="sample")
    model = vae.VAE(hidden_dim=256, latent_dim=2)
    vae.fit_vae(model, x, num_epochs=1, progress=False, generator=lk.utils.make_generator(0))
    return latent_explorer(model.eval(), xt, yt)


def _drive_z1(app, i):
    s = app.controls["z1"]
    s.value = float(np.linspace(s.min, s.max, 41)[i % 41])


def _drive_index(app, i):
    app.controls["index"].value = (37 * i + 1) % (app.controls["index"].max + 1)


CASES = [
    WidgetCase("04_vae", "latent_explorer:z1", _build, _drive_z1),
    WidgetCase("04_vae", "latent_explorer:index", _build, _drive_index),
]
