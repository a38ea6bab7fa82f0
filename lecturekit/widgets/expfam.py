"""Widget for notebook 02: conjugate duality between A(θ) and A*(μ).

A slider on θ draws A(θ) with its tangent of slope μ = ∇A(θ) and, beside it, A*(μ) with its
tangent of slope θ = ∇A*(μ); the readout checks A*(μ) = −H(p_θ) numerically. For the
two-dimensional families (Categorical(3), Gaussian) both functions are drawn as contours, with
the gradient direction and the tangent line to the level set through the point.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch

from .. import expfam
from ..utils import check_choice, check_int
from ..viz import COLORS
from ._base import FigureApp

__all__ = ["ConjugateDuality", "conjugate_duality", "SETTINGS"]

#: family label -> (family, θ slider ranges, default θ, μ plotting box for 2-D families)
SETTINGS = {
    "Bernoulli": (expfam.Bernoulli(), [(-4.0, 4.0)], [1.0], None),
    "Poisson": (expfam.Poisson(), [(-2.0, 2.0)], [0.5], None),
    "Exponential": (expfam.Exponential(), [(-4.0, -0.25)], [-1.0], None),
    "Categorical(3)": (expfam.Categorical(3), [(-3.0, 3.0), (-3.0, 3.0)], [1.0, -0.5], [(0.0, 1.0), (0.0, 1.0)]),
    # θ₂ ≤ −0.5 keeps the variance ≤ 1, so μ₂ = μ₁² + σ² stays in a box where the point is visible
    "Gaussian": (expfam.Gaussian(), [(-2.0, 2.0), (-2.0, -0.5)], [0.5, -0.75], [(-2.5, 2.5), (0.0, 5.5)]),
}


def _set_range(slider: widgets.FloatSlider, lo: float, hi: float, value: float) -> None:
    """Move a slider to a new range without tripping its own clamping."""
    slider.max = max(hi, slider.max)
    slider.min = min(lo, slider.min)
    slider.value = value
    slider.min, slider.max = lo, hi
    slider.step = (hi - lo) / 200


class ConjugateDuality(FigureApp):
    figsize = (9.0, 3.8)
    controls_width = "320px"

    def __init__(self, family: str = "Bernoulli", *, num_points: int = 241):
        check_choice("family", family, tuple(SETTINGS))
        self.num_points = check_int("num_points", num_points, low=2, high=10_001)
        self._cache: dict[str, dict] = {}
        choose = widgets.Dropdown(options=list(SETTINGS), value=family, description="family")
        t1 = widgets.FloatSlider(description="θ₁", readout_format=".2f", continuous_update=True)
        t2 = widgets.FloatSlider(description="θ₂", readout_format=".2f", continuous_update=True)
        self._sliders = (t1, t2)
        self._configure(family)
        choose.observe(self._on_family, names="value")
        super().__init__({"family": choose, "theta1": t1, "theta2": t2})

    def _configure(self, name: str) -> None:
        _, ranges, default, _ = SETTINGS[name]
        for i, slider in enumerate(self._sliders):
            if i < len(ranges):
                _set_range(slider, *ranges[i], default[i])
                slider.disabled = False
            else:
                slider.disabled = True

    def _on_family(self, change) -> None:
        self._busy = True
        try:
            self._configure(change["new"])
        finally:
            self._busy = False

    # -- the curves and surfaces of a family (static, cached) -----------------------------------------
    def static(self, name: str) -> dict:
        """The curves (1-D families) or surfaces (2-D) of A and A* for the family ``name`` (cached)."""
        check_choice("name", name, tuple(SETTINGS))
        if name in self._cache:
            return self._cache[name]
        family, ranges, _, mu_box = SETTINGS[name]
        if family.dim == 1:
            theta = torch.linspace(*ranges[0], self.num_points, dtype=torch.float64).unsqueeze(-1)
            mu = family.mean(theta)
            out = {"theta": theta[:, 0].numpy(), "A": family.log_partition(theta).numpy(),
                   "mu": mu[:, 0].numpy(), "A_star": family.conjugate(mu).numpy()}
        else:
            n = 121
            t1, t2 = (torch.linspace(*r, n, dtype=torch.float64) for r in ranges)
            grid = torch.stack(torch.meshgrid(t1, t2, indexing="xy"), dim=-1)
            m1, m2 = (torch.linspace(lo + 1e-3 * (hi - lo), hi, n, dtype=torch.float64) for lo, hi in mu_box)
            mgrid = torch.stack(torch.meshgrid(m1, m2, indexing="xy"), dim=-1)
            inside = family._in_mean_domain(mgrid)
            a_star = torch.full(inside.shape, float("nan"), dtype=torch.float64)
            a_star[inside] = family.conjugate(mgrid[inside])
            out = {"t1": t1.numpy(), "t2": t2.numpy(), "A": family.log_partition(grid).numpy(),
                   "m1": m1.numpy(), "m2": m2.numpy(), "A_star": np.ma.masked_invalid(a_star.numpy())}
        self._cache[name] = out
        return out

    # -- FigureApp ------------------------------------------------------------------------------------
    def setup(self, fig):
        self.ax_a, self.ax_star = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
        self._drawn = None

    def _build(self, name: str) -> None:
        """Rebuild both panels for a family (static artists and the animated ones)."""
        family, ranges, _, mu_box = SETTINGS[name]
        st = self.static(name)
        self._animated = []
        for ax in (self.ax_a, self.ax_star):
            ax.clear()
        if family.dim == 1:
            self.ax_a.plot(st["theta"], st["A"], color=COLORS[0], lw=2)
            self.ax_star.plot(st["mu"], st["A_star"], color=COLORS[1], lw=2)
            for ax, x, y in ((self.ax_a, st["theta"], st["A"]), (self.ax_star, st["mu"], st["A_star"])):
                span = y.max() - y.min()
                ax.set_xlim(x.min(), x.max())
                ax.set_ylim(y.min() - 0.15 * span, y.max() + 0.1 * span)
            self.ax_a.set_xlabel("θ")
            self.ax_star.set_xlabel("μ")
            self.ax_a.set_title("A(θ); tangent slope μ = ∇A(θ)", fontsize=9)
            self.ax_star.set_title("A*(μ); tangent slope θ = ∇A*(μ)", fontsize=9)
        else:
            self.ax_a.contourf(st["t1"], st["t2"], st["A"], levels=20, cmap="Blues")
            self.ax_star.contourf(st["m1"], st["m2"], st["A_star"], levels=20, cmap="Oranges")
            self.ax_a.set_xlabel("θ₁")
            self.ax_a.set_ylabel("θ₂")
            self.ax_star.set_xlabel("μ₁")
            self.ax_star.set_ylabel("μ₂")
            self.ax_a.set_xlim(*ranges[0])
            self.ax_a.set_ylim(*ranges[1])
            self.ax_star.set_xlim(*mu_box[0])
            self.ax_star.set_ylim(*mu_box[1])
            self.ax_a.set_title("A(θ): arrow ∇A = μ, dashed tangent", fontsize=9)
            self.ax_star.set_title("A*(μ): arrow ∇A* = θ, dashed tangent", fontsize=9)
        self.tangents, self.points, self.arrows = [], [], []
        for ax in (self.ax_a, self.ax_star):
            (tan,) = ax.plot([], [], "--", color="k", lw=1.2)
            (pt,) = ax.plot([], [], "o", color=COLORS[3], ms=7)
            (arrow,) = ax.plot([], [], "-", color=COLORS[3], lw=2)
            self.tangents.append(tan)
            self.points.append(pt)
            self.arrows.append(arrow)
            self.animated(tan, pt, arrow)

    def compute(self, family: str, theta1: float, theta2: float) -> dict:
        fam = SETTINGS[family][0]
        theta = torch.tensor([theta1, theta2][: fam.dim], dtype=torch.float64)
        mu = fam.mean(theta)
        return {"family": family, "theta": theta.numpy(), "mu": mu.numpy(),
                "A": float(fam.log_partition(theta)), "A_star": float(fam.conjugate(mu)),
                "entropy": float(fam.entropy(theta)), "expected_log_base": float(fam.expected_log_base(theta))}

    def draw(self, r: dict) -> bool:
        full = r["family"] != self._drawn
        if full:
            self._build(r["family"])
            self._drawn = r["family"]
        theta, mu = r["theta"], r["mu"]
        if len(theta) == 1:
            for i, (x0, y0, slope) in enumerate(((theta[0], r["A"], mu[0]), (mu[0], r["A_star"], theta[0]))):
                ax = (self.ax_a, self.ax_star)[i]
                xs = np.array(ax.get_xlim())
                self.tangents[i].set_data(xs, y0 + slope * (xs - x0))
                self.points[i].set_data([x0], [y0])
                self.arrows[i].set_data([], [])
        else:
            for i, (p, g) in enumerate(((theta, mu), (mu, theta))):
                ax = (self.ax_a, self.ax_star)[i]
                (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
                scale = np.array([x1 - x0, y1 - y0])
                d = g / scale  # direction in axes units, so the arrow and the tangent look orthogonal
                d = d / (np.linalg.norm(d) + 1e-300)
                perp = np.array([-d[1], d[0]]) * 1.8  # the tangent spans the panel whatever the arrow's length
                # unit length 0.18 of the panel, shortened so that the arrow ends inside the panel
                here = (np.asarray(p, dtype=float) - np.array([x0, y0])) / scale
                room = [((1.0 if c > 0 else 0.0) - h) / c for h, c in zip(here, d) if abs(c) > 1e-12]
                d = d * max(0.0, min([0.18] + [0.95 * r for r in room if r >= 0]))
                self.arrows[i].set_data([p[0], p[0] + d[0] * scale[0]], [p[1], p[1] + d[1] * scale[1]])
                # the tangent line of the level set through p: ⟨g, x − p⟩ = 0
                self.tangents[i].set_data([p[0] - perp[0] * scale[0], p[0] + perp[0] * scale[0]],
                                          [p[1] - perp[1] * scale[1], p[1] + perp[1] * scale[1]])
                self.points[i].set_data([p[0]], [p[1]])
        return full

    def readout(self, r: dict) -> str:
        fmt = lambda v: "(" + ", ".join(f"{x:.3f}" for x in v) + ")" if len(v) > 1 else f"{v[0]:.3f}"
        neg_h = -r["entropy"] - r["expected_log_base"]
        label = "−H(p<sub>θ</sub>) − E<sub>θ</sub>[log h]" if r["family"] == "Poisson" else "−H(p<sub>θ</sub>)"
        base = (f"<br>(h(x) = 1/x!, E<sub>θ</sub>[log h] = {r['expected_log_base']:.4f})"
                if r["family"] == "Poisson" else "")
        return (f"<b>{r['family']}</b><br>θ = {fmt(r['theta'])}<br>μ = ∇A(θ) = {fmt(r['mu'])}<br>"
                f"A(θ) = {r['A']:.4f}<br>A*(μ) = {r['A_star']:.6f}<br>"
                f"{label} = {neg_h:.6f}{base}<br>"
                f"A(θ) + A*(μ) − ⟨θ, μ⟩ = {r['A'] + r['A_star'] - float(np.dot(r['theta'], r['mu'])):.1e}")


def conjugate_duality(family: str = "Bernoulli", **kwargs) -> ConjugateDuality:
    """Build the conjugate-duality app; ``family`` is one of :data:`SETTINGS`."""
    return ConjugateDuality(family, **kwargs)
