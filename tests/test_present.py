"""Projector mode (lecturekit.projector) and the fast paths of the widget base: a frame does not
depend on the path that drew it (full draw, middle layer, blit, frame cache), so the static site's
frames and the kernel's are the same bytes."""

from __future__ import annotations

import hashlib
import io

import ipywidgets as widgets
import numpy as np
import pytest
from PIL import Image

import lecturekit as lk
from lecturekit import projector, viz
from lecturekit.widgets._base import FigureApp


@pytest.fixture(autouse=True)
def _no_projector(monkeypatch):
    monkeypatch.delenv(projector.ENV, raising=False)
    monkeypatch.setattr(projector, "_scale", None)
    yield


class Layers(FigureApp):
    """A static line, a middle layer that follows ``k`` and an animated marker and title that follow ``v``."""

    figsize = (4.0, 2.0)

    def __init__(self, cache_mb: float = 0.0):
        self.frame_cache_mb = cache_mb
        super().__init__({"k": widgets.IntSlider(1, 0, 4), "v": widgets.FloatSlider(0.0, min=-1, max=1, step=0.25)})

    def setup(self, fig):
        self.ax = fig.subplots()
        self.ax.plot([0, 1], [0, 1], color="0.5")
        self.ax.set_xlim(-1.2, 1.2)
        self.ax.set_ylim(-1.2, 1.2)
        (self.curve,) = self.ax.plot([], [], "b-")
        (self.marker,) = self.ax.plot([], [], "ro")
        self.layered(self.curve)
        self.animated(self.marker)
        self.title = self.title_text(self.ax)
        self._k = None

    def compute(self, k, v):
        return k, v

    def draw(self, r):
        k, v = r
        self.marker.set_data([v], [v * v])
        self.title.set_text(f"v = {v:.2f}, k = {k}")
        if k != self._k:
            self._k = k
            x = np.linspace(-1, 1, 50)
            self.curve.set_data(x, np.sin((k + 1) * x))
            return "layer"
        return False


def _sha(app):
    return hashlib.sha256(app.image.value).hexdigest()


def test_a_frame_is_the_same_bytes_whatever_path_drew_it():
    app, seen = Layers(), {}
    for k, v in [(1, 0.0), (1, 0.5), (3, 0.5), (3, -1.0), (1, 0.5), (0, 0.25), (3, -1.0)]:
        app.controls["k"].value, app.controls["v"].value = k, v
        fresh = Layers()  # first frame: a full draw
        fresh.controls["k"].value, fresh.controls["v"].value = k, v
        forced = app.render(True)  # the same figure drawn in full
        assert _sha(app) == _sha(fresh) == hashlib.sha256(forced).hexdigest(), (k, v)
        seen.setdefault((k, v), set()).add(_sha(app))
    assert all(len(s) == 1 for s in seen.values())
    assert len({next(iter(s)) for s in seen.values()}) == len(seen)  # different values, different pictures


def test_the_overlay_title_is_drawn_and_moves_the_pixels():
    app = Layers()
    before = np.asarray(Image.open(io.BytesIO(app.image.value)))
    app.title.set_text("")
    blank = np.asarray(Image.open(io.BytesIO(app.render(False))))
    changed = np.argwhere((before != blank).any(-1))
    assert len(changed) > 20
    ax_top = app.figure.canvas.get_width_height()[1] - app.ax.get_window_extent().y1
    assert changed[:, 0].max() < ax_top  # above the axes, where set_title puts a title


def test_the_frame_cache_returns_the_drawn_bytes_and_stays_within_its_budget():
    plain, cached = Layers(), Layers(cache_mb=0.05)
    shas = {}
    for k, v in [(1, 0.25), (2, 0.5), (1, 0.25), (2, 0.5), (4, 1.0)] * 3:
        for app in (plain, cached):
            app.controls["k"].value, app.controls["v"].value = k, v
        assert _sha(plain) == _sha(cached)
        shas[k, v] = _sha(cached)
        assert cached._frames_bytes <= 0.05 * 2**20 or len(cached._frames) == 1
    assert cached._frames  # something was kept


def test_png_encoder_round_trips_and_is_deterministic():
    rng = np.random.default_rng(0)
    for shape in [(3, 5, 4), (1, 1, 4), (40, 23, 4)]:
        rgba = rng.integers(0, 256, shape, dtype=np.uint8)
        png = viz.rgba_png(rgba)
        assert png == viz.rgba_png(rgba.copy())
        assert (np.asarray(Image.open(io.BytesIO(png))) == rgba[..., :3]).all()
    gray = rng.random((4, 6))
    big = np.asarray(Image.open(io.BytesIO(viz.array_png(gray, scale=3))))
    assert big.shape == (12, 18) and (big[::3, ::3] == np.round((1 - gray) * 255)).all()


def test_present_scales_resolution_controls_and_fonts():
    normal = Layers()
    assert lk.present(1.5) == 1.5
    big = Layers()
    w0, h0 = normal.figure.canvas.get_width_height()
    w1, h1 = big.figure.canvas.get_width_height()
    # a 4-inch figure is narrower than a full-width one: zoomed to 810 px x 1.5
    assert w1 >= 0.6 * 1920 and abs(w1 / h1 - w0 / h0) < 0.02
    assert big.image.layout.width == f"{w1}px"
    assert big.controls_width == "450px" and normal.controls_width == "300px"
    assert "lk-present-150" in big.ui._dom_classes
    css = [c.value for c in big.ui.children[0].children if isinstance(c, widgets.HTML) and "<style>" in c.value]
    assert css and "--jp-widgets-font-size: 20px" in css[0]
    assert lk.present(False) == 1.0 and Layers().figure.canvas.get_width_height() == (w0, h0)


def test_full_width_figures_are_scaled_by_the_scale_alone(monkeypatch):
    assert projector.zoom_for(810, 1.5) == 1.5 and projector.zoom_for(1000, 2.0) == 2.0
    assert projector.zoom_for(405, 1.5) == 3.0 and projector.zoom_for(405, 1.0) == 1.0
    monkeypatch.setenv(projector.ENV, "1.25")
    assert projector.present_scale() == 1.25
    monkeypatch.setenv(projector.ENV, "on")
    assert projector.present_scale() == projector.DEFAULT_SCALE
    monkeypatch.setenv(projector.ENV, "off")
    assert projector.present_scale() == 1.0


@pytest.mark.parametrize("bad, error", [(0.5, ValueError), (9, ValueError), ("big", TypeError),
                                        (float("nan"), TypeError), (None, TypeError)])
def test_present_refuses_a_bad_scale(bad, error):
    with pytest.raises(error, match="scale"):
        lk.present(bad)


def test_a_bad_environment_variable_is_named(monkeypatch):
    monkeypatch.setenv(projector.ENV, "huge")
    with pytest.raises(ValueError, match="LECTUREKIT_PRESENT"):
        projector.present_scale()
