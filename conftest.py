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
