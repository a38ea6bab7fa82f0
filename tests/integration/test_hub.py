"""A class on JupyterHub, on loopback: deploy/jupyterhub/jupyterhub_config.py with its real proxy
(configurable-http-proxy from the npm registry), the idle culler as a managed service, nbgitpuller,
and Chromium for the students.

Two students log in through the hub's login form and get their own servers; each is refused the
other's (403); one follows a `lecturekit link` to notebook 01, moves a slider and sees the image
change; a model in the shared read-only cache loads without training, and a missing one trains into
the student's own cache; the culler stops an idle server.

Students here are not system accounts: JupyterHub's SimpleLocalProcessSpawner runs each as the
user running the tests, with a HOME of their own in a temporary folder. Where that user is root
(CI), each student's server runs under `setpriv` with every capability dropped, so a folder owned
by another account is really read-only to the student, as it is to a real student account. Real
deployments use real accounts (LocalProcessSpawner, the config's default).

Start-up times are written to artifacts/hub/timings.json.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.support import ROOT
from tests.support.servers import free_port, stop, wait_http

pytestmark = pytest.mark.slow

DEPLOY = ROOT / "deploy" / "jupyterhub"
PROXY = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
ARTIFACTS = ROOT / "artifacts" / "hub"
PASSWORD = "workshop-" + uuid.uuid4().hex[:8]  # the workshop's shared password
STUDENTS = ("alice", "bob")
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
TIMINGS: dict[str, float] = {}

# The same cell defines the tiny model when the cache is warmed and in the student's kernel: the
# cache key hashes build's and fit's source, so both runs must see the same text.
TINY_MODEL = '''\
import json, os, warnings
import torch
from lecturekit import checkpoint
from lecturekit.train import History

FIT_CALLS = []


def build(hidden_dim):
    return torch.nn.Sequential(torch.nn.Linear(2, hidden_dim), torch.nn.Tanh(), torch.nn.Linear(hidden_dim, 1))


def fit(module, *, generator, num_steps):
    FIT_CALLS.append(num_steps)
    x = torch.randn(128, 2, generator=generator)
    y = x[:, :1] * x[:, 1:]
    opt = torch.optim.Adam(module.parameters(), lr=0.02)
    losses = []
    for _ in range(num_steps):
        loss = (module(x) - y).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return History(loss=losses)
'''
WARM_CELL = 'model, history = checkpoint.cached("hub-tiny", build=build, model={"hidden_dim": 4}, fit=fit, train={"num_steps": 200, "seed": 0})\n'
CHECK_CELL = '''\
def cache_files():
    shared = checkpoint.shared_cache_dirs()[0]
    return sorted(p.name for p in shared.glob("*.pt")), sorted(p.name for p in checkpoint.cache_dir().glob("*.pt"))

before = cache_files()
fit_calls = len(FIT_CALLS)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model, history = checkpoint.cached("hub-tiny", build=build, model={"hidden_dim": HIDDEN}, fit=fit,
                                       train={"num_steps": 200, "seed": 0})
print(json.dumps({
    "fit_calls": len(FIT_CALLS) - fit_calls, "before": before, "after": cache_files(),
    "user_cache": str(checkpoint.cache_dir()), "home": os.path.expanduser("~"),
    "shared_writable": os.access(checkpoint.shared_cache_dirs()[0], os.W_OK),
    "warnings": [str(w.message) for w in caught], "final_loss": history.loss[-1],
    "params_sha": __import__("hashlib").sha256(b"".join(p.detach().numpy().tobytes() for p in model.state_dict().values())).hexdigest(),
    "env": {k: os.environ.get(k) for k in ("LECTUREKIT_SHARED_CACHE", "MEM_LIMIT", "CPU_LIMIT", "OMP_NUM_THREADS")},
}))
'''


# ---- helpers -------------------------------------------------------------------------------------

class Hub:
    """A running hub: its URL, a service token with admin scopes, and the process."""

    def __init__(self, base: str, token: str, proc: subprocess.Popen, data: Path):
        self.base, self.token, self.proc, self.data = base, token, proc, data
        self.server_pids: set[int] = set()

    def api(self, method: str, path: str, body=None, token: str | None = None, expect=(200, 201, 202, 204)):
        """Call the hub's REST API (or a user server's, for a path starting with /user/)."""
        url = self.base + (path if path.startswith("/user/") else "/hub/api" + path)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": f"token {token or self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, text = r.status, r.read().decode()
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read().decode(errors="replace")
        if expect is not None and status not in expect:
            raise AssertionError(f"{method} {path}: HTTP {status}: {text[:300]}")
        return status, (json.loads(text) if text.strip().startswith(("{", "[")) else text)

    def user(self, name: str) -> dict:
        return self.api("GET", f"/users/{name}")[1]

    def wait_ready(self, name: str, timeout: float = 120) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            server = self.user(name).get("servers", {}).get("")
            if server and server.get("ready"):
                pid = (server.get("state") or {}).get("pid")
                if pid:
                    self.server_pids.add(int(pid))
                return server
            assert self.proc.poll() is None, f"the hub exited ({self.proc.returncode}); see {self.data}/hub.log"
            time.sleep(0.25)
        raise AssertionError(f"{name}'s server was not ready within {timeout} s; see {self.data}/hub.log")

    def token_for(self, name: str) -> str:
        return self.api("POST", f"/users/{name}/tokens", {"note": "lecturekit hub test", "expires_in": 3600})[1]["token"]

    def shutdown(self) -> None:
        """Stop every user server through the API, then the hub; kill whatever does not stop."""
        try:
            _, users = self.api("GET", "/users", expect=None)
            for u in users if isinstance(users, list) else []:
                for server in (u.get("servers") or {}).values():
                    pid = (server.get("state") or {}).get("pid")
                    if pid:
                        self.server_pids.add(int(pid))
                if u.get("servers"):
                    self.api("DELETE", f"/users/{u['name']}/server", expect=None)
            deadline = time.time() + 30
            while time.time() < deadline and any(u.get("servers") for u in self.api("GET", "/users")[1]):
                time.sleep(0.25)
        except (OSError, AssertionError):
            pass  # the hub is gone: the kills below still run
        stop(self.proc, timeout=20)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the proxy and the culler, if the hub left them
        except (ProcessLookupError, PermissionError):
            pass
        survivors = []
        for pid in self.server_pids:
            try:
                os.killpg(pid, signal.SIGKILL)  # LocalProcessSpawner starts each server in its own session
                survivors.append(pid)
            except (ProcessLookupError, PermissionError):
                pass
        assert not survivors, f"user servers {survivors} outlived the API stop and the hub, and were killed"


def start_hub(work: Path, shared_cache: Path, *, cull_timeout: int = 3600, cull_every: int = 300,
              **settings: str) -> Hub:
    """Start JupyterHub with the course config plus a loopback overlay for the test; ``settings``
    override LECTUREKIT_HUB_* values (``AUTH="native"``)."""
    data, homes = work / "hub", work / "homes"
    data.mkdir(parents=True)
    homes.mkdir(exist_ok=True)
    port, hub_port, api_port = free_port(), free_port(), free_port()
    token = uuid.uuid4().hex
    wrapper = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--"] if AS_ROOT else []
    extra_args = ["--LabApp.expose_app_in_browser=True"] + (["--allow-root"] if AS_ROOT else [])
    overlay = data / "test_config.py"
    overlay.write_text(f"""\
