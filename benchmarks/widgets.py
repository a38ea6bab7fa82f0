"""Kernel-side redraw latency and memory of every widget, three interleaved rounds in one run.

Each ``benchmarks/widgets_<topic>.py`` defines ``CASES``, a list of :class:`WidgetCase`: how to
build the app and how to set its controls for update ``i``. Every app is built once; then, in
each of ``--rounds`` rounds (default 3), every case runs ``--updates`` updates (default 500) in
turn, so a slow moment of the machine hits all widgets alike rather than one. Output, one JSON
line each:

- first, the machine: CPU count, the CPUs this process may use, torch's thread count, the scale;
- per widget: ``median_ms`` (the median of the rounds' medians), ``p95_ms`` (the worst round's
  95th percentile), ``cpu_median_ms`` (the same median in CPU time of this process: on a loaded
  machine it stays near the quiet machine's wall time, which the wall time does not),
  ``rss_growth_mb`` (the largest growth of resident memory over one round's updates, after a
  garbage collection), ``open_figures`` (pyplot figures left open; a FigureApp opens none) and
  ``meets_budget``: median under 12 ms and p95 under 16.7 ms (one 60-Hz frame) at scale 1, p95
  under 33 ms at a projector scale, and growth under 5 MB.

``--table`` prints a Markdown table after the JSON lines; ``--check`` exits with status 1 when a
widget misses its budget.

    python benchmarks/widgets.py [--updates 500] [--rounds 3] [--scale 1.5] [--only 01_em] [--table]
    taskset -c 1 python benchmarks/widgets.py --threads 1      # one pinned core
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

#: one 60-Hz frame: the median must stay under 12 ms and the 95th percentile under 16.7 ms at
#: scale 1; in projector mode the 95th percentile under 33 ms (two frames); memory under 5 MB
BUDGET = {"median_ms": 12.0, "p95_ms": 16.7, "p95_ms_projector": 33.0, "rss_growth_mb": 5.0}


@dataclass
class WidgetCase:
    notebook: str
    widget: str
    build: Callable[[], Any]
    drive: Callable[[Any, int], None]


def load_cases() -> list[WidgetCase]:
    cases = []
    sys.modules.setdefault("widgets", sys.modules[__name__])  # the case files import WidgetCase from here
    for path in sorted(HERE.glob("widgets_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
        cases.extend(module.CASES)
    return cases


def rss_mb() -> float:
    """Resident memory of this process now (not its peak), in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_round(case: WidgetCase, app, updates: int) -> dict:
    """``updates`` updates of one app: wall and CPU milliseconds of each, and memory growth."""
    gc.collect()
    rss0 = rss_mb()
    wall, cpu = [], []
    for i in range(updates):
        w0, c0 = time.perf_counter(), time.process_time()
        case.drive(app, i)
        cpu.append(1000 * (time.process_time() - c0))
        wall.append(1000 * (time.perf_counter() - w0))
        if getattr(app, "error", None) is not None:
            raise RuntimeError(f"{case.widget}: update {i} failed: {app.error!r}")
    gc.collect()
    return {"median": float(np.median(wall)), "p95": float(np.percentile(wall, 95)),
            "cpu_median": float(np.median(cpu)), "rss_growth": rss_mb() - rss0}


def summarize(case: WidgetCase, rounds: list[dict], updates: int, scale: float) -> dict:
    import matplotlib.pyplot as plt

    median = float(np.median([r["median"] for r in rounds]))
    p95 = max(r["p95"] for r in rounds)
    growth = max(r["rss_growth"] for r in rounds)
    p95_budget = BUDGET["p95_ms"] if scale == 1.0 else BUDGET["p95_ms_projector"]
    meets = p95 < p95_budget and growth < BUDGET["rss_growth_mb"] and (scale != 1.0 or median < BUDGET["median_ms"])
    return {"notebook": case.notebook, "widget": case.widget, "scale": scale, "median_ms": round(median, 2),
            "p95_ms": round(p95, 2), "cpu_median_ms": round(float(np.median([r["cpu_median"] for r in rounds])), 2),
            "round_medians_ms": [round(r["median"], 2) for r in rounds],
            "round_p95_ms": [round(r["p95"], 2) for r in rounds], "updates": updates, "rounds": len(rounds),
            "rss_growth_mb": round(growth, 2), "open_figures": len(plt.get_fignums()), "meets_budget": meets}


def table(rows: list[dict], machine: dict) -> str:
    scale = machine["scale"]
    lines = [f"Kernel-side redraw, ms ({machine['torch_threads']} torch thread(s), {machine['usable_cpus']} of "
             f"{machine['cpu_count']} CPUs, scale {scale:g}; median of {rows[0]['rounds']} rounds' medians, "
             f"worst p95, {rows[0]['updates']} updates each)", "",
             "| notebook | widget | median | p95 | CPU median | memory growth (MB) | within budget |",
             "|---|---|---:|---:|---:|---:|:---:|"]
    for r in rows:
        lines.append(f"| {r['notebook']} | {r['widget']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['cpu_median_ms']:.1f} | {r['rss_growth_mb']:.1f} | {'yes' if r['meets_budget'] else 'no'} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="projector mode (lecturekit.present), e.g. 1.5")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    parser.add_argument("--only", default=None, help="run only the cases of these notebooks (comma-separated)")
    parser.add_argument("--table", action="store_true", help="print a Markdown table at the end")
    parser.add_argument("--check", action="store_true", help="exit 1 when a widget misses its budget")
    args = parser.parse_args(argv)
    if args.updates < 50:
        parser.error("--updates must be at least 50")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    import torch

    import lecturekit as lk

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    lk.present(args.scale)
    machine = {"machine": True, "cpu_count": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
               "torch_threads": torch.get_num_threads(), "scale": args.scale,
               "load_average": [round(v, 2) for v in os.getloadavg()]}
    print(json.dumps(machine), flush=True)
    only = set(args.only.split(",")) if args.only else None
    cases = [c for c in load_cases() if only is None or c.notebook in only]
    apps = []
    for case in cases:
        app = case.build()
        for i in range(5):  # warm-up: caches, first full draw
            case.drive(app, i)
        apps.append(app)
    results: list[list[dict]] = [[] for _ in cases]
    for _ in range(args.rounds):
        for k, (case, app) in enumerate(zip(cases, apps)):
            results[k].append(run_round(case, app, args.updates))
    rows = [summarize(case, r, args.updates, args.scale) for case, r in zip(cases, results)]
    for row in rows:
        print(json.dumps(row), flush=True)
    if args.table:
        print(table(rows, machine))
    return 1 if args.check and not all(r["meets_budget"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
