"""How many students one class server holds for a notebook: N students at once on loopback.

Each simulated student is what a hub gives a student: a Jupyter server of their own (with every
server extension this environment installs) and a kernel started through its REST API, with
``LECTUREKIT_SHARED_CACHE`` pointing at a folder ``lecturekit cache warm`` filled, an empty cache
of their own, and one torch thread (``OMP_NUM_THREADS=1``, as deploy/jupyterhub sets it). All N
start together and run the notebook's code cells in order over the kernel's websocket, as "Run
All" does (a cell that raises stops that student's run, as Run All does; the JSON names the
cell in ``cell_error``). Measured per student: seconds from the kernel start request to the first figure
(``image/png`` output) and to the last cell, and the peak memory of their server plus kernel
(RSS, and PSS, which splits shared pages fairly). One JSON line per N with ``students``,
``first_figure_s_median``, ``rss_mb_per_student`` and more.

    python benchmarks/capacity.py [--students 1,2,4,8] [--notebook 04] [--shared-cache DIR]

The shared cache is filled first if it holds no model (``nbtools.warm_cache``, minutes for 04).
A student kernel that has to train (a cache miss) is counted in ``cache_misses``: the figures then
measure training, not a class with a warm cache. Timings depend on the machine's load: the JSON
has the load average before each run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.servers import free_port, stop, wait_http  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", default="1,2,4,8", help="comma-separated numbers of concurrent students")
    p.add_argument("--notebook", default="04", help="notebook name (default 04)")
    p.add_argument("--shared-cache", default=str(ROOT / "artifacts" / "capacity" / "shared-cache"),
                   help="the read-only model cache (filled first when empty)")
    p.add_argument("--timeout", type=float, default=1800, help="seconds allowed per student run (default 1800)")
    args = p.parse_args(argv)
    try:
        args.students = [int(s) for s in args.students.split(",") if s.strip()]
    except ValueError:
        p.error(f"--students must be comma-separated positive integers, got {args.students!r}")
    if not args.students or min(args.students) <= 0:
        p.error(f"--students must be comma-separated positive integers, got {args.students!r}")
    if args.timeout <= 0:
        p.error(f"--timeout must be positive, got {args.timeout}")
    return args


def code_cells(script: Path) -> list[str]:
    """The notebook's code cells, without student stubs (``# NBVAL_SKIP``), as Run All sends them.

    Read from the percent script, the source that ``lecturekit cache warm`` executes too, so that
    the students' cells ask the shared cache for exactly the models it holds."""
    import jupytext

    nb = jupytext.read(script, fmt="py:percent")
    return [c.source for c in nb.cells if c.cell_type == "code" and "NBVAL_SKIP" not in c.source]


async def run_cells(base: str, token: str, cells: list[str], timeout: float) -> dict:
    """Start a kernel through the server's REST API and run ``cells``; time the first figure."""
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest
    from tornado.websocket import websocket_connect

    headers = {"Authorization": f"token {token}"}
    start = time.perf_counter()
    r = await AsyncHTTPClient().fetch(HTTPRequest(f"{base}/api/kernels", method="POST", headers=headers,
                                                  body=json.dumps({"name": "python3"}), request_timeout=120))
    kernel_id = json.loads(r.body)["id"]
    conn = await websocket_connect(HTTPRequest(f"{base.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels",
                                               headers=headers))
    session, first_figure, error, cells_run = uuid.uuid4().hex, None, None, 0
    deadline = start + timeout
    try:
        for code in cells:
            if error:
                break  # as "Run All" does: a cell that raised stops the run
            cells_run += 1
            msg_id = uuid.uuid4().hex
            conn.write_message(json.dumps({
                "header": {"msg_id": msg_id, "username": "student", "session": session, "version": "5.3",
                           "msg_type": "execute_request", "date": datetime.datetime.now(datetime.timezone.utc).isoformat()},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True}}))
            replied = idle = False
            while not (replied and idle):
                raw = await asyncio.wait_for(conn.read_message(), max(1.0, deadline - time.perf_counter()))
                if raw is None:
                    raise RuntimeError("the kernel's websocket closed")
                if isinstance(raw, bytes):
                    continue  # a message with binary buffers (a widget's PNG): never a reply or a status
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["msg_type"]
                if kind in ("display_data", "execute_result") and "image/png" in msg["content"]["data"]:
                    first_figure = first_figure or time.perf_counter() - start
                elif kind == "error":
                    error = f"cell {cells_run}: {msg['content']['ename']}: {msg['content']['evalue']}"[:300]
                elif kind == "execute_reply":
                    replied = True
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
    finally:
        conn.close()
    return {"first_figure_s": first_figure, "run_all_s": time.perf_counter() - start, "error": error,
            "cells_run": cells_run}


