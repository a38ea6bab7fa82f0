"""The static site's pure parts: control positions, which frames to draw, the pre-rendering against
the widget's own redraw, the static widget and page checks, and the live-app registry it reads.
The browser test is tests/integration/test_site.py."""

from __future__ import annotations

import hashlib
import json

import ipywidgets as widgets
import nbformat
import pytest

from lecturekit import site
from lecturekit.site.frames import frame_keys, positions, prerender
from lecturekit.widgets._base import FigureApp, apps


class BarApp(FigureApp):
    """A bar whose length is n * scale (+ 1 when ``plus``); ``mode`` resets ``scale`` (a hook)."""

    figsize = (2.0, 1.2)
    dpi = 40

    def __init__(self, *, n_max: int = 4):
        controls = {"mode": widgets.Dropdown(options=[("one", 1.0), ("two", 2.0)], value=1.0),
                    "n": widgets.IntSlider(value=1, min=0, max=n_max),
                    "scale": widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.25),
                    "plus": widgets.Checkbox(value=False), "go": widgets.Button(description="go")}
        super().__init__(controls)

    def on_change(self, change):
        if change["owner"] is self.controls["mode"]:
            self.controls["scale"].value = 0.25 * change["new"]

    def setup(self, fig):
        ax = fig.add_subplot(1, 1, 1)
        ax.set_xlim(0, 12)
        self.bar = self.animated(ax.barh([0], [0])[0])

    def compute(self, mode, n, scale, plus):
        return mode * n * scale + plus

    def draw(self, result):
        self.bar.set_width(result)

    def readout(self, result):
        return f"{result:.3f}"


def _png_for(**values) -> bytes:
    """The frame a fresh app shows after these values are set one by one, as a reader would."""
    app = BarApp()
    for name, value in values.items():
        app.controls[name].value = value
    return app.image.value


# -- positions ---------------------------------------------------------------------------------
def test_positions_of_each_kind_of_control():
    s = positions(widgets.IntSlider(value=3, min=0, max=10, step=2))
    assert s["kind"] == "range" and s["values"] == [0, 2, 3, 4, 6, 8, 10] and s["default"] == 2  # 3 added
    f = positions(widgets.FloatSlider(value=0.3, min=0.0, max=0.5, step=0.1, readout_format=".1f"))
    assert f["values"] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5] and f["default"] == 3 and f["labels"][3] == "0.3"
    d = positions(widgets.Dropdown(options=[("a", 10), ("b", 20)], value=20))
    assert d == {"kind": "select", "values": [0, 1], "labels": ["a", "b"], "default": 1}
    assert positions(widgets.SelectionSlider(options=["x", "y", "z"], value="y"))["kind"] == "range"
    assert positions(widgets.Checkbox(value=True)) == {"kind": "checkbox", "values": [False, True],
                                                       "labels": ["off", "on"], "default": 1}
    for fixed in (widgets.Button(), widgets.Play(), widgets.Text("t"), widgets.HBox([]),
                  widgets.IntSlider(disabled=True)):
        assert positions(fixed) is None


def test_positions_thin_long_sliders_keeping_the_ends_and_the_default():
    s = positions(widgets.IntSlider(value=37, min=0, max=999), limit=10)
    assert len(s["values"]) <= 11 and s["values"][0] == 0 and s["values"][-1] == 999
    assert s["values"][s["default"]] == 37 and s["values"] == sorted(s["values"])
    with pytest.raises(ValueError, match="limit"):
        positions(widgets.IntSlider(), limit=1)


def test_frame_keys_product_when_small_else_one_control_at_a_time():
    mode, keys = frame_keys([2, 3], [0, 1], max_product=6)
    assert mode == "product" and len(keys) == 6 and len(set(keys)) == 6
    mode, keys = frame_keys([2, 3], [0, 1], max_product=5)
    assert mode == "axes" and keys[0] == (0, 1) and len(keys) == 1 + 1 + 2
    assert all(sum(k != d for k, d in zip(key, (0, 1))) <= 1 for key in keys)
    with pytest.raises(ValueError, match="defaults"):
        frame_keys([2, 3], [2, 0], max_product=5)


