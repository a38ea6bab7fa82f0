"""Real-browser tests: headless Chromium driven by Playwright against Voila and JupyterLab.

Where no Chromium is installed they are skipped with the reason, except under CI (CI=true),
where a missing browser is a failure. `.ci/run` installs Debian's chromium first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.support import ROOT
from tests.support.servers import CHROMIUM_ARGS, free_port, stop, wait_http

ARTIFACTS = ROOT / "artifacts" / "browser"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing under CI: .ci/run should have installed Debian's chromium")
        pytest.skip("no Chromium on this machine (apt-get install chromium); browser tests skipped")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def voila_server():
    """Voila serving notebooks/ on 127.0.0.1; each page load runs its notebook in a fresh kernel."""
    port = free_port()
    env = dict(os.environ, TQDM_DISABLE="1")
    proc = subprocess.Popen([sys.executable, "-m", "voila", str(ROOT / "notebooks"), "--no-browser",
                             f"--port={port}", "--Voila.ip=127.0.0.1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/voila/static/voila.js", proc)
        yield base
    finally:
        stop(proc)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
