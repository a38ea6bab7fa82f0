"""Live slides: every notebook is a deck, opened in JupyterLab's presentation mode (jupyterlab-slideshow).

The slide structure lives in the percent scripts as cell metadata, which survives the jupytext round
trip (``# %% [markdown] slideshow={"slide_type": "slide"}``): every markdown cell starts a slide
that holds it and the code and figure after it, except a cell that reads the figure above it, which
joins that slide as a fragment. The deck is linear, so → walks through the notebook, whose sections
follow the lecture's slides (EM and the variational bound, exponential families and conjugate
duality, mean field, VAEs and their semi-supervised extension, Boltzmann machines, normalizing
flows, diffusion, GANs, LAPGAN and DC-GAN).

``lecturekit slides NB`` starts JupyterLab on 127.0.0.1 (token), with the deck switched on, the news
pop-up off and projector mode (:mod:`lecturekit.projector`) in the kernel's environment, and opens
the notebook: run all cells, then move with the deck's arrows (or ←/→ on the keyboard).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from . import nbtools
from .projector import DEFAULT_SCALE, ENV, _check_scale

__all__ = ["slide_type", "mark_slides", "lab_settings", "slides_command"]

_HEADER = re.compile(r"^# %% \[markdown\](.*)$")


def slide_type(markdown: str, *, first: bool = False) -> str:
    """The deck role of a markdown cell: ``"fragment"`` for a cell that reads the figure above it
    (it opens with "Reading"), so it appears on the figure's slide at the next press, else
    ``"slide"``. The deck is linear, as the lecture is: the arrow key walks through every cell."""
    if not isinstance(markdown, str):
        raise TypeError(f"markdown must be the text of a markdown cell, got {type(markdown).__name__}")
    lines = [line.strip() for line in markdown.splitlines() if line.strip()]
    head = lines[0] if lines else ""
    return "fragment" if not first and head.lower().startswith("reading") else "slide"


def mark_slides(text: str) -> str:
    """A percent script with ``slideshow`` metadata on every markdown cell header (idempotent).

    Only the ``# %% [markdown]`` header lines change; code cells carry no metadata and stay on the
    slide of the markdown before them."""
    if not isinstance(text, str):
        raise TypeError(f"text must be the text of a percent script, got {type(text).__name__}")
    lines = text.splitlines(keepends=True)
    out, first = [], True
    for i, line in enumerate(lines):
        m = _HEADER.match(line.rstrip("\n"))
        if not m:
            out.append(line)
            continue
        rest = m.group(1).strip()
        if rest and not rest.startswith("slideshow="):
            raise ValueError(f"line {i + 1}: a markdown cell header with other metadata ({rest!r}) must be marked by hand")
        body = []
        for nxt in lines[i + 1:]:
            if nxt.startswith("# %%"):
                break
            body.append(nxt[2:] if nxt.startswith("# ") else nxt.lstrip("#"))
        kind = slide_type("".join(body), first=first)
        first = False
        out.append(f'# %% [markdown] slideshow={{"slide_type": "{kind}"}}\n')
    return "".join(out)


def lab_settings(directory: Path) -> Path:
    """Write JupyterLab settings for a lecture into ``directory``: the deck on at start, the news
    pop-up and update checks off. Returns the folder to pass as ``JUPYTERLAB_SETTINGS_DIR``."""
    directory = Path(nbtools.check_path("directory", directory))
    files = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        "jupyterlab-slideshow/plugin.jupyterlab-settings": {"active": True},
    }
    for name, value in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    return directory


def slides_command(notebook: str, settings_dir: Path, *, port: int = 8890, scale: float = DEFAULT_SCALE,
                   token: str | None = None, open_browser: bool = True) -> tuple[list[str], dict, str]:
    """The JupyterLab command line, environment and URL that open ``notebook`` as a live deck.

    The server listens on 127.0.0.1 with a token; its kernels inherit ``LECTUREKIT_PRESENT=scale``
    (``1`` for the notebook's own size)."""
    from .cli import lab_command

    settings_dir = nbtools.check_path("settings_dir", settings_dir)
    script = nbtools.resolve(notebook)
    ipynb = script.with_suffix(".ipynb")
    if not ipynb.exists():
        raise FileNotFoundError(f"{ipynb} is missing: run `make notebooks` first")
    scale = _check_scale("scale", scale)
    argv, token = lab_command(port=port, token=token, open_browser=open_browser, root_dir=script.parent)
    argv += [f"--LabApp.default_url=/lab/tree/{ipynb.name}"]
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(lab_settings(settings_dir)), **{ENV: f"{scale:g}"})
    return argv, env, f"http://127.0.0.1:{port}/lab/tree/{ipynb.name}?token={token}"
