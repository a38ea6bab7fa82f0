"""Drawing helpers: each takes a matplotlib Axes (or returns PNG bytes) and draws plain data.

Nothing here computes model quantities; topic modules compute, this module draws, and
:mod:`lecturekit.widgets` wires both to controls.
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

__all__ = [
    "to_numpy",
    "tile",
    "image_grid",
    "gaussian_ellipse",
    "em_trace",
    "em_gap",
    "figure_png",
    "array_png",
    "rgba_png",
    "COLORS",
]

#: A colour per class or component, colour-blind safe (Okabe & Ito), ten entries.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
          "#999999", "#882255"]


def to_numpy(x) -> np.ndarray:
    """A tensor (any device, with or without grad) or array-like as a NumPy array."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def tile(images, *, nrow: int | None = None, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Tile (N, 1, H, W) or (N, H, W) images into one (rows·H, cols·W) array, row by row."""
    imgs = to_numpy(images)
    if imgs.ndim == 4:
        imgs = imgs[:, 0]
    if imgs.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W) or (N, 1, H, W), got {imgs.shape}")
    n, h, w = imgs.shape
    ncol = nrow or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncol)
    out = np.full((nrows * (h + pad) - pad, ncol * (w + pad) - pad), pad_value, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, ncol)
        out[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = imgs[i]
    return out


def image_grid(ax: Axes, images, *, nrow: int | None = None, title: str | None = None, cmap: str = "gray_r"):
    """Draw images as one tiled grayscale picture on ``ax`` (ink dark on white)."""
    im = ax.imshow(tile(images, nrow=nrow, pad_value=0.0), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return im


def gaussian_ellipse(ax: Axes, mean, cov, *, n_std: float = 2.0, **kwargs) -> Ellipse:
    """The n_std contour of N(mean, cov) in 2-D, added to ``ax``."""
    mean, cov = to_numpy(mean), to_numpy(cov)
    vals, vecs = np.linalg.eigh(cov)
    angle = math.degrees(math.atan2(vecs[1, 1], vecs[0, 1]))
    width, height = 2 * n_std * np.sqrt(np.maximum(vals[::-1], 0))
    kwargs.setdefault("fill", False)
    ell = Ellipse(mean, width, height, angle=angle, **kwargs)
    ax.add_patch(ell)
    return ell


def em_trace(ax: Axes, history: list[dict], *, per_point: int | None = None):
    """log p(X | θ) and L(q, θ) at every EM half-step: the E-step closes the gap, the M-step
    raises the bound. ``history`` is ``GaussianMixture.history_``; divide by ``per_point``."""
    scale = 1.0 / per_point if per_point else 1.0
    steps = [h for h in history if h["step"] != "init"]
    t = np.arange(len(steps))
    ll = np.array([h["log_likelihood"] for h in steps]) * scale
    lb = np.array([h["lower_bound"] for h in steps]) * scale
    ax.plot(t, ll, "-o", color=COLORS[0], ms=4, label=r"$\log p(X\mid\theta)$")
    ax.plot(t, lb, "--s", color=COLORS[1], ms=4, label=r"$\mathcal{L}(q,\theta)$")
    ax.vlines(t, lb, ll, color="0.7", lw=1, zorder=0)
    ax.set_xticks(t)
    ax.set_xticklabels([f"{h['step']}{h['iteration']}" for h in steps], fontsize=9)
    ax.set_xlabel("half-step (E: q ← posterior, M: θ ← argmax L)")
    ax.set_ylabel("nats per point" if per_point else "nats")
    ax.legend(frameon=False)
    return ax


def em_gap(ax: Axes, history: list[dict]):
    """The gap KL(q ‖ p(Z | X, θ)) = log p − L after each M-step, on a log axis (after an E-step it
    is 0 and is not drawn), so that gaps of a few nats stay visible beside jumps of hundreds."""
    steps = [h for h in history if h["step"] == "M"]
    t = np.array([h["iteration"] for h in steps])
    gap = np.array([max(h["kl"], 1e-12) for h in steps])
    ax.semilogy(t, gap, "-o", color=COLORS[2], ms=4)
    ax.set_xticks(t)
    ax.set_xlabel("EM iteration (after its M-step)")
    ax.set_ylabel("KL gap (nats, log scale)")
    return ax


def figure_png(fig: Figure, *, dpi: float | None = None) -> bytes:
    """Render a figure to PNG bytes (no pyplot state is touched)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def rgba_png(buffer) -> bytes:
    """An (H, W, 4) uint8 RGBA buffer (``canvas.buffer_rgba()``) as PNG bytes, fast compression."""
    from PIL import Image

    rgb = np.asarray(buffer)[..., :3]
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="png", compress_level=1)
    return out.getvalue()


def array_png(image, *, scale: int = 1, vmin: float = 0.0, vmax: float = 1.0, invert: bool = True) -> bytes:
    """A 2-D array as a grayscale PNG, upscaled ``scale`` times with nearest neighbours (crisp)."""
    from PIL import Image

    a = to_numpy(image).astype(np.float32)
    a = np.clip((a - vmin) / (vmax - vmin), 0, 1)
    if invert:
        a = 1 - a
    img = Image.fromarray((a * 255).round().astype(np.uint8), mode="L")
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="png")
    return buf.getvalue()
