"""Widgets for notebooks 09 and 10.

- :func:`training_player`: a 1-D GAN training run (:func:`lecturekit.gan_toys.fit_1d`) replayed frame by frame (Goodfellow et al., 2014,
  Fig. 1): p_data, p_g, D and D* on a grid, and JSD(p_data ‖ p_g) against the step. Every
  trajectory (one per k and loss) is trained once and cached, so moving a control only picks a
  stored frame. The Play control is linked to the step slider in the browser (``jslink``), so it
  animates without a loop in the kernel.
- :func:`latent_interpolation`: samples of a trained image generator along a path between two
  latent codes.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch

from .. import gan, gan_toys
from ..utils import check_choice, check_images, check_positive_int, check_tensor, make_generator
from ..viz import COLORS, to_numpy, tile
from ._base import FigureApp

__all__ = ["trajectory_frames", "TrainingPlayer", "training_player", "LatentInterpolation", "latent_interpolation"]


def trajectory_frames(ks=(1, 2, 5), losses=gan.LOSSES, *, model: dict | None = None, **train) -> dict:
    """{(k, loss): frames of :func:`lecturekit.gan_toys.fit_1d`}, each trained once and cached
    (:func:`lecturekit.gan_toys.cached_1d`; ``train`` holds the other training keywords and ``seed``)."""
    if isinstance(ks, (int, str)) or not hasattr(ks, "__iter__"):
        raise TypeError(f"ks must be a non-empty list of positive integers, got {ks!r}")
    if not ks:
        raise ValueError(f"ks must be a non-empty list of positive integers, got {ks!r}")
    if isinstance(losses, str) or not hasattr(losses, "__iter__"):
        raise TypeError(f"losses must be a non-empty list drawn from {gan.LOSSES}, got {losses!r}")
    if not losses:
        raise ValueError(f"losses must be a non-empty list drawn from {gan.LOSSES}, got {losses!r}")
    for loss in losses:
        check_choice("losses", loss, gan.LOSSES)
    ks = [check_positive_int("ks", k) for k in ks]  # all checked before the first run trains
    # the model and the other training keywords, checked before any cache lookup or training
    gan_toys._check_model(model, gan_toys.GAN1D)
    for k in ks:
        for loss in losses:
            gan_toys._check_train({**train, "k": k, "loss": loss}, forbidden=gan_toys.FORBIDDEN_1D, fit=gan_toys.fit_1d)
    out = {}
    for k in ks:
        for loss in losses:
            _, history = gan_toys.cached_1d(f"gan-1d-k{k}-{loss}", model=model, train={**train, "k": k, "loss": loss})
            out[(k, loss)] = {key: np.asarray(v) for key, v in history.info["frames"].items()}
    return out


_FRAME_KEYS = ("x", "p_data", "step", "p_g", "d", "d_star", "jsd", "mu", "scale")


def _check_frames(key, f: dict) -> None:
    """One run's frames (as trajectory_frames makes them): shapes, finite values, D in [0, 1], an increasing grid."""
    k, loss = key
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"frames must be keyed by (k, loss) with k a positive integer, got k={k!r}")
    if loss not in gan.LOSSES:
        raise ValueError(f"frames must be keyed by (k, loss) with loss one of {gan.LOSSES}, got loss={loss!r}")
    arrays = {}
    for name in _FRAME_KEYS:
        try:
            a = np.asarray(f[name], dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"frames[{key!r}][{name!r}] must be an array of numbers, got {type(f[name]).__name__}") from None
        if not np.isfinite(a).all():
            raise ValueError(f"frames[{key!r}][{name!r}] must hold finite values, but it contains NaN or infinity")
        arrays[name] = a
    x, steps = arrays["x"], arrays["step"]
    if x.ndim != 1 or x.size < 2 or not (np.diff(x) > 0).all():
        got = f"shape {x.shape}" if x.ndim != 1 or x.size < 2 else f"{x.size} points from {x[0]:.3g} to {x[-1]:.3g}, not increasing"
        raise ValueError(f"frames[{key!r}]['x'] must be an increasing 1-D grid of at least two points, got {got}")
    if steps.ndim != 1 or steps.size < 1:
        raise ValueError(f"frames[{key!r}]['step'] must list at least one step, got shape {steps.shape}")
    want = {"p_data": x.shape, "p_g": (steps.size, x.size), "d": (steps.size, x.size), "d_star": (steps.size, x.size),
            "jsd": steps.shape, "mu": steps.shape, "scale": steps.shape}
    for name, shape in want.items():
        if arrays[name].shape != shape:
            raise ValueError(f"frames[{key!r}][{name!r}] must have shape {shape} (the grid x and {steps.size} frames), "
                             f"got {arrays[name].shape}")
    for name in ("d", "d_star"):
        if arrays[name].min() < 0 or arrays[name].max() > 1:
            raise ValueError(f"frames[{key!r}][{name!r}] must hold probabilities in [0, 1], got values in "
                             f"[{arrays[name].min():.3g}, {arrays[name].max():.3g}]")