c = get_config()
load_subconfig({str(DEPLOY / 'jupyterhub_config.py')!r})
from jupyterhub.spawner import SimpleLocalProcessSpawner
c.JupyterHub.spawner_class = SimpleLocalProcessSpawner
c.SimpleLocalProcessSpawner.home_dir_template = {str(homes)!r} + "/{{username}}"
c.Spawner.cmd = {wrapper!r} + c.Spawner.cmd
c.Spawner.args = {extra_args!r}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.JupyterHub.services.append({{"name": "lecturekit-test", "api_token": {token!r}}})
c.JupyterHub.load_roles.append({{"name": "lecturekit-test", "services": ["lecturekit-test"],
    "scopes": ["admin:users", "admin:servers", "admin:server_state", "tokens", "list:users", "list:services", "read:services"]}})
""")
    env = dict(os.environ, LECTUREKIT_HUB_AUTH="dummy", LECTUREKIT_HUB_PASSWORD=PASSWORD,
               LECTUREKIT_HUB_IP="127.0.0.1", LECTUREKIT_HUB_PORT=str(port), LECTUREKIT_HUB_DATA=str(data),
               LECTUREKIT_HUB_SHARED_CACHE=str(shared_cache), LECTUREKIT_HUB_MEM_LIMIT="2G",
               LECTUREKIT_HUB_CULL_TIMEOUT=str(cull_timeout), LECTUREKIT_HUB_CULL_EVERY=str(cull_every),
               TQDM_DISABLE="1")
    env.update({f"LECTUREKIT_HUB_{k}": v for k, v in settings.items()})
    for key in ("LECTUREKIT_CACHE", "LECTUREKIT_SHARED_CACHE", "XDG_CACHE_HOME", "JUPYTER_TOKEN"):
        env.pop(key, None)  # students get the hub's settings, not the test runner's
    log = open(data / "hub.log", "wb")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(overlay)], cwd=data, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(f"http://127.0.0.1:{port}", token, proc, data)
    try:
        wait_http(f"{hub.base}/hub/api/", proc, timeout=90)
    except BaseException:
        hub.shutdown()
        raise
    TIMINGS.setdefault("hub_start_s", round(time.perf_counter() - start, 1))
    return hub


def tiny_model_script(folder: Path) -> Path:
    """A two-cell notebook script that trains the tiny model through the cache."""
    script = folder / "hub_tiny.py"
    script.write_text("# %%\n" + TINY_MODEL + "\n# %%\n" + WARM_CELL)
    return script


async def _execute(ws_url: str, token: str, code: str, timeout: float) -> str:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {token}"}))
    msg_id = uuid.uuid4().hex
    conn.write_message(json.dumps({
        "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex, "msg_type": "execute_request",
                   "version": "5.3", "date": datetime.datetime.now(datetime.timezone.utc).isoformat()},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    out, replied, idle = [], False, False
    try:
        while not (replied and idle):  # the shell reply and the iopub idle arrive in either order
            raw = await asyncio.wait_for(conn.read_message(), timeout)
            assert raw is not None, "the kernel's websocket closed"
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                raise AssertionError("the cell raised:\n" + "\n".join(msg["content"]["traceback"]))
            elif kind == "execute_reply":
                replied = True
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
        return "".join(out)
    finally:
        conn.close()


def run_cell(hub: Hub, name: str, token: str, kernel_id: str, code: str, timeout: float = 120) -> str:
    ws = hub.base.replace("http://", "ws://") + f"/user/{name}/api/kernels/{kernel_id}/channels"
    # in a thread of its own: Playwright's sync API keeps an event loop running in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _execute(ws, token, code, timeout)).result()


def log_in(browser, hub: Hub, name: str):
    """A fresh browser context that logs in through the hub's form; returns it and its page."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.goto(f"{hub.base}/hub/login", timeout=60_000)
    page.fill("#username_input", name)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    return context, page


