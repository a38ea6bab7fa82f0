"""Widget cases for notebook 02 (see benchmarks/widgets.py)."""

import numpy as np

from lecturekit.widgets.expfam import conjugate_duality

from widgets import WidgetCase  # benchmarks/ is on sys.path when widgets.py runs


def _builder(family):
    return lambda: conjugate_duality(family)


def _drive_theta(app, i):
    s = app.controls["theta1"]
    grid = np.linspace(s.min, s.max, 37)
    s.value = float(grid[i % len(grid)])


CASES = [
    WidgetCase("02_expfam", "conjugate_duality:theta (Bernoulli)", _builder("Bernoulli"), _drive_theta),
    WidgetCase("02_expfam", "conjugate_duality:theta (Poisson)", _builder("Poisson"), _drive_theta),
    WidgetCase("02_expfam", "conjugate_duality:theta (Gaussian, 2-D)", _builder("Gaussian"), _drive_theta),
]
