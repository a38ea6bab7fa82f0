"""Keypress-to-pixels latency of a widget in a real browser (headless Chromium, Voila).

Opens a notebook with Voila, focuses a slider of its first app, and presses arrow keys. In the
page, a capturing ``keydown`` listener stamps each key press and a MutationObserver on the app's
``<img>`` stamps the moment the new PNG is decoded and the next animation frame is painted; the
latency is the difference, on the page's own clock. One JSON line per widget with ``notebook``,
``widget``, ``presses``, ``median_ms``, ``p95_ms``.

    python benchmarks/browser.py [--notebook all | 04_vae 07_flows ...] [--presses 40] [--check]

``all`` (the default) measures every notebook whose first app has a slider, one Voila server and
one fresh page per notebook. ``--check`` exits with status 1 when a median is over 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.servers import CHROMIUM_ARGS, free_port, stop, wait_http  # noqa: E402

PROBE = """(img) => {
  window.__lk = {keys: [], shown: []};
  document.addEventListener('keydown', () => window.__lk.keys.push(performance.now()), true);
  new MutationObserver(() => {
    img.decode().then(() => requestAnimationFrame(() => window.__lk.shown.push(performance.now())));
  }).observe(img, {attributes: true, attributeFilter: ['src']});
}"""


def measure(page, presses: int) -> list[float]:
    page.wait_for_selector(".lk-frame", state="attached", timeout=300_000)
    app = page.locator(".widget-hbox", has=page.locator(".lk-frame")).first
    img = app.locator("img.widget-image").first
    img.evaluate(PROBE)
    handle = app.locator(".widget-slider .noUi-handle").first
    handle.focus()
    latencies = []
    right = True
    for i in range(presses):
        shown = page.evaluate("window.__lk.shown.length")
        # five presses one way, five back; turn early at an end of the slider (a press there changes nothing)
        now, low, high = (float(handle.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
        if i % 5 == 0 and i:
            right = not right
        if now >= high - 1e-9:
            right = False
        elif now <= low + 1e-9:
            right = True
        page.keyboard.press("ArrowRight" if right else "ArrowLeft")
        page.wait_for_function(f"window.__lk.shown.length > {shown}", timeout=10_000)
        time.sleep(0.15)  # let any second frame land before the next press
        keys, frames = page.evaluate("[window.__lk.keys, window.__lk.shown]")
        key = keys[-1]
        latencies.append(min(t for t in frames if t >= key) - key)
    return latencies


#: keypress to pixels: the median must stay under this (issue #20)
BUDGET_MEDIAN_MS = 50.0


def notebooks() -> list[str]:
    return sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def measure_notebook(browser, base: str, notebook: str, presses: int) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{base}/voila/render/{notebook}.ipynb", timeout=300_000)
        ms = sorted(measure(page, presses))
        label = page.locator(".widget-hbox", has=page.locator(".lk-frame")).first.locator(
            ".widget-slider .widget-label").first.inner_text()
    finally:
        page.close()
    median = statistics.median(ms)
    return {"notebook": notebook, "widget": f"first app, slider {label.strip()}", "presses": len(ms),
            "median_ms": round(median, 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1),
            "max_ms": round(ms[-1], 1), "meets_budget": median < BUDGET_MEDIAN_MS}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", nargs="+", default=["all"], help="notebook stems, or all")
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--check", action="store_true", help="exit 1 when a median misses the budget")
    args = parser.parse_args(argv)
    names = notebooks() if args.notebook == ["all"] else args.notebook
    unknown = sorted(set(names) - set(notebooks()))
    if unknown:
        parser.error(f"--notebook: no executed notebook {', '.join(unknown)} in notebooks/ "
                     f"(choose from {', '.join(notebooks())})")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no Chromium found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "voila", str(ROOT / "notebooks"), "--no-browser",
                             f"--port={port}", "--Voila.ip=127.0.0.1"], env=dict(os.environ, TQDM_DISABLE="1"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        wait_http(f"{base}/voila/static/voila.js", proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for notebook in names:
                row = measure_notebook(browser, base, notebook, args.presses)
                rows.append(row)
                print(json.dumps(row), flush=True)
            browser.close()
    finally:
        stop(proc)
    return 1 if args.check and not all(r["meets_budget"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
