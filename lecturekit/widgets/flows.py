"""Widget for notebook 07: the density warp.

Left panel: a trained flow, layer by layer. The slider k picks q_k, the density after the first k
layers, drawn on a grid, with the lines of a square grid in z_0-space pushed through the same k
layers (all K + 1 pictures are computed when the app is built, so moving k only swaps arrays).

Right panel: one planar layer Φ(z) = z + û tanh(wᵀz + b) applied to N(0, I). Sliders set w, u
and b; the panel shows q_1 on a coarse grid, the warped grid lines, the hyperplane wᵀz + b = 0
and û, and the readout gives wᵀû (never below −1) and the range of log |det ∇Φ|.
"""

from __future__ import annotations

import copy

import ipywidgets as widgets
import numpy as np
import torch

from .. import flows
from ..utils import as_float_tensor, check_float, check_int, check_positive_float, check_positive_int
from ..viz import COLORS, to_numpy
from ._base import FigureApp

__all__ = ["DensityWarp", "density_warp", "warped_lines"]


def warped_lines(transform, *, centre, scale, upto: int | None = None, num_lines: int = 9,
                 num_points: int = 60, span: float = 2.5) -> np.ndarray:
    """The lines of a square grid over centre ± span·scale pushed through ``transform`` (first
    ``upto`` layers), as one (M, 2) array with NaN rows between lines (one Line2D draws them all)."""
    if not callable(transform) or not hasattr(transform, "dim"):
        raise TypeError(f"transform must be a flow layer such as flow.transform, got {type(transform).__name__}")
    if transform.dim != 2:
        raise ValueError(f"transform must act on 2-D points, got dim {transform.dim}")
    centre = as_float_tensor("centre", centre, dtype=torch.float32)
    scale = as_float_tensor("scale", scale, dtype=torch.float32)
    if centre.shape != (2,) or scale.shape != (2,):
        raise ValueError(f"centre and scale must be 2-vectors, got shapes {tuple(centre.shape)} and {tuple(scale.shape)}")
    if bool((scale <= 0).any()):
        raise ValueError(f"scale must be positive, got {scale.tolist()}")
    num_lines = check_int("num_lines", num_lines, low=2, high=200)
    num_points = check_int("num_points", num_points, low=2, high=2000)
    span = check_positive_float("span", span)
    t = torch.linspace(-span, span, num_points)
    c = torch.linspace(-span, span, num_lines)
    vertical = torch.stack([c[:, None].expand(-1, num_points), t[None].expand(num_lines, -1)], -1)
    pts = torch.cat([vertical, vertical.flip(-1)]).reshape(-1, 2)  # (2·num_lines·num_points, 2)
    pts = centre.to(pts.device) + scale.to(pts.device) * pts
    with torch.no_grad():
        out = transform(pts, upto=upto)[0] if upto is not None else transform(pts)[0]
    out = to_numpy(out).reshape(2 * num_lines, num_points, 2)
    gap = np.full((2 * num_lines, 1, 2), np.nan, dtype=out.dtype)
    return np.concatenate([out, gap], 1).reshape(-1, 2)


