"""`make lab` serves JupyterLab on 127.0.0.1 behind a token."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from lecturekit.cli import lab_command


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str, token: str | None = None) -> int:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def test_lab_command_binds_localhost_with_a_token():
    argv, token = lab_command(port=9999, open_browser=False)
    assert "--ServerApp.ip=127.0.0.1" in argv and f"--IdentityProvider.token={token}" in argv
    assert len(token) >= 24
    assert not any("0.0.0.0" in a for a in argv)
    assert lab_command()[1] != lab_command()[1]  # fresh token each time


def test_lab_command_never_has_an_empty_token(monkeypatch):
    monkeypatch.setenv("JUPYTER_TOKEN", "")
    assert lab_command()[1]


def test_lab_command_bad_port():
    with pytest.raises(ValueError, match="port"):
        lab_command(port=70000)


def test_server_refuses_without_the_token_and_accepts_with_it(tmp_path):
    port = _free_port()
    argv, token = lab_command(port=port, open_browser=False, root_dir=tmp_path)
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if _status(f"{base}/api/status", token) == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, "JupyterLab exited at start-up"
            time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        assert _status(f"{base}/api/kernels") == 403
        assert _status(f"{base}/api/kernels", "wrong-token") == 403
        assert _status(f"{base}/api/kernels", token) == 200
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
