# Two commands do all the set-up on a fresh machine:
#   make lab    create .venv if needed, install, and open JupyterLab on notebooks/ (127.0.0.1, token)
#   make test   the same set-up plus the test tools, then the whole suite (unit tests + nbval
#               + real-browser widget tests)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

NB ?= 01

.PHONY: lab app test notebooks benchmarks clean-venv

# Reinstall only when a requirements file or pyproject.toml is newer than the last install.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

lab: $(STAMP)
	$(PY) -m lecturekit lab

# Classroom projection: one notebook's widgets alone, with Voila (make app NB=04).
app: $(STAMP)
	$(PY) -m lecturekit app $(NB)

test: $(STAMP)
	TQDM_DISABLE=1 $(PY) -m pytest

# Refresh every .ipynb from its percent script (keeping no stale output) and execute it in place.
notebooks: $(STAMP)
	TQDM_DISABLE=1 $(PY) -m lecturekit.nbtools

benchmarks: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
