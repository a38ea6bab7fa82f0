"""Widget and figures for notebook 08: the forward and the reverse diffusion in time.

Everything the slider shows is computed once when the app is built: the forward trajectory
(running q from held-out data), the reverse trajectory (ancestral sampling from p) and the drift
μ(x, t) - x of the reverse kernel on a grid, for every t. A redraw only picks frame t, moves two
scatter plots and the arrows, and blits them, so the Play control can animate the reverse process.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch

from .. import diffusion as D
from ..train import evaluating
from ..utils import check_int, check_nonnegative_int, check_positive_float, check_tensor, make_generator
from ..viz import COLORS, to_numpy
from ._base import FigureApp

__all__ = ["trajectories", "draw_figure1", "TimeSlider", "time_slider"]


def trajectories(diffusion: D.GaussianDiffusion, x0: torch.Tensor, *, grid_size: int = 15,
                 limit: float = 2.0, seed: int = 0) -> dict:
    """Frames t = 0..T of q (from ``x0``) and of p (as many samples), and the drift on a grid.

    Returns numpy arrays: ``forward`` and ``reverse`` (T + 1, N, 2), ``grid`` (G², 2) and
    ``drift`` (T + 1, G², 2) with ``drift[0] = drift[1]`` (the last reverse step).
    """
    if not isinstance(diffusion, D.GaussianDiffusion):
        raise TypeError(f"diffusion must be a GaussianDiffusion, got {type(diffusion).__name__}")
    check_tensor("x0", x0, shape=(None, 2))
    diffusion._data("x0", x0.to(diffusion.beta.device))
    if x0.shape[0] > 20_000:
        raise ValueError(f"x0 must hold at most 20,000 points (every frame is kept), got {x0.shape[0]}")
    grid_size = check_int("grid_size", grid_size, low=2, high=100)
    limit = check_positive_float("limit", limit)
    check_nonnegative_int("seed", seed)
    device = diffusion.beta.device
    g = make_generator(seed)
    x0 = x0.to(device)
    ticks = torch.linspace(-limit, limit, grid_size, device=device, dtype=x0.dtype)
    grid = torch.cartesian_prod(ticks, ticks)
    with evaluating(diffusion):
        forward = diffusion.q_trajectory(x0, generator=g)
        reverse = diffusion.p_sample_loop(x0.shape, generator=g, return_trajectory=True)
        drift = torch.stack([diffusion.drift(grid, t) for t in range(1, diffusion.num_timesteps + 1)])
    drift = torch.cat([drift[:1], drift])
    return {"forward": to_numpy(forward), "reverse": to_numpy(reverse), "grid": to_numpy(grid),
            "drift": to_numpy(drift)}


def _style(ax, limit):
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def draw_figure1(fig, traj: dict, *, steps: list[int] | None = None, limit: float = 2.0):
    """The paper's Figure 1 on ``fig``: q(x^(t)) on the top row, p(x^(t)) in the middle and the
    drift μ(x^(t), t) - x^(t) at the bottom, at t = 0, T/2, T (or ``steps``)."""
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    num_steps = _check_traj(traj)
    limit = check_positive_float("limit", limit)
    if steps is not None:
        if isinstance(steps, (str, bytes)) or not isinstance(steps, (list, tuple)) or not steps:
            raise TypeError(f"steps must be a non-empty list of steps in 0..{num_steps}, got {steps!r}")
        steps = [check_int(f"steps[{i}]", t, low=0, high=num_steps) for i, t in enumerate(steps)]
    steps = steps or [0, num_steps // 2, num_steps]
    axes = fig.subplots(3, len(steps))
    g, d = traj["grid"], traj["drift"]
    for j, t in enumerate(steps):
        axes[0, j].scatter(*traj["forward"][t].T, s=1.5, color=COLORS[0], linewidths=0)
        axes[1, j].scatter(*traj["reverse"][t].T, s=1.5, color=COLORS[3], linewidths=0)
        axes[2, j].scatter(*traj["reverse"][t].T, s=1, color="0.75", linewidths=0)
        axes[2, j].quiver(g[:, 0], g[:, 1], d[t, :, 0], d[t, :, 1], color=COLORS[2], angles="xy")
        axes[0, j].set_title(f"t = {t}", fontsize=10)
        for i in range(3):
            _style(axes[i, j], limit)
    for i, label in enumerate([r"$q(x^{(t)})$", r"$p(x^{(t)})$", r"$\mu(x^{(t)},t) - x^{(t)}$"]):
        axes[i, 0].set_ylabel(label, fontsize=10)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.01, top=0.95, wspace=0.04, hspace=0.04)
    return axes


def _check_traj(traj) -> int:
    """What :func:`trajectories` returns: T + 1 frames of points and of the drift on a grid. Returns T."""
    keys = ("forward", "reverse", "grid", "drift")
    if not isinstance(traj, dict) or not all(k in traj for k in keys):
        raise TypeError(f"traj must be the dict that trajectories() returns (keys {', '.join(keys)}), got "
                        f"{type(traj).__name__}")
    arrays = {k: np.asarray(traj[k]) for k in keys}
    fw = arrays["forward"]
    if fw.ndim != 3 or fw.shape[2] != 2 or fw.shape[0] < 2 or arrays["reverse"].shape != fw.shape:
        raise ValueError(f"traj['forward'] and traj['reverse'] must be (T + 1, N, 2) frames, got "
                         f"{fw.shape} and {arrays['reverse'].shape}")
    if arrays["drift"].shape[:1] != fw.shape[:1] or arrays["drift"].shape[1:] != arrays["grid"].shape:
        raise ValueError("traj['drift'] must be (T + 1, G, 2) on traj['grid'] (G, 2)")
    if not all(np.isfinite(a).all() for a in arrays.values()):
        raise ValueError("traj must hold finite values, but it contains NaN or infinity")
    return fw.shape[0] - 1


class TimeSlider(FigureApp):
    """q(x^(t)) and p(x^(t)) side by side at the slider's t, with the reverse kernel's drift."""

    figsize = (8.0, 4.0)
    dpi = 80
    frame_cache_mb = 4.0  # T + 1 frames, each drawn once while the reverse process plays

    def __init__(self, traj: dict, *, limit: float = 2.0, interval_ms: int = 120):
        self.num_steps = _check_traj(traj)
        self.traj, self.limit = traj, check_positive_float("limit", limit)
        interval_ms = check_int("interval_ms", interval_ms, low=10, high=10_000)
        # arrows scaled by one length for all t, so their shrinking toward t = 0 is visible
        self._arrow_scale = float(np.percentile(np.linalg.norm(traj["drift"], axis=-1), 99)) * 14 / self.limit
        # The slider runs from t = T on the left to t = 0 on the right, the reverse process's
        # direction, so the Play control (which counts up) drives it through its index.
        t = widgets.SelectionSlider(options=[(str(s), s) for s in range(self.num_steps, -1, -1)],
                                    value=self.num_steps, description="t", continuous_update=True)
        self.play = widgets.Play(value=0, min=0, max=self.num_steps, step=1, interval=interval_ms,
                                 description="run the reverse process")
        self.link = widgets.link((self.play, "value"), (t, "index"))
        super().__init__({"player": widgets.HBox([self.play]), "t": t})

    def setup(self, fig):
        self.ax_q, self.ax_p = fig.subplots(1, 2)
        for ax in (self.ax_q, self.ax_p):
            _style(ax, self.limit)
        n = self.traj["forward"].shape[1]
        empty = np.zeros((n, 2))
        self.q_pts = self.ax_q.scatter(*empty.T, s=2, color=COLORS[0], linewidths=0)
        self.p_pts = self.ax_p.scatter(*empty.T, s=2, color=COLORS[3], linewidths=0)
        g = self.traj["grid"]
        self.arrows = self.ax_p.quiver(g[:, 0], g[:, 1], g[:, 0] * 0, g[:, 1] * 0, color=COLORS[2],
                                       angles="xy", scale=self._arrow_scale, width=0.005)
        self.ax_q.set_title("forward q(x^(t)): data → noise", fontsize=10)
        self.ax_p.set_title("reverse p(x^(t)), arrows: drift μ(x, t) − x", fontsize=10)
        # static titles; the label that moves is drawn with PIL (a matplotlib Text costs more than the points)
        self.label = self.overlay_text(self.ax_q, 0.03, 0.97, fontsize=11, anchor="la")
        self.animated(self.q_pts, self.p_pts, self.arrows)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9, wspace=0.04)

    def compute(self, t: int) -> dict:
        if not 0 <= t <= self.num_steps:
            raise ValueError(f"t must lie in 0..{self.num_steps}, got {t}")
        drift = self.traj["drift"][t]
        return {"t": t, "forward": self.traj["forward"][t], "reverse": self.traj["reverse"][t],
                "drift": drift, "max_drift": float(np.linalg.norm(drift, axis=1).max())}

    def draw(self, r: dict) -> bool:
        self.q_pts.set_offsets(r["forward"])
        self.p_pts.set_offsets(r["reverse"])
        self.arrows.set_UVC(r["drift"][:, 0], r["drift"][:, 1])
        self.label.set_text(f"t = {r['t']}")
        return False

    def readout(self, r: dict) -> str:
        return (f"t = {r['t']} of T = {self.num_steps}<br>largest drift |μ(x, t) − x| on the grid: "
                f"{r['max_drift']:.3f}<br>press ▶ to run the reverse process from t = T to 0")


def time_slider(diffusion: D.GaussianDiffusion, x0: torch.Tensor, *, grid_size: int = 15, limit: float = 2.0,
                seed: int = 0, interval_ms: int = 120) -> TimeSlider:
    """Build the time-slider app: trajectories of ``diffusion`` started from held-out points ``x0``
    (N, 2) and as many reverse samples, computed once (see :func:`trajectories`)."""
    check_int("interval_ms", interval_ms, low=10, high=10_000)  # before the trajectories are computed
    return TimeSlider(trajectories(diffusion, x0, grid_size=grid_size, limit=limit, seed=seed),
                      limit=limit, interval_ms=interval_ms)
