"""Move a control in a real browser and check that the picture shown is the one the kernel
computed for the new value.

Every FigureApp carries an invisible stamp (``.lk-frame``) with the SHA-256 of the PNG it sent
and the control values it drew it for. The test presses an arrow key on a slider handle, waits
for a new stamp whose values show the move, then hashes the bytes of the ``<img>`` the browser
displays and requires them to equal the stamp's hash. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import ROOT
from tests.support.servers import free_port, stop, wait_http

NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py")
                   if "lecturekit.widgets" in p.read_text() and p.with_suffix(".ipynb").exists())

IMAGE_SHA = """async (img) => {
  const buf = await (await fetch(img.src)).arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', buf);
  return Array.from(new Uint8Array(digest)).map(b => b.toString(16).padStart(2, '0')).join('');
}"""


def _stamp(app):
    el = app.locator(".lk-frame").first
    return el.get_attribute("data-sha256"), json.loads(el.get_attribute("data-values"))


def _wait(predicate, timeout=30.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def move_a_slider_and_verify(page, scope: str, screenshot: Path) -> dict:
    """Press arrow keys on the first app's sliders until its picture changes; verify the bytes."""
    page.wait_for_selector(f"{scope} .lk-frame", state="attached", timeout=240_000)
    app = page.locator(f"{scope} .widget-hbox", has=page.locator(".lk-frame")).first
    img = app.locator("img.widget-image").first
    _wait(lambda: _stamp(app)[0] == img.evaluate(IMAGE_SHA), what="the first frame to show")
    sha0, values0 = _stamp(app)
    sliders = app.locator(".widget-slider .noUi-handle")
    for i in range(sliders.count()):
        for key in ("ArrowRight", "ArrowLeft"):
            sliders.nth(i).focus()
            start = time.perf_counter()
            page.keyboard.press(key)
            try:
                _wait(lambda: _stamp(app)[0] != sha0, timeout=8, what="a new frame")
            except AssertionError:
                continue
            # the shown image must equal the kernel's latest frame (re-read: more may follow)
            _wait(lambda: img.evaluate(IMAGE_SHA) == _stamp(app)[0], what="the browser to show the new frame")
            sha1, values1 = _stamp(app)
            changed = {k for k in values1 if values1[k] != values0.get(k)}
            assert changed, "the frame changed but no control value did"
            elapsed_ms = 1000 * (time.perf_counter() - start)
            page.screenshot(path=str(screenshot), full_page=True)
            return {"changed": changed, "ms": elapsed_ms}
    raise AssertionError("no slider changed the picture")


@pytest.mark.parametrize("script", NOTEBOOKS, ids=lambda p: p.stem)
def test_voila_slider_updates_picture(script, browser, voila_server, artifacts):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{voila_server}/voila/render/{script.stem}.ipynb", timeout=300_000)
        result = move_a_slider_and_verify(page, "body", artifacts / f"voila_{script.stem}.png")
        assert result["changed"]
    finally:
        page.close()
    assert not errors, errors


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """JupyterLab on a temporary copy of the notebooks (autosave and pairing rewrite files)."""
    root = tmp_path_factory.mktemp("lab")
    work = root / "notebooks"
    shutil.copytree(ROOT / "notebooks", work, ignore=shutil.ignore_patterns("*.py", "jupytext.toml"))
    settings = root / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    from lecturekit.cli import lab_command

    port = free_port()
    argv, token = lab_command(port=port, open_browser=False, root_dir=work)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(root / "settings"), TQDM_DISABLE="1")
    proc = subprocess.Popen(argv + ["--LabApp.expose_app_in_browser=True"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/api/status?token={token}", proc)
        yield base, token
    finally:
        stop(proc)


LAB_NOTEBOOKS = [p for p in NOTEBOOKS if p.stem.startswith(("04", "01"))][-1:]


@pytest.mark.parametrize("script", LAB_NOTEBOOKS, ids=lambda p: p.stem)
def test_jupyterlab_run_all_then_slider_updates_picture(script, browser, lab_server, artifacts):
    base, token = lab_server
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    try:
        page.goto(f"{base}/lab/tree/{script.stem}.ipynb?token={token}&reset", timeout=120_000)
        page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=120_000)
        page.wait_for_function(
            "() => { const w = window.jupyterapp.shell.currentWidget;"
            " return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel"
            " && w.sessionContext.session.kernel.status === 'idle'; }", timeout=120_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        result = move_a_slider_and_verify(page, ".jp-OutputArea", artifacts / f"lab_{script.stem}.png")
        assert result["changed"]
    finally:
        page.close()
