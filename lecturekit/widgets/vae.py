"""Widget for notebook 04: the 2-D latent manifold explorer.

Two sliders set z = (z₁, z₂). The left panel scatters the encodings μ(x) of test images,
coloured by digit class (ten hues a projector keeps apart, and each class's digit written at its
median encoding), with a marker at z; on the right the decoded mean image E[x | z] is
shown crisp (upscaled with nearest neighbours, never blurred), beside the test image picked by
its index. Picking an index puts the sliders at that image's encoding.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch

from ..train import evaluating
from ..utils import check_int, check_positive_float, check_tensor
from ..viz import COLORS, array_png, to_numpy
from ..vae import VAE
from ._base import FigureApp

__all__ = ["LatentExplorer", "latent_explorer", "CLASS_COLORS"]

#: Ten class colours that stay apart on a washed-out projector: matplotlib's tab10 hues (blue,
#: orange, green, red, purple, brown, pink, grey, olive, cyan), no two of one hue family.
CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"]


class LatentExplorer(FigureApp):
    figsize = (4.4, 4.0)
    dpi = 90

    def __init__(self, model: VAE, x: torch.Tensor, y: torch.Tensor | None = None, *, scale: int = 8,
                 limit: float | None = None, step: float = 0.05):
        if not isinstance(model, VAE) or model.latent_dim != 2:
            raise ValueError(f"model must be a VAE with latent_dim 2, got "
                             f"{type(model).__name__} with latent_dim {getattr(model, 'latent_dim', None)}")
        model.check_images(x)
        if y is not None:
            check_tensor("y", y, shape=(x.shape[0],))
            if y.dtype not in (torch.int64, torch.int32, torch.uint8) or bool((y < 0).any()) or int(y.max()) > 9:
                raise ValueError("y must hold digit labels 0..9 (an integer tensor)")
        scale = check_int("scale", scale, low=1, high=32)
        if limit is not None:
            limit = check_positive_float("limit", limit)
        step = check_positive_float("step", step)
        self.model, self.x, self.y, self.scale = model, x, y, scale
        self._param = next(model.parameters())
        with evaluating(model):
            self.z = to_numpy(model.encode(x).mean).astype(np.float64)
        if limit is None:
            limit = max(0.5, float(np.ceil(np.quantile(np.abs(self.z), 0.995) * 2) / 2))
        if step >= limit:
            raise ValueError(f"step must be smaller than the slider's half-range limit = {limit:g}, got {step:g}")
        self.limit = limit
        h, w = model.image_shape
        size = widgets.Layout(width=f"{w * scale}px", height=f"{h * scale}px")
        self.decoded = widgets.Image(format="png", layout=size)
        self.picked = widgets.Image(format="png", layout=size)
        z1 = widgets.FloatSlider(value=0.0, min=-limit, max=limit, step=step, description="z₁", readout_format=".2f")
        z2 = widgets.FloatSlider(value=0.0, min=-limit, max=limit, step=step, description="z₂", readout_format=".2f")
        super().__init__({"z1": z1, "z2": z2})
        index = widgets.BoundedIntText(value=0, min=0, max=x.shape[0] - 1, description="test digit")
        self.controls["index"] = index
        index.observe(self._on_index, names="value")
        left = widgets.VBox([z1, z2, index, self.readout_html, self.errors, self.frame],
                            layout=widgets.Layout(width=self.controls_width))
        right = widgets.VBox([widgets.HTML("<b>decoded E[x | z]</b>"), self.decoded,
                              widgets.HTML("<b>picked test image</b>"), self.picked])
        self.ui = widgets.HBox([left, self.image, right])
        self._show_picked(0)

    def _show_picked(self, i: int) -> None:
        self.picked.value = array_png(self.x[i, 0], scale=self.scale)

    def _on_index(self, change) -> None:
        i = int(change["new"])
        self._busy = True
        try:
            self.controls["z1"].value = float(np.clip(self.z[i, 0], -self.limit, self.limit))
            self.controls["z2"].value = float(np.clip(self.z[i, 1], -self.limit, self.limit))
        finally:
            self._busy = False
        self._show_picked(i)
        self.update()

    def setup(self, fig):
        ax = self.ax = fig.add_subplot(1, 1, 1)
        if self.y is None:
            ax.scatter(self.z[:, 0], self.z[:, 1], s=4, color=COLORS[0], alpha=0.6, linewidths=0)
        else:
            import matplotlib.patheffects as pe

            labels = to_numpy(self.y)
            for c in np.unique(labels):
                sel = labels == c
                color = CLASS_COLORS[int(c) % len(CLASS_COLORS)]
                ax.scatter(self.z[sel, 0], self.z[sel, 1], s=5, color=color, alpha=0.7, linewidths=0)
                mx, my = np.median(self.z[sel, 0]), np.median(self.z[sel, 1])
                if abs(mx) < self.limit and abs(my) < self.limit:
                    ax.text(mx, my, str(int(c)), color=color, fontsize=11, fontweight="bold", ha="center",
                            va="center", path_effects=[pe.withStroke(linewidth=2.5, foreground="white")])
        (self.marker,) = ax.plot([0], [0], "x", color="k", ms=12, mew=2.5)
        self.animated(self.marker)
        ax.set_xlim(-self.limit, self.limit)
        ax.set_ylim(-self.limit, self.limit)
        ax.set_aspect("equal")
        ax.set_xlabel("z₁")
        ax.set_ylabel("z₂")
        ax.set_title("test encodings μ(x)", fontsize=9)
        fig.subplots_adjust(left=0.14, right=0.97, bottom=0.12, top=0.93)

    def compute(self, z1: float, z2: float, index: int = 0) -> dict:
        z = torch.tensor([[z1, z2]], dtype=self._param.dtype, device=self._param.device)
        with evaluating(self.model):
            image = to_numpy(self.model.decode(z)[0, 0])
        nearest = int(np.argmin(((self.z - np.array([z1, z2])) ** 2).sum(1)))
        return {"z": (float(z1), float(z2)), "image": image, "nearest": nearest,
                "nearest_label": None if self.y is None else int(self.y[nearest])}

    def draw(self, r: dict) -> bool:
        self.marker.set_data([r["z"][0]], [r["z"][1]])
        self.decoded.value = array_png(r["image"], scale=self.scale)
        return False

    def readout(self, r: dict) -> str:
        label = "" if r["nearest_label"] is None else f", a {r['nearest_label']}"
        return (f"z = ({r['z'][0]:.2f}, {r['z'][1]:.2f})<br>"
                f"nearest test encoding: #{r['nearest']}{label}")


def latent_explorer(model: VAE, x: torch.Tensor, y: torch.Tensor | None = None, **kwargs) -> LatentExplorer:
    """Build the latent explorer for a 2-D-latent :class:`~lecturekit.vae.VAE` and test images
    ``x`` (N, 1, H, W) with optional labels ``y`` (colours of the scatter)."""
    return LatentExplorer(model, x, y, **kwargs)