# -- pre-rendering against the widget's own redraw ------------------------------------------------
@pytest.mark.parametrize("max_product", [1000, 4])
def test_every_frame_is_the_bytes_the_widget_shows_for_those_values(max_product):
    app = BarApp()
    found = prerender(app, max_frames=2000, max_product=max_product)
    names = [c["name"] for c in found["controls"]]
    assert names == ["mode", "n", "scale", "plus"]  # the button is not a position
    assert found["mode"] == ("product" if max_product == 1000 else "axes")
    assert len(found["frames"]) == (2 * 5 * 5 * 2 if max_product == 1000 else 1 + 1 + 4 + 4 + 1)
    specs = {c["name"]: c for c in found["controls"]}
    checked = 0
    for key, frame in found["frames"].items():
        idx = dict(zip(names, map(int, key.split(","))))
        moved = {n: i for n, i in idx.items() if i != specs[n]["default"]}
        values = {}
        for n, i in moved.items():  # set in the app's order, as a reader would
            values[n] = specs[n]["values"][i] if n != "mode" else [1.0, 2.0][i]
        png = _png_for(**values)
        assert frame["sha256"] == hashlib.sha256(png).hexdigest(), (key, values)
        assert found["pngs"][frame["sha256"]] == png
        checked += 1
    assert checked == len(found["frames"])
    # the hook moved scale when mode moved alone: the state says where it stood
    alone = ",".join(str(1 if n == "mode" else specs[n]["default"]) for n in names)
    frame = found["frames"][alone]
    assert frame["labels"][2] == "0.50" and frame["readout"] == f"{2.0 * 1 * 0.5:.3f}"
    assert app.values()["n"] == 1 and app.values()["mode"] == 1.0  # left at its defaults


def test_the_frame_budget_thins_the_longest_control():
    found = prerender(BarApp(n_max=400), max_frames=60, max_product=10)
    assert len(found["frames"]) <= 60
    n = next(c for c in found["controls"] if c["name"] == "n")
    assert n["values"][0] == 0 and n["values"][-1] == 400 and n["values"][n["default"]] == 1


def test_apps_registry_and_batch_redraw_once():
    app = BarApp()
    assert app in apps() and apps().index(app) == len(apps()) - 1
    before = app.redraws
    with app.batch():
        app.controls["n"].value = 3
        app.controls["plus"].value = True
        assert app.redraws == before  # nothing drawn inside the batch
    assert app.redraws == before + 1 and app.result == 1.0 * 3 * 0.5 + 1
    assert app.image.value == _png_for(n=3, plus=True)


# -- the page -------------------------------------------------------------------------------------
def _entry():
    found = prerender(BarApp(), max_frames=2000, max_product=4)
    found.pop("pngs")
    return {"app": "BarApp", "models": ["m1", "m0"], "width": "80px", "height": "48px", "bytes": 1234,
            "seconds": 0.1, **found}


def test_static_widget_shows_the_default_frame_and_carries_the_table():
    entry = _entry()
    page = site.static_widget(entry, "frames/01_x/")
    default = entry["frames"][",".join(str(c["default"]) for c in entry["controls"])]
    assert f'src="frames/01_x/{default["sha256"][:20]}.png"' in page
    assert page.count('data-control="') == 4 and '<select data-control="0"' in page
    assert 'type="checkbox" data-control="3"' in page and 'max="4"' in page
    data = json.loads(page.split('class="lk-data">')[1].split("</script>")[0])
    assert data["mode"] == "axes" and len(data["frames"]) == len(entry["frames"])
    other = next(k for k in entry["frames"] if k != ",".join(str(c["default"]) for c in entry["controls"]))
    entry["frames"][other]["readout"] = "</script><b>x</b>"  # inside the JSON table it cannot end the script
    assert page.count("</script>") == 1 and site.static_widget(entry, "f/").count("</script>") == 1
    del entry["frames"][",".join(str(c["default"]) for c in entry["controls"])]
    with pytest.raises(ValueError, match="no frame at its defaults"):
        site.static_widget(entry, "f/")


