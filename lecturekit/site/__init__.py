"""``lecturekit site OUT``: a static course site that needs no kernel and no network.

Each notebook is executed (nbclient, widget state not stored) with one extra cell at its end
that pre-renders every widget the notebook built (:mod:`lecturekit.site.frames`): every control
position is drawn by the widget's own code in that kernel, so the site's frame for a value is the
kernel's frame for that value, byte for byte. The notebook is then exported with nbconvert's
``lab`` template, each widget output replaced by a static copy (the controls, the frame, a few
lines of JavaScript that switch frames), with a navigation in lecture order. MathJax 3 is copied
into ``OUT/_static/mathjax`` from ``deploy/site/node_modules`` (``make site-assets``, pinned by
``deploy/site/package-lock.json``): every file a page loads lies inside OUT.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from .. import nbtools
from ..checks import check_bool, check_path, check_positive_int
from . import assets
from .frames import check_budget

__all__ = ["build", "summary", "navigation", "static_widget", "remote_resources", "MATHJAX"]

#: the pinned MathJax installed by ``npm ci --prefix deploy/site``
MATHJAX = Path(__file__).resolve().parents[2] / "deploy" / "site" / "node_modules" / "mathjax" / "es5"
#: what the pages use from MathJax's es5 folder (the combined TeX/CHTML file, its fonts, and the
#: components its menu may load on demand)
_MATHJAX_PARTS = ("tex-chtml-full.js", "output/chtml", "input", "ui", "a11y", "adaptors", "sre")
_MARKER = ".lecturekit-site"
_WIDGET = "application/vnd.jupyter.widget-view+json"


def navigation(entries: list[tuple[str, str]], current: str | None) -> str:
    """The top bar: a link home and one per lecture, ``entries`` as (page stem, title) in order."""
    _check_entries(entries)
    if current is not None:
        if not isinstance(current, str):
            raise TypeError(f"current must be the stem of a page in entries (such as '01_em') or None, got {current!r}")
        if current not in [stem for stem, _ in entries]:
            raise ValueError(f"current must be the stem of a page in entries or None, got {current!r}")
    links = ['<a class="lk-home" href="index.html">Course home</a>']
    for stem, title in entries:
        here = ' aria-current="page"' if stem == current else ""
        number = stem.split("_")[0]
        links.append(f'<a href="{html.escape(stem)}.html"{here} title="{html.escape(title)}">'
                     f'{html.escape(number)} {html.escape(_short(title))}</a>')
    return '<nav class="lk-nav" aria-label="Lectures">' + "".join(links) + "</nav>"


def _check_entries(entries) -> None:
    if isinstance(entries, (str, bytes, dict)) or not isinstance(entries, (list, tuple)):
        raise TypeError(f"entries must be a list of (page stem, title) pairs, got {type(entries).__name__}")
    for e in entries:
        if not isinstance(e, (tuple, list)) or len(e) != 2:
            raise ValueError(f"entries must hold (page stem, title) pairs, got {e!r}")
        if not all(isinstance(x, str) for x in e):
            raise TypeError(f"entries must hold (page stem, title) pairs of str, got {e!r}")
        if not e[0].strip() or not re.fullmatch(r"[\w.-]+", e[0]):
            raise ValueError(f"entries must hold page stems such as '01_em' (letters, digits, _ . -), got {e[0]!r}")


def _short(title: str, width: int = 28) -> str:
    title = re.sub(r"^\s*\d+[.:]?\s*", "", title)
    return title if len(title) <= width else title[: width - 1].rstrip() + "…"


def pager(entries: list[tuple[str, str]], current: str) -> str:
    """Previous / next links at the foot of a page."""
    stems = [s for s, _ in entries]
    i = stems.index(current)
    prev = (f'<a href="{entries[i - 1][0]}.html">← {html.escape(entries[i - 1][1])}</a>' if i > 0 else "<span></span>")
    nxt = (f'<a href="{entries[i + 1][0]}.html">{html.escape(entries[i + 1][1])} →</a>'
           if i + 1 < len(entries) else "<span></span>")
    return f'<nav class="lk-pager" aria-label="Previous and next">{prev}{nxt}</nav>'


def static_widget(entry: dict, base: str) -> str:
    """The static copy of one pre-rendered widget: its movable controls, the default frame, the
    readout and the frame table (JSON) that ``site.js`` reads. ``base`` is the frames folder URL."""
    _check_entry(entry)
    if not isinstance(base, str):
        raise TypeError(f"base must be the frames folder URL as a str (such as 'frames/01_em/'), got {base!r}")
    if not base.endswith("/") or any(ch in base for ch in "\"'<> \\"):
        raise ValueError(f"base must be a folder URL ending in '/' without quotes, spaces or angle brackets, "
                         f"got {base!r}")
    controls = entry["controls"]
    key = ",".join(str(c["default"]) for c in controls)
    frame = entry["frames"].get(key)
    if frame is None:
        raise ValueError(f"entry: the {entry['app']} widget has no frame at its defaults ({key!r})")
    rows = []
    for j, c in enumerate(controls):
        desc = html.escape(str(c["description"]))
        label = html.escape(frame["labels"][j])
        if c["kind"] == "range":
            field = (f'<input type="range" data-control="{j}" min="0" max="{len(c["values"]) - 1}" step="1" '
                     f'value="{c["default"]}" aria-label="{desc}">')
        elif c["kind"] == "checkbox":
            checked = " checked" if c["default"] == 1 else ""
            field = f'<input type="checkbox" data-control="{j}"{checked} aria-label="{desc}">'
        else:
            options = "".join(f'<option value="{i}"{" selected" if i == c["default"] else ""}>{html.escape(lab)}'
                              f"</option>" for i, lab in enumerate(c["labels"]))
            field = f'<select data-control="{j}" aria-label="{desc}">{options}</select>'
        rows.append(f'<label><span>{desc}</span>{field}<output data-readout="{j}">{label}</output></label>')
    how = ("every combination of the controls" if entry["mode"] == "product"
           else "one control at a time, the others at their defaults")
    note = (f'<p class="lk-note">Pre-rendered without a kernel: {len(entry["frames"])} frames '
            f"({entry['bytes'] / 2**20:.1f} MB), {how}.</p>")
    data = {"mode": entry["mode"], "base": base,
            "controls": [{"default": c["default"], "kind": c["kind"]} for c in controls],
            "frames": {k: {"sha256": f["sha256"], "readout": f["readout"], "state": f["state"], "labels": f["labels"]}
                       for k, f in entry["frames"].items()}}
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    img = (f'<img class="lk-image" src="{base}{frame["sha256"][:20]}.png" data-sha256="{frame["sha256"]}" '
           f'style="width:{entry["width"]};height:{entry["height"]}" alt="{html.escape(entry["app"])} figure">')
    return (f'<div class="lk-static tex2jax_ignore" data-app="{html.escape(entry["app"])}">'
            f'<div class="lk-controls">{"".join(rows)}<div class="lk-readout">{frame["readout"]}</div>{note}</div>'
            f'{img}<script type="application/json" class="lk-data">{payload}</script></div>')


_ENTRY_KEYS = ("app", "controls", "frames", "mode", "bytes", "width", "height")
_CONTROL_KEYS = ("description", "kind", "default", "labels", "values")
_FRAME_KEYS = ("sha256", "readout", "state", "labels")


def _check_entry(entry) -> None:
    """An entry of the manifest :func:`lecturekit.site.frames.dump` writes."""
    if not isinstance(entry, dict):
        raise TypeError(f"entry must be a manifest entry (a dict from frames.dump), got {type(entry).__name__}")
    missing = [k for k in _ENTRY_KEYS if k not in entry]
    if missing:
        raise ValueError(f"entry must be a manifest entry from frames.dump, but it has no {', '.join(missing)}")
    if entry["mode"] not in ("product", "axes"):
        raise ValueError(f"entry['mode'] must be 'product' or 'axes', got {entry['mode']!r}")
    if not isinstance(entry["controls"], list) or not isinstance(entry["frames"], dict):
        raise TypeError("entry['controls'] must be a list and entry['frames'] a dict, got "
                        f"{type(entry['controls']).__name__} and {type(entry['frames']).__name__}")
    for c in entry["controls"]:
        if not isinstance(c, dict) or any(k not in c for k in _CONTROL_KEYS):
            raise ValueError(f"entry['controls'] must hold dicts with {', '.join(_CONTROL_KEYS)}, got {c!r:.80}")
        if c["kind"] not in ("range", "checkbox", "select"):
            raise ValueError(f"entry['controls'] kinds must be 'range', 'checkbox' or 'select', got {c['kind']!r}")
        if isinstance(c["default"], bool) or not isinstance(c["default"], int) or not 0 <= c["default"] < len(c["values"]):
            raise ValueError(f"entry['controls'] defaults must index their values, got {c['default']!r}")
    for k, f in entry["frames"].items():
        if not isinstance(f, dict) or any(x not in f for x in _FRAME_KEYS):
            raise ValueError(f"entry['frames'] must hold dicts with {', '.join(_FRAME_KEYS)}, got {k!r}: {f!r:.80}")
        if len(f["labels"]) != len(entry["controls"]):
            raise ValueError(f"entry['frames'][{k!r}] must have one label per control, got {f['labels']!r}")


_RESOURCE = re.compile(r"<(script|img|link|iframe|source|video|audio)\b[^>]*?\b(src|href)\s*=\s*[\"']([^\"']+)",
                       re.IGNORECASE)


def remote_resources(page: str) -> list[str]:
    """URLs a page would load from outside the site (scripts, styles, images, frames); links a
    reader may follow are not loads and are left out."""
    if not isinstance(page, str):
        raise TypeError(f"page must be the page's HTML as a str, got {type(page).__name__}")
    found = []
    for _, _, url in _RESOURCE.findall(page):
        if re.match(r"^([a-z][a-z0-9+.-]*:)?//", url, re.IGNORECASE) and not url.lower().startswith("data:"):
            found.append(url)
        elif re.match(r"^(https?|ftp):", url, re.IGNORECASE):
            found.append(url)
    return found


def _prerender_cell(folder: Path, max_frames: int, max_product: int, max_mb: float) -> dict:
    import nbformat

    source = ("import lecturekit.site.frames as _lk_site_frames\n"
              f"_lk_site_frames.dump({str(folder)!r}, max_frames={max_frames}, max_product={max_product}, "
              f"max_mb={max_mb!r})")
    return nbformat.v4.new_code_cell(source)


def _replace_widgets(nb, manifest: list[dict], base: str) -> list[dict]:
    """Swap each widget output for the static copies of the apps it holds; returns those apps."""
    shown = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(_WIDGET) if out.get("output_type") in ("display_data", "execute_result") else None
            if view is None:
                outputs.append(out)
                continue
            found = [e for e in manifest if view.get("model_id") in e["models"]]
            if found:  # other widget views (a finished progress bar) are dropped: nothing to show
                shown += found
                outputs.append({"output_type": "display_data", "metadata": {},
                                "data": {"text/html": "".join(static_widget(e, base) for e in found)}})
        cell["outputs"] = outputs
    return shown


def _check_mathjax() -> None:
    if not (MATHJAX / "tex-chtml-full.js").is_file():
        raise FileNotFoundError(f"MathJax is not installed in {MATHJAX.parents[2]}: run `make site-assets` "
                                "(npm ci --prefix deploy/site)")


def _copy_mathjax(target: Path) -> None:
    _check_mathjax()
    for part in _MATHJAX_PARTS:
        src = MATHJAX / part
        if src.is_dir():
            shutil.copytree(src, target / part)
        elif src.is_file():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / part)


def _folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _check_out(out: Path) -> None:
    check_path("out (OUT)", out, kind="new_dir")
    if out.exists() and any(out.iterdir()) and not (out / _MARKER).exists():
        raise ValueError(f"out (OUT) {str(out)!r} is not empty and holds no lecturekit site: choose an empty "
                         "or new folder (an old site is replaced, other files are never deleted)")


def _prepare(out: Path) -> None:
    _check_out(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / _MARKER).write_text("built by lecturekit site; the whole folder is replaced by the next build\n")


def build(out, notebooks: list[str] | None = None, *, timeout: int = 1800, max_frames: int = 2000,
          max_product: int = 400, max_mb: float = 20.0, progress=None, keep_going: bool = False) -> dict:
    """Build the site in ``out`` from ``notebooks`` (names such as ``01``; default: all, in lecture
    order) and return the report :func:`summary` prints (seconds, bytes, per notebook and widget).
    Each widget's frames are budgeted at ``max_mb`` (long controls thinned). ``progress``, if given, is called with one line as each notebook starts and ends.

    A notebook that fails to execute stops the build (:class:`lecturekit.nbtools.NotebookError`),
    unless ``keep_going``: then its page says that it failed and why, the index marks it, the other
    notebooks are built, and ``report["failed"]`` lists ``{"name", "title", "error"}``.
    """
    from nbconvert import HTMLExporter
    from jinja2 import DictLoader

    start = time.perf_counter()
    timeout = check_positive_int("timeout", timeout)
    max_frames, max_product, max_mb = check_budget(max_frames, max_product, max_mb)
    if notebooks is not None and (isinstance(notebooks, (str, bytes)) or not isinstance(notebooks, (list, tuple))
                                  or not all(isinstance(n, str) for n in notebooks)):
        raise TypeError(f"notebooks must be a list of names such as ['01'] or None, got {notebooks!r}")
    if notebooks is not None and not notebooks:
        raise ValueError("notebooks must name at least one notebook, or be None for all of them, got []")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a function taking one line of text, or None, got {progress!r}")
    keep_going = check_bool("keep_going", keep_going)
    out = check_path("out", out)
    _check_out(out)
    scripts = [nbtools.resolve(n) for n in notebooks] if notebooks else nbtools.list_notebooks()
    scripts = sorted(dict.fromkeys(scripts))
    _check_mathjax()  # before the old site is removed
    _prepare(out)
    _copy_mathjax(out / "_static" / "mathjax")
    (out / "_static" / "site.css").write_text(assets.CSS)
    (out / "_static" / "site.js").write_text(assets.JS)
    entries = [(s.stem, nbtools.title_of(s)) for s in scripts]
    exporter = HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"lk_site.html.j2": assets.TEMPLATE})],
                            template_file="lk_site.html.j2", exclude_anchor_links=False)
    report = {"out": str(out), "notebooks": [], "failed": []}
    budget = (max_frames, max_product, float(max_mb))
    # no progress bars in the pages; frames at the notebook's own scale
    with nbtools.environment(TQDM_DISABLE="1", LECTUREKIT_PRESENT=None):
        for script, (stem, title) in zip(scripts, entries):
            if progress is not None:
                progress(f"{stem}: executing and pre-rendering its widgets")
            try:
                report["notebooks"].append(_page(out, script, entries, exporter, budget, timeout))
            except nbtools.NotebookError as err:
                if not keep_going:
                    raise
                report["failed"].append({"name": stem, "title": title, "error": str(err)})
                (out / f"{stem}.html").write_text(_failed_page(entries, stem, title, str(err)))
                if progress is not None:
                    progress(f"{stem}: FAILED, its page says so: {err}")
                continue
            if progress is not None:
                progress(summary({"notebooks": report["notebooks"][-1:]}, totals=False))
    (out / "index.html").write_text(_index(entries, report))
    report["seconds"] = time.perf_counter() - start
    report["bytes"] = _folder_bytes(out)
    report["mathjax_bytes"] = _folder_bytes(out / "_static" / "mathjax")
    return report


def _page(out: Path, script: Path, entries, exporter, budget, timeout: int) -> dict:
    """Execute one notebook, pre-render its widgets, write its page and frames; its report entry."""
    import nbformat

    t0 = time.perf_counter()
    stem, title = script.stem, dict(entries)[script.stem]
    with tempfile.TemporaryDirectory(prefix="lecturekit-site-") as tmp:
        tmp = Path(tmp)
        nb = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
        nb.cells.append(_prerender_cell(tmp / "frames", *budget))
        nbformat.write(nb, tmp / f"{stem}.ipynb")
        nbtools.execute(tmp / f"{stem}.ipynb", timeout=timeout, cwd=script.parent)
        nb = nbformat.read(tmp / f"{stem}.ipynb", as_version=4)
        nb.cells.pop()  # the pre-render cell
        manifest_path = tmp / "frames" / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else []
        shown = _replace_widgets(nb, manifest, f"frames/{stem}/")
        frames = out / "frames" / stem
        for sha in sorted({f["sha256"][:20] for e in shown for f in e["frames"].values()}):
            frames.mkdir(parents=True, exist_ok=True)  # only the frames of widgets on the page
            shutil.copyfile(tmp / "frames" / "frames" / f"{sha}.png", frames / f"{sha}.png")
    nb.metadata.pop("widgets", None)
    body, _ = exporter.from_notebook_node(nb, resources={
        "lk_nav": navigation(entries, stem), "lk_footer": pager(entries, stem)})
    body = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", body, count=1, flags=re.S)
    remote = remote_resources(body)
    if remote:
        raise RuntimeError(f"{stem}: the page would load from outside the site: {remote[:3]}")
    (out / f"{stem}.html").write_text(body)
    return {"name": stem, "title": title, "seconds": time.perf_counter() - t0,
            "bytes": len(body.encode()) + (_folder_bytes(frames) if frames.exists() else 0),
            "widgets_not_shown": len(manifest) - len(shown),
            "widgets": [{"app": e["app"], "frames": len(e["frames"]), "mode": e["mode"], "bytes": e["bytes"],
                         "seconds": e["seconds"], "errors": e["errors"]} for e in shown]}


def _failed_page(entries, stem: str, title: str, error: str) -> str:
    """The page of a notebook that failed to execute: the error, so no link leads nowhere or to an old page."""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            '<link rel="stylesheet" href="_static/site.css"></head><body>'
            f'{navigation(entries, stem)}<main><h1>{html.escape(title)}</h1><p><strong>This notebook failed to '
            'execute when the site was built</strong>, so it has no page here:</p>'
            f'<pre>{html.escape(error)}</pre></main>{pager(entries, stem)}</body></html>')


def _index(entries: list[tuple[str, str]], report: dict) -> str:
    widgets = {n["name"]: len(n["widgets"]) for n in report["notebooks"]}
    failed = {n["name"] for n in report.get("failed", ())}
    def count(stem: str) -> str:
        if stem in failed:
            return " <small>(failed to execute: not built)</small>"
        n = widgets.get(stem, 0)
        return f" <small>({n} interactive figure{'s' if n != 1 else ''})</small>" if n else ""

    items = "".join(f'<li><a href="{s}.html">{html.escape(t)}</a>{count(s)}</li>' for s, t in entries)
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Lecture 16: deep generative models'
            '</title><meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="stylesheet" href="_static/site.css"></head><body class="lk-index">'
            f'{navigation(entries, None)}<main><h1>Deep generative models</h1><p>The lecture notebooks, executed, '
            'with their interactive figures pre-rendered: the sliders work without Python or a network.</p>'
            f"<ol>{items}</ol></main></body></html>")


def _check_report(report, totals: bool) -> None:
    """The report :func:`build` returns (``totals``: with the whole site's figures)."""
    if not isinstance(report, dict):
        raise TypeError(f"report must be the dict build returns, got {type(report).__name__}")
    number = (int, float)

    def need(where: str, d: dict, keys: dict) -> None:
        for k, kind in keys.items():
            if k not in d:
                raise ValueError(f"report must be the dict build returns, but {where} has no {k!r}")
            v = d[k]
            if isinstance(v, bool) or not isinstance(v, kind):
                raise TypeError(f"report: {where}[{k!r}] must be {getattr(kind, '__name__', 'a number')}, got {v!r}")
            if kind is number and not (math.isfinite(v) and v >= 0):
                raise ValueError(f"report: {where}[{k!r}] must be a finite number >= 0, got {v!r}")

    need("report", report, {"notebooks": list, **({"out": str, "bytes": number, "mathjax_bytes": number,
                                                  "seconds": number} if totals else {})})
    for i, nb in enumerate(report["notebooks"]):
        if not isinstance(nb, dict):
            raise TypeError(f"report['notebooks'] must hold dicts, got {type(nb).__name__}")
        where = f"report['notebooks'][{i}]"
        need(where, nb, {"name": str, "seconds": number, "bytes": number, "widgets": list})
        for j, w in enumerate(nb["widgets"]):
            if not isinstance(w, dict):
                raise TypeError(f"{where}['widgets'] must hold dicts, got {type(w).__name__}")
            need(f"{where}['widgets'][{j}]", w, {"app": str, "frames": int, "mode": str, "bytes": number,
                                                 "seconds": number, "errors": int})
    failed = report.get("failed", [])
    if not isinstance(failed, list):
        raise TypeError(f"report['failed'] must be a list, got {type(failed).__name__}")
    for i, nb in enumerate(failed):
        if not isinstance(nb, dict):
            raise TypeError(f"report['failed'] must hold dicts, got {type(nb).__name__}")
        need(f"report['failed'][{i}]", nb, {"name": str, "error": str})


def summary(report: dict, *, totals: bool = True) -> str:
    """Build time, size, and MB per widget, one line each (``totals``: and the whole site's)."""
    totals = check_bool("totals", totals)
    _check_report(report, totals)
    lines = []
    for nb in report["notebooks"]:
        hidden = nb.get("widgets_not_shown", 0)
        hidden = f" ({hidden} widget{'s' if hidden != 1 else ''} built but not displayed: left out)" if hidden else ""
        lines.append(f"{nb['name']}: {nb['seconds']:.0f} s, {nb['bytes'] / 2**20:.1f} MB{hidden}")
        for w in nb["widgets"]:
            errors = f", {w['errors']} frames failed" if w["errors"] else ""
            lines.append(f"  {w['app']}: {w['frames']} frames ({w['mode']}), {w['bytes'] / 2**20:.2f} MB, "
                         f"{w['seconds']:.1f} s{errors}")
    for nb in report.get("failed", ()):
        lines.append(f"{nb['name']}: FAILED, not built: {nb['error']}")
    if not totals:
        return "\n".join(lines)
    lines.append(f"site: {report['out']} ({report['bytes'] / 2**20:.1f} MB, MathJax {report['mathjax_bytes'] / 2**20:.1f} MB) "
                 f"built in {report['seconds']:.0f} s; open {report['out']}/index.html")
    return "\n".join(lines)
