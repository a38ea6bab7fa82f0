"""Widget for notebook 01: "the bound touches".

A slider moves one coordinate of one component mean, μ[k, d] = v, with q held fixed. The right
panel draws log p(X | θ(v)) and L(q, θ(v)) against v: the bound lies below the log-likelihood
everywhere and touches it where q is the posterior (after an E-step). A second slider steps
through the recorded E- and M-steps and redraws both curves.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch

from .. import em
from ..utils import as_tensor_2d, check_int, check_positive_float
from ..viz import COLORS, gaussian_ellipse, to_numpy
from ._base import FigureApp

__all__ = ["BoundTouches", "bound_touches"]


class BoundTouches(FigureApp):
    figsize = (9.0, 3.8)

    def __init__(self, x, model: em.GaussianMixture, *, component: int = 0, coord: int = 0, num_points: int = 161,
                 y_span: float = 60.0):
        if not isinstance(model, em.GaussianMixture):
            raise TypeError(f"model must be a fitted lecturekit.em.GaussianMixture, got {type(model).__name__}")
        if not hasattr(model, "params_") or not model.states_:
            raise ValueError("model must be a fitted GaussianMixture (call .fit first)")
        x = as_tensor_2d("x", x, dtype=torch.float64)
        if x.shape[1] != 2:
            raise ValueError(f"x must be 2-D data of shape (N, 2), got {tuple(x.shape)}")
        if model.params_.means.shape[1] != 2:
            raise ValueError(f"model must be fitted to 2-D data, got means of shape {tuple(model.params_.means.shape)}")
        component = check_int("component", component, low=0, high=model.n_components - 1)
        coord = check_int("coord", coord, low=0, high=1)
        num_points = check_int("num_points", num_points, low=2, high=10_001)
        y_span = check_positive_float("y_span", y_span)
        self.x, self.component, self.coord, self.y_span = x, component, coord, y_span
        # every half-step after the start: (label, θ, q)
        self.states = [(f"{h['step']} {h['iteration']}", *s)
                       for h, s in zip(model.history_, model.states_) if h["step"] != "init"]
        lo, hi = float(x[:, coord].min()), float(x[:, coord].max())
        pad = 0.15 * (hi - lo)
        self.grid = torch.linspace(lo - pad, hi + pad, num_points, dtype=torch.float64)
        self._curves: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for i in range(len(self.states)):  # once, here: a step change then only redraws (~0.6 s for 100 steps)
            self.curves(i)
        step = widgets.SelectionSlider(options=[(s[0], i) for i, s in enumerate(self.states)], value=0,
                                       description="EM step", continuous_update=True)
        theta0 = self.states[0][1]
        mean = widgets.FloatSlider(value=float(theta0.means[component, coord]), min=float(self.grid[0]),
                                   max=float(self.grid[-1]), step=float(self.grid[1] - self.grid[0]),
                                   description=f"μ[{component},{coord}]", readout_format=".2f")
        follow = widgets.Checkbox(value=True, description="reset μ to θ at each step", indent=False)
        super().__init__({"step": step, "mean": mean, "follow": follow})

    def on_change(self, change) -> None:
        if change["owner"] is self.controls["step"] and self.controls["follow"].value:
            theta = self.states[change["new"]][1]
            self.controls["mean"].value = float(theta.means[self.component, self.coord])

    def curves(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """log p(X | θ(v)) and L(q, θ(v)) on the slider's grid for a half-step (cached)."""
        step = check_int("step", step, low=0, high=len(self.states) - 1)
        if step not in self._curves:
            _, theta, q = self.states[step]
            ll, lb = em.bound_curves(self.x, q, theta, self.grid, component=self.component, coord=self.coord)
            self._curves[step] = (to_numpy(ll), to_numpy(lb))
        return self._curves[step]

    def setup(self, fig):
        self.ax_data, self.ax_curve = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.35]})
        xs = to_numpy(self.x)
        k = self.states[0][1].n_components
        # Nothing ever needs a full redraw: the curve panel has fixed limits, in nats relative to
        # the peak of log p along the slice, and the absolute values go to the readout. What
        # changes with the step (the points' colours, both curves) is the cached middle layer;
        # what moves with the slider is animated over it.
        self.points = self.layered(self.ax_data.scatter(xs[:, 0], xs[:, 1], s=6, linewidths=0))
        self._rgb = np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in COLORS[:k]])
        self.ellipses = [gaussian_ellipse(self.ax_data, np.zeros(2), np.eye(2), color=COLORS[j], lw=1.8)
                         for j in range(k)]
        (self.moved,) = self.ax_data.plot([], [], "x", color="k", ms=9, mew=2)
        self.animated(*self.ellipses, self.moved)
        self.ax_data.set_aspect("equal", adjustable="box")
        self.ax_data.set_title("data, coloured by q; 2σ ellipses of θ(v)", fontsize=9)
        g = to_numpy(self.grid)
        (self.ll_line,) = self.ax_curve.plot(g, g * 0, color=COLORS[0], lw=2, label=r"$\log p(X\mid\theta)$")
        (self.lb_line,) = self.ax_curve.plot(g, g * 0, "--", color=COLORS[1], lw=2, label=r"$\mathcal{L}(q,\theta)$")
        self.vline = self.ax_curve.axvline(0, color="0.5", lw=1)
        (self.dots,) = self.ax_curve.plot([0, 0], [0, 0], "o", color="k", ms=5)
        (self.old,) = self.ax_curve.plot([0], [-self.y_span], "^", color="k", ms=8, clip_on=False,
                                         label=r"current $\theta$")
        self.title = self.title_text(self.ax_curve, fontsize=9)  # drawn with PIL: 0.3 ms, not 3
        self.layered(self.ll_line, self.lb_line)
        self.animated(self.vline, self.dots, self.old)
        self.ax_curve.set_xlabel(f"v = μ[{self.component},{self.coord}]  (all else held at θ)")
        self.ax_curve.set_ylabel("nats below the peak of log p")
        self.ax_curve.set_xlim(g[0], g[-1])
        self.ax_curve.set_ylim(-self.y_span, 0.1 * self.y_span)
        self.ax_curve.legend(loc="upper right", framealpha=0.85, fontsize=7)
        fig.subplots_adjust(left=0.05, right=0.98, bottom=0.14, top=0.92, wspace=0.28)
        xlo, xhi = xs.min(0), xs.max(0)
        self.ax_data.set_xlim(xlo[0] - 1, xhi[0] + 1)
        self.ax_data.set_ylim(xlo[1] - 1, xhi[1] + 1)

    def compute(self, step: int, mean: float, follow: bool) -> dict:
        label, theta, q = self.states[step]
        ll_curve, lb_curve = self.curves(step)
        v = torch.tensor([mean], dtype=torch.float64)
        ll, lb = em.bound_curves(self.x, q, theta, v, component=self.component, coord=self.coord)
        moved = theta.means.clone()
        moved[self.component, self.coord] = mean
        return {"label": label, "theta": theta, "q": q, "v": mean, "means": moved,
                "log_likelihood": float(ll[0]), "lower_bound": float(lb[0]),
                "kl": float(ll[0] - lb[0]), "ll_curve": ll_curve, "lb_curve": lb_curve,
                "peak": float(ll_curve.max())}

    def draw(self, r: dict) -> bool | str:
        peak = r["peak"]
        self.moved.set_data([float(r["means"][self.component, 0])], [float(r["means"][self.component, 1])])
        for j in range(len(self.ellipses)):
            self._set_ellipse(j, r["theta"].covariances[j], r["means"][j])
        self.vline.set_xdata([r["v"], r["v"]])
        self.dots.set_data([r["v"], r["v"]], [r["log_likelihood"] - peak, r["lower_bound"] - peak])
        self.old.set_xdata([float(r["theta"].means[self.component, self.coord])])
        self.title.set_text(f"{r['label']}: gap KL(q‖p(Z|X,θ)) = {r['kl']:.2f} nats")
        if r["label"] != getattr(self, "_drawn_step", None):  # the middle layer: per-step artists
            self._drawn_step = r["label"]
            self.points.set_facecolor(np.clip(to_numpy(r["q"]) @ self._rgb, 0, 1))
            self.ll_line.set_ydata(r["ll_curve"] - peak)
            self.lb_line.set_ydata(r["lb_curve"] - peak)
            return "layer"
        return False

    def _set_ellipse(self, j, cov, mean):
        vals, vecs = np.linalg.eigh(to_numpy(cov))
        ell = self.ellipses[j]
        ell.set_center(to_numpy(mean))
        ell.width, ell.height = 4 * np.sqrt(np.maximum(vals[::-1], 0))
        ell.angle = np.degrees(np.arctan2(vecs[1, 1], vecs[0, 1]))

    def readout(self, r: dict) -> str:
        return (f"<b>{r['label']}</b><br>log p(X|θ) = {r['log_likelihood']:.2f}<br>"
                f"L(q, θ) = {r['lower_bound']:.2f}<br>KL = log p − L = {r['kl']:.3f}")


def bound_touches(x, model: em.GaussianMixture, **kwargs) -> BoundTouches:
    """Build the "bound touches" app for 2-D data ``x`` and a fitted :class:`~lecturekit.em.GaussianMixture`."""
    return BoundTouches(x, model, **kwargs)