def test_widget_outputs_are_replaced_and_stray_views_dropped():
    nb = nbformat.v4.new_notebook()
    view = {"output_type": "display_data", "metadata": {},
            "data": {"text/plain": "HBox()", site._WIDGET: {"model_id": "m0", "version_major": 2}}}
    stray = {"output_type": "display_data", "metadata": {},
             "data": {"text/plain": "IntProgress()", site._WIDGET: {"model_id": "zz"}}}
    text = {"output_type": "stream", "name": "stdout", "text": "hello"}
    nb.cells = [nbformat.v4.new_code_cell("app", outputs=[text, view, stray])]
    entry, unseen = _entry(), {**_entry(), "models": ["elsewhere"]}
    assert site._replace_widgets(nb, [entry, unseen], "frames/01_x/") == [entry]
    outs = nb.cells[0].outputs
    assert len(outs) == 2 and outs[0] == text and "lk-static" in outs[1]["data"]["text/html"]


def test_navigation_follows_the_lecture_and_marks_the_page():
    entries = [("01_em", "01 · EM <and> bounds"), ("02_expfam", "02 · Exponential families")]
    nav = site.navigation(entries, "02_expfam")
    assert nav.index("01_em.html") < nav.index("02_expfam.html") and nav.count('aria-current="page"') == 1
    assert 'href="02_expfam.html" aria-current="page"' in nav and "<and>" not in nav
    pager = site.pager(entries, "01_em")
    assert "02_expfam.html" in pager and "01_em.html" not in pager


def test_remote_resources_finds_loads_not_links():
    page = ('<a href="https://arxiv.org/abs/1">paper</a><script src="_static/site.js"></script>'
            '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//fonts.example/a.css">'
            '<img src="data:image/png;base64,AA"><img src="frames/a.png"><iframe src="http://x.example/"></iframe>')
    assert site.remote_resources(page) == ["https://cdn.example/x.js", "//fonts.example/a.css", "http://x.example/"]


def test_build_refuses_a_folder_that_is_not_a_site(tmp_path):
    (tmp_path / "thesis.tex").write_text("keep me")
    with pytest.raises(ValueError, match="not empty and holds no lecturekit site"):
        site.build(tmp_path, ["02"])
    assert (tmp_path / "thesis.tex").read_text() == "keep me"
    with pytest.raises(TypeError, match="notebooks"):
        site.build(tmp_path / "new", "02")


def test_summary_reports_time_and_megabytes_per_widget():
    report = {"out": "public", "seconds": 75.2, "bytes": 30 * 2**20, "mathjax_bytes": 8 * 2**20, "notebooks": [
        {"name": "02_expfam", "seconds": 40.4, "bytes": 7 * 2**20, "widgets": [
            {"app": "ConjugateDuality", "frames": 205, "mode": "axes", "bytes": 3 * 2**19, "seconds": 24.0,
             "errors": 2}]}]}
    lines = site.summary(report).splitlines()
    assert lines[0] == "02_expfam: 40 s, 7.0 MB"
    assert lines[1] == "  ConjugateDuality: 205 frames (axes), 1.50 MB, 24.0 s, 2 frames failed"
    assert lines[2].startswith("site: public (30.0 MB, MathJax 8.0 MB) built in 75 s")
    assert site.summary(report, totals=False).splitlines() == lines[:2]
    report["notebooks"][0]["widgets_not_shown"] = 1
    assert site.summary(report).splitlines()[0] == "02_expfam: 40 s, 7.0 MB (1 widget built but not displayed: left out)"


def test_the_size_budget_thins_frames_to_fit():
    app = BarApp(n_max=400)
    per_frame = len(app.image.value)
    found = prerender(app, max_frames=2000, max_product=10, max_mb=60 * per_frame / 2**20)
    assert len(found["frames"]) <= 60 and sum(map(len, found["pngs"].values())) <= 60 * 1.5 * per_frame
    n = next(c for c in found["controls"] if c["name"] == "n")
    assert n["values"][0] == 0 and n["values"][-1] == 400 and n["values"][n["default"]] == 1
    with pytest.raises(ValueError, match="max_mb"):
        site.build("unused", ["02"], max_mb=0)
