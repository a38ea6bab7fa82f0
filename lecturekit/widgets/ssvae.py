"""Widgets for notebook 05: M2 separates the label y from the style z.

* :func:`style_explorer`: fix the class y and move the style z with two sliders over a 2-D plane
  of style space (the style space itself when it is 2-D); the panel shows E[x | y, z] large and
  the same z rendered as every class (Kingma et al. 2014, Fig. 1).
* :func:`analogies`: pick a test digit, infer its style z = E_q(z|x,y)[z], and render it as every
  class 0 to 9 in a row (Kingma et al. 2014, Fig. 2).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch

from .. import ssvae
from ..train import evaluating
from ..utils import check_nonnegative_int, check_positive_int, check_tensor, one_thread
from ..viz import COLORS, tile, to_numpy
from ._base import FigureApp

__all__ = ["StyleExplorer", "style_explorer", "Analogies", "analogies"]


def _check_model(model, image_shape):
    if not isinstance(model, ssvae.M2):
        raise TypeError(f"model must be a trained lecturekit.ssvae.M2, got {type(model).__name__}")
    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2:
        raise TypeError(f"image_shape must be a pair of positive integers (H, W), got {image_shape!r}")
    for s in image_shape:
        check_positive_int("image_shape", s)
    if model.likelihood == "bernoulli" and int(np.prod(image_shape)) != model.x_dim:
        raise ValueError(f"image_shape {tuple(image_shape)} has {int(np.prod(image_shape))} pixels but the model "
                         f"generates {model.x_dim} (its x_dim)")
    if model.likelihood != "bernoulli" or int(np.prod(image_shape)) != model.x_dim:
        raise ValueError(f"model must generate {image_shape[0]}x{image_shape[1]} images (an M2 on pixels), "
                         f"got x_dim={model.x_dim} with a {model.likelihood} likelihood")


class StyleExplorer(FigureApp):
    figsize = (9.0, 3.9)

    def __init__(self, model: ssvae.M2, x: torch.Tensor, y: torch.Tensor, *, image_shape=(28, 28),
                 label: int = 0, span: float = 3.0):
        _check_model(model, image_shape)
        check_tensor("x", x, model=model, low=0.0, high=1.0, hint="divide 0-255 pixels by 255")
        if x.ndim < 2 or x[0].numel() != model.x_dim:
            raise ValueError(f"x must hold {model.x_dim}-pixel images, got shape {tuple(x.shape)}")
        self.model, self.shape = model, tuple(image_shape)
        self.y = ssvae.check_labels("y", y, model.num_classes).cpu()
        if len(self.y) != len(x):
            raise ValueError(f"y must have one label per row of x ({len(x)}), got {len(self.y)} labels")
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
            raise TypeError(f"label must be a class index (an int in 0..{model.num_classes - 1}), got {label!r}")
        if label not in range(model.num_classes):
            raise ValueError(f"label must be a class index in 0..{model.num_classes - 1}, got {label!r}")
        if isinstance(span, bool) or not isinstance(span, (int, float, np.integer, np.floating)):
            raise TypeError(f"span must be a positive number, got {span!r}")
        if not 0 < span < float("inf"):
            raise ValueError(f"span must be positive and finite, got {span!r}")
        span = float(span)
        if span > 100:
            raise ValueError(f"span must be at most 100 (style coordinates are in standard deviations), got {span!r}")
        self.centre, self.axes, coords = ssvae.style_plane(model, x, y)
        self.coords = to_numpy(coords)
        self.span = float(span)
        cls = widgets.Dropdown(options=list(range(model.num_classes)), value=label, description="class y")
        kw = dict(min=-span, max=span, step=0.05, readout_format=".2f", continuous_update=True)
        super().__init__({"label": cls, "z1": widgets.FloatSlider(value=0.0, description="style z₁", **kw),
                          "z2": widgets.FloatSlider(value=0.0, description="style z₂", **kw)})

    def setup(self, fig):
        gs = fig.add_gridspec(2, 2, width_ratios=[1.0, 1.6], height_ratios=[2.2, 1.0])
        self.ax_map = fig.add_subplot(gs[:, 0])
        self.ax_big = fig.add_subplot(gs[0, 1])
        self.ax_row = fig.add_subplot(gs[1, 1])
        self.scatter = self.ax_map.scatter(self.coords[:, 0], self.coords[:, 1], s=4, linewidths=0,
                                           c=[COLORS[int(c)] for c in self.y], alpha=0.35)
        (self.cross,) = self.ax_map.plot([0], [0], "+", color="k", ms=16, mew=2.5)
        self.ax_map.set_xlim(-self.span, self.span)
        self.ax_map.set_ylim(-self.span, self.span)
        self.ax_map.set_aspect("equal")
        self.ax_map.set_xlabel("z₁")
        self.ax_map.set_ylabel("z₂")
        self.ax_map.set_title("styles of the test digits (colour: class)", fontsize=9)
        h, w = self.shape
        k = self.model.num_classes
        self.big = self.ax_big.imshow(np.zeros((h, w)), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        self.row = self.ax_row.imshow(np.zeros((h, k * (w + 1) - 1)), cmap="gray_r", vmin=0, vmax=1,
                                      interpolation="nearest")
        for ax in (self.ax_big, self.ax_row):
            ax.set_xticks([])
            ax.set_yticks([])
        self.ax_row.set_xlabel("the same style z as every class 0 … 9", fontsize=9)
        self.title = self.title_text(self.ax_big, fontsize=9)  # drawn with PIL: 0.3 ms, not 3
        self.animated(self.cross, self.big, self.row)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.1, top=0.92, wspace=0.15, hspace=0.25)

    def compute(self, label: int, z1: float, z2: float) -> dict:
        z = self.centre + z1 * self.axes[0] + z2 * self.axes[1]
        with one_thread():  # a 10-row decoder pass: a second thread only adds wake-up jitter
            images = to_numpy(ssvae.render_classes(self.model, z)).reshape(-1, *self.shape)
        return {"label": int(label), "z": to_numpy(z), "plane": (z1, z2), "images": images}

    def draw(self, r: dict) -> bool:
        self.cross.set_data([r["plane"][0]], [r["plane"][1]])
        self.big.set_data(r["images"][r["label"]])
        self.row.set_data(tile(r["images"], nrow=len(r["images"]), pad_value=0.0))
        self.title.set_text(f"E[x | y = {r['label']}, z]")
        return False

    def readout(self, r: dict) -> str:
        return f"class y = {r['label']}<br>plane coordinates ({r['plane'][0]:.2f}, {r['plane'][1]:.2f})"


def style_explorer(model: ssvae.M2, x: torch.Tensor, y: torch.Tensor, **kwargs) -> StyleExplorer:
    """The "handwriting styles" app: class dropdown plus two style sliders, for an M2 on pixels.

    ``x, y`` (test digits) place the styles map and the plane it spans (see :func:`ssvae.style_plane`).
    """
    return StyleExplorer(model, x, y, **kwargs)


class Analogies(FigureApp):
    figsize = (9.0, 1.9)

    def __init__(self, model: ssvae.M2, x: torch.Tensor, y: torch.Tensor | None = None, *, image_shape=(28, 28),
                 index: int = 0):
        _check_model(model, image_shape)
        check_tensor("x", x, model=model, low=0.0, high=1.0, hint="divide 0-255 pixels by 255")
        self.model, self.shape = model, tuple(image_shape)
        self.x = x.flatten(1) if x.ndim > 2 else x
        if self.x.ndim != 2 or self.x.shape[1] != model.x_dim:
            raise ValueError(f"x must hold {model.x_dim}-pixel images, got shape {tuple(x.shape)}")
        self.y = None if y is None else ssvae.check_labels("y", y, model.num_classes).cpu()
        if self.y is not None and len(self.y) != len(self.x):
            raise ValueError(f"y must have one label per row of x ({len(self.x)}), got {len(self.y)} labels")
        if check_nonnegative_int("index", index) >= len(self.x):
            raise ValueError(f"index must be below the number of digits ({len(self.x)}), got {index}")
        with evaluating(model):
            self.probs = torch.softmax(model.logits(self.x), -1).cpu()
        self.styles = ssvae.style_of(model, self.x)  # with the predicted class, as an unlabelled digit
        slider = widgets.IntSlider(value=index, min=0, max=len(self.x) - 1, description="test digit",
                                   continuous_update=True)
        super().__init__({"index": slider})

    def setup(self, fig):
        self.ax_in, self.ax_row = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 10.5]})
        h, w = self.shape
        k = self.model.num_classes
        self.input = self.ax_in.imshow(np.zeros((h, w)), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        self.row = self.ax_row.imshow(np.zeros((h, k * (w + 1) - 1)), cmap="gray_r", vmin=0, vmax=1,
                                      interpolation="nearest")
        self.ax_row.set_xticks((w + 1) * np.arange(k) + (w - 1) / 2, [str(c) for c in range(k)])
        self.ax_row.set_yticks([])
        self.ax_in.set_xticks([])
        self.ax_in.set_yticks([])
        self.ax_row.set_title("its style z rendered as every class y", fontsize=9)
        self.title = self.ax_in.set_title("", fontsize=9)
        self.animated(self.input, self.row, self.title)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.16, top=0.84, wspace=0.05)

    def compute(self, index: int) -> dict:
        images = to_numpy(ssvae.render_classes(self.model, self.styles[index])).reshape(-1, *self.shape)
        probs = self.probs[index]
        return {"index": int(index), "input": to_numpy(self.x[index]).reshape(self.shape), "images": images,
                "predicted": int(probs.argmax()), "q_y": float(probs.max()),
                "label": None if self.y is None else int(self.y[index])}

    def draw(self, r: dict) -> bool:
        self.input.set_data(r["input"])
        self.row.set_data(tile(r["images"], nrow=len(r["images"]), pad_value=0.0))
        self.title.set_text(f"input (q: {r['predicted']})")
        return False

    def readout(self, r: dict) -> str:
        truth = "" if r["label"] is None else f"<br>true label {r['label']}"
        return f"digit #{r['index']}: q(y|x) says {r['predicted']} with p = {r['q_y']:.2f}{truth}"


def analogies(model: ssvae.M2, x: torch.Tensor, y: torch.Tensor | None = None, **kwargs) -> Analogies:
    """The analogies app: a slider over the digits ``x``; each is rendered in its own style as every class."""
    return Analogies(model, x, y, **kwargs)