class MemorySampler(threading.Thread):
    """Peak RSS and PSS (MB) of each student's server and its kernel, sampled every 0.5 s."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids, self.rss, self.pss = pids, [0.0] * len(pids), [0.0] * len(pids)
        self.system_peak_mb, self.done = 0.0, threading.Event()

    def run(self):
        import psutil

        base = _used_mb()
        while not self.done.is_set():
            for i, pid in enumerate(self.pids):
                try:
                    procs = [psutil.Process(pid)]
                    procs += procs[0].children(recursive=True)
                    rss = pss = 0.0
                    for proc in procs:
                        info = proc.memory_full_info()
                        rss, pss = rss + info.rss / 2**20, pss + info.pss / 2**20
                except psutil.Error:
                    continue
                self.rss[i], self.pss[i] = max(self.rss[i], rss), max(self.pss[i], pss)
            self.system_peak_mb = max(self.system_peak_mb, _used_mb() - base)
            self.done.wait(0.5)


def _used_mb() -> float:
    info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    return (int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])) / 1024


def run(n: int, cells: list[str], notebooks: Path, shared: Path, timeout: float) -> dict:
    load = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="lecturekit-capacity-"))
    servers = []
    try:
        start = time.perf_counter()
        for i in range(n):
            port, token = free_port(), uuid.uuid4().hex
            env = dict(os.environ, LECTUREKIT_SHARED_CACHE=str(shared), LECTUREKIT_CACHE=str(work / f"s{i}" / "cache"),
                       JUPYTER_RUNTIME_DIR=str(work / f"s{i}" / "runtime"), OMP_NUM_THREADS="1", TQDM_DISABLE="1")
            argv = [sys.executable, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                    f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}",
                    "--ServerApp.open_browser=False"] + (["--allow-root"] if os.geteuid() == 0 else [])
            proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            servers.append((proc, f"http://127.0.0.1:{port}", token))
        for proc, base, token in servers:
            wait_http(f"{base}/api/status?token={token}", proc, timeout=300)
        server_start = time.perf_counter() - start
        sampler = MemorySampler([proc.pid for proc, _, _ in servers])
        sampler.start()
        results: list[dict | BaseException] = [None] * n

        def student(i):
            try:
                results[i] = asyncio.run(run_cells(servers[i][1], servers[i][2], cells, timeout))
            except BaseException as err:  # reported below, with the student's number
                results[i] = err

        threads = [threading.Thread(target=student, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        sampler.done.set()
        sampler.join()
        errors = [f"student {i}: {r}" for i, r in enumerate(results) if isinstance(r, BaseException)]
        if errors:
            raise RuntimeError("; ".join(errors))
        missed = sorted({p.stem.rsplit("-", 1)[0] for i in range(n) for p in (work / f"s{i}" / "cache").glob("*.pt")})
        misses = sum(len(list((work / f"s{i}" / "cache").glob("*.pt"))) for i in range(n))
        firsts = [r["first_figure_s"] for r in results if r["first_figure_s"] is not None]
        return {
            "benchmark": "capacity", "students": n,
            "first_figure_s_median": round(statistics.median(firsts), 2) if firsts else None,
            "first_figure_s_max": round(max(firsts), 2) if firsts else None,
            "run_all_s_median": round(statistics.median(r["run_all_s"] for r in results), 2),
            "run_all_s_max": round(max(r["run_all_s"] for r in results), 2),
            "rss_mb_per_student": round(statistics.median(sampler.rss)),
            "pss_mb_per_student": round(statistics.median(sampler.pss)),
            "system_mb_peak": round(sampler.system_peak_mb),
            "servers_start_s": round(server_start, 1), "cache_misses": misses, "missed": missed, "load_1m_before": round(load, 2),
            "cells": len(cells), "cells_run_min": min(r["cells_run"] for r in results),
            "cell_error": next((r["error"] for r in results if r["error"]), None),
        }
    finally:
        for proc, _, _ in servers:
            stop(proc)
        subprocess.run(["rm", "-rf", str(work)], check=False)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from lecturekit import nbtools

    script = nbtools.resolve(args.notebook)
    shared = Path(args.shared_cache).expanduser().resolve()
    if not list(shared.glob("*.pt")):
        start = time.perf_counter()
        nbtools.warm_cache([script.stem], shared, timeout=int(args.timeout), progress=False)
        print(json.dumps({"benchmark": "capacity", "warmed": str(shared), "notebook": script.stem,
                          "seconds": round(time.perf_counter() - start, 1)}), flush=True)
    cells = code_cells(script)
    for n in args.students:
        row = run(n, cells, script.parent, shared, args.timeout)
        row = {"benchmark": "capacity", "notebook": script.stem, **row, "cpus": os.cpu_count(),
               "mem_total_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