class TrainingPlayer(FigureApp):
    figsize = (9.0, 3.4)

    def __init__(self, frames: dict, *, interval_ms: int = 120):
        if not isinstance(frames, dict):
            raise TypeError(f"frames must be a dict {{(k, loss): frames}} from trajectory_frames, got {type(frames).__name__}")
        if not frames:
            raise ValueError("frames must hold at least one trajectory")
        missing = [key for key in frames if not (isinstance(key, tuple) and len(key) == 2 and isinstance(frames[key], dict)
                                                 and set(_FRAME_KEYS) <= set(frames[key]))]
        if missing:
            raise ValueError(f"frames must map (k, loss) to the frames of trajectory_frames, got a bad entry at {missing[0]!r}")
        shapes = None
        for key, f in frames.items():
            _check_frames(key, f)
            these = {name: np.shape(f[name]) for name in _FRAME_KEYS}
            if shapes is not None and these != shapes:
                raise ValueError(f"frames must hold runs of the same grid and number of frames, but frames[{key!r}] "
                                 f"has x {these['x']} and {these['step'][0]} frames where the first run has "
                                 f"x {shapes['x']} and {shapes['step'][0]} frames")
            shapes = these
        interval_ms = check_positive_int("interval_ms", interval_ms)
        self.frames = frames
        ks = sorted({k for k, _ in frames})
        losses = sorted({loss for _, loss in frames}, key=list(gan.LOSSES).index)
        any_frames = next(iter(frames.values()))
        n = len(any_frames["step"])
        k = widgets.SelectionSlider(options=ks, value=ks[0], description="k (D steps)")
        loss = widgets.ToggleButtons(options=losses, value=losses[-1], description="G loss",
                                     style={"button_width": "105px"})
        step = widgets.IntSlider(value=0, min=0, max=n - 1, description="frame", continuous_update=True)
        self.play = widgets.Play(value=0, min=0, max=n - 1, interval=interval_ms, description="play")
        widgets.jslink((self.play, "value"), (step, "value"))  # animated by the browser, not the kernel
        super().__init__({"k": k, "loss": loss, "frame": step})
        left = self.ui.children[0]
        left.children = (self.play, *left.children)

    def setup(self, fig):
        f = next(iter(self.frames.values()))
        x = f["x"]
        self.ax, self.ax_jsd = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        self.ax.fill_between(x, f["p_data"], color="k", alpha=0.12, lw=0)
        self.ax.plot(x, f["p_data"], color="k", lw=1.5, ls=":", label=r"$p_{data}$")
        (self.pg,) = self.ax.plot(x, x * 0, color=COLORS[2], lw=2, label=r"$p_g$")
        (self.d,) = self.ax.plot(x, x * 0, color=COLORS[0], lw=2, ls="--", label=r"$D(x)$")
        (self.dstar,) = self.ax.plot(x, x * 0, color=COLORS[3], lw=1, alpha=0.7, label=r"$D^*(x)$")
        self.ax.set_title(r"$p_{data}$, $p_g$, $D$ and $D^* = p_{data}/(p_{data}+p_g)$", fontsize=9)
        self.ax.axhline(0.5, color="0.6", lw=0.8)
        self.ax.set_xlim(x[0], x[-1])
        self.ax.set_ylim(0, 1.05)
        self.ax.set_xlabel("x")
        self.ax.legend(loc="upper left", fontsize=7, framealpha=0.8)
        steps = f["step"]
        (self.jsd_line,) = self.ax_jsd.plot(steps, steps * 0.0, color=COLORS[1], lw=1.8)
        (self.marker,) = self.ax_jsd.plot([0], [0], "o", color="k", ms=5)
        self.ax_jsd.axhline(np.log(2), color="0.6", lw=0.8, ls=":")
        self.ax_jsd.set_xlim(0, steps[-1])
        self.ax_jsd.set_ylim(0, 0.72)
        self.ax_jsd.set_xlabel("generator step")
        self.ax_jsd.set_title(r"JSD$(p_{data}\,\|\,p_g)$  (log 2 dotted)", fontsize=9)
        self.animated(self.pg, self.d, self.dstar, self.jsd_line, self.marker)
        fig.subplots_adjust(left=0.05, right=0.98, bottom=0.15, top=0.9, wspace=0.2)

    def compute(self, k, loss, frame):
        f = self.frames[(k, loss)]
        i = min(int(frame), len(f["step"]) - 1)
        support = (f["p_data"] + f["p_g"][i]) > 0.05
        return {"k": k, "loss": loss, "frame": i, "step": int(f["step"][i]), "jsd": float(f["jsd"][i]),
                "mu": float(f["mu"][i]), "scale": float(f["scale"][i]), "p_g": f["p_g"][i], "d": f["d"][i],
                "d_star": f["d_star"][i], "jsd_curve": f["jsd"],
                "d_gap": float(np.abs(f["d"][i][support] - 0.5).max())}

    def draw(self, r):
        self.pg.set_ydata(r["p_g"])
        self.d.set_ydata(r["d"])
        self.dstar.set_ydata(r["d_star"])
        self.jsd_line.set_ydata(r["jsd_curve"])
        self.marker.set_data([r["step"]], [r["jsd"]])
        return False

    def readout(self, r):
        return (f"<b>k = {r['k']}, {r['loss']}: generator step {r['step']}</b><br>p_g = N({r['mu']:.2f}, {r['scale']:.2f}²)<br>JSD = {r['jsd']:.4f} nats<br>"
                f"max |D − ½| where the mass is: {r['d_gap']:.2f}")


