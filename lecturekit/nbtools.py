"""The notebook pipeline: percent scripts are the source, executed .ipynb files carry outputs.

``python -m lecturekit.nbtools [NAME ...]`` (what ``make notebooks`` runs) refreshes each
``notebooks/NN_topic.ipynb`` from ``notebooks/NN_topic.py`` and executes it in place. Plain
``jupytext --sync`` is avoided on purpose: it picks the newer file by modification time and can
overwrite a script edit after a checkout.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

__all__ = ["ROOT", "NOTEBOOKS", "list_notebooks", "resolve", "sync", "execute", "title_of", "main"]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
_FORMAT = "py:percent"


def list_notebooks(directory: Path = NOTEBOOKS) -> list[Path]:
    """The percent scripts ``NN_topic.py`` in lecture order."""
    return sorted(p for p in directory.glob("[0-9][0-9]_*.py"))


def resolve(name: str, directory: Path = NOTEBOOKS) -> Path:
    """A notebook script from a name such as ``01``, ``01_em``, ``01_em.py`` or a path."""
    p = Path(name)
    if p.suffix in (".py", ".ipynb") and p.exists():
        return p.with_suffix(".py").resolve()
    for script in list_notebooks(directory):
        if name in (script.stem, script.name, script.stem.split("_")[0], script.with_suffix(".ipynb").name):
            return script
    known = ", ".join(s.stem for s in list_notebooks(directory))
    raise ValueError(f"notebook must be one of {known} (or a path to one), got {name!r}")


def title_of(script: Path) -> str:
    """The first markdown heading of a notebook script."""
    for line in script.read_text().splitlines():
        if line.startswith("# # "):
            return line[4:].strip()
    return script.stem


def sync(script: Path) -> Path:
    """Write the paired .ipynb from the script (outputs cleared: :func:`execute` refills them)."""
    import jupytext

    nb = jupytext.read(script, fmt=_FORMAT)
    nb.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    ipynb = script.with_suffix(".ipynb")
    jupytext.write(nb, ipynb, fmt="ipynb")
    return ipynb


def execute(ipynb: Path, *, out: Path | None = None, timeout: int = 900, cwd: Path | None = None) -> Path:
    """Execute a notebook top to bottom and write it (in place unless ``out``). Timing and widget
    state are not stored, so re-runs differ only where outputs really changed."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ipynb, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            store_widget_state=False,
                            resources={"metadata": {"path": str(cwd or ipynb.parent)}})
    client.execute()
    target = out or ipynb
    nbformat.write(nb, target)
    return target


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    scripts = [resolve(a) for a in argv] if argv else list_notebooks()
    os.environ.setdefault("TQDM_DISABLE", "1")
    for script in scripts:
        start = time.perf_counter()
        ipynb = sync(script)
        execute(ipynb)
        print(f"{ipynb.relative_to(ROOT)}: executed in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
