"""The shared widget layer: controls on the left, a PNG of one reused figure on the right.

The figure is a bare ``matplotlib.figure.Figure`` (no pyplot), so an app never leaves a stray
or duplicate figure behind. Redraws update existing artists, render to PNG bytes and set them on
an ``ipywidgets.Image`` of fixed size (crisp, fast and nbval-stable). An exception in a callback
replaces the contents of the app's own error area with exactly one traceback; the next good
redraw clears it.

Latest value wins: when a redraw is slow (over ``slow_ms``), changes that come from the front end
are not drawn one by one. The first marks the app stale and schedules one redraw a moment later
on the kernel's event loop; the messages queued meanwhile only update the controls, and the
scheduled redraw draws the latest values once. Changes made by code in the kernel, and every
change when no event loop runs (plain Python, tests), redraw at once.

Speed: a redraw draws only what moves. The figure is kept as up to three layers: the static
background (a full draw), a middle layer of artists that change with a coarse control (drawn over
the background and cached, e.g. the points coloured by the EM step), and the animated artists
drawn over that on every update. PNG encoding uses :func:`lecturekit.viz.rgba_png` (no row
filter, zlib level 1), a few milliseconds for a full-width figure.

Projector mode (:mod:`lecturekit.projector`): at a scale ``s`` > 1 the figure is drawn at a higher
resolution (``zoom``, fonts included), the control column is ``s`` times wider and its fonts and
slider handles ``s`` times larger.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import html
import json
import time
import traceback
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import projector as _projector
from ..viz import rgba_png

__all__ = ["FigureApp"]


#: every app built in this process, in order (the static site pre-renders their frames)
_APPS: "weakref.WeakValueDictionary[int, FigureApp]" = weakref.WeakValueDictionary()
_COUNTER = iter(range(1 << 62))


def apps() -> list["FigureApp"]:
    """The apps built in this process that are still alive, oldest first."""
    return [app for _, app in sorted(_APPS.items())]


@functools.lru_cache(maxsize=16)
def _font(size_px: int):
    from matplotlib import font_manager
    from PIL import ImageFont

    return ImageFont.truetype(font_manager.findfont(font_manager.FontProperties()), size=size_px)


class OverlayText:
    """A line of text that changes on every update, drawn with PIL over the rendered figure.

    A matplotlib ``Text`` costs 2 to 6 ms to lay out and draw per update (more than the rest of a
    blitted frame); this one, in the same font (the figure's DejaVu Sans, through FreeType),
    about 0.3 ms. It sits at ``(x, y)`` in axes coordinates of ``ax`` (figure coordinates if
    ``ax`` is None), moved by ``offset_pt`` points; ``anchor`` is PIL's two-letter text anchor
    (``"ms"``: middle, baseline). Made by :meth:`FigureApp.overlay_text` or :meth:`FigureApp.title_text`.
    """

    def __init__(self, figure, ax, x: float, y: float, *, fontsize: float = 9.0, anchor: str = "ms",
                 offset_pt: tuple[float, float] = (0.0, 0.0), color=(0, 0, 0)):
        self.figure, self.ax, self.x, self.y = figure, ax, float(x), float(y)
        self.fontsize, self.anchor, self.offset_pt = float(fontsize), anchor, offset_pt
        self.color = np.asarray(color, dtype=np.float32)
        self.text = ""
        self.visible = True

    def set_text(self, text: str) -> None:
        self.text = str(text)

    def get_text(self) -> str:
        return self.text

    def draw(self, rgba: np.ndarray) -> None:
        """Blend the text into an (H, W, 4) uint8 buffer (the canvas's)."""
        if not (self.visible and self.text):
            return
        from PIL import Image, ImageDraw

        dpi = self.figure.dpi
        transform = self.ax.transAxes if self.ax is not None else self.figure.transFigure
        px, py = transform.transform((self.x, self.y))
        px += self.offset_pt[0] * dpi / 72
        py = rgba.shape[0] - (py + self.offset_pt[1] * dpi / 72)  # PIL's y grows downwards
        font = _font(max(1, round(self.fontsize * dpi / 72)))
        left, top, right, bottom = font.getbbox(self.text, anchor=self.anchor)
        x0, y0 = round(px) + left, round(py) + top
        mask = Image.new("L", (right - left, bottom - top), 0)
        ImageDraw.Draw(mask).text((-left, -top), self.text, font=font, fill=255, anchor=self.anchor)
        alpha = np.asarray(mask, dtype=np.float32) / 255.0
        h, w = rgba.shape[:2]
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + alpha.shape[1], w), min(y0 + alpha.shape[0], h)
        if cx1 <= cx0 or cy1 <= cy0:
            return
        a = alpha[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0, None]
        region = rgba[cy0:cy1, cx0:cx1, :3]
        region[...] = np.rint(region * (1.0 - a) + self.color * a).astype(np.uint8)


class FigureApp:
    """Base class: subclasses define ``setup(fig)``, ``compute(**values)`` and ``draw(result)``.

    ``compute`` calls the pure functions of a topic module and returns a result (stored as
    ``self.result``); ``draw`` moves the artists made in ``setup``; ``readout(result)`` may return
    HTML shown under the controls.

    Speed: artists registered with :meth:`animated` are drawn over a cached background (blitting),
    so a redraw that only moves them costs a few milliseconds. Artists registered with
    :meth:`layered` form a middle layer, cached too: ``draw`` returns ``"layer"`` when they changed.
    ``draw`` returns True when something else changed (axis limits, static artists) and the whole
    figure must be redrawn.

    Projector mode: ``present_scale`` is the scale in force when the app was built and ``zoom``
    the resolution multiplier of its pictures (:func:`lecturekit.projector.zoom_for` of
    :meth:`picture_width`); an app that makes its own images multiplies their pixel size by ``zoom``.
    """

    #: figure size in inches and resolution; the image widget is fixed to the same pixel size.
    figsize: tuple[float, float] = (8.0, 3.6)
    dpi: int = 90
    controls_width: str = "300px"
    #: redraws slower than this (ms) coalesce front-end changes; the coalescing delay in seconds.
    slow_ms: float = 30.0
    coalesce_s: float = 0.01
    #: keep the PNGs of recent frames (up to this many MB) and show a frame again without drawing
    #: it when the controls come back to its values: for apps whose whole output is ``image`` and
    #: the readout (nothing drawn into other widgets) and whose controls take few values
    frame_cache_mb: float = 0.0

    def __init__(self, controls: dict[str, widgets.Widget]):
        if not isinstance(controls, dict) or not controls:
            raise TypeError(f"controls must be a non-empty dict of name -> ipywidgets control, got {controls!r}")
        for name, control in controls.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f"controls must be keyed by names usable as compute() arguments, got {name!r}")
            if not isinstance(control, widgets.Widget):
                raise TypeError(f"controls[{name!r}] must be an ipywidgets control, got {type(control).__name__}")
        self.controls = controls
        self.present_scale = _projector.present_scale()
        self.zoom = _projector.zoom_for(self.picture_width(), self.present_scale)
        self.controls_width = self._scaled_px(self.controls_width, self.present_scale)
        self.figure = Figure(figsize=self.figsize, dpi=self.dpi * self.zoom)
        FigureCanvasAgg(self.figure)
        w, h = self.figure.canvas.get_width_height()
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{w}px", height=f"{h}px"))
        self.readout_html = widgets.HTML(layout=widgets.Layout(width=self.controls_width))
        self.errors = widgets.Output(layout=widgets.Layout(width=self.controls_width))
        # An invisible stamp of the last frame: the SHA-256 of the PNG and the control values it
        # was computed for, so a browser test can prove the picture shown is the kernel's.
        self.frame = widgets.HTML(layout=widgets.Layout(display="none"))
        children = [*controls.values(), self.readout_html, self.errors, self.frame]
        if self.present_scale != 1.0:  # projector mode: larger fonts and handles in this app only
            scope = f"lk-present-{round(100 * self.present_scale)}"
            children.append(widgets.HTML(_projector.widget_css(scope, self.present_scale),
                                         layout=widgets.Layout(display="none")))
        left = widgets.VBox(children, layout=widgets.Layout(width=self.controls_width))
        self.ui = widgets.HBox([left, self.image])
        self.ui.add_class("lk-app")
        if self.present_scale != 1.0:
            self.ui.add_class(scope)
        self.result: Any = None
        self.error: BaseException | None = None
        self.last_ms: float = float("nan")
        self.redraws = 0  # how many times update() has run
        self._busy = False
        self._batch = False  # inside batch(): changes redraw once, at its end
        self._stale = False  # a deferred redraw is due
        self._scheduled = False
        self._animated: list[Artist] = []
        self._layered: list[Artist] = []
        self._overlays: list[OverlayText] = []
        self._frames: OrderedDict = OrderedDict()  # values -> (png, readout, result), most recent last
        self._frames_bytes = 0
        self._background = None  # the static layer
        self._midground = None  # the static layer with the layered artists drawn over it
        self.setup(self.figure)
        for control in controls.values():
            if isinstance(control, widgets.widgets.widget_description.DescriptionWidget) and control.layout.width is None:
                control.layout.width = "98%"  # fit the column, readout included
            if hasattr(control, "value"):
                control.observe(self._on_change, names="value")
        self.update()
        _APPS[next(_COUNTER)] = self

    # -- to override -------------------------------------------------------------------------
    def setup(self, fig: Figure) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def compute(self, **values) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def draw(self, result: Any) -> bool | None:  # pragma: no cover - abstract
        """Update the artists; return True if more than the animated artists changed."""
        raise NotImplementedError

    def readout(self, result: Any) -> str:
        return ""

    def picture_width(self) -> float:
        """Pixel width of the app's pictures at scale 1 (the figure; an app that shows more images
        beside it adds theirs), from which projector mode sets ``zoom``."""
        return self.figsize[0] * self.dpi

    # -- machinery -----------------------------------------------------------------------------
    @staticmethod
    def _scaled_px(width: str, scale: float) -> str:
        if scale == 1.0 or not (isinstance(width, str) and width.endswith("px")):
            return width
        return f"{round(float(width[:-2]) * scale)}px"

    def animated(self, *artists: Artist):
        """Register artists that move on every update; returns the first one."""
        for a in artists:
            a.set_animated(True)
            self._animated.append(a)
        return artists[0]

    def layered(self, *artists: Artist):
        """Register artists of the middle layer: redrawn (and cached) only when ``draw`` returns
        ``"layer"``, e.g. what changes with a coarse control; returns the first one."""
        for a in artists:
            a.set_animated(True)
            self._layered.append(a)
        return artists[0]

    def overlay_text(self, ax, x: float, y: float, **kwargs) -> OverlayText:
        """Register a fast :class:`OverlayText` drawn over the figure on every update."""
        text = OverlayText(self.figure, ax, x, y, **kwargs)
        self._overlays.append(text)
        return text

    def title_text(self, ax, *, fontsize: float = 9.0) -> OverlayText:
        """A fast title for ``ax``, where ``ax.set_title`` puts it (centred, 6 pt above the axes)."""
        from matplotlib import rcParams

        return self.overlay_text(ax, 0.5, 1.0, fontsize=fontsize, anchor="ms",
                                 offset_pt=(0.0, float(rcParams["axes.titlepad"])))

    def render(self, full: bool | str) -> bytes:
        """PNG bytes of the figure: a full draw when ``full`` is True, the middle layer redrawn
        over the cached background when it is ``"layer"``, else only the animated artists over
        the cached middle layer. Every path draws the same artists in the same order, so a frame
        does not depend on the path that drew it."""
        canvas = self.figure.canvas
        fresh = full is True or self._background is None
        if fresh:
            canvas.draw()  # animated and layered artists are left out of a full draw
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        if self._layered:
            if fresh or full == "layer" or self._midground is None:
                if not fresh:
                    canvas.restore_region(self._background)
                self._draw_artists(self._layered)
                self._midground = canvas.copy_from_bbox(self.figure.bbox)
            else:
                canvas.restore_region(self._midground)
        elif not fresh:
            canvas.restore_region(self._background)
        self._draw_artists(self._animated)
        rgba = np.asarray(canvas.buffer_rgba())
        for text in self._overlays:
            text.draw(rgba)
        return rgba_png(rgba)

    def _draw_artists(self, artists: list[Artist]) -> None:
        for a in artists:
            if a.get_visible():
                (a.axes or self.figure).draw_artist(a)

    def values(self) -> dict[str, Any]:
        """The current value of every control that has one."""
        return {k: c.value for k, c in self.controls.items() if hasattr(c, "value")}

    def on_change(self, change) -> None:
        """Hook run before the redraw when a control changes (to sync other controls)."""

    def _on_change(self, change) -> None:
        if self._busy:  # a control set by our own hook does not trigger a second redraw
            return
        self._busy = True
        try:
            self.on_change(change)
        finally:
            self._busy = False
        owner = change.get("owner") if isinstance(change, dict) else getattr(change, "owner", None)
        from_frontend = bool(getattr(owner, "_property_lock", None))  # set while a comm message is applied
        self.request_update(from_frontend=from_frontend)

    @contextmanager
    def batch(self):
        """Set several controls (their hooks run as usual) and redraw once, at the end."""
        self._batch = True
        try:
            yield self
        finally:
            self._batch = False
        self.update()

    def request_update(self, *, from_frontend: bool = False) -> None:
        """Redraw now, or (a front-end change while redraws are slow) once the queued changes are in."""
        if self._batch:
            return
        if from_frontend and self.last_ms > self.slow_ms:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                self._stale = True
                if not self._scheduled:
                    self._scheduled = True
                    loop.call_later(self.coalesce_s, self._flush)
                return
        self.update()

    def _flush(self) -> None:
        self._scheduled = False
        if self._stale:
            self.update()

    def update(self) -> None:
        """Recompute from the controls' values and redraw; errors go to ``self.errors``."""
        start = time.perf_counter()
        self._stale = False
        self.redraws += 1
        self._busy = True
        try:
            values = self.values()
            key = self._frame_key(values)
            if key is not None and key in self._frames:
                self._frames.move_to_end(key)
                png, readout, result = self._frames[key]
            else:
                result = self.compute(**values)
                full = self.draw(result)
                png = self.render(full if full == "layer" else bool(full))
                readout = self.readout(result)
                if key is not None:
                    self._keep_frame(key, png, readout, result)
        except Exception as err:  # shown in the app, not lost in the kernel log
            self.error = err
            self.errors.outputs = (
                {"output_type": "stream", "name": "stderr", "text": traceback.format_exc()},
            )
        else:
            self.result, self.error = result, None
            self.image.value = png
            self.readout_html.value = readout
            self.frame.value = self._stamp(png)
            if self.errors.outputs:
                self.errors.outputs = ()
        finally:
            self._busy = False
            self.last_ms = 1000 * (time.perf_counter() - start)

    def _frame_key(self, values: dict):
        if not self.frame_cache_mb:
            return None
        try:
            key = tuple(sorted(values.items()))
            hash(key)
        except TypeError:
            return None
        return key

    def _keep_frame(self, key, png: bytes, readout: str, result) -> None:
        self._frames[key] = (png, readout, result)
        self._frames_bytes += len(png)
        while self._frames_bytes > self.frame_cache_mb * 2**20 and len(self._frames) > 1:
            _, (old, _, _) = self._frames.popitem(last=False)
            self._frames_bytes -= len(old)

    def _stamp(self, png: bytes) -> str:
        values = html.escape(json.dumps(self.values(), default=str), quote=True)
        return (f'<span class="lk-frame" data-sha256="{hashlib.sha256(png).hexdigest()}" '
                f'data-values="{values}"></span>')

    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)