def wait_lab(page, timeout_ms: int = 120_000) -> None:
    page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-LabShell')", timeout=timeout_ms)


# ---- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def course():
    """A temporary course set-up: a bare clone of this repository, student homes, and a shared
    model cache filled by lecturekit's cache warming, then made read-only to the students."""
    if not PROXY.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PROXY} is missing under CI: `make` installs it with npm")
        pytest.skip("configurable-http-proxy is not installed: run `make` (npm ci --prefix deploy/jupyterhub)")
    if AS_ROOT and shutil.which("setpriv") is None:
        pytest.fail("running as root needs setpriv (util-linux) to drop the students' capabilities")
    work = Path(tempfile.mkdtemp(prefix="lecturekit-hub-"))
    work.chmod(0o755)
    try:
        # the course repository: this checkout's HEAD (a branch or not, shallow or not) as the default
        # branch "course" of a bare repository, as a hosted one would be
        repo = work / "lecturekit.git"
        subprocess.run(["git", "init", "--quiet", "--bare", str(repo)], check=True)
        subprocess.run(["git", "--git-dir", str(repo), "config", "receive.shallowUpdate", "true"], check=True)
        subprocess.run(["git", "-C", str(ROOT), "push", "--quiet", str(repo), "HEAD:refs/heads/course"], check=True)
        subprocess.run(["git", "--git-dir", str(repo), "symbolic-ref", "HEAD", "refs/heads/course"], check=True)
        shared = work / "shared-cache"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sys; from lecturekit import nbtools; "
                        "nbtools.warm_cache([sys.argv[1]], sys.argv[2], progress=False)",
                        str(tiny_model_script(work)), str(shared)], check=True, timeout=300,
                       env={k: v for k, v in os.environ.items() if k != "LECTUREKIT_SHARED_CACHE"})
        TIMINGS["cache_warm_s"] = round(time.perf_counter() - start, 1)
        warmed = sorted(shared.glob("hub-tiny-*.pt"))
        assert len(warmed) == 1, f"cache warming left {warmed} in {shared}"
        for path in [shared, *shared.iterdir()]:  # read-only to the students: another owner, no write bits
            path.chmod(0o755 if path.is_dir() else 0o644)
            if AS_ROOT:
                os.chown(path, 65534, 65534)
        if not AS_ROOT:
            shared.chmod(0o555)
        for name in STUDENTS:  # no "news" toast over the notebook in JupyterLab
            settings = work / "main" / "homes" / name / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
            settings.mkdir(parents=True)
            (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        yield {"work": work, "repo": repo, "shared": shared, "warmed": warmed[0]}
    finally:
        if not AS_ROOT and (work / "shared-cache").exists():
            (work / "shared-cache").chmod(0o755)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def hub(course):
    hub = start_hub(course["work"] / "main", course["shared"])
    try:
        yield hub
    finally:
        try:
            hub.shutdown()
        finally:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(hub.data / "hub.log", ARTIFACTS / "hub.log")
            (ARTIFACTS / "timings.json").write_text(json.dumps(TIMINGS, indent=1) + "\n")


@pytest.fixture(scope="module")
def students(hub, browser):
    """Both students logged in through the form, each in their own browser context, servers up."""
    sessions = {}
    try:
        for name in STUDENTS:
            start = time.perf_counter()
            context, page = log_in(browser, hub, name)
            wait_lab(page)
            TIMINGS[f"login_to_lab_s_{name}"] = round(time.perf_counter() - start, 1)
            hub.wait_ready(name)
            sessions[name] = {"context": context, "page": page, "token": hub.token_for(name)}
        yield sessions
    finally:
        for s in sessions.values():
            s["context"].close()


# ---- tests ---------------------------------------------------------------------------------------

def test_the_hub_starts_behind_its_proxy_with_the_culler(hub):
    status, info = hub.api("GET", "/")
    assert status == 200 and "version" in info
    with urllib.request.urlopen(f"{hub.base}/hub/login", timeout=10) as r:
        assert r.status == 200 and b'name="password"' in r.read()
    services = hub.api("GET", "/services")[1]
    assert "idle-culler" in services and services["idle-culler"]["pid"], services


def test_two_students_log_in_and_get_their_own_servers(hub, students):
    servers = {name: hub.user(name)["servers"][""] for name in STUDENTS}
    assert all(s["ready"] for s in servers.values())
    assert servers["alice"]["url"] == "/user/alice/" and servers["bob"]["url"] == "/user/bob/"
    pids = {s["state"]["pid"] for s in servers.values()}
    assert len(pids) == 2, f"one process for two students: {servers}"
    for name, s in students.items():  # each lands in JupyterLab on their own server
        assert f"/user/{name}/lab" in s["page"].url, s["page"].url
        status, model = hub.api("GET", f"/user/{name}/api/contents/", token=s["token"])
        assert status == 200 and model["type"] == "directory"


def test_each_student_is_refused_the_other_students_server(hub, students):
    alice, bob = students["alice"], students["bob"]
    # their own server answers them...
    assert hub.api("GET", "/user/alice/api/status", token=alice["token"])[0] == 200
    assert hub.api("GET", "/user/bob/api/status", token=bob["token"])[0] == 200
    # ...the other's refuses them, by API token and in the browser (the hub's OAuth step says no)
    assert hub.api("GET", "/user/bob/api/status", token=alice["token"], expect=None)[0] == 403
    assert hub.api("GET", "/user/alice/api/contents/", token=bob["token"], expect=None)[0] == 403
    page = alice["context"].new_page()
    try:
        response = page.goto(f"{hub.base}/user/bob/lab", timeout=60_000)
        assert response.status == 403, (response.status, page.url)
        assert page.locator(".jp-LabShell").count() == 0
    finally:
        page.close()


def test_an_nbgitpuller_link_opens_notebook_01_and_a_slider_changes_the_image(hub, students, course):
    from lecturekit.hub import nbgitpuller_link

    link = nbgitpuller_link(hub.base, "01", repo=course["repo"].as_uri())
    page = students["alice"]["page"]
    start = time.perf_counter()
    page.goto(link, timeout=60_000)
    page.wait_for_url("**/user/alice/lab/tree/lecturekit/notebooks/01_em.ipynb*", timeout=120_000)
    wait_lab(page)
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.context && w.context.path === 'lecturekit/notebooks/01_em.ipynb'"
        " && w.sessionContext.session && w.sessionContext.session.kernel"
        " && w.sessionContext.session.kernel.status === 'idle'; }", timeout=120_000)
    TIMINGS["link_to_notebook_s"] = round(time.perf_counter() - start, 1)
    clone = course["work"] / "main" / "homes" / "alice" / "lecturekit"
    assert (clone / "notebooks" / "01_em.ipynb").is_file() and (clone / ".git").is_dir()

    start = time.perf_counter()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    img = page.locator(".jp-OutputArea img.widget-image").first
    img.wait_for(timeout=180_000)
    TIMINGS["run_all_to_first_image_s"] = round(time.perf_counter() - start, 1)
    sha = """async (img) => {
      const buf = await (await fetch(img.src)).arrayBuffer();
      const d = await crypto.subtle.digest('SHA-256', buf);
      return Array.from(new Uint8Array(d)).map(b => b.toString(16).padStart(2, '0')).join(''); }"""
    box = page.locator(".jp-OutputArea .widget-hbox", has=page.locator("img.widget-image")).first
    before = img.evaluate(sha)
    slider = box.locator(".widget-slider .noUi-handle").first
    readout = box.locator(".widget-readout").first
    value = readout.inner_text()
    slider.focus()
    page.keyboard.press("ArrowRight")
    deadline = time.time() + 30
    while time.time() < deadline and box.locator("img.widget-image").first.evaluate(sha) == before:
        time.sleep(0.1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "nbgitpuller_01_em.png"))
    assert readout.inner_text() != value, "the slider did not move"
    assert box.locator("img.widget-image").first.evaluate(sha) != before, "the image did not change"


