# Two commands do all the set-up on a fresh machine:
#   make lab    create .venv if needed, install, and open JupyterLab on notebooks/ (127.0.0.1, token)
#   make test   the same set-up plus the test tools, then the whole suite (unit tests + nbval
#               + real-browser widget tests)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# configurable-http-proxy for the JupyterHub kit and its tests, from the npm registry (pinned by the lock file)
HUB_PROXY := deploy/jupyterhub/node_modules/.bin/configurable-http-proxy
# MathJax for the static course site (lecturekit site), from the npm registry (pinned by the lock file)
SITE_MATHJAX := deploy/site/node_modules/mathjax/es5/tex-chtml-full.js
SITE_OUT ?= site

NB ?= 01

.PHONY: lab app test notebooks benchmarks clean-venv site site-assets

# Reinstall only when a requirements file or pyproject.toml is newer than the last install.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml deploy/jupyterhub/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[grading]"
	@touch $(STAMP)

lab: $(STAMP)
	$(PY) -m lecturekit lab

# Classroom projection: one notebook's widgets alone, with Voila (make app NB=04).
app: $(STAMP)
	$(PY) -m lecturekit app $(NB)

$(HUB_PROXY): deploy/jupyterhub/package.json deploy/jupyterhub/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix deploy/jupyterhub --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the JupyterHub tests will be skipped (and fail under CI)" >&2; fi

$(SITE_MATHJAX): deploy/site/package.json deploy/site/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix deploy/site --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: lecturekit site needs MathJax, its browser test will be skipped (and fail under CI)" >&2; fi

site-assets: $(SITE_MATHJAX)

# The static course site of every notebook in $(SITE_OUT)/ (make site SITE_OUT=public).
site: $(STAMP) $(SITE_MATHJAX)
	TQDM_DISABLE=1 $(PY) -m lecturekit site $(SITE_OUT)

test: $(STAMP) $(HUB_PROXY) $(SITE_MATHJAX)
	TQDM_DISABLE=1 $(PY) -m pytest

# Refresh every .ipynb from its percent script (keeping no stale output) and execute it in place.
notebooks: $(STAMP)
	TQDM_DISABLE=1 $(PY) -m lecturekit.nbtools

benchmarks: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
