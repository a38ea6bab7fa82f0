"""Kernel-side redraw latency of every widget: one JSON line per widget.

Each ``benchmarks/widgets_<topic>.py`` defines ``CASES``, a list of :class:`WidgetCase`: how to
build the app and how to set its controls for update ``i``. This script drives every case for
``--updates`` updates (default 500, at least 50) and prints
``{"notebook", "widget", "median_ms", "p95_ms", "updates", "max_rss_growth_mb", "open_figures"}``
per widget: the redraw latency, how much the process's peak resident memory grew over the
updates, and how many pyplot figures are open afterwards (a FigureApp opens none).

    python benchmarks/widgets.py [--updates 500] [--only 01_em]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import matplotlib.pyplot as plt
import numpy as np

HERE = Path(__file__).resolve().parent


@dataclass
class WidgetCase:
    notebook: str
    widget: str
    build: Callable[[], Any]
    drive: Callable[[Any, int], None]


def load_cases() -> list[WidgetCase]:
    cases = []
    for path in sorted(HERE.glob("widgets_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
        cases.extend(module.CASES)
    return cases


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(case: WidgetCase, updates: int) -> dict:
    app = case.build()
    for i in range(5):  # warm-up: caches, first full draw
        case.drive(app, i)
    gc.collect()
    rss0 = _rss_mb()
    times = []
    for i in range(updates):
        start = time.perf_counter()
        case.drive(app, i)
        times.append(1000 * (time.perf_counter() - start))
        if getattr(app, "error", None) is not None:
            raise RuntimeError(f"{case.widget}: update {i} failed: {app.error!r}")
    gc.collect()
    return {"notebook": case.notebook, "widget": case.widget,
            "median_ms": round(float(np.median(times)), 2),
            "p95_ms": round(float(np.percentile(times, 95)), 2),
            "updates": updates, "max_rss_growth_mb": round(_rss_mb() - rss0, 1),
            "open_figures": len(plt.get_fignums())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=500)
    parser.add_argument("--only", default=None, help="run only the cases of this notebook")
    args = parser.parse_args(argv)
    if args.updates < 50:
        parser.error("--updates must be at least 50")
    import torch

    torch.set_num_threads(2)
    for case in load_cases():
        if args.only and case.notebook != args.only:
            continue
        print(json.dumps(measure(case, args.updates)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