def test_following_the_link_again_pulls_new_commits_into_the_clone(hub, students, course):
    """nbgitpuller updates an existing clone: a commit pushed to the course repository arrives."""
    from lecturekit.hub import nbgitpuller_link

    clone = course["work"] / "main" / "homes" / "alice" / "lecturekit"
    link = nbgitpuller_link(hub.base, "01", repo=course["repo"].as_uri())
    page = students["alice"]["page"]
    if not clone.exists():  # run alone: make the clone first
        page.goto(link, timeout=60_000)
        page.wait_for_url("**/user/alice/lab/tree/lecturekit/notebooks/01_em.ipynb*", timeout=120_000)
    assert not (clone / "ANNOUNCEMENT.md").exists()
    scratch = course["work"] / "teacher"
    subprocess.run(["git", "clone", "--quiet", str(course["repo"]), str(scratch)], check=True)
    (scratch / "ANNOUNCEMENT.md").write_text("Homework 2 is out.\n")
    git = ["git", "-C", str(scratch), "-c", "user.name=Teacher", "-c", "user.email=teacher@example.edu"]
    subprocess.run(git + ["add", "ANNOUNCEMENT.md"], check=True)
    subprocess.run(git + ["commit", "--quiet", "-m", "announce homework 2"], check=True)
    subprocess.run(git + ["push", "--quiet", "origin", "HEAD"], check=True)
    page.goto(link, timeout=60_000)
    page.wait_for_url("**/user/alice/lab/tree/lecturekit/notebooks/01_em.ipynb*", timeout=120_000)
    assert (clone / "ANNOUNCEMENT.md").read_text() == "Homework 2 is out.\n"


