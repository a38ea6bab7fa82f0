"""Bad inputs to lecturekit.viz (drawing helpers) and the widget base class lecturekit.widgets.FigureApp."""

from __future__ import annotations

import warnings

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from lecturekit import em, viz
from lecturekit.widgets import _base
from tests.support.bad_inputs import (AS_LIST, EMPTY, INF, NAN, ON_META, POSITIVE_FLOAT, POSITIVE_INT, Table, bad, call,
                                      derived)

T = Table("viz", ["lecturekit.viz", "lecturekit.widgets._base"])
IMAGES = torch.rand(5, 1, 6, 6)
AX_BAD = [bad(None, TypeError), bad("ax", TypeError), bad(Figure(), TypeError, "figure")]


def ax():
    return Figure().subplots()


def history():
    x = torch.tensor([[0.0, 0.0], [0.1, 0.2], [3.0, 3.0], [3.1, 2.9]], dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two iterations do not converge, and need not
        return em.GaussianMixture(2, max_iter=2).fit(x).history_


T.add("viz.to_numpy", lambda: call(viz.to_numpy, torch.ones(2, requires_grad=True)),
      x=[bad(None, TypeError), bad("abc", TypeError), bad({"a": 1}, TypeError), bad([[1, 2], [3]]),
         bad(torch.ones(2, device="meta")), bad([object()], TypeError, "objects")])
T.add("viz.tile", lambda: call(viz.tile, IMAGES, nrow=2),
      images=[bad("imgs", TypeError), derived(lambda t: t[0, 0], ValueError, "one-image-2-D"),
              derived(lambda t: t.expand(5, 3, 6, 6), ValueError, "rgb"), EMPTY, NAN, ON_META],
      nrow=POSITIVE_INT[:3], pad=[bad(-1), bad(0.5, TypeError)], pad_value=[bad(float("nan")), bad("w", TypeError)])
T.add("viz.image_grid", lambda: call(viz.image_grid, ax(), IMAGES, title="digits"),
      ax=AX_BAD, images=[EMPTY, INF], cmap=[bad("grey_no"), bad(3)], title=[bad(3, TypeError)],
      nrow=[bad(0)])
T.add("viz.gaussian_ellipse", lambda: call(viz.gaussian_ellipse, ax(), [0.0, 1.0], np.eye(2), n_std=1.0),
      ax=AX_BAD[:2], mean=[bad([0.0]), bad([np.nan, 0.0]), bad("m", TypeError)],
      cov=[bad(np.eye(3)), bad(-np.eye(2)), bad([[1.0, 0.5], [0.0, 1.0]]), bad(np.full((2, 2), np.inf))],
      n_std=POSITIVE_FLOAT[:3])
T.add("viz.em_trace", lambda: call(viz.em_trace, ax(), history(), per_point=4),
      ax=AX_BAD[:2], history=[bad([], ValueError), bad("h", TypeError), bad([{"step": "E"}], TypeError),
                              bad([{"step": "M", "iteration": 1, "log_likelihood": np.nan, "lower_bound": 0.0, "kl": 0.0}])],
      per_point=POSITIVE_INT[:3])
T.add("viz.em_gap", lambda: call(viz.em_gap, ax(), history()),
      ax=AX_BAD, history=[bad([], ValueError), bad(None, TypeError), bad([1, 2], TypeError)])
T.add("viz.figure_png", lambda: call(viz.figure_png, Figure(figsize=(1, 1)), dpi=20),
      fig=[bad(None, TypeError), bad(ax(), TypeError, "axes"), bad("fig", TypeError)],
      dpi=POSITIVE_FLOAT[:3] + [bad(10**6)])
T.add("viz.array_png", lambda: call(viz.array_png, torch.rand(4, 5), scale=2),
      image=[bad(torch.rand(2, 4, 5)), bad(torch.full((4, 5), float("nan"))), bad(np.zeros((0, 3))), bad("img", TypeError)],
      scale=POSITIVE_INT[:3] + [bad(10**5)], vmin=[bad(float("nan")), bad(2.0, ValueError, "above-vmax", names="vmax")],
      vmax=[bad(float("inf"))], invert=[bad("yes", TypeError)])
T.add("viz.rgba_png", lambda: call(viz.rgba_png, np.zeros((3, 4, 4), dtype=np.uint8)),
      buffer=[bad(np.zeros((3, 4, 3), dtype=np.uint8)), bad(np.zeros((3, 4, 4))), bad(np.zeros((0, 4, 4), dtype=np.uint8)),
              bad(None, TypeError), bad(np.zeros((4, 4), dtype=np.uint8))])


class Tiny(_base.FigureApp):
    """The smallest app: one slider, one line."""

    figsize = (1.0, 1.0)

    def setup(self, fig):
        (self.line,) = fig.subplots().plot([0, 1], [0, 0])

    def compute(self, a):
        return a

    def draw(self, result):
        self.line.set_ydata([result, result])
        return True


T.add("widgets._base.FigureApp", lambda: call(Tiny, {"a": widgets.FloatSlider(value=0.5)}),
      controls=[bad({}, TypeError), bad(None, TypeError), bad([widgets.FloatSlider()], TypeError),
                bad({"a": 0.5}, TypeError, names="controls"), bad({"not a name": widgets.FloatSlider()}),
                bad({3: widgets.FloatSlider()})])

T.install(globals())