class DensityWarp(FigureApp):
    figsize = (9.0, 4.2)

    def __init__(self, flow: flows.Flow, *, bound: float = 4.0, num: int = 120, coarse: int = 60):
        if not isinstance(flow, flows.Flow) or flow.num_flows is not None:
            raise TypeError(f"flow must be a single lecturekit.flows.Flow, got {type(flow).__name__}")
        if flow.dim != 2:
            raise ValueError(f"flow must be 2-D to draw, got dim {flow.dim}")
        bound = check_positive_float("bound", bound)
        num, coarse = check_int("num", num, low=2, high=1000), check_int("coarse", coarse, low=2, high=400)
        if flow.base.mean.dtype != torch.float32:  # draw a float32 copy; the caller's flow is left as it is
            flow = copy.deepcopy(flow).float()
        self.flow, self.bound = flow.eval(), bound
        self.num_layers = len(flow)
        with torch.no_grad():
            centre, scale = flow.base.mean.detach(), flow.base.log_scale.detach().exp()
        # every q_k and its warped grid, once
        with flows.one_thread():  # many small ops: a second thread only stalls on a busy machine
            self.densities = [to_numpy(flows.density_grid(flow, bound=bound, num=num, upto=k))
                              for k in range(self.num_layers + 1)]
            self.lines = [warped_lines(flow.transform, centre=centre, scale=scale, upto=k)
                          for k in range(self.num_layers + 1)]
        self.coarse_ticks, self.coarse_points = flows.grid(bound=3.0, num=coarse)
        self.coarse = coarse
        self.layer = flows.Flow(flows.PlanarFlow(2, 1), flows.DiagonalGaussian(2, learnable=False)).eval()
        slider = dict(continuous_update=True, readout_format=".2f", layout=widgets.Layout(width="290px"))
        controls = {
            "k": widgets.IntSlider(value=self.num_layers, min=0, max=self.num_layers, description="layer k",
                                   continuous_update=True, layout=widgets.Layout(width="290px")),
            "w1": widgets.FloatSlider(value=3.0, min=-5, max=5, step=0.1, description="w₁", **slider),
            "w2": widgets.FloatSlider(value=0.0, min=-5, max=5, step=0.1, description="w₂", **slider),
            "u1": widgets.FloatSlider(value=1.0, min=-3, max=3, step=0.05, description="u₁", **slider),
            "u2": widgets.FloatSlider(value=0.0, min=-3, max=3, step=0.05, description="u₂", **slider),
            "b": widgets.FloatSlider(value=0.0, min=-3, max=3, step=0.05, description="b", **slider),
        }
        super().__init__(controls)

    def planar(self, w1: float, w2: float, u1: float, u2: float, b: float) -> dict:
        """One planar layer on N(0, I): q_1 on the coarse grid, the warped grid, log_det range."""
        w1, w2, u1, u2, b = (check_float(name, v) for name, v in (("w1", w1), ("w2", w2), ("u1", u1), ("u2", u2),
                                                                  ("b", b)))
        t = self.layer.transform
        with torch.no_grad(), flows.one_thread():
            t.w.copy_(torch.tensor([[w1, w2]]))
            t.u.copy_(torch.tensor([[u1, u2]]))
            t.b.fill_(b)
            q = self.layer.log_prob(self.coarse_points).exp().reshape(self.coarse, self.coarse)
            _, log_det = t(self.coarse_points)
            u_hat, wu_hat = t.u_hat()
        return {"q1": to_numpy(q), "planar_lines": warped_lines(t, centre=torch.zeros(2), scale=torch.ones(2)),
                "log_det_min": float(log_det.min()), "log_det_max": float(log_det.max()),
                "u_hat": to_numpy(u_hat[0]), "wu": w1 * u1 + w2 * u2, "wu_hat": float(wu_hat[0])}

    def compute(self, k: int, w1: float, w2: float, u1: float, u2: float, b: float) -> dict:
        key = (w1, w2, u1, u2, b)
        if key != getattr(self, "_planar_key", None):  # moving k alone reuses the right panel
            self._planar_key, self._planar = key, self.planar(*key)
        return {"k": k, "density": self.densities[k], "lines": self.lines[k], "w": (w1, w2), "b": b,
                **self._planar}

    def setup(self, fig):
        self.ax_flow, self.ax_planar = fig.subplots(1, 2)
        ext = (-self.bound, self.bound, -self.bound, self.bound)
        self.im_flow = self.ax_flow.imshow(self.densities[-1], origin="lower", extent=ext, cmap="Blues",
                                           interpolation="nearest")
        (self.lines_flow,) = self.ax_flow.plot([], [], color=COLORS[1], lw=0.6, alpha=0.8)
        self.ax_flow.set_title("a trained flow, layer by layer: $q_k$ and the warped grid", fontsize=9)
        self.ax_flow.set_xlim(-self.bound, self.bound)
        self.ax_flow.set_ylim(-self.bound, self.bound)
        self.im_planar = self.ax_planar.imshow(np.zeros((self.coarse, self.coarse)), origin="lower",
                                               extent=(-3, 3, -3, 3), cmap="Blues", interpolation="nearest")
        (self.lines_planar,) = self.ax_planar.plot([], [], color=COLORS[1], lw=0.6, alpha=0.8)
        (self.hyperplane,) = self.ax_planar.plot([], [], "--", color=COLORS[3], lw=1.2)
        (self.arrow,) = self.ax_planar.plot([], [], "-o", color=COLORS[2], lw=2, ms=3, markevery=[1])
        self.ax_planar.set_title("one planar layer on N(0, I): $q_1$, $w^\\top z + b = 0$, $\\hat u$", fontsize=9)
        self.ax_planar.set_xlim(-3, 3)
        self.ax_planar.set_ylim(-3, 3)
        for ax in (self.ax_flow, self.ax_planar):
            ax.set_aspect("equal")
            ax.tick_params(labelsize=7)
        # titles are static (text is slow to draw); what changes goes to the readout
        # the left panel changes only with k: a middle layer, cached while the planar sliders move
        self.layered(self.im_flow, self.lines_flow)
        self._shown_k = None
        self.animated(self.im_planar, self.lines_planar, self.hyperplane, self.arrow)
        fig.subplots_adjust(left=0.05, right=0.98, bottom=0.07, top=0.9, wspace=0.15)

    def draw(self, r: dict) -> bool | str:
        layer = r["k"] != self._shown_k
        if layer:
            self.im_flow.set_data(r["density"])
            self.im_flow.set_clim(0, float(r["density"].max()))
            self.lines_flow.set_data(r["lines"][:, 0], r["lines"][:, 1])
            self._shown_k = r["k"]
        self.im_planar.set_data(r["q1"])
        self.im_planar.set_clim(0, float(r["q1"].max()))
        self.lines_planar.set_data(r["planar_lines"][:, 0], r["planar_lines"][:, 1])
        (w1, w2), b = r["w"], r["b"]
        norm = max(np.hypot(w1, w2), 1e-9)
        foot = -b * np.array([w1, w2]) / norm**2  # closest point of wᵀz + b = 0 to the origin
        along = 10 * np.array([-w2, w1]) / norm
        self.hyperplane.set_data([foot[0] - along[0], foot[0] + along[0]], [foot[1] - along[1], foot[1] + along[1]])
        self.arrow.set_data([0, r["u_hat"][0]], [0, r["u_hat"][1]])
        return "layer" if layer else False

    def readout(self, r: dict) -> str:
        return (f"<b>left:</b> q_k after k = {r['k']} of {self.num_layers} layers<br>"
                f"<b>right:</b> wᵀu = {r['wu']:.2f} → wᵀû = {r['wu_hat']:.2f} (≥ −1)<br>"
                f"log|det ∇Φ| from {r['log_det_min']:.3f} to {r['log_det_max']:.3f}<br>"
                f"dashed: wᵀz + b = 0; green: û")


def density_warp(flow: flows.Flow, **kwargs) -> DensityWarp:
    """Build the density-warp app for a trained 2-D :class:`~lecturekit.flows.Flow` (planar, NICE, ...)."""
    return DensityWarp(flow, **kwargs)
