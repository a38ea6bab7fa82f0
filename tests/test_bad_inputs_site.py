"""Bad inputs to the static course site: lecturekit.site (build, its report, the page parts) and
lecturekit.site.frames (control positions, frame keys, pre-rendering a live app, dumping them).
Good calls use a two-control app drawn at 40 dpi; site.build's good call executes a notebook and
copies MathJax (minutes), so it is not run here (tests/integration/test_site.py builds a site)."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from unittest import mock

import ipywidgets as widgets

from lecturekit import site
from lecturekit.site import frames
from lecturekit.widgets._base import FigureApp
from tests.support.bad_inputs import POSITIVE_INT, Table, bad, call, derived

T = Table("site", ["lecturekit.site", "lecturekit.site.frames"])

TMP = Path(tempfile.mkdtemp(prefix="lk-bad-site-"))
A_FILE = TMP / "a_file.txt"
A_FILE.write_text("not a folder\n")
THESIS = TMP / "thesis"
THESIS.mkdir()
(THESIS / "thesis.tex").write_text("keep me\n")


class TinyApp(FigureApp):
    """A bar of length n (+ 1 when ``plus``): two movable controls and a button the site leaves alone."""

    figsize = (1.0, 0.6)
    dpi = 40

    def __init__(self):
        super().__init__({"n": widgets.IntSlider(value=1, min=0, max=3), "plus": widgets.Checkbox(value=False),
                          "go": widgets.Button(description="go")})

    def setup(self, fig):
        ax = fig.add_subplot(1, 1, 1)
        ax.set_xlim(0, 5)
        self.bar = self.animated(ax.barh([0], [0])[0])

    def compute(self, n, plus):
        return n + plus

    def draw(self, result):
        self.bar.set_width(result)

    def readout(self, result):
        return f"{result}"


APP = TinyApp()


def entry() -> dict:
    """A manifest entry as frames.dump writes it (the PNGs left out)."""
    found = frames.prerender(TinyApp(), max_product=100)
    found.pop("pngs")
    return {"app": "TinyApp", "models": ["m1"], "width": "40px", "height": "24px", "bytes": 100, "seconds": 0.1,
            **found}


ENTRY = entry()
DEFAULT_KEY = ",".join(str(c["default"]) for c in ENTRY["controls"])


def _without_default_frame(e: dict) -> dict:
    return {**e, "frames": {k: f for k, f in e["frames"].items() if k != DEFAULT_KEY}}


def _control(e: dict, **change) -> dict:
    return {**e, "controls": [{**e["controls"][0], **change}, *e["controls"][1:]]}


def _frame_labels(e: dict) -> dict:
    return {**e, "frames": {k: {**f, "labels": f["labels"][:1]} for k, f in e["frames"].items()}}


REPORT = {"out": "public", "seconds": 75.2, "bytes": 30 * 2**20, "mathjax_bytes": 8 * 2**20, "notebooks": [
    {"name": "02_expfam", "seconds": 40.4, "bytes": 7 * 2**20, "widgets": [
        {"app": "ConjugateDuality", "frames": 205, "mode": "axes", "bytes": 3 * 2**19, "seconds": 24.0, "errors": 2}]}]}


def _nb(**change) -> dict:
    return {**REPORT, "notebooks": [{**REPORT["notebooks"][0], **change}]}


def _widget(**change) -> dict:
    nb = REPORT["notebooks"][0]
    return _nb(widgets=[{**nb["widgets"][0], **change}])


def dump_one_app(folder, *, max_frames: int = 2000, max_product: int = 400, max_mb: float = 20.0) -> dict:
    """frames.dump with this kernel's live apps narrowed to one TinyApp (the test process holds the
    apps of every widget test before it); returns the manifest it wrote."""
    with mock.patch("lecturekit.widgets._base.apps", return_value=[APP]):
        frames.dump(folder, max_frames=max_frames, max_product=max_product, max_mb=max_mb)
    return json.loads((Path(folder) / "manifest.json").read_text())


def _dump_ok(manifest: list) -> bool:
    (e,) = manifest
    return e["app"] == "TinyApp" and len(e["frames"]) == 4 * 2 and e["mode"] == "product" and all(
        (TMP / "dump" / "frames" / f"{f['sha256'][:20]}.png").is_file() for f in e["frames"].values())


MAX_MB = [bad(0.0), bad(-1.0), bad(math.nan), bad("20", TypeError), bad(True, TypeError)]

# -- the site's pages and report
T.add("site.build", lambda: call(site.build, TMP / "site", ["02"], timeout=600), _run_good=False,
      out=[bad(3, TypeError), bad(None, TypeError), bad(""), bad(A_FILE, NotADirectoryError, "a-file"),
           bad(THESIS, ValueError, "not-a-site"), bad(A_FILE / "site", NotADirectoryError, "under-a-file")],
      notebooks=[bad("02", TypeError, "one-string"), bad([2], TypeError, "int-name"),
                 bad(["99"], ValueError, "unknown", names="notebook"), bad([]), bad(2, TypeError)],
      timeout=POSITIVE_INT, max_frames=POSITIVE_INT[:3], max_product=POSITIVE_INT[:2], max_mb=MAX_MB,
      progress=[bad("yes", TypeError), bad(3, TypeError)],
      keep_going=[bad("yes", TypeError), bad(1, TypeError), bad(None, TypeError)])
T.add("site.summary", lambda: call(site.summary, REPORT),
      _check=lambda text: text.splitlines()[1] == "  ConjugateDuality: 205 frames (axes), 1.50 MB, 24.0 s, 2 frames failed",
      report=[bad(None, TypeError), bad("report", TypeError), bad({}, ValueError, "empty-dict"),
              bad({**REPORT, "notebooks": 3}, TypeError, "notebooks-int"),
              bad({k: v for k, v in REPORT.items() if k != "out"}, ValueError, "no-out"),
              bad(_nb(seconds=math.nan), ValueError, "nan-seconds"), bad(_nb(bytes=None), TypeError, "bytes-None"),
              bad(_widget(frames="205"), TypeError, "frames-str"), bad(_widget(errors=None), TypeError, "errors-None"),
              bad({**REPORT, "notebooks": ["02_expfam"]}, TypeError, "notebook-str"),
              bad({**REPORT, "failed": 3}, TypeError, "failed-int"),
              bad({**REPORT, "failed": [{"name": "01_em"}]}, ValueError, "failed-no-error")],
      totals=[bad("yes", TypeError), bad(2, TypeError), bad(None, TypeError)])
T.add("site.navigation", lambda: call(site.navigation, [("01_em", "01 · EM"), ("02_expfam", "02 · Families")], "02_expfam"),
      _check=lambda nav: nav.count('aria-current="page"') == 1,
      entries=[bad(None, TypeError), bad("01_em", TypeError), bad([("01_em",)], ValueError, "one-item"),
               bad([(1, "EM")], TypeError, "int-stem"), bad({"01_em": "EM"}, TypeError, "dict"),
               bad([("../x", "EM")], ValueError, "path-stem")],
      current=[bad(3, TypeError), bad("99_zz", ValueError, "not-a-page"), bad(("01_em",), TypeError)])
T.add("site.static_widget", lambda: call(site.static_widget, ENTRY, "frames/01_x/"),
      _check=lambda page: page.count('data-control="') == 2 and "</script>" in page,
      entry=[bad(None, TypeError), bad("entry", TypeError), bad({}, ValueError, "empty-dict"),
             derived(_without_default_frame, ValueError, "no-default-frame"),
             derived(lambda e: _control(e, kind="slider"), ValueError, "unknown-kind"),
             derived(lambda e: _control(e, default=99), ValueError, "default-out-of-range"),
             derived(_frame_labels, ValueError, "labels-per-control"),
             derived(lambda e: {**e, "mode": "grid"}, ValueError, "mode")],
      base=[bad(3, TypeError), bad(None, TypeError), bad("frames/01_x", ValueError, "no-slash"),
            bad('frames/"x/', ValueError, "quote")])
T.add("site.remote_resources", lambda: call(site.remote_resources, '<script src="https://cdn.example/x.js"></script>'),
      _check=lambda urls: urls == ["https://cdn.example/x.js"],
      page=[bad(None, TypeError), bad(3, TypeError), bad(b"<script></script>", TypeError),
            bad(["<script></script>"], TypeError), bad(Path("index.html"), TypeError, "a-path")])

# -- pre-rendering frames
T.add("site.frames.positions", lambda: call(frames.positions, widgets.IntSlider(value=3, min=0, max=10, step=2), limit=10),
      _check=lambda s: s["values"] == [0, 2, 3, 4, 6, 8, 10] and s["default"] == 2,
      control=[bad(None, TypeError), bad(3, TypeError), bad("slider", TypeError), bad(APP, TypeError, "the-app"),
               bad(widgets.IntSlider, TypeError, "the-class")],
      limit=[bad(1), bad(0), bad(2.5, TypeError), bad("10", TypeError), bad(True, TypeError), bad(None, TypeError)])
T.add("site.frames.frame_keys", lambda: call(frames.frame_keys, [2, 3], [0, 1], max_product=6),
      _check=lambda out: out[0] == "product" and len(out[1]) == 6,
      counts=[bad(None, TypeError), bad([0, 3], ValueError, "zero-count"), bad([2.5, 3], TypeError, "float"),
              bad("23", TypeError), bad([True, 3], TypeError, "bool")],
      defaults=[bad([2, 0], ValueError, "out-of-range"), bad([0], ValueError, "too-short"), bad(None, TypeError),
                bad([0.5, 1], TypeError, "float"), bad([-1, 0], ValueError, "negative")],
      max_product=POSITIVE_INT)
T.add("site.frames.prerender", lambda: call(frames.prerender, APP, max_product=100),
      _check=lambda found: len(found["frames"]) == 8 and [c["name"] for c in found["controls"]] == ["n", "plus"],
      app=[bad(None, TypeError), bad(3, TypeError), bad(widgets.IntSlider(), TypeError, "a-widget"),
           bad("app", TypeError), bad(TinyApp, TypeError, "the-class")],
      max_frames=POSITIVE_INT[:3], max_product=[bad(0), bad("4", TypeError)], max_mb=MAX_MB[:3])
T.add("site.frames.dump", lambda: call(dump_one_app, TMP / "dump"), _check=_dump_ok,
      folder=[bad(None, TypeError), bad(3, TypeError), bad(""), bad(A_FILE, NotADirectoryError, "a-file"),
              bad(A_FILE / "dump", NotADirectoryError, "under-a-file"), bad(b"/tmp/x", TypeError)],
      max_frames=POSITIVE_INT[:2], max_product=[bad(0)], max_mb=MAX_MB[:2])

T.install(globals())


def test_a_frame_budget_below_the_controls_still_finishes():
    """max_frames=1 with a 4-step slider: thinning kept the default and did not shrink (an endless loop)."""
    found = frames.prerender(TinyApp(), max_frames=1, max_product=100)
    n = next(c for c in found["controls"] if c["name"] == "n")
    assert n["values"][0] == 0 and n["values"][-1] == 3 and n["values"][n["default"]] == 1
    assert len(n["values"]) == 3 and found["mode"] == "axes" and len(found["frames"]) == 1 + 2 + 1  # within 2 per control
