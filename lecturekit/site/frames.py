"""Pre-rendering a widget's frames for the static site, in the kernel that built the widget.

Every control that takes a value is given a list of positions (:func:`positions`): a slider's
steps, a selection's options, a checkbox's two states. :func:`prerender` then sets the controls
to each combination through :meth:`FigureApp.batch` (the app's own hooks and drawing code, one
redraw per combination) and keeps the PNG the kernel would show, so the site's frame for a value
is the kernel's frame for that value, byte for byte. When the product of the positions is small
every combination is drawn; otherwise one control moves at a time and the others stay at their
defaults (the values the notebook left). :func:`dump` does this for every live app and writes
``manifest.json`` and the PNGs (named by their SHA-256, so equal frames are stored once).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time

from ..checks import check_int, check_path, check_positive_int

__all__ = ["positions", "frame_keys", "prerender", "dump"]


def _format(value, fmt: str | None) -> str:
    if isinstance(value, float) and fmt:
        try:
            return format(value, fmt)
        except ValueError:
            pass
    return str(value)


def _thin(values: list, default: int, limit: int) -> tuple[list, int]:
    """At most ``limit`` evenly spaced entries of ``values``, always keeping the ends and the default."""
    if len(values) <= limit:
        return values, default
    keep = {round(i * (len(values) - 1) / (limit - 1)) for i in range(limit)} if limit > 1 else set()
    keep.add(default)
    kept = sorted(keep)
    return [values[i] for i in kept], kept.index(default)


def positions(control, limit: int = 1000) -> dict | None:
    """The positions the site offers for ``control``: ``{"kind", "values", "labels", "default"}``.

    ``kind`` is ``"range"`` (a slider: ``values`` in order), ``"select"`` (options; ``values`` are
    option indices) or ``"checkbox"``. ``default`` indexes the control's current value, which is
    added to a slider's steps when it falls between them. None for controls the site cannot move
    (buttons, players, text boxes, containers, disabled controls). At most ``limit`` positions (evenly thinned).
    """
    import ipywidgets as widgets

    check_int("limit", limit, low=2)
    if not isinstance(control, widgets.Widget):
        hint = " (pass one of app.controls' values, not the app)" if hasattr(control, "controls") else ""
        raise TypeError(f"control must be an ipywidgets widget such as an IntSlider{hint}, "
                        f"got {type(control).__name__}")
    if getattr(control, "disabled", False):  # greyed out in the notebook: not moved on the site either
        return None
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        values, labels, default, kind = [False, True], ["off", "on"], int(bool(control.value)), "checkbox"
    elif isinstance(control, widgets.widgets.widget_selection._Selection):
        if control.index is None:
            return None
        values = list(range(len(control.options)))
        labels = [str(x) for x in control._options_labels]
        default = control.index
        kind = "range" if isinstance(control, widgets.SelectionSlider) else "select"
    elif isinstance(control, (widgets.IntSlider, widgets.FloatSlider)):
        lo, hi, step = control.min, control.max, control.step
        if not step or step <= 0:
            return None
        n = int(math.floor((hi - lo) / step + 1e-9)) + 1
        if isinstance(control, widgets.IntSlider):
            values = [int(lo + i * step) for i in range(n)]
        else:  # rounded so that 0.1 * 3 is 0.3, as the browser's slider shows it
            values = [float(round(lo + i * step, 12)) for i in range(n)]
        value = control.value
        if value not in values:  # a default between two steps
            values = sorted([*values, value])
        default = values.index(value)
        labels = [_format(v, getattr(control, "readout_format", None)) for v in values]
        kind = "range"
    else:
        return None
    kept, default = _thin(list(range(len(values))), default, limit)
    return {"kind": kind, "values": [values[i] for i in kept], "labels": [labels[i] for i in kept],
            "default": default}


def frame_keys(counts: list[int], defaults: list[int], *, max_product: int) -> tuple[str, list[tuple[int, ...]]]:
    """The position tuples to draw: every combination (``"product"``) when there are at most
    ``max_product``, else the defaults and each control moved alone (``"axes"``)."""
    for name, value, low in (("counts", counts, 1), ("defaults", defaults, 0)):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise TypeError(f"{name} must be a list of integers, one per control, got {value!r}")
        for v in value:
            check_int(f"{name} entries", v, low=low)
    max_product = check_positive_int("max_product", max_product)
    if len(counts) != len(defaults) or any(not 0 <= d < c for d, c in zip(defaults, counts)):
        raise ValueError(f"defaults must index the counts, got counts {counts} and defaults {defaults}")
    if math.prod(counts) <= max_product:
        return "product", list(itertools.product(*(range(c) for c in counts)))
    keys = [tuple(defaults)]
    for j, c in enumerate(counts):
        for i in range(c):
            if i != defaults[j]:
                key = list(defaults)
                key[j] = i
                keys.append(tuple(key))
    return "axes", keys


def _is_selection(control) -> bool:
    import ipywidgets as widgets

    return isinstance(control, widgets.widgets.widget_selection._Selection)


def _set(control, spec: dict, i: int) -> None:
    if _is_selection(control):
        control.index = spec["values"][i]
    else:
        control.value = spec["values"][i]


def _where(control, spec: dict) -> int:
    """The index of the control's current value among its positions (-1: between them)."""
    current = control.index if _is_selection(control) else control.value
    try:
        return spec["values"].index(current)
    except ValueError:
        return -1


