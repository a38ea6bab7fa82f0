"""JupyterHub for a course taught with lecturekit: one server, every student on the same environment.

Start it (as root, so that each student's server runs as that student's system account)::

    LECTUREKIT_HUB_AUTH=native jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

Every setting is an environment variable, so one file serves a workshop, a term-long class and
the tests; ``deploy/jupyterhub/README.md`` explains each choice.

=================================  =========================  ===========================================
variable                           default                    meaning
=================================  =========================  ===========================================
LECTUREKIT_HUB_AUTH                native                     ``dummy`` (workshop), ``native`` (sign-up
                                                              and admin approval) or ``lti`` (LTI 1.3
                                                              launch from the learning-management system)
LECTUREKIT_HUB_PASSWORD            (none)                     ``dummy`` only: the workshop's shared
                                                              password (8+ characters). Without it any
                                                              name and password log in: loopback only.
LECTUREKIT_HUB_ADMINS              (none)                     comma-separated admin user names
LECTUREKIT_HUB_ROSTER              (none)                     a file of allowed user names, one a line
                                                              (default: anyone the authenticator admits)
LECTUREKIT_HUB_IP / _PORT          all interfaces / 8000      where students connect (put HTTPS in front)
LECTUREKIT_HUB_DATA                /srv/lecturekit/hub        database, cookie secret
LECTUREKIT_HUB_SHARED_CACHE        /srv/lecturekit/cache      the read-only model cache filled by
                                                              ``lecturekit cache warm --dir``
LECTUREKIT_HUB_MEM_LIMIT           3G                         per-student memory (see "Limits" below)
LECTUREKIT_HUB_CPU_LIMIT           1                          per-student cores; also torch's threads
LECTUREKIT_HUB_CULL_TIMEOUT        3600                       seconds idle before a server is stopped
LECTUREKIT_HUB_CULL_EVERY          300                        seconds between two checks of the culler
LECTUREKIT_HUB_LTI_ISSUER, _LTI_CLIENT_ID, _LTI_AUTHORIZE_URL, _LTI_JWKS_URL: LTI 1.3 registration values
=================================  =========================  ===========================================

Limits: ``c.Spawner.mem_limit`` and ``cpu_limit`` are enforced by spawners that run servers in
cgroups (SystemdSpawner, DockerSpawner, KubeSpawner on the Kubernetes chart). The
LocalProcessSpawner used here does not enforce them: it passes them to the server as
``MEM_LIMIT`` and ``CPU_LIMIT`` (shown by jupyter-resource-usage), and lecturekit caps torch's
threads at the CPU limit so that fifty students do not each start one thread per core.
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (defined by JupyterHub when it loads this file)

HERE = Path(__file__).resolve().parent


def setting(name: str, default: str = "") -> str:
    return os.environ.get(f"LECTUREKIT_HUB_{name}", default).strip()


def positive(name: str, default: str, kind=int):
    raw = setting(name, default)
    try:
        value = kind(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"LECTUREKIT_HUB_{name} must be a positive number, got {raw!r}")
    return value


AUTH = setting("AUTH", "native").lower()
DATA = Path(setting("DATA", "/srv/lecturekit/hub"))
SHARED_CACHE = setting("SHARED_CACHE", "/srv/lecturekit/cache")
CPU_LIMIT = positive("CPU_LIMIT", "1", float)
CULL_TIMEOUT = positive("CULL_TIMEOUT", "3600")
CULL_EVERY = positive("CULL_EVERY", "300")

# ---- the hub and its proxy --------------------------------------------------------------------
DATA.mkdir(parents=True, exist_ok=True)
c.JupyterHub.db_url = f"sqlite:///{DATA / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(DATA / "jupyterhub_cookie_secret")
if setting("IP"):
    c.JupyterHub.ip = setting("IP")
c.JupyterHub.port = positive("PORT", "8000")
# configurable-http-proxy from the npm registry, pinned by package-lock.json next to this file
# (`make` or `npm ci --prefix deploy/jupyterhub` installs it); else one on the PATH.
proxy = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(proxy)] if proxy.exists() else ["configurable-http-proxy"]

# ---- who may log in ---------------------------------------------------------------------------
if AUTH == "dummy":
    password = setting("PASSWORD")
    if password:  # JupyterHub 5.3+ moved DummyAuthenticator's shared password here
        c.JupyterHub.authenticator_class = "shared-password"
        c.SharedPasswordAuthenticator.user_password = password
    elif setting("IP") in ("127.0.0.1", "localhost", "::1"):
        c.JupyterHub.authenticator_class = "dummy"  # any name, any password: a laptop demo
    else:
        raise ValueError("LECTUREKIT_HUB_AUTH=dummy without LECTUREKIT_HUB_PASSWORD lets anybody in: set a "
                         "shared password, or listen on loopback only (LECTUREKIT_HUB_IP=127.0.0.1)")
elif AUTH == "native":
    c.JupyterHub.authenticator_class = "native"
    # students sign up at /hub/signup; an admin approves them at /hub/authorize
    c.NativeAuthenticator.open_signup = False
    c.NativeAuthenticator.minimum_password_length = 8
    c.NativeAuthenticator.check_common_password = True
    c.NativeAuthenticator.allowed_failed_logins = 5
    c.NativeAuthenticator.seconds_before_next_try = 60
elif AUTH == "lti":
    missing = [k for k in ("LTI_ISSUER", "LTI_CLIENT_ID", "LTI_AUTHORIZE_URL", "LTI_JWKS_URL") if not setting(k)]
    if missing:
        raise ValueError("LECTUREKIT_HUB_AUTH=lti needs " + ", ".join(f"LECTUREKIT_HUB_{k}" for k in missing)
                         + " (the values the learning-management system shows when the tool is registered)")
    c.JupyterHub.authenticator_class = "ltiauthenticator.lti13.auth.LTI13Authenticator"
    c.LTI13Authenticator.issuer = setting("LTI_ISSUER")
    c.LTI13Authenticator.client_id = [x.strip() for x in setting("LTI_CLIENT_ID").split(",") if x.strip()]
    c.LTI13Authenticator.authorize_url = setting("LTI_AUTHORIZE_URL")
    c.LTI13Authenticator.jwks_endpoint = setting("LTI_JWKS_URL")
    # a stable, system-safe name: the LMS's opaque user id ("sub"), not an e-mail address
    c.LTI13Authenticator.username_key = setting("LTI_USERNAME_KEY", "sub")
else:
    raise ValueError(f"LECTUREKIT_HUB_AUTH must be one of dummy, native, lti, got {AUTH!r}")

admins = {name.strip() for name in setting("ADMINS").split(",") if name.strip()}
if admins:
    c.Authenticator.admin_users = admins
if setting("ROSTER"):
    roster = Path(setting("ROSTER")).read_text().split()
    c.Authenticator.allowed_users = set(roster)
else:
    # the authenticator decides: the workshop password, an admin's approval, or the LMS launch
    c.Authenticator.allow_all = True

# ---- each student's server --------------------------------------------------------------------
# LocalProcessSpawner: one process per student, run as the system account of the same name
# (create the accounts from the roster). The Python below must be readable by every student:
# install lecturekit into a shared environment such as /opt/lecturekit, not under /root.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.mem_limit = setting("MEM_LIMIT", "3G")
c.Spawner.cpu_limit = CPU_LIMIT
c.Spawner.start_timeout = 120  # a cold start on a busy server imports torch and JupyterLab
c.Spawner.http_timeout = 90
c.Spawner.environment = {
    # pre-trained models, read-only; a model missing there trains into ~/.cache/lecturekit
    "LECTUREKIT_SHARED_CACHE": SHARED_CACHE,
    "OMP_NUM_THREADS": str(max(1, int(CPU_LIMIT))),
    "TQDM_MININTERVAL": "1",  # fewer progress-bar messages per student
}

# ---- the idle culler: stop servers nobody has used for CULL_TIMEOUT seconds -------------------
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={CULL_TIMEOUT}",
                f"--cull-every={CULL_EVERY}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]
