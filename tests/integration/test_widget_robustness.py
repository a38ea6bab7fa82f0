"""Every widget survives many rapid updates: no error, no growing memory, no stray figure.

The widgets come from the benchmark cases (benchmarks/widgets_*.py), so every widget that is
benchmarked is also checked here. These run after the notebooks, when trained models are cached.
"""

from __future__ import annotations

import gc
import os
import resource
import sys

import matplotlib.pyplot as plt
import pytest

from tests.support import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from widgets import load_cases  # noqa: E402  (benchmarks/widgets.py)

CASES = load_cases()
UPDATES = 500


def rss_mb() -> float:
    """The process's resident memory now (Linux), else its peak: covers tensors and figure
    buffers, which Python's tracemalloc does not see."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.notebook}-{c.widget}")
def test_rapid_updates_leave_no_growth_and_no_figure(case):
    app = case.build()
    for i in range(10):  # warm caches
        case.drive(app, i)
    gc.collect()
    open_before = len(plt.get_fignums())
    base = rss_mb()
    for i in range(UPDATES):
        case.drive(app, i)
        assert app.error is None, f"update {i} failed: {app.error!r}"
    gc.collect()
    growth_mb = rss_mb() - base
    assert growth_mb < 20, f"{UPDATES} updates grew resident memory by {growth_mb:.1f} MB"
    assert len(plt.get_fignums()) == open_before, "the widget left a pyplot figure open"
    assert not app.errors.outputs
