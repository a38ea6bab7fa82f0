"""Every widget survives many rapid updates: no error, no growing memory, no stray figure.

The widgets come from the benchmark cases (benchmarks/widgets_*.py), so every widget that is
benchmarked is also checked here. These run after the notebooks, when trained models are cached.
"""

from __future__ import annotations

import gc
import importlib.util
import sys
import tracemalloc

import matplotlib.pyplot as plt
import pytest

from conftest import ROOT

BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(BENCH))


def _cases():
    cases = []
    for path in sorted(BENCH.glob("widgets_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cases.extend(module.CASES)
    return cases


CASES = _cases()
UPDATES = 200


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.notebook}-{c.widget}")
def test_rapid_updates_leave_no_growth_and_no_figure(case):
    app = case.build()
    for i in range(10):  # warm caches
        case.drive(app, i)
    gc.collect()
    open_before = len(plt.get_fignums())
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    try:
        for i in range(UPDATES):
            case.drive(app, i)
            assert app.error is None, f"update {i} failed: {app.error!r}"
        gc.collect()
        growth_mb = (tracemalloc.get_traced_memory()[0] - base) / 2**20
    finally:
        tracemalloc.stop()
    assert growth_mb < 20, f"{UPDATES} updates grew Python memory by {growth_mb:.1f} MB"
    assert len(plt.get_fignums()) == open_before, "the widget left a pyplot figure open"
    assert not app.errors.outputs
