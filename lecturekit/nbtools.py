"""The notebook pipeline: percent scripts are the source, executed .ipynb files carry outputs.

``python -m lecturekit.nbtools [NAME ...]`` (what ``make notebooks`` runs) refreshes each
``notebooks/NN_topic.ipynb`` from ``notebooks/NN_topic.py`` and executes it in place. Plain
``jupytext --sync`` is avoided on purpose: it picks the newer file by modification time and can
overwrite a script edit after a checkout.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from .utils import check_path, check_positive_int

__all__ = ["ROOT", "NOTEBOOKS", "NotebookError", "list_notebooks", "resolve", "sync", "execute", "title_of", "warm_cache",
           "main"]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
_FORMAT = "py:percent"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class NotebookError(RuntimeError):
    """A notebook cell failed, timed out or killed its kernel.

    ``str(err)`` is one line that names the notebook, the cell (its number, counting every cell from
    1, and its first line of code) and the error; ``err.traceback`` holds the kernel's full traceback.
    """

    def __init__(self, notebook: str, index: int | None, source: str, ename: str, evalue: str,
                 traceback: str = ""):
        self.notebook, self.index, self.ename, self.evalue = notebook, index, ename, evalue
        self.traceback = _ANSI.sub("", traceback or "")
        lines = [line.strip() for line in (source or "").splitlines() if line.strip()]
        code = [line for line in lines if not line.startswith("#")]
        first = (code or lines or [""])[0]
        self.first_line = first if len(first) <= 70 else first[:67] + "..."
        where = f"cell {index}" if index is not None else "a cell"
        message = _ANSI.sub("", evalue or "").strip().splitlines()
        detail = f"{ename}: {message[0]}" if message else ename
        super().__init__(f"{notebook}: {where} (`{self.first_line}`) failed with {detail}")


def list_notebooks(directory: Path = NOTEBOOKS) -> list[Path]:
    """The percent scripts ``NN_topic.py`` in lecture order."""
    directory = check_path("directory", directory, kind="dir")
    return sorted(p for p in directory.glob("[0-9][0-9]_*.py"))


def resolve(name: str, directory: Path = NOTEBOOKS) -> Path:
    """A notebook script from a name such as ``01``, ``01_em``, ``01_em.py`` or a path."""
    if not isinstance(name, (str, os.PathLike)) or not str(name).strip():
        raise TypeError(f"notebook must be a name such as 01, 01_em or a path, got {name!r}")
    name = os.fspath(name)
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
    script = check_path("script", script, kind="file", suffixes=(".py",))
    for line in script.read_text().splitlines():
        if line.startswith("# # "):
            return line[4:].strip()
    return script.stem


def sync(script: Path) -> Path:
    """Write the paired .ipynb from the script (outputs cleared: :func:`execute` refills them)."""
    import jupytext

    script = check_path("script", script, kind="file", suffixes=(".py",))
    nb = jupytext.read(script, fmt=_FORMAT)
    nb.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    ipynb = script.with_suffix(".ipynb")
    jupytext.write(nb, ipynb, fmt="ipynb")
    return ipynb


def execute(ipynb: Path, *, out: Path | None = None, timeout: int = 900, cwd: Path | None = None) -> Path:
    """Execute a notebook top to bottom and write it (in place unless ``out``). Timing and widget
    state are not stored, so re-runs differ only where outputs really changed.

    Raises:
        NotebookError: a cell raised, timed out or killed the kernel. The message names the cell
            and the error in one line; the notebook as executed up to that cell is still written.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    ipynb = check_path("ipynb", ipynb, kind="file", suffixes=(".ipynb",))
    timeout = check_positive_int("timeout", timeout)
    target = ipynb if out is None else check_path("out", out)
    cwd = ipynb.parent if cwd is None else check_path("cwd", cwd, kind="dir")
    try:
        nb = nbformat.read(ipynb, as_version=4)
    except Exception as err:  # not JSON, or not a notebook
        raise ValueError(f"ipynb {str(ipynb)!r} is not a readable notebook: {str(err).splitlines()[0]}") from None
    current: dict = {"index": None}

    def on_cell_start(cell, cell_index, **_):
        current["index"] = cell_index

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            store_widget_state=False, on_cell_start=on_cell_start,
                            resources={"metadata": {"path": str(cwd)}})
    name = ipynb.stem

    def failed(ename: str, evalue: str, tb: str = "") -> NotebookError:
        i = current["index"]
        source = nb.cells[i].source if i is not None and i < len(nb.cells) else ""
        nbformat.write(nb, target)  # what ran, with the error in its cell, for whoever looks next
        return NotebookError(name, None if i is None else i + 1, source, ename, evalue, tb)

    import tempfile

    # The kernel's own stderr (start-up warnings, a crash report) goes to a log, not into the
    # caller's terminal; it is read back only when the kernel dies.
    with tempfile.TemporaryFile(mode="w+") as log:
        try:
            client.execute(stderr=log)
        except CellExecutionError as err:
            raise failed(err.ename, err.evalue, str(err)) from None
        except CellTimeoutError:
            raise failed("TimeoutError", f"the cell ran for more than {timeout} s (raise --timeout)") from None
        except DeadKernelError as err:
            log.seek(0)
            raise failed("DeadKernelError", f"the kernel died (out of memory?): {err}", log.read()[-4000:]) from None
    nbformat.write(nb, target)
    return target


@contextlib.contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set (a string) or unset (``None``) environment variables for the block, then restore them."""
    def put(settings: dict) -> None:
        for k, v in settings.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    saved = {k: os.environ.get(k) for k in values}
    try:
        put(values)
        yield
    finally:
        put(saved)


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

    if names is not None and (isinstance(names, (str, bytes)) or not isinstance(names, (list, tuple))):
        raise TypeError(f"names must be a list of notebook names such as ['01', '04'] or None, got {names!r}")
    timeout = check_positive_int("timeout", timeout)
    disable = progress_disabled(progress)
    scripts = [resolve(n) for n in names] if names else list_notebooks()
    target = check_path("directory", directory, kind="new_dir").resolve()
    target.mkdir(parents=True, exist_ok=True)
    done = []
    # train everything into the target, not around it (no shared cache); the notebooks' own bars
    # would interleave with this one
    with environment(LECTUREKIT_CACHE=str(target), LECTUREKIT_SHARED_CACHE=None, TQDM_DISABLE="1"):
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
    return done


def main(argv: list[str] | None = None) -> int:
    """``python -m lecturekit.nbtools [NAME ...]``: refresh and execute notebooks (all by default)."""
    argv = sys.argv[1:] if argv is None else argv
    if isinstance(argv, (str, bytes)) or not isinstance(argv, (list, tuple)):
        raise TypeError(f"argv must be a list of notebook names, got {argv!r}")
    try:
        scripts = [resolve(a) for a in argv] if argv else list_notebooks()
    except (TypeError, ValueError) as err:
        print(f"nbtools: error: {err}", file=sys.stderr)
        return 2
    os.environ.setdefault("TQDM_DISABLE", "1")
    for script in scripts:
        start = time.perf_counter()
        ipynb = sync(script)
        try:
            execute(ipynb)
        except NotebookError as err:
            print(err.traceback, file=sys.stderr)
            print(f"nbtools: error: {err}", file=sys.stderr)
            return 1
        print(f"{ipynb.relative_to(ROOT)}: executed in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
