"""Drawing helpers: each takes a matplotlib Axes (or returns PNG bytes) and draws plain data.

Nothing here computes model quantities; topic modules compute, this module draws, and
:mod:`lecturekit.widgets` wires both to controls.
"""

from __future__ import annotations

import io
import math
import struct
import zlib

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from .utils import check_bool, check_float, check_nonnegative_int, check_positive_float, check_positive_int

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
    """A tensor (any device, with or without grad) or array-like of numbers as a NumPy array."""
    return _to_numpy("x", x)


def _to_numpy(name: str, x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        if x.device.type == "meta":
            raise ValueError(f"{name} is on the meta device, which holds no values")
        return x.detach().cpu().numpy()
    if x is None or isinstance(x, (str, bytes, dict, set)):
        raise TypeError(f"{name} must be a tensor, an array or a list of numbers, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except ValueError:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers, got ragged lists") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got an array of dtype {arr.dtype}")
    return arr


def _check_axes(ax) -> Axes:
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes (e.g. from fig.subplots()), got {type(ax).__name__}")
    return ax


def _check_history(history) -> list[dict]:
    keys = {"step", "iteration", "log_likelihood", "lower_bound", "kl"}
    if not isinstance(history, (list, tuple)) or not all(isinstance(h, dict) and keys <= set(h) for h in history):
        raise TypeError("history must be GaussianMixture.history_: a list of dicts with step, iteration, "
                        "log_likelihood, lower_bound and kl")
    if not history:
        raise ValueError("history is empty: fit the GaussianMixture first")
    for h in history:
        if not all(np.isfinite(h[k]) for k in ("log_likelihood", "lower_bound", "kl")):
            raise ValueError(f"history holds a non-finite value at {h['step']}{h['iteration']}")
    return list(history)


def tile(images, *, nrow: int | None = None, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Tile (N, 1, H, W) or (N, H, W) images into one (rows·H, cols·W) array, row by row."""
    imgs = _to_numpy("images", images)
    if imgs.ndim == 4 and imgs.shape[1] == 1:
        imgs = imgs[:, 0]
    if imgs.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W) or (N, 1, H, W), got {imgs.shape}")
    if imgs.shape[0] == 0 or imgs.shape[1] == 0 or imgs.shape[2] == 0:
        raise ValueError(f"images must hold at least one non-empty image, got shape {imgs.shape}")
    if not np.isfinite(imgs).all():
        raise ValueError("images must hold finite values, but they contain NaN or infinity")
    if nrow is not None:
        nrow = check_positive_int("nrow", nrow)
    pad = check_nonnegative_int("pad", pad)
    pad_value = check_float("pad_value", pad_value)
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
    _check_axes(ax)
    from matplotlib import colormaps

    if not isinstance(cmap, str) or cmap not in colormaps:
        raise ValueError(f"cmap must be the name of a matplotlib colormap such as 'gray_r', got {cmap!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, got {type(title).__name__}")
    im = ax.imshow(tile(images, nrow=nrow, pad_value=0.0), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return im


def gaussian_ellipse(ax: Axes, mean, cov, *, n_std: float = 2.0, **kwargs) -> Ellipse:
    """The n_std contour of N(mean, cov) in 2-D, added to ``ax``."""
    _check_axes(ax)
    mean, cov = _to_numpy("mean", mean).astype(float), _to_numpy("cov", cov).astype(float)
    if mean.shape != (2,) or not np.isfinite(mean).all():
        raise ValueError(f"mean must be a finite 2-vector, got shape {mean.shape}")
    if cov.shape != (2, 2) or not np.isfinite(cov).all() or not np.allclose(cov, cov.T):
        raise ValueError(f"cov must be a finite symmetric 2x2 matrix, got {cov.tolist()}")
    if np.linalg.eigvalsh(cov).min() < -1e-12 * max(1.0, abs(cov).max()):
        raise ValueError(f"cov must be positive semi-definite (no negative variance), got {cov.tolist()}")
    n_std = check_positive_float("n_std", n_std)
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
    _check_axes(ax)
    history = _check_history(history)
    if per_point is not None:
        per_point = check_positive_int("per_point", per_point)
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
    _check_axes(ax)
    steps = [h for h in _check_history(history) if h["step"] == "M"]
    t = np.array([h["iteration"] for h in steps])
    gap = np.array([max(h["kl"], 1e-12) for h in steps])
    ax.semilogy(t, gap, "-o", color=COLORS[2], ms=4)
    ax.set_xticks(t)
    ax.set_xlabel("EM iteration (after its M-step)")
    ax.set_ylabel("KL gap (nats, log scale)")
    return ax


def figure_png(fig: Figure, *, dpi: float | None = None) -> bytes:
    """Render a figure to PNG bytes (no pyplot state is touched)."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if dpi is not None:
        dpi = check_positive_float("dpi", dpi)
        if dpi > 1000:
            raise ValueError(f"dpi must be at most 1000, got {dpi:g}")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _png(pixels) -> bytes:
    """An (H, W) gray or (H, W, 3) RGB uint8 array as PNG bytes: no row filter and zlib level 1.

    On a figure (mostly flat colour) this is about three times faster than PIL's encoder at its
    fastest level and no larger; the bytes depend only on the pixels (and zlib), so the same
    picture always gives the same file.
    """
    a = _to_numpy("pixels", pixels)
    if a.dtype != np.uint8 or a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] != 3) or 0 in a.shape:
        raise ValueError(f"pixels must be an (H, W) or (H, W, 3) uint8 array, got shape {a.shape} and dtype {a.dtype}")
    h, w = a.shape[:2]
    raw = np.empty((h, a[0].size + 1), dtype=np.uint8)
    raw[:, 0] = 0  # filter type None on every row
    np.copyto(raw[:, 1:].reshape(a.shape), a)  # one pass, also from a strided view (RGB of RGBA)
    color = 0 if a.ndim == 2 else 2
    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return b"".join((b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header), _chunk(b"IDAT", zlib.compress(raw, 1)),
                     _chunk(b"IEND", b"")))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def rgba_png(buffer) -> bytes:
    """An (H, W, 4) uint8 RGBA buffer (``canvas.buffer_rgba()``) as RGB PNG bytes (see :func:`_png`)."""
    rgb = _to_numpy("buffer", buffer)
    if rgb.ndim != 3 or rgb.shape[2] != 4 or rgb.dtype != np.uint8 or 0 in rgb.shape:
        raise ValueError(f"buffer must be an (H, W, 4) uint8 RGBA array, got shape {rgb.shape} and dtype {rgb.dtype}")
    return _png(rgb[..., :3])


