"""Widget for notebook 06: Gibbs chains moving from noise to digits.

The chains of every model are run once, all sweeps kept (:class:`~lecturekit.boltzmann.GibbsChain`);
the sweep slider only picks a frame and the toggle picks the model, so a redraw is one tiled
array turned into a PNG (about a millisecond, no matplotlib).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch

from ..boltzmann import DBM, DBN, RBM, GibbsChain, check_binary
from ..train import check_num_steps
from ..utils import check_nonnegative_int, check_positive_int, make_generator
from ..viz import _to_numpy, array_png, tile, to_numpy
from ._base import FigureApp

__all__ = ["GibbsChainApp", "gibbs_chain", "grid_png"]


class GibbsChainApp(FigureApp):
    """A grid of Gibbs chains at one sweep; the image is the tiled array, not a matplotlib figure."""

    dpi = 100

    def __init__(self, chains: dict[str, GibbsChain], *, image_shape: tuple[int, int] = (28, 28),
                 nrow: int | None = None, scale: int = 3):
        if not isinstance(chains, dict) or not all(isinstance(c, GibbsChain) for c in chains.values()):
            raise TypeError(f"chains must be a dict of model name -> GibbsChain, got {type(chains).__name__}")
        if not chains:
            raise ValueError("chains must name at least one model")
        sweeps = {c.num_sweeps for c in chains.values()}
        if len(sweeps) != 1:
            raise ValueError(f"chains must all have the same number of sweeps, got {sorted(sweeps)}")
        dim = {c.frames.shape[2] for c in chains.values()}
        self.image_shape, self.scale, nrow = _check_layout(image_shape, nrow, scale, dim.pop() if len(dim) == 1 else -1)
        # frames as NumPy once: a redraw is then an index, a tile and a PNG
        self.frames = {name: to_numpy(c.frames).reshape(c.frames.shape[:2] + self.image_shape).astype(np.float32)
                       for name, c in chains.items()}
        n = next(iter(self.frames.values())).shape[1]
        self.nrow = nrow or int(np.ceil(np.sqrt(n)))
        h, w = tile(next(iter(self.frames.values()))[0], nrow=self.nrow).shape
        self.figsize = (w * self.scale / self.dpi, h * self.scale / self.dpi)
        sweep = widgets.IntSlider(value=0, min=0, max=sweeps.pop(), description="Gibbs sweep",
                                  continuous_update=True)
        model = widgets.ToggleButtons(options=list(chains), value=next(iter(chains)), description="model")
        model.style.button_width = "60px"
        super().__init__({"sweep": sweep, "model": model})

    def setup(self, fig) -> None:
        pass  # nothing to draw with matplotlib: render() returns the tiled array's PNG

    def compute(self, sweep: int, model: str) -> dict:
        frame = self.frames[model][sweep]
        return {"model": model, "sweep": sweep, "images": frame, "mean_ink": float(frame.mean())}

    def draw(self, result: dict) -> bool:
        self._grid = tile(result["images"], nrow=self.nrow, pad_value=0.0)  # what render() shows
        return False

    def render(self, full: bool) -> bytes:
        """PNG bytes of the tiled frame (ink dark on white), upscaled ``scale`` times: crisp pixels."""
        return grid_png(self._grid, scale=self.scale)

    def readout(self, r: dict) -> str:
        what = "the start" if r["sweep"] == 0 else "p(x = 1 | z) of the last sweep"
        return (f"<b>{r['model']}</b>, sweep {r['sweep']} of {self.controls['sweep'].max}<br>"
                f"showing: {what}<br>mean ink: {r['mean_ink']:.3f}")


def _check_layout(image_shape, nrow, scale, dim: int) -> tuple[tuple[int, int], int, int | None]:
    """The grid's settings, checked before any chain runs: (image_shape, scale, nrow)."""
    if isinstance(image_shape, (str, bytes)) or not isinstance(image_shape, (list, tuple)) or len(image_shape) != 2:
        raise TypeError(f"image_shape must be (height, width), got {image_shape!r}")
    h, w = (check_positive_int(f"image_shape[{i}]", v) for i, v in enumerate(image_shape))
    if h * w != dim:
        raise ValueError(f"image_shape must hold the model's {dim} visible units, got {h}x{w} = {h * w}")
    if nrow is not None:
        nrow = check_positive_int("nrow", nrow)
    scale = check_positive_int("scale", scale)
    if scale > 20:
        raise ValueError(f"scale must be at most 20 (pixels per unit), got {scale}")
    return (h, w), scale, nrow


def gibbs_chain(rbm: RBM, dbn: DBN | None = None, dbm: DBM | None = None, *, num_chains: int = 16,
                num_sweeps: int = 200, x0: torch.Tensor | None = None, seed: int = 0, **kwargs) -> GibbsChainApp:
    """Build the Gibbs chain app: run ``num_chains`` chains of each model for ``num_sweeps`` sweeps,
    seeded (the same slider value always shows the same picture).

    The chains start from uniform noise, or with ``x0`` (binary images, at least ``num_chains``)
    from its first ``num_chains`` images: the RBM's chains at the images, the DBN's and DBM's at
    their hidden states.
    """
    for name, m, kind in (("rbm", rbm, RBM), ("dbn", dbn, DBN), ("dbm", dbm, DBM)):
        if (m is not None or name == "rbm") and not isinstance(m, kind):
            raise TypeError(f"{name} must be a lecturekit.boltzmann.{kind.__name__}, got {type(m).__name__}")
    num_chains = check_positive_int("num_chains", num_chains)
    num_sweeps = check_num_steps("num_sweeps", num_sweeps)
    check_nonnegative_int("seed", seed)
    unknown = sorted(set(kwargs) - {"image_shape", "nrow", "scale"})
    if unknown:
        raise TypeError(f"{unknown[0]} is not an option of gibbs_chain (options: image_shape, nrow, scale)")
    if x0 is not None:
        x0 = check_binary("x0", x0)
        if x0.shape[0] < num_chains:
            raise ValueError(f"x0 must hold at least num_chains={num_chains} images, got {x0.shape[0]}")
        x0 = x0[:num_chains]
    _check_layout(kwargs.get("image_shape", (28, 28)), kwargs.get("nrow"), kwargs.get("scale", 3), rbm.num_visible)
    chains = {}
    for name, m in {"RBM": rbm, "DBN": dbn, "DBM": dbm}.items():
        if m is not None:
            chains[name] = m.sample(num_chains, num_sweeps=num_sweeps, x0=x0, generator=make_generator(seed),
                                    keep_chain=True)
    return GibbsChainApp(chains, **kwargs)


def grid_png(grid: np.ndarray, *, scale: int = 1) -> bytes:
    """A [0, 1] array as a grayscale PNG, ink dark: :func:`lecturekit.viz.array_png` (nearest-neighbour
    upscaling, the fast zlib-1 encoder), with errors that name ``grid``."""
    grid = _to_numpy("grid", grid)
    if grid.ndim != 2 or 0 in grid.shape:
        raise ValueError(f"grid must be a non-empty 2-D array, got shape {grid.shape}")
    if not np.isfinite(grid).all():
        raise ValueError("grid must hold finite values, but it contains NaN or infinity")
    scale = check_positive_int("scale", scale)
    if scale * max(grid.shape) > 10_000:
        raise ValueError(f"scale must keep the picture under 10,000 pixels a side, got {scale} x {grid.shape}")
    return array_png(grid, scale=scale)
