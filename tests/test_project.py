"""The project's set-up files agree with each other (README commands, CI, pip and conda lists),
and the package keeps its layout (the math core imports no widget or plotting code)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# conda-forge names for the pip names that differ
CONDA_NAMES = {"torch": "pytorch-cpu"}


def _pip_requirements() -> dict[str, str]:
    reqs = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        name, version = re.match(r"([A-Za-z0-9_.\-]+)==([0-9.]+)(?:\.\*)?$", line).groups()
        reqs[name.lower()] = version
    return reqs


def _conda_dependencies() -> dict[str, str]:
    deps, in_pip, in_deps = {}, False, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if not line.startswith(" "):
            in_deps = line.startswith("dependencies:")
        if not in_deps:
            continue
        m = re.match(r"\s*-\s+([A-Za-z0-9_.\-]+)(?:=([0-9.]+))?\s*$", line)
        if line.strip().startswith("- pip:"):
            in_pip = True
            continue
        if m and not in_pip:
            deps[m.group(1).lower()] = m.group(2)
    return deps


def test_torch_is_pinned_to_2_13():
    assert _pip_requirements()["torch"] == "2.13"


def test_environment_yml_lists_the_same_packages_and_versions():
    pip, conda = _pip_requirements(), _conda_dependencies()
    assert conda.get("python") == "3.11"
    for name, version in pip.items():
        conda_name = CONDA_NAMES.get(name, name)
        assert conda_name in conda, f"environment.yml lacks {conda_name} (requirements.txt has {name})"
        assert conda[conda_name] == version, f"{conda_name}: conda {conda[conda_name]} vs pip {version}"
    extra = set(conda) - {CONDA_NAMES.get(n, n) for n in pip} - {"python", "pip"}
    assert not extra, f"environment.yml has packages requirements.txt lacks: {extra}"
    assert "conda-forge" in (ROOT / "environment.yml").read_text()


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec make test$", ci, re.M)
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:sh|bash)?\n(.*?)```", readme, re.S).group(1)
    assert "make lab" in first_block and "make test" in first_block


def test_readme_lists_every_notebook():
    readme = (ROOT / "README.md").read_text()
    for script in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        assert script.stem in readme, f"README does not list {script.stem}"


def test_makefile_reinstalls_only_when_requirements_change():
    mk = (ROOT / "Makefile").read_text()
    assert re.search(r"^\$\(STAMP\): requirements\.txt requirements-dev\.txt pyproject\.toml", mk, re.M)
    assert re.search(r"^test: \$\(STAMP\)", mk, re.M) and re.search(r"^lab: \$\(STAMP\)", mk, re.M)


@pytest.mark.parametrize("bench", sorted((ROOT / "benchmarks").glob("*.py")), ids=lambda p: p.name)
def test_benchmarks_have_a_docstring(bench):
    assert bench.read_text().lstrip().startswith('"""')


MATH_CORE = ("utils", "checks", "data", "download", "nn", "train", "checkpoint", "em", "expfam", "meanfield", "vae", "hvi",
             "frey", "ssvae", "boltzmann", "ais", "flows", "diffusion", "gan", "lapgan", "recipes")


def test_math_core_imports_no_widget_or_plotting_library():
    """The math core stays free of widgets and plotting: importing it, module by module in a fresh
    interpreter, never loads ipywidgets or matplotlib (the first module that does is named)."""
    code = ("import importlib, sys\n"
            f"for name in {MATH_CORE!r}:\n"
            "    importlib.import_module('lecturekit.' + name)\n"
            "    bad = [m for m in ('ipywidgets', 'matplotlib') if m in sys.modules]\n"
            "    if bad:\n"
            "        sys.exit(f'lecturekit.{name} imports {bad}')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


#: The style guide's split line: a module past it is split by what a reader looks for.
MAX_MODULE_LINES = 500


def test_no_lecturekit_module_is_over_500_lines():
    """Every module of the package (packages' modules included) stays under the split line, so a
    reader finds a topic's code in files of a few hundred lines (the style guide, section 2)."""
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines())
             for p in sorted((ROOT / "lecturekit").rglob("*.py")) if "__pycache__" not in p.parts}
    assert len(sizes) > 30, f"found only {len(sizes)} modules under lecturekit/"
    long = {path: n for path, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them by topic): {long}"
