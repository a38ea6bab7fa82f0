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
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import time
import traceback
from typing import Any

import ipywidgets as widgets
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..viz import rgba_png

__all__ = ["FigureApp"]


class FigureApp:
    """Base class: subclasses define ``setup(fig)``, ``compute(**values)`` and ``draw(result)``.

    ``compute`` calls the pure functions of a topic module and returns a result (stored as
    ``self.result``); ``draw`` moves the artists made in ``setup``; ``readout(result)`` may return
    HTML shown under the controls.

    Speed: artists registered with :meth:`animated` are drawn over a cached background (blitting),
    so a redraw that only moves them costs a few milliseconds. ``draw`` returns True when
    something else changed (axis limits, static artists) and the whole figure must be redrawn.
    """

    #: figure size in inches and resolution; the image widget is fixed to the same pixel size.
    figsize: tuple[float, float] = (8.0, 3.6)
    dpi: int = 90
    controls_width: str = "300px"
    #: redraws slower than this (ms) coalesce front-end changes; the coalescing delay in seconds.
    slow_ms: float = 30.0
    coalesce_s: float = 0.01

    def __init__(self, controls: dict[str, widgets.Widget]):
        if not isinstance(controls, dict) or not controls:
            raise TypeError(f"controls must be a non-empty dict of name -> ipywidgets control, got {controls!r}")
        for name, control in controls.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f"controls must be keyed by names usable as compute() arguments, got {name!r}")
            if not isinstance(control, widgets.Widget):
                raise TypeError(f"controls[{name!r}] must be an ipywidgets control, got {type(control).__name__}")
        self.controls = controls
        self.figure = Figure(figsize=self.figsize, dpi=self.dpi)
        FigureCanvasAgg(self.figure)
        w, h = int(self.figsize[0] * self.dpi), int(self.figsize[1] * self.dpi)
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{w}px", height=f"{h}px"))
        self.readout_html = widgets.HTML(layout=widgets.Layout(width=self.controls_width))
        self.errors = widgets.Output(layout=widgets.Layout(width=self.controls_width))
        # An invisible stamp of the last frame: the SHA-256 of the PNG and the control values it
        # was computed for, so a browser test can prove the picture shown is the kernel's.
        self.frame = widgets.HTML(layout=widgets.Layout(display="none"))
        left = widgets.VBox([*controls.values(), self.readout_html, self.errors, self.frame],
                            layout=widgets.Layout(width=self.controls_width))
        self.ui = widgets.HBox([left, self.image])
        self.result: Any = None
        self.error: BaseException | None = None
        self.last_ms: float = float("nan")
        self.redraws = 0  # how many times update() has run
        self._busy = False
        self._stale = False  # a deferred redraw is due
        self._scheduled = False
        self._animated: list[Artist] = []
        self._background = None
        self.setup(self.figure)
        for control in controls.values():
            if isinstance(control, widgets.widgets.widget_description.DescriptionWidget) and control.layout.width is None:
                control.layout.width = "98%"  # fit the column, readout included
            if hasattr(control, "value"):
                control.observe(self._on_change, names="value")
        self.update()

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

    # -- machinery -----------------------------------------------------------------------------
    def animated(self, *artists: Artist):
        """Register artists that move on every update; returns the first one."""
        for a in artists:
            a.set_animated(True)
            self._animated.append(a)
        return artists[0]

    def render(self, full: bool) -> bytes:
        """PNG bytes of the figure: a full draw when ``full``, else animated artists over the
        cached background."""
        canvas = self.figure.canvas
        if full or self._background is None:
            canvas.draw()  # animated artists are left out of a full draw
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        else:
            canvas.restore_region(self._background)
        for a in self._animated:
            if a.get_visible():
                (a.axes or self.figure).draw_artist(a)
        return rgba_png(canvas.buffer_rgba())

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

    def request_update(self, *, from_frontend: bool = False) -> None:
        """Redraw now, or (a front-end change while redraws are slow) once the queued changes are in."""
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
            result = self.compute(**self.values())
            full = self.draw(result)
            png = self.render(bool(full))
            readout = self.readout(result)
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

    def _stamp(self, png: bytes) -> str:
        values = html.escape(json.dumps(self.values(), default=str), quote=True)
        return (f'<span class="lk-frame" data-sha256="{hashlib.sha256(png).hexdigest()}" '
                f'data-values="{values}"></span>')

    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)
