"""Run untrusted code in the grading sandbox (the grader's side; :mod:`.sandbox` is the inside).

As root: new mount, network, PID and IPC namespaces (``unshare``), then :mod:`._jail` covers the
real package, ``solutions/``, the solution notebooks, ``.git`` and every submission with empty
mounts, makes every file system read-only except the submission's private folder, sets resource
limits and becomes ``nobody``. Without root the same happens in a user namespace, as the calling
user. :func:`run_sandboxed` watches the runner's marker lines for the per-cell limit, kills the
whole namespace past a limit, and reads the results back without trusting them.
"""

from __future__ import annotations

import functools
import io
import json
import os
import pwd
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..checks import check_choice, check_path, check_positive_float
from ..nbtools import ROOT

__all__ = ["sandbox_mode", "run_sandboxed", "package_dir", "Run"]

PACKAGE = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
_JAIL = Path(__file__).resolve().parent / "_jail.py"


_NOBODY = "nobody"


def _nobody() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(_NOBODY)
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


@functools.lru_cache(maxsize=None)
def sandbox_mode() -> str:
    """``"root"`` (namespaces, then the user nobody), ``"userns"`` (a user namespace, as the
    calling user) or ``"none"`` where neither works here."""
    if shutil.which("unshare") is None or sys.platform != "linux":
        return "none"
    base = ["unshare", "--mount", "--net", "--pid", "--ipc", "--fork", "--kill-child", "--mount-proc"]
    probe = "mount -t tmpfs none /tmp && mount -o remount,bind,ro / "
    tries = [("root", base)] if os.geteuid() == 0 else []
    tries.append(("userns", ["unshare", "--user", "--map-root-user", *base[1:]]))
    for mode, cmd in tries:
        try:
            r = subprocess.run([*cmd, "sh", "-c", probe], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0:
            return mode
    return "none"


def _limits(memory_mb: float, cpu_seconds: float, mode: str) -> dict:
    mem = int(memory_mb * 2**20)
    limits = {"RLIMIT_AS": (mem, mem), "RLIMIT_FSIZE": (2**28, 2**28), "RLIMIT_CORE": (0, 0),
              "RLIMIT_CPU": (int(cpu_seconds) + 5, int(cpu_seconds) + 10)}
    if mode == "root":
        limits["RLIMIT_NPROC"] = (512, 512)
    return limits


def _protected(paths) -> list[Path]:
    return [Path(p).resolve() for p in paths]


def _hide_list(extra, protect) -> list[str]:
    """What to cover: never a folder that holds something the run needs."""
    candidates = [PACKAGE, SOLUTIONS, ROOT / ".git", *extra]
    protect = _protected(protect)
    out = []
    for p in candidates:
        p = Path(p).resolve()
        if not p.exists() or str(p) in out:
            continue
        if p.is_dir() and any(q == p or p in q.parents for q in protect):
            continue
        out.append(str(p))
    return out


@dataclass
class Run:
    """What a sandboxed run gave back: its results (``None`` if none could be read), whether it
    finished within its limits, and a note on why not."""

    results: dict | None
    finished: bool
    note: str | None

    def __post_init__(self):
        if self.results is not None and not isinstance(self.results, dict):
            raise TypeError(f"results must be a dict or None, got {type(self.results).__name__}")
        if not isinstance(self.finished, bool):
            raise TypeError(f"finished must be True or False, got {self.finished!r}")
        if self.note is not None and not isinstance(self.note, str):
            raise TypeError(f"note must be a str or None, got {self.note!r}")


SANDBOXES = ("auto", "root", "userns", "none")
_BOX_FILES = ("job.json", "cases.pt", "results.pt", ".results.tmp", "home", "tmp", "cache")


def _check_run_args(job, cases, files, pkg, hide) -> tuple[Path, list[Path]]:
    if not isinstance(job, dict):
        raise TypeError(f"job must be a dict with 'mode' and 'exercises', got {type(job).__name__}")
    if job.get("mode") not in ("cells", "pickle"):
        raise ValueError(f"job['mode'] must be 'cells' or 'pickle', got {job.get('mode')!r}")
    exercises = job.get("exercises")
    if not isinstance(exercises, list) or not all(
            isinstance(ex, dict) and isinstance(ex.get("id"), str) and isinstance(ex.get("function"), str)
            for ex in exercises):
        raise ValueError(f"job['exercises'] must be a list of {{'id': str, 'function': str}}, got {exercises!r}")
    if not isinstance(cases, dict):
        raise TypeError(f"cases must be a dict from exercise id to its cases, got {type(cases).__name__}")
    missing = [ex["id"] for ex in exercises if ex["id"] not in cases]
    if missing:
        raise ValueError(f"cases has no inputs for the job's exercises {missing}")
    if not isinstance(files, dict):
        raise TypeError(f"files must be a dict from file name to bytes, got {type(files).__name__}")
    for name, data in files.items():
        if not isinstance(name, str) or not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"files must map file names (str) to contents (bytes), got {name!r}: {type(data).__name__}")
        if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name or name in _BOX_FILES:
            raise ValueError(f"files must have plain file names that the box does not use itself, got {name!r}")
    pkg = check_path("pkg", pkg)
    if not (pkg / "lecturekit" / "__init__.py").is_file():
        raise ValueError(f"pkg must be a folder holding a copy of the lecturekit package (see package_dir), got {pkg}")
    if isinstance(hide, (str, bytes, os.PathLike)) or not isinstance(hide, (list, tuple, set, frozenset)):
        raise TypeError(f"hide must be a list of paths to cover, got {hide!r}")
    return pkg, [check_path("hide", h) for h in hide]


