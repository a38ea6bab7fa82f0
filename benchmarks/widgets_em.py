"""Widget cases for notebook 01 (see benchmarks/widgets.py)."""

import numpy as np
import torch

from lecturekit import em
from lecturekit.widgets.em import bound_touches

from widgets import WidgetCase  # benchmarks/ is on sys.path when widgets.py runs


def _build():
    theta = em.MixtureParams(
        torch.tensor([0.35, 0.40, 0.25], dtype=torch.float64),
        torch.tensor([[-2.0, 0.0], [2.0, 1.0], [0.0, 4.0]], dtype=torch.float64),
        torch.tensor([[[0.8, 0.3], [0.3, 0.5]], [[0.6, -0.2], [-0.2, 0.9]], [[1.0, 0.0], [0.0, 0.3]]],
                     dtype=torch.float64),
    )
    x, _ = em.sample_mixture(theta, 300, generator=torch.Generator().manual_seed(0))
    init = em.init_params(x, 3, generator=torch.Generator().manual_seed(3))
    model = em.GaussianMixture(3, max_iter=200, tol=1e-10).fit(x, init)
    return bound_touches(x, model)


def _drive_mean(app, i):
    s = app.controls["mean"]
    grid = np.linspace(s.min, s.max, 37)
    s.value = float(grid[i % len(grid)])


def _drive_step(app, i):
    s = app.controls["step"]
    s.value = i % len(s.options)


CASES = [
    WidgetCase("01_em", "bound_touches:mean", _build, _drive_mean),
    WidgetCase("01_em", "bound_touches:step", _build, _drive_step),
]