@pytest.fixture(scope="module")
def kernel(hub, students):
    """A kernel on alice's server, started through its REST API with her token, the tiny model defined."""
    token = students["alice"]["token"]
    # The kernel works in a folder of its own, as a notebook's kernel does. Started in the home folder,
    # next to the clone ~/lecturekit, `import lecturekit` would find that folder first when lecturekit
    # is an editable install (what `make` does; the deployment notes say to install it with `pip install .`).
    hub.api("PUT", "/user/alice/api/contents/cache-check", {"type": "directory"}, token=token)
    kernel_id = hub.api("POST", "/user/alice/api/kernels", {"name": "python3", "path": "cache-check"},
                        token=token)[1]["id"]
    run_cell(hub, "alice", token, kernel_id, TINY_MODEL)
    yield lambda code: run_cell(hub, "alice", token, kernel_id, code)
    hub.api("DELETE", f"/user/alice/api/kernels/{kernel_id}", token=token, expect=None)


def _cache_check(kernel, hidden: int) -> dict:
    out = kernel(f"HIDDEN = {hidden}\n" + CHECK_CELL)
    return json.loads(out.strip().splitlines()[-1])


def test_a_model_in_the_shared_cache_loads_without_training(kernel, course):
    r = _cache_check(kernel, hidden=4)  # the configuration `lecturekit cache warm` trained
    assert r["env"]["LECTUREKIT_SHARED_CACHE"] == str(course["shared"])
    assert r["fit_calls"] == 0, "a model in the shared cache was trained again"
    assert r["after"] == r["before"], "loading from the shared cache wrote a file"
    assert course["warmed"].name in r["after"][0]
    import torch

    state = torch.load(course["warmed"], weights_only=True)
    assert r["params_sha"] == hashlib.sha256(b"".join(v.numpy().tobytes() for v in state.values())).hexdigest()
    assert not r["warnings"], r["warnings"]