def check_budget(max_frames, max_product, max_mb) -> tuple[int, int, float]:
    """The frame budget's three limits, checked (the site build checks them before it starts)."""
    max_frames = check_positive_int("max_frames", max_frames)
    max_product = check_positive_int("max_product", max_product)
    if isinstance(max_mb, bool) or not isinstance(max_mb, (int, float)):
        raise TypeError(f"max_mb must be a positive number of megabytes, got {max_mb!r}")
    if not 0 < max_mb < 1e6:  # NaN fails too
        raise ValueError(f"max_mb must be a positive number of megabytes, got {max_mb!r}")
    return max_frames, max_product, float(max_mb)


def prerender(app, *, max_frames: int = 2000, max_product: int = 400, max_mb: float = 20.0) -> dict:
    """Draw ``app``'s frames: ``{"controls", "mode", "frames": {key: {sha256, readout, state}}, "pngs"}``.

    A key is the comma-joined position indices of the movable controls. ``state`` is where each
    control stood after the app's own hooks ran (-1 between positions) with its label. The app is
    left at its defaults. The frames are budgeted at ``max_mb`` (estimated from the current
    frame's size): a long control is thinned to evenly spaced positions, ends and default kept.
    """
    from ..widgets._base import FigureApp

    if not isinstance(app, FigureApp):
        what = f"the class {app.__name__}; pass an instance" if isinstance(app, type) else type(app).__name__
        raise TypeError(f"app must be a lecturekit widget app (a FigureApp), got {what}")
    max_frames, max_product, max_mb = check_budget(max_frames, max_product, max_mb)
    names, specs = [], []
    for name, control in app.controls.items():
        spec = positions(control)
        if spec is not None:
            names.append(name)
            specs.append(spec)
    if not specs:
        return {"controls": [], "mode": "product", "frames": {}, "pngs": {}, "errors": 0}
    # spread the frame budget: thin the longest controls until the axes fit
    affordable = int(max_mb * 2**20 // max(1, len(app.image.value or b"")))
    max_frames = max(2 * len(specs), min(max_frames, affordable))
    while sum(len(s["values"]) for s in specs) > max_frames and max(len(s["values"]) for s in specs) > 2:
        longest = max(specs, key=lambda s: len(s["values"]))
        n, limit = len(longest["values"]), max(2, len(longest["values"]) * 3 // 4)
        kept, default = _thin(list(range(n)), longest["default"], limit)
        while len(kept) >= n and limit > 2:  # the kept default can undo a step: thin harder
            limit -= 1
            kept, default = _thin(list(range(n)), longest["default"], limit)
        if len(kept) >= n:
            break  # the ends and the default are all that is left: nothing more to drop
        longest["default"] = default
        longest["values"] = [longest["values"][i] for i in kept]
        longest["labels"] = [longest["labels"][i] for i in kept]
    defaults = [s["default"] for s in specs]
    mode, keys = frame_keys([len(s["values"]) for s in specs], defaults, max_product=min(max_product, max_frames))
    controls = [app.controls[n] for n in names]

    def go(key) -> None:
        with app.batch():
            for control, spec, i in zip(controls, specs, defaults):  # back to the defaults first, in order
                _set(control, spec, i)
            for control, spec, i, d in zip(controls, specs, key, defaults):
                if i != d:  # only what moves: a hook's choice for the others (a family's own θ) stands
                    _set(control, spec, i)

    frames, pngs, errors = {}, {}, 0
    for key in keys:
        go(key)
        if app.error is not None:
            errors += 1
            continue
        png = app.image.value
        sha = hashlib.sha256(png).hexdigest()
        pngs[sha] = png
        state = [_where(c, s) for c, s in zip(controls, specs)]
        labels = [s["labels"][i] if i >= 0 else _format(c.value, getattr(c, "readout_format", None))
                  for c, s, i in zip(controls, specs, state)]
        frames[",".join(map(str, key))] = {"sha256": sha, "readout": app.readout_html.value,
                                           "state": state, "labels": labels}
    go(tuple(defaults))
    described = [{"name": n, "description": c.description or n, **s} for n, c, s in zip(names, controls, specs)]
    for d in described:
        d["values"] = [v if isinstance(v, (int, float, str, bool)) else str(v) for v in d["values"]]
    return {"controls": described, "mode": mode, "frames": frames, "pngs": pngs, "errors": errors}


def dump(folder: str, *, max_frames: int = 2000, max_product: int = 400, max_mb: float = 20.0) -> None:
    """Pre-render every live app of this kernel into ``folder`` (``manifest.json``, ``frames/``)."""
    from ipywidgets.widgets.widget import _instances

    from ..widgets._base import apps

    folder = check_path("folder", folder, kind="new_dir")
    max_frames, max_product, max_mb = check_budget(max_frames, max_product, max_mb)
    (folder / "frames").mkdir(parents=True, exist_ok=True)
    parent = {}
    for w in list(_instances.values()):
        for child in getattr(w, "children", ()) or ():
            if getattr(child, "model_id", None):
                parent.setdefault(child.model_id, w.model_id)
    entries = []
    for app in apps():
        start = time.perf_counter()
        found = prerender(app, max_frames=max_frames, max_product=max_product, max_mb=max_mb)
        sizes = {}
        for sha, png in found.pop("pngs").items():
            (folder / "frames" / f"{sha[:20]}.png").write_bytes(png)
            sizes[sha] = len(png)
        chain, mid = [app.ui.model_id], app.ui.model_id
        while mid in parent and parent[mid] not in chain:
            mid = parent[mid]
            chain.append(mid)
        w, h = app.image.layout.width, app.image.layout.height
        entries.append({"app": type(app).__name__, "models": chain, "width": w, "height": h,
                        "seconds": time.perf_counter() - start, "bytes": sum(sizes.values()), **found})
    (folder / "manifest.json").write_text(json.dumps(entries))