def training_player(frames: dict | None = None, **kwargs) -> TrainingPlayer:
    """The Fig. 1 player; ``frames`` from :func:`trajectory_frames` (computed and cached if omitted)."""
    unknown = sorted(set(kwargs) - {"interval_ms"})
    if unknown:  # checked before the default frames are computed (which may train)
        raise TypeError(f"training_player got an unexpected keyword argument {unknown[0]!r} (it takes frames and interval_ms)")
    if "interval_ms" in kwargs:
        check_positive_int("interval_ms", kwargs["interval_ms"])
    return TrainingPlayer(trajectory_frames() if frames is None else frames, **kwargs)


class LatentInterpolation(FigureApp):
    figsize = (7.0, 2.2)

    def __init__(self, decode, z0: torch.Tensor, z1: torch.Tensor, *, num_images: int = 8,
                 pairs: list[tuple[int, int]] | None = None):
        from ..utils import check_positive_int, check_tensor

        if not callable(decode):
            raise TypeError(f"decode must be a function z -> images (e.g. model.decode), got {type(decode).__name__}")
        check_tensor("z0", z0, ndim=2)
        check_tensor("z1", z1, ndim=2, dtype=z0.dtype, device=z0.device)
        if z0.shape != z1.shape:
            raise ValueError(f"z0 and z1 must be (rows, latent_dim) of the same shape, got {tuple(z0.shape)}, "
                             f"{tuple(z1.shape)}")
        num_images = check_positive_int("num_images", num_images)
        if num_images != z0.shape[0]:
            raise ValueError(f"num_images must equal the rows of z0 ({z0.shape[0]}), got {num_images}")
        if pairs is not None:
            if not isinstance(pairs, (list, tuple)):
                raise TypeError(f"pairs must be a list of (start, end) label pairs, or None, got {type(pairs).__name__}")
            if len(pairs) != num_images:
                raise ValueError(f"pairs must hold one (start, end) label pair per image ({num_images}), got {len(pairs)}")
            if not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
                raise TypeError(f"pairs must be a list of (start, end) label pairs, got {pairs!r}")
        with torch.no_grad():  # one decode now, so a decode that does not return images fails here, not in the panel
            check_images("decode(z0)", decode(z0[:1]))
        self.decode, self.z0, self.z1 = decode, z0, z1
        self.num_images = num_images
        self.pairs = pairs
        t = widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="t", readout_format=".2f")
        super().__init__({"t": t})

    def setup(self, fig):
        ax = fig.add_axes([0, 0, 1, 0.9])
        self.im = self.animated(ax.imshow(np.zeros((28, 28 * self.num_images)), cmap="gray_r", vmin=0, vmax=1,
                                          interpolation="nearest"))
        ax.set_axis_off()
        self.title = self.animated(ax.set_title("", fontsize=9))

    def compute(self, t):
        from ..lapgan import interpolate_latents

        z = interpolate_latents(self.z0, self.z1, float(t))
        with torch.no_grad():
            x = self.decode(z)
        return {"t": float(t), "images": to_numpy(x)}

    def draw(self, r):
        img = tile(r["images"], nrow=r["images"].shape[0], pad=1, pad_value=0.0)
        self.im.set_data(img)
        self.im.set_extent((-0.5, img.shape[1] - 0.5, img.shape[0] - 0.5, -0.5))
        self.title.set_text(f"G(slerp(z0, z1; t = {r['t']:.2f}))")
        return False

    def readout(self, r):
        if not self.pairs:
            return ""
        return "columns, as the judge labels their ends:<br>" + ", ".join(f"{a} → {b}" for a, b in self.pairs)