def _read_results(path: Path, limit: int = 2**28) -> dict | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not (st.st_mode & 0o170000 == 0o100000) or st.st_size > limit:
            return None
        data = f.read()
    try:
        results = torch.load(io.BytesIO(data), weights_only=True)
    except Exception:  # noqa: BLE001 - a forged or truncated file earns nothing
        return None
    return results if isinstance(results, dict) and isinstance(results.get("exercises"), dict) else None


def run_sandboxed(job: dict, cases: dict, files: dict[str, bytes], *, pkg: Path, hide, timeout: float,
                   cell_timeout: float, memory_mb: float, sandbox: str) -> Run:
    """Run ``job`` (``{"mode": "cells" | "pickle", "exercises": [{"id", "function"}]}``) on
    ``cases`` with ``files`` in a fresh box, importing the package copy in ``pkg``, with ``hide``
    covered, within ``timeout`` seconds (``cell_timeout`` per cell) and ``memory_mb`` of memory;
    ``sandbox`` is ``"auto"`` (the best isolation here), ``"root"``, ``"userns"`` or ``"none"``."""
    pkg, hide = _check_run_args(job, cases, files, pkg, hide)
    timeout = check_positive_float("timeout", timeout)
    cell_timeout = check_positive_float("cell_timeout", cell_timeout)
    memory_mb = check_positive_float("memory_mb", memory_mb)
    check_choice("sandbox", sandbox, SANDBOXES)
    mode = sandbox_mode() if sandbox == "auto" else sandbox
    if sandbox == "auto" and mode == "none":
        raise RuntimeError("cannot isolate submissions on this machine (no Linux namespaces): run as root, "
                           "allow unprivileged user namespaces, or pass sandbox='none' for trusted notebooks")
    priv = Path(tempfile.mkdtemp(prefix="lecturekit-grade-"))
    try:
        box = priv / "box"
        (priv / "hold").mkdir()
        for d in (box, box / "home", box / "tmp"):
            d.mkdir()
        (box / "job.json").write_text(json.dumps(job))
        torch.save(cases, box / "cases.pt")
        for name, data in files.items():
            (box / name).write_bytes(data)
        uid = gid = None
        if mode == "root":
            uid, gid = _nobody()
            os.chmod(priv, 0o711)
            for p in [box, *box.rglob("*")]:
                os.chown(p, uid, gid)
            os.chmod(box, 0o700)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(box / "home"), "TMPDIR": str(box / "tmp"),
               "PYTHONPATH": str(pkg), "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
               "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(box / "tmp"), "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1",
               "LECTUREKIT_CACHE": str(box / "cache"), "LANG": "C.UTF-8"}
        argv = [sys.executable, "-s", "-m", "lecturekit.exercises.sandbox", str(box)]
        limits = _limits(memory_mb, timeout, mode)
        errors = open(priv / "stderr.txt", "w+b")  # outside the box: the submission cannot swap it
        if mode == "none":
            def preexec():
                for name, value in limits.items():
                    resource.setrlimit(getattr(resource, name), value)

            proc = subprocess.Popen(argv, cwd=box, env=env, stdout=subprocess.PIPE, stderr=errors,
                                    stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=preexec)
        else:
            spec = {"hide": _hide_list(hide, [priv, pkg, sys.prefix, sys.base_prefix, Path(sys.executable).parent]),
                    "box": str(box), "uid": uid, "gid": gid, "holding": str(priv / "hold"),
                    "expose": sorted({str(Path(p).resolve()) for p in (sys.base_prefix, sys.prefix,
                                                                       Path(os.path.realpath(sys.executable)).parent.parent)}), "limits": limits, "argv": argv, "env": env,
                    "cwd": str(box)}
            ns = ["unshare", "--mount", "--net", "--pid", "--ipc", "--fork", "--kill-child", "--mount-proc"]
            if mode == "userns":
                ns[1:1] = ["--user", "--map-root-user"]
            proc = subprocess.Popen([*ns, sys.executable, "-I", "-S", str(_JAIL), json.dumps(spec)],
                                    stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        finished, note = _watch(proc, timeout=timeout, cell_timeout=cell_timeout)
        if note and "ended early" in note:
            errors.seek(max(0, os.fstat(errors.fileno()).st_size - 4096))
            tail = [line for line in errors.read().decode(errors="replace").splitlines() if line.strip()]
            note += f": {tail[-1].strip()[:200]}" if tail else ""
        errors.close()
        results = _read_results(box / "results.pt")
        return Run(results, finished, note)
    finally:
        shutil.rmtree(priv, ignore_errors=True)


def _watch(proc: subprocess.Popen, *, timeout: float, cell_timeout: float) -> tuple[bool, str | None]:
    """Read the runner's marker lines; kill it past the per-cell or the per-notebook limit."""
    from .sandbox import MARK

    start, last = time.monotonic(), None  # the per-cell clock starts at the first marker
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf, note = b"", None
    try:
        while True:
            now = time.monotonic()
            deadline = start + timeout if last is None else min(start + timeout, last + cell_timeout)
            if now >= deadline:
                note = (f"stopped after the {timeout:g} s time limit" if now >= start + timeout
                        else f"stopped: a cell ran past the {cell_timeout:g} s limit")
                break
            if not sel.select(timeout=deadline - now):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf = (buf + chunk)[-65536:]
            *lines, buf = buf.split(b"\n")
            if any(line.startswith(MARK.encode()) for line in lines):
                last = time.monotonic()
    finally:
        sel.close()
        if note is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
    if note is None and proc.returncode not in (0, None):
        note = f"the run ended early (exit status {proc.returncode})" if proc.returncode > 0 else \
            f"the run was killed (signal {-proc.returncode}, perhaps the memory limit)"
    return note is None, note


def package_dir(forbidden: tuple[str, ...]) -> Path:
    """A redacted copy of the package, readable by everyone, kept for this process's lifetime.

    ``forbidden`` lists ``"lecturekit.module:function"`` patterns (see
    :func:`~lecturekit.exercises.sandbox.redacted_package`); one that matches no function is an
    error, since it would switch nothing off."""
    from .sandbox import check_forbidden

    return _package_dir(tuple(sorted(set(check_forbidden(forbidden)))))


@functools.lru_cache(maxsize=None)
def _package_dir(forbidden: tuple[str, ...]) -> Path:
    from .sandbox import redacted_package, resolve_forbidden

    stale = [k for k, n in resolve_forbidden(forbidden)[1].items() if n == 0]
    if stale:
        raise ValueError(f"forbidden entries {stale} match no function of the package (a renamed function?)")
    root = Path(tempfile.mkdtemp(prefix="lecturekit-pkg-"))
    os.chmod(root, 0o755)
    redacted_package(root, forbidden)
    for p in root.rglob("*"):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    import atexit

    atexit.register(shutil.rmtree, root, True)
    return root