def test_a_model_missing_from_the_shared_cache_trains_into_the_students_own(kernel, course):
    r = _cache_check(kernel, hidden=5)  # nobody warmed this one
    assert r["shared_writable"] is False, "the shared cache should be read-only to the student"
    assert r["fit_calls"] == 1
    assert not r["warnings"], r["warnings"]  # no "could not save" on the way
    assert r["after"][0] == r["before"][0], "the student wrote into the shared cache"
    new = set(r["after"][1]) - set(r["before"][1])
    assert len(new) == 1 and next(iter(new)).startswith("hub-tiny-")
    assert r["user_cache"].startswith(r["home"]) and r["home"].endswith("/alice")
    assert (Path(r["user_cache"]) / next(iter(new))).is_file()
    assert r["final_loss"] < 0.5
    # the deployment's per-student settings reach the kernel
    assert r["env"]["MEM_LIMIT"] == str(2 * 1024**3) and r["env"]["OMP_NUM_THREADS"] == "1"
    again = _cache_check(kernel, hidden=5)  # and the next run finds it in the student's cache
    assert again["fit_calls"] == 0 and again["params_sha"] == r["params_sha"]


def test_the_culler_stops_an_idle_server(course):
    """A hub of its own whose culler has a 6 s timeout: an idle server is stopped by the culler,
    and not before it has been idle for the timeout."""
    timeout = 6
    hub = start_hub(course["work"] / "culler", course["shared"], cull_timeout=timeout, cull_every=1)
    try:
        hub.api("POST", "/users/carol", expect=(201, 409))
        start = time.perf_counter()
        hub.api("POST", "/users/carol/server")
        hub.wait_ready("carol")
        TIMINGS["api_spawn_to_ready_s"] = round(time.perf_counter() - start, 1)
        last_activity, deadline = None, time.time() + 60
        while time.time() < deadline:
            server = hub.user("carol").get("servers", {}).get("")
            if not server:
                break
            last_activity = server.get("last_activity") or last_activity
            time.sleep(0.2)
        stopped_at = datetime.datetime.now(datetime.timezone.utc)
        assert not hub.user("carol").get("servers"), "the idle server was not culled within 60 s"
        idle = (stopped_at - datetime.datetime.fromisoformat(last_activity.replace("Z", "+00:00"))).total_seconds()
        assert idle >= timeout - 0.5, f"stopped after {idle:.1f} s idle, before the {timeout} s timeout"
        log = (hub.data / "hub.log").read_text(errors="replace")
        assert re.search(r"DELETE /hub/api/users/carol/server \S* ?\(idle-culler@", log), "not stopped by the culler"
        TIMINGS["culled_after_idle_s"] = round(idle, 1)
    finally:
        hub.shutdown()