def latent_interpolation(model, *, num_images: int = 8, seed: int = 0, classify=None) -> LatentInterpolation:
    """Slide t from 0 to 1 to move ``num_images`` samples of ``model`` (a trained
    :class:`~lecturekit.lapgan.DCGAN`) along slerp paths between two seeded latent codes.

    With ``classify`` (images -> class probabilities, e.g. the digit judge) the ends are picked by
    :func:`lecturekit.lapgan.digit_endpoints`: confident digits, a different one at each end.
    """
    from ..lapgan import digit_endpoints
    from ..utils import check_positive_int, make_generator

    if not (callable(getattr(model, "decode", None)) and callable(getattr(model, "sample_z", None))):
        raise TypeError(f"model must be a trained image generator with decode(z) and sample_z(n) (e.g. lapgan.DCGAN), "
                        f"got {type(model).__name__}")
    if classify is not None and not callable(classify):
        raise TypeError(f"classify must be a function images -> class probabilities, or None, got {type(classify).__name__}")
    num_images = check_positive_int("num_images", num_images)
    g = make_generator(seed)
    model.eval()
    if classify is None:
        z0, z1, pairs = model.sample_z(num_images, generator=g), model.sample_z(num_images, generator=g), None
    else:
        z0, z1, pairs = digit_endpoints(model, classify, num_images, generator=g)
    return LatentInterpolation(model.decode, z0, z1, num_images=num_images, pairs=pairs)
