"""Keypress-to-pixels latency of a widget in a real browser (headless Chromium, Voila).

Opens a notebook with Voila, focuses a slider of its first app, and presses arrow keys. In the
page, a capturing ``keydown`` listener stamps each key press and a MutationObserver on the app's
``<img>`` stamps the moment the new PNG is decoded and the next animation frame is painted; the
latency is the difference, on the page's own clock. One JSON line per widget with ``notebook``,
``widget``, ``presses``, ``median_ms``, ``p95_ms``.

    python benchmarks/browser.py [--notebook 04_vae] [--presses 40]
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
    for i in range(presses):
        shown = page.evaluate("window.__lk.shown.length")
        page.keyboard.press("ArrowRight" if (i // 5) % 2 == 0 else "ArrowLeft")
        page.wait_for_function(f"window.__lk.shown.length > {shown}", timeout=10_000)
        time.sleep(0.15)  # let any second frame land before the next press
        keys, frames = page.evaluate("[window.__lk.keys, window.__lk.shown]")
        key = keys[-1]
        latencies.append(min(t for t in frames if t >= key) - key)
    return latencies


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", default="04_vae")
    parser.add_argument("--presses", type=int, default=40)
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no Chromium found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "voila", str(ROOT / "notebooks"), "--no-browser",
                             f"--port={port}", "--Voila.ip=127.0.0.1"], env=dict(os.environ, TQDM_DISABLE="1"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/voila/static/voila.js", proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/voila/render/{args.notebook}.ipynb", timeout=300_000)
            ms = sorted(measure(page, args.presses))
            label = page.locator(".widget-hbox", has=page.locator(".lk-frame")).first.locator(
                ".widget-slider .widget-label").first.inner_text()
            browser.close()
    finally:
        stop(proc)
    print(json.dumps({"notebook": args.notebook, "widget": f"first app, slider {label.strip()}", "presses": len(ms),
                      "median_ms": round(statistics.median(ms), 1),
                      "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1), "max_ms": round(ms[-1], 1)}), flush=True)


if __name__ == "__main__":
    main()