def test_native_sign_up_needs_an_admins_approval(course, browser):
    """The default authenticator: a student signs up, cannot log in until an admin approves."""
    hub = start_hub(course["work"] / "native", course["shared"], AUTH="native", ADMINS="prof")
    context = browser.new_context()
    page = context.new_page()

    def sign_up(name, password):
        page.goto(f"{hub.base}/hub/signup", timeout=60_000)
        page.fill("input[name=username]", name)
        page.fill("input[name=signup_password]", password)
        page.fill("input[name=signup_password_confirmation]", password)
        with page.expect_navigation(timeout=60_000):
            page.click("#signup_submit")

    def log_in_as(name, password):
        context.clear_cookies()
        page.goto(f"{hub.base}/hub/login?next=%2Fhub%2Fhome", timeout=60_000)
        page.fill("#username_input", name)
        page.fill("#password_input", password)
        with page.expect_navigation(timeout=60_000):
            page.click("#login_submit")
        return page.url

    try:
        sign_up("prof", "prof-" + PASSWORD)  # an admin named in LECTUREKIT_HUB_ADMINS is approved at sign-up
        sign_up("dave", "dave-" + PASSWORD)
        assert "/hub/login" in log_in_as("dave", "dave-" + PASSWORD), "dave logged in before approval"
        assert page.locator("text=has not been authorized by an administrator").count() == 1
        assert "/hub/login" in log_in_as("dave", "wrong-" + PASSWORD)
        assert page.locator("text=Invalid username or password").count() == 1
        assert log_in_as("prof", "prof-" + PASSWORD).endswith("/hub/home")
        page.goto(f"{hub.base}/hub/authorize/dave", timeout=60_000)  # the admin's approval toggle
        assert log_in_as("dave", "dave-" + PASSWORD).endswith("/hub/home")
        assert page.locator("text=dave").count() > 0
    finally:
        context.close()
        hub.shutdown()
