"""`lecturekit link` builds nbgitpuller's link, and deploy/jupyterhub/jupyterhub_config.py turns its
settings into the right JupyterHub configuration (the hub itself runs in tests/integration/test_hub.py)."""

from __future__ import annotations

import subprocess
import sys
import urllib.parse

import pytest

from lecturekit import hub
from tests.support import ROOT

DEPLOY = ROOT / "deploy" / "jupyterhub"


def _parts(link: str):
    url = urllib.parse.urlsplit(link)
    return url, dict(urllib.parse.parse_qsl(url.query))


def test_link_has_nbgitpullers_shape():
    link = hub.nbgitpuller_link("https://hub.example.edu", "01", repo="https://github.com/stat212/lecturekit.git",
                                branch="main")
    url, query = _parts(link)
    assert (url.scheme, url.netloc, url.path) == ("https", "hub.example.edu", "/hub/user-redirect/git-pull")
    assert query == {"repo": "https://github.com/stat212/lecturekit.git", "branch": "main",
                     "urlpath": "lab/tree/lecturekit/notebooks/01_em.ipynb", "targetPath": "lecturekit"}
    # the same parameter order as nbgitpuller's link generator
    assert [k for k, _ in urllib.parse.parse_qsl(url.query)] == ["repo", "urlpath", "branch", "targetPath"]


def test_link_keeps_the_hubs_base_path_and_leaves_the_branch_to_the_repository():
    url, query = _parts(hub.nbgitpuller_link("https://u.edu/stat212/", "04_vae", repo="/srv/course.git"))
    assert url.path == "/stat212/hub/user-redirect/git-pull"
    assert "branch" not in query
    assert query["urlpath"] == "lab/tree/course/notebooks/04_vae.ipynb" and query["targetPath"] == "course"


@pytest.mark.parametrize("repo, folder", [
    ("https://github.com/org/course.git", "course"), ("https://github.com/org/course", "course"),
    ("git@github.com:org/course.git", "course"), ("/srv/course.git/", "course"), ("file:///srv/c.bundle", "c"),
])
def test_the_clone_folder_follows_gits_rule(repo, folder):
    assert _parts(hub.nbgitpuller_link("http://h", "01", repo=repo))[1]["targetPath"] == folder


def test_voila_target_and_a_repository_path():
    _, q = _parts(hub.nbgitpuller_link("http://h", "notebooks/hw/hw1.ipynb", repo="r.git", app="voila", target="stat"))
    assert q["urlpath"] == "voila/render/stat/notebooks/hw/hw1.ipynb" and q["targetPath"] == "stat"


@pytest.mark.parametrize("kwargs, needle", [
    ({"hub": "ftp://h"}, "hub must be"), ({"hub": "hub.example.edu"}, "hub must be"),
    ({"hub": "http://h?x=1"}, "hub must be"), ({"app": "rstudio"}, "app must be"),
    ({"target": "a/b"}, "target must be"), ({"target": ".."}, "target must be"),
    ({"notebook": "99"}, "notebook must be"), ({"notebook": "/etc/hw.ipynb"}, "notebook must be"),
    ({"notebook": "../hw.ipynb"}, "notebook must be"), ({"repo": ""}, "repo must be"),
])
def test_bad_arguments_are_refused_by_name(kwargs, needle):
    args = {"hub": "http://h", "notebook": "01", "repo": "r.git"} | kwargs
    with pytest.raises(ValueError, match=needle):
        hub.nbgitpuller_link(args.pop("hub"), args.pop("notebook"), **args)