def array_png(image, *, scale: int = 1, vmin: float = 0.0, vmax: float = 1.0, invert: bool = True) -> bytes:
    """A 2-D array as a grayscale PNG, upscaled ``scale`` times with nearest neighbours (crisp)."""
    a = _to_numpy("image", image).astype(np.float32)
    if a.ndim != 2 or 0 in a.shape:
        raise ValueError(f"image must be a non-empty 2-D array, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("image must hold finite values, but it contains NaN or infinity")
    scale = check_positive_int("scale", scale)
    if scale * max(a.shape) > 10_000:
        raise ValueError(f"scale must keep the picture under 10,000 pixels a side, got {scale} x {a.shape}")
    vmin, vmax = check_float("vmin", vmin), check_float("vmax", vmax)
    if vmax <= vmin:
        raise ValueError(f"vmax must be greater than vmin, got vmin={vmin:g}, vmax={vmax:g}")
    invert = check_bool("invert", invert)
    a = np.clip((a - vmin) / (vmax - vmin), 0, 1)
    if invert:
        a = 1 - a
    a = (a * 255).round().astype(np.uint8)
    if scale > 1:  # nearest neighbours: every value becomes a scale x scale block
        a = np.repeat(np.repeat(a, scale, 0), scale, 1)
    return _png(a)
