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

__all__ = ["ROOT", "NOTEBOOKS", "list_notebooks", "resolve", "sync", "execute", "title_of", "warm_cache", "main"]

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


def warm_cache(names: list[str] | None, directory: str | os.PathLike, *, timeout: int = 1800,
               progress: bool | None = None) -> list[tuple[str, float]]:
    """Pre-train every model the notebooks use into ``directory`` by executing them headless with
    ``LECTUREKIT_CACHE`` pointing there (outputs are discarded). A class server then points each
    student's ``LECTUREKIT_SHARED_CACHE`` at that folder. Returns ``(notebook, seconds)`` pairs."""
    import tempfile

    import jupytext
    import nbformat
    from tqdm.auto import tqdm

    from .train import progress_disabled

    scripts = [resolve(n) for n in names] if names else list_notebooks()
    target = Path(directory).expanduser().resolve()
    target.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in ("LECTUREKIT_CACHE", "LECTUREKIT_SHARED_CACHE", "TQDM_DISABLE")}
    os.environ["LECTUREKIT_CACHE"] = str(target)
    os.environ.pop("LECTUREKIT_SHARED_CACHE", None)  # train everything into the target, not around it
    disable = progress_disabled(progress)
    os.environ["TQDM_DISABLE"] = "1"  # the notebooks' own bars would interleave with this one
    done = []
    try:
        bar = tqdm(scripts, desc="warming the model cache", unit="notebook", disable=disable)
        for script in bar:
            bar.set_postfix_str(script.stem)
            start = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                ipynb = Path(tmp) / script.with_suffix(".ipynb").name
                nbformat.write(jupytext.read(script, fmt=_FORMAT), ipynb)
                execute(ipynb, timeout=timeout, cwd=script.parent)
            done.append((script.stem, time.perf_counter() - start))
        bar.close()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return done


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