def test_default_repo_is_the_checkouts_origin(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with pytest.raises(ValueError, match="pass --repo"):
        hub.default_repo(tmp_path)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", "https://example.edu/c.git"], check=True)
    assert hub.default_repo(tmp_path) == "https://example.edu/c.git"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "lecturekit", "link", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_prints_the_link_and_errors_in_one_line():
    out = _cli("--hub", "https://hub.example.edu", "--repo", "https://example.edu/course.git", "01_em")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == hub.nbgitpuller_link("https://hub.example.edu", "01",
                                                      repo="https://example.edu/course.git")
    bad = _cli("--hub", "nope", "--repo", "r", "01")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "hub must be" in bad.stderr
    assert _cli("01").returncode == 2  # --hub is required


# ---- the deployment's configuration file ---------------------------------------------------------

def _load(monkeypatch, tmp_path, **settings):
    from traitlets.config.loader import PyFileConfigLoader

    for key in list(__import__("os").environ):
        if key.startswith("LECTUREKIT_HUB_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("LECTUREKIT_HUB_DATA", str(tmp_path / "hub"))
    for key, value in settings.items():
        monkeypatch.setenv(f"LECTUREKIT_HUB_{key}", value)
    return PyFileConfigLoader("jupyterhub_config.py", path=str(DEPLOY)).load_config()


def _authenticator(cfg):
    from jupyterhub.app import JupyterHub

    return JupyterHub(config=cfg).authenticator_class


def test_config_defaults_native_sign_up_real_accounts_shared_cache_and_culler(monkeypatch, tmp_path):
    cfg = _load(monkeypatch, tmp_path)
    assert _authenticator(cfg).__name__ == "NativeAuthenticator"
    assert cfg.NativeAuthenticator.open_signup is False  # an admin approves each sign-up
    assert cfg.JupyterHub.spawner_class == "localprocess"
    assert cfg.Spawner.environment["LECTUREKIT_SHARED_CACHE"] == "/srv/lecturekit/cache"
    assert cfg.Spawner.mem_limit == "3G" and cfg.Spawner.cpu_limit == 1.0
    (culler,) = cfg.JupyterHub.services
    assert culler["command"][1:3] == ["-m", "jupyterhub_idle_culler"] and "--timeout=3600" in culler["command"]
    (role,) = cfg.JupyterHub.load_roles
    assert role["services"] == ["idle-culler"] and "delete:servers" in role["scopes"]
    assert (tmp_path / "hub").is_dir() and cfg.JupyterHub.db_url.endswith("hub/jupyterhub.sqlite")


def test_config_workshop_password_and_its_guard(monkeypatch, tmp_path):
    cfg = _load(monkeypatch, tmp_path, AUTH="dummy", PASSWORD="board-password")
    cls = _authenticator(cfg)
    assert cls.__name__ == "SharedPasswordAuthenticator"
    assert cls(config=cfg).user_password == "board-password"
    assert _authenticator(_load(monkeypatch, tmp_path, AUTH="dummy", IP="127.0.0.1")).__name__ == "DummyAuthenticator"
    with pytest.raises(ValueError, match="lets anybody in"):
        _load(monkeypatch, tmp_path, AUTH="dummy")  # no password, all interfaces
    with pytest.raises(ValueError, match="at least 8"):
        _authenticator(cfg := _load(monkeypatch, tmp_path, AUTH="dummy", PASSWORD="short"))(config=cfg)


def test_config_lti_needs_its_registration_values(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="LECTUREKIT_HUB_LTI_ISSUER.*LECTUREKIT_HUB_LTI_JWKS_URL"):
        _load(monkeypatch, tmp_path, AUTH="lti")
    cfg = _load(monkeypatch, tmp_path, AUTH="lti", LTI_ISSUER="https://lms.example.edu", LTI_CLIENT_ID="a1, b2",
                LTI_AUTHORIZE_URL="https://lms.example.edu/auth", LTI_JWKS_URL="https://lms.example.edu/jwks")
    auth = _authenticator(cfg)(config=cfg)
    assert type(auth).__name__ == "LTI13Authenticator"
    assert auth.client_id == {"a1", "b2"} and auth.issuer == "https://lms.example.edu" and auth.username_key == "sub"


def test_config_roster_admins_limits_and_bad_values(monkeypatch, tmp_path):
    roster = tmp_path / "roster.txt"
    roster.write_text("alice\nbob\n")
    cfg = _load(monkeypatch, tmp_path, ROSTER=str(roster), ADMINS="prof, ta", CPU_LIMIT="2", MEM_LIMIT="6G",
                SHARED_CACHE="/data/models", CULL_TIMEOUT="900")
    assert cfg.Authenticator.allowed_users == {"alice", "bob"} and "allow_all" not in cfg.Authenticator
    assert cfg.Authenticator.admin_users == {"prof", "ta"}
    assert cfg.Spawner.environment["OMP_NUM_THREADS"] == "2" and cfg.Spawner.mem_limit == "6G"
    assert cfg.Spawner.environment["LECTUREKIT_SHARED_CACHE"] == "/data/models"
    assert "--timeout=900" in cfg.JupyterHub.services[0]["command"]
    with pytest.raises(ValueError, match="LECTUREKIT_HUB_AUTH must be one of"):
        _load(monkeypatch, tmp_path, AUTH="ldap")
    with pytest.raises(ValueError, match="LECTUREKIT_HUB_CULL_TIMEOUT must be a positive number"):
        _load(monkeypatch, tmp_path, CULL_TIMEOUT="soon")


def test_proxy_is_pinned_for_npm():
    import json

    pinned = json.loads((DEPLOY / "package.json").read_text())["dependencies"]["configurable-http-proxy"]
    locked = json.loads((DEPLOY / "package-lock.json").read_text())["packages"]
    assert pinned[0].isdigit() and locked["node_modules/configurable-http-proxy"]["version"] == pinned


def test_capacity_benchmark_parses_its_arguments():
    """The capacity benchmark itself runs for minutes (benchmarks/, not the suite): check its arguments."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("capacity", ROOT / "benchmarks" / "capacity.py")
    capacity = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(capacity)
    args = capacity.parse_args(["--students", "1,2,4", "--notebook", "04", "--timeout", "60"])
    assert args.students == [1, 2, 4] and args.notebook == "04" and args.timeout == 60
    assert capacity.parse_args([]).students == [1, 2, 4, 8]
    for bad in (["--students", "0,2"], ["--students", "two"], ["--students", ""], ["--timeout", "0"]):
        with pytest.raises(SystemExit):
            capacity.parse_args(bad)
    cells = capacity.code_cells(ROOT / "notebooks" / "04_vae.py")
    assert cells and not any("NBVAL_SKIP" in c for c in cells)
