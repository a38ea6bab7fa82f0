"""Widget cases for notebook 07 (see benchmarks/widgets.py)."""

import numpy as np

from lecturekit import flows
from lecturekit.utils import make_generator, seeded
from lecturekit.widgets.flows import density_warp

from widgets import WidgetCase  # benchmarks/ is on sys.path when widgets.py runs


def _build():
    # a planar flow of the notebook's length, briefly fitted to U3 (the timing does not depend on the fit)
    with seeded(0):
        flow = flows.planar_flow(num_layers=32)
    flows.fit_reverse_kl(flow, "U3", num_steps=200, generator=make_generator(0), progress=False)
    return density_warp(flow)


def _drive_layer(app, i):
    app.controls["k"].value = i % (app.num_layers + 1)


def _drive_planar(app, i):
    # one control per update, so each update is one redraw
    grid = np.linspace(-4, 4, 41)
    if i % 2:
        app.controls["u2"].value = float(np.round(np.sin(i / 5), 2))
    else:
        app.controls["w1"].value = float(grid[(i // 2) % len(grid)])


CASES = [
    WidgetCase("07_flows", "density_warp:layer", _build, _drive_layer),
    WidgetCase("07_flows", "density_warp:planar", _build, _drive_planar),
]
