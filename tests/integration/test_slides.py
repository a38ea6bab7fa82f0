"""A live deck in a real browser: JupyterLab with jupyterlab-slideshow's presentation mode on, as
``lecturekit slides`` starts it (projector mode in the kernel, news pop-up off).

Run all cells, go to the first slide, step forward with the deck's own command until the slide
with the widget is on screen, press an arrow key on its slider and require a new picture whose
bytes are the kernel's (the ``.lk-frame`` stamp); in projector mode the picture is at least 60% of
a 1920-px viewport. A screenshot of the slide goes to docs/screenshots/deck.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.integration.test_browser import IMAGE_SHA, _stamp, _wait
from tests.support import ROOT
from tests.support.servers import free_port, stop, wait_http

NOTEBOOK = "02_expfam"  # quick to run: no training
SCREENSHOT = ROOT / "docs" / "screenshots" / "deck.png"


@pytest.fixture(scope="module")
def deck_server(tmp_path_factory):
    from lecturekit import slides

    root = tmp_path_factory.mktemp("deck")
    work = root / "notebooks"
    work.mkdir()
    shutil.copy(ROOT / "notebooks" / f"{NOTEBOOK}.ipynb", work)
    port = free_port()
    argv, env, url = slides.slides_command(work / f"{NOTEBOOK}.ipynb", root / "settings", port=port, scale=1.5,
                                           open_browser=False)
    env["TQDM_DISABLE"] = "1"
    proc = subprocess.Popen(argv + ["--LabApp.expose_app_in_browser=True"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(url.replace(f"/lab/tree/{NOTEBOOK}.ipynb", "/api/status"), proc)
        yield url
    finally:
        stop(proc)


def test_deck_slide_with_a_widget_moves_its_picture_in_projector_mode(browser, deck_server):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        page.goto(deck_server + "&reset", timeout=120_000)
        page.wait_for_function(
            "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
            " return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel"
            " && w.sessionContext.session.kernel.status === 'idle'; }", timeout=120_000)
        # the deck is on from the settings lecturekit slides writes: no toast, no news
        assert page.locator(".jp-NotebookPanel.jp-Deck").count() == 1
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_selector(".lk-frame", state="attached", timeout=240_000)
        app = page.locator(".jp-OutputArea .lk-app").first
        img = app.locator("img.widget-image").first
        _wait(lambda: img.evaluate(IMAGE_SHA) == _stamp(app)[0], what="the first frame")
        # from the first slide, forward with the deck's command until the widget's cell is on screen
        page.evaluate("() => { const nb = window.jupyterapp.shell.currentWidget.content; nb.activeCellIndex = 0; }")
        onscreen = ("() => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).map((c, i) =>"
                    " c.classList.contains('jp-deck-mod-onscreen') ? i : -1).filter(i => i >= 0)")
        target = page.evaluate("() => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'))"
                               ".findIndex(c => c.querySelector('.lk-app'))")
        assert target > 0
        steps = 0
        while target not in page.evaluate(onscreen):
            page.evaluate("() => window.jupyterapp.commands.execute('deck:forward')")
            page.wait_for_timeout(200)
            steps += 1
            assert steps < 80, f"the deck never reached the widget's cell {target}: on screen {page.evaluate(onscreen)}"
        assert steps >= 3  # the widget is not on the title slide: the deck really moved
        _wait(lambda: img.evaluate("e => getComputedStyle(e).visibility") == "visible", what="the slide to show")
        box = img.bounding_box()
        assert box["width"] >= 0.6 * 1920, box  # projector mode fills the screen
        assert 0 <= box["x"] and box["x"] + box["width"] <= 1920
        sha0 = _stamp(app)[0]
        app.locator(".widget-slider .noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        _wait(lambda: _stamp(app)[0] != sha0, what="a new frame from the kernel")
        _wait(lambda: img.evaluate(IMAGE_SHA) == _stamp(app)[0], what="the browser to show the new frame")
        assert img.evaluate(IMAGE_SHA) != sha0
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
    finally:
        page.close()
