"""Projector mode: one setting makes every widget big enough to read from the back of a room.

``lk.present()`` (or ``LECTUREKIT_PRESENT=1.5`` in the environment before the kernel starts) sets
a scale ``s``; every widget built afterwards multiplies its fonts, control column and slider
handles by ``s`` and draws its pictures at a higher resolution, never upscaled: a widget whose
pictures are narrower than a full-width one (810 px at the default scale) is zoomed further, so
that at ``s = 1.5`` the pictures of every widget are at least 1215 px wide, 63% of a 1920-px
projector. ``lk.present(False)`` (or ``1``) switches it off; widgets already shown keep their size.

    import lecturekit as lk
    lk.present()          # 1.5: a 1920x1080 projector
    lk.present(2.0)       # a 2560-px screen
"""

from __future__ import annotations

import math
import os

__all__ = ["present", "present_scale", "zoom_for", "DEFAULT_SCALE", "REFERENCE_WIDTH", "ENV"]

#: the environment variable read when ``present()`` has not been called
ENV = "LECTUREKIT_PRESENT"
#: what ``present()`` (or ``present(True)``) chooses: a 1920-px-wide projector
DEFAULT_SCALE = 1.5
#: pixel width of a full-width widget picture at scale 1; in projector mode every widget's
#: pictures are at least ``REFERENCE_WIDTH * scale`` wide
REFERENCE_WIDTH = 810
_MAX_SCALE = 4.0

_scale: float | None = None


def _check_scale(name: str, value) -> float:
    if isinstance(value, bool):
        return DEFAULT_SCALE if value else 1.0
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"{name} must be a number between 1 and {_MAX_SCALE:g} (or True/False), got {value!r}")
    if not 1.0 <= float(value) <= _MAX_SCALE:
        raise ValueError(f"{name} must be between 1 and {_MAX_SCALE:g} (1 is the notebook's size), got {value!r}")
    return float(value)


def present(scale: float | bool = True) -> float:
    """Switch projector mode on for the widgets built from now on (``scale`` > 1), or off (1 or
    False). Returns the scale in force."""
    global _scale
    _scale = _check_scale("scale", scale)
    return _scale


def present_scale() -> float:
    """The scale in force: the last ``present()`` call, else ``$LECTUREKIT_PRESENT``, else 1."""
    if _scale is not None:
        return _scale
    text = os.environ.get(ENV, "").strip()
    if not text:
        return 1.0
    if text.lower() in ("true", "yes", "on"):
        return DEFAULT_SCALE
    if text.lower() in ("0", "false", "no", "off"):
        return 1.0
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"${ENV} must be a number between 1 and {_MAX_SCALE:g} (or on/off), got {text!r}") from None
    return _check_scale(f"${ENV}", value)


def zoom_for(picture_width: float, scale: float | None = None) -> float:
    """The resolution multiplier of a widget whose pictures are ``picture_width`` px wide at
    scale 1: ``scale`` itself, raised in projector mode so that the pictures are at least
    ``REFERENCE_WIDTH * scale`` px wide."""
    scale = present_scale() if scale is None else _check_scale("scale", scale)
    if isinstance(picture_width, bool) or not isinstance(picture_width, (int, float)):
        raise TypeError(f"picture_width must be a number of pixels, got {picture_width!r}")
    if not math.isfinite(picture_width) or not picture_width > 0:
        raise ValueError(f"picture_width must be a positive, finite number of pixels, got {picture_width!r}")
    if scale == 1.0:
        return 1.0
    return scale * max(1.0, REFERENCE_WIDTH / float(picture_width))


def widget_css(scope: str, scale: float) -> str:
    """A ``<style>`` block that scales the ipywidgets controls inside ``.{scope}`` by ``scale``."""
    px = lambda v: f"{round(v * scale)}px"
    return (f"<style>.{scope} {{--jp-widgets-font-size: {px(13)}; --jp-widgets-inline-height: {px(28)};"
            f" --jp-widgets-inline-label-width: {px(80)}; --jp-widgets-slider-handle-size: {px(16)};"
            f" --jp-widgets-slider-track-thickness: {px(4)}; --jp-widgets-inline-width: {px(300)};"
            f" --jp-widgets-inline-width-short: {px(148)}; font-size: {px(13)};}}"
            f" .{scope} .widget-html-content, .{scope} .widget-label, .{scope} .widget-readout,"
            f" .{scope} button, .{scope} select, .{scope} input {{font-size: {px(13)};}}</style>")
