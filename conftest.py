"""pytest set-up for the whole repository: notebooks run under nbval in lax mode, in this environment,
with the repository's sanitizer. Set here rather than in ``addopts`` so that ``pytest -p no:nbval``
(the model tests alone, e.g. ``pytest --device cuda -p no:nbval``) still parses its command line."""

from pathlib import Path

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if not config.pluginmanager.hasplugin("nbval"):
        return
    opt = config.option
    if not opt.nbval:  # plain --nbval (compare every output) stays available on request
        opt.nbval_lax = True
    opt.nbval_current_env = True
    if not getattr(opt, "nbval_sanitize_with", None) and not getattr(opt, "sanitize_with", None):
        opt.nbval_sanitize_with = str(Path(__file__).parent / "tests" / "nbval_sanitize.cfg")


# --------------------------------------------------------------------------- notebook times
# The suite executes every notebook under nbval (cold in a fresh clone with an empty model cache),
# one test item per cell. The summary adds the items up per notebook and prints them beside the
# notebook's budget, so a CI log shows each notebook's time in this run.

_NOTEBOOK_SECONDS: dict[str, float] = {}
#: cold budgets of the notebooks, in seconds (2 cores)
NOTEBOOK_BUDGETS = {"01": 60, "02": 60, "03": 60, "04": 120, "05": 300, "06": 120, "07": 120, "08": 120,
                    "09": 120, "10": 180}


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        name = Path(path).stem
        _NOTEBOOK_SECONDS[name] = _NOTEBOOK_SECONDS.get(name, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    if not _NOTEBOOK_SECONDS:
        return
    terminalreporter.section("notebook times (all cells, this run)")
    for name, seconds in sorted(_NOTEBOOK_SECONDS.items()):
        budget = NOTEBOOK_BUDGETS.get(name[:2])
        note = f"  (budget {budget} s cold{'' if seconds <= budget else ': OVER'})" if budget else ""
        terminalreporter.write_line(f"{name:<16} {seconds:7.1f} s{note}")
