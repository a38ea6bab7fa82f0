"""The static course site in a real browser, served from a folder on 127.0.0.1 with no kernel.

``lecturekit site`` builds notebook 02 (quick: no training); every request that leaves the
loopback interface is blocked and recorded, and none may be attempted. Pressing ArrowRight k
times on the θ₁ slider must show a picture whose bytes hash to the frame a widget built here, in
this process, draws for θ₁ = default + k·step; choosing another family likewise. The page's math
must be typeset by the MathJax copied into the site.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from urllib.parse import urlparse

import pytest

from tests.integration.test_browser import IMAGE_SHA
from tests.support import ROOT
from tests.support.servers import free_port, stop, wait_http

NOTEBOOK = "02_expfam"
MATHJAX = ROOT / "deploy" / "site" / "node_modules" / "mathjax" / "es5" / "tex-chtml-full.js"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not MATHJAX.exists():
        message = "MathJax is not installed: make site-assets (npm ci --prefix deploy/site)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    out = tmp_path_factory.mktemp("site") / "out"
    env = {k: v for k, v in os.environ.items() if k != "LECTUREKIT_PRESENT"}
    env.update(TQDM_DISABLE="1", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "lecturekit", "site", str(out), "02"], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ConjugateDuality" in done.stdout and "MB" in done.stdout and "built in" in done.stdout, done.stdout
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                             "--directory", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/index.html", proc)
        yield f"http://127.0.0.1:{port}", out
    finally:
        stop(proc)


@pytest.fixture()
def kernel_app(monkeypatch):
    """The notebook's widget, built the way its cell builds it, at the notebook's own scale."""
    monkeypatch.delenv("LECTUREKIT_PRESENT", raising=False)
    from lecturekit.widgets.expfam import conjugate_duality

    return conjugate_duality("Bernoulli")


def _offline_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    attempted, failed = [], []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return context, page, attempted, failed


def _shown(img, old: str | None = None, timeout: float = 10.0) -> str:
    deadline = time.time() + timeout
    while True:
        sha = img.get_attribute("data-sha256")
        if sha != old or time.time() > deadline:
            return sha
        time.sleep(0.05)


def test_every_frame_a_page_names_is_in_the_site(site):
    _, out = site
    page = (out / f"{NOTEBOOK}.html").read_text()
    tables = [json.loads(t) for t in re.findall(r'class="lk-data"[^>]*>(.*?)</script>', page, re.S)]
    assert len(tables) == 1 and len(tables[0]["frames"]) > 100
    for frame in tables[0]["frames"].values():
        png = (out / tables[0]["base"] / f"{frame['sha256'][:20]}.png").read_bytes()
        assert hashlib.sha256(png).hexdigest() == frame["sha256"]
    assert (out / "_static" / "mathjax" / "tex-chtml-full.js").is_file()


def test_site_slider_shows_the_kernels_frame_offline_with_typeset_math(browser, site, kernel_app):
    base, out = site
    context, page, attempted, failed = _offline_page(browser)
    try:
        page.goto(f"{base}/index.html")
        page.click(f"a[href='{NOTEBOOK}.html'] >> nth=-1")
        page.wait_for_url(f"**/{NOTEBOOK}.html")
        # math: typeset by the site's own MathJax, no TeX left in the prose
        page.wait_for_function("() => document.querySelectorAll('mjx-container').length >= 20", timeout=60_000)
        assert page.locator("mjx-merror").count() == 0
        prose = page.locator(".jp-MarkdownCell").all_inner_texts()
        assert not [t for t in prose if "\\theta" in t or "\\mathbb" in t]
        widget = page.locator(".lk-static").first
        img = widget.locator("img.lk-image")
        t1 = kernel_app.controls["theta1"]
        # the default frame is the kernel's default frame, fetched byte for byte
        assert img.evaluate(IMAGE_SHA) == hashlib.sha256(kernel_app.image.value).hexdigest()
        k = 7
        slider = widget.locator("input[aria-label='θ₁']")
        slider.focus()
        sha = img.get_attribute("data-sha256")
        for _ in range(k):
            page.keyboard.press("ArrowRight")
            sha = _shown(img, sha)
        value = round(t1.value + k * t1.step, 12)
        t1.value = value
        expected = hashlib.sha256(kernel_app.image.value).hexdigest()
        assert widget.locator("output[data-readout='1']").inner_text() == f"{value:.2f}"
        page.wait_for_function("e => e.complete && e.naturalWidth > 0", arg=img.element_handle())
        assert img.evaluate(IMAGE_SHA) == expected
        # a selection: the kernel's frame for another family (θ at that family's defaults)
        kernel_app.controls["family"].value = "Gaussian"
        widget.locator("select[aria-label='family']").select_option(label="Gaussian")
        _shown(img, expected)
        assert img.evaluate(IMAGE_SHA) == hashlib.sha256(kernel_app.image.value).hexdigest()
        assert attempted == [], f"requests left the loopback interface: {attempted[:5]}"
        # the guard sees what a page tries: a fetch to another host is recorded (and blocked)
        page.evaluate("() => fetch('http://192.0.2.1/probe.js').catch(() => null)")
        assert attempted == ["http://192.0.2.1/probe.js"]
        assert failed == [], f"files missing from the site: {failed[:5]}"
    finally:
        context.close()


def _tiny_notebook(folder, stem: str, title: str, code: str):
    """A notebook pair ``stem``.py / ``stem``.ipynb with a heading and one code cell."""
    import nbformat

    (folder / f"{stem}.py").write_text(f"# %% [markdown]\n# # {title}\n\n# %%\n{code}\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {title}"),
                                         nbformat.v4.new_code_cell(code)],
                                  metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nbformat.write(nb, folder / f"{stem}.ipynb")
    return folder / f"{stem}.py"


def test_keep_going_builds_the_others_and_shows_the_failure(tmp_path):
    """``--keep-going``: a notebook that raises gets an error page (not a missing or stale one), the
    index marks it, the next notebook is still built, and the exit status is 1; without the flag the
    build stops at the failure."""
    if not MATHJAX.exists():
        pytest.skip("MathJax is not installed: make site-assets (npm ci --prefix deploy/site)")
    bad = _tiny_notebook(tmp_path, "91_broken", "A broken notebook", "raise ZeroDivisionError('on purpose')")
    good = _tiny_notebook(tmp_path, "92_fine", "A fine notebook", "print(6 * 7)")
    env = {**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"}
    run = lambda out, *flags: subprocess.run([sys.executable, "-m", "lecturekit", "site", str(out), str(bad),
                                              str(good), *flags], env=env, capture_output=True, text=True,
                                             timeout=600)
    stopped = run(tmp_path / "stop")
    assert stopped.returncode != 0 and "91_broken" in stopped.stderr, stopped.stderr[-2000:]
    assert not (tmp_path / "stop" / "92_fine.html").exists()  # stopped at the first failure

    done = run(tmp_path / "site", "--keep-going")
    assert done.returncode == 1, done.stderr[-2000:]
    assert "91_broken" in done.stderr.splitlines()[-1] and "FAILED" in done.stdout, (done.stdout, done.stderr)
    broken = (tmp_path / "site" / "91_broken.html").read_text()
    assert "failed to" in broken and "ZeroDivisionError" in broken and "on purpose" in broken
    assert "42" in (tmp_path / "site" / "92_fine.html").read_text()
    index = (tmp_path / "site" / "index.html").read_text()
    assert "failed to execute" in index and "92_fine.html" in index
