"""Widget cases for notebook 03 (see benchmarks/widgets.py)."""

import numpy as np

from lecturekit.widgets.meanfield import gradient_variance, meanfield_gaussian

from widgets import WidgetCase  # benchmarks/ is on sys.path when widgets.py runs


def _drive_rho(app, i):
    grid = np.round(np.linspace(-0.95, 0.95, 39), 2)
    app.controls["rho"].value = float(grid[i % len(grid)])


def _drive_samples(app, i):
    s = app.controls["num_samples"]
    s.value = s.options[i % len(s.options)]


def _drive_cv(app, i):
    app.controls["control_variate"].value = bool(i % 2)


CASES = [
    WidgetCase("03_meanfield", "meanfield_gaussian:rho", meanfield_gaussian, _drive_rho),
    WidgetCase("03_meanfield", "gradient_variance:num_samples", gradient_variance, _drive_samples),
    WidgetCase("03_meanfield", "gradient_variance:control_variate", gradient_variance, _drive_cv),
]
