"""The ``lecturekit`` command line (also ``python -m lecturekit``).

- ``lecturekit lab``: JupyterLab on the notebooks, bound to 127.0.0.1 with a random token.
- ``lecturekit list``: the notebooks, one line each.

Bad arguments print a one-line error and exit non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path

from . import nbtools

__all__ = ["lab_command", "main"]


def lab_command(*, port: int = 8888, token: str | None = None, open_browser: bool = True,
                root_dir: Path | None = None) -> tuple[list[str], str]:
    """The JupyterLab command line ``make lab`` runs, and its token.

    The server listens on 127.0.0.1 only and always asks for a token: a fresh random one unless
    ``token`` (or ``$JUPYTER_TOKEN``) gives a non-empty one.
    """
    token = token or os.environ.get("JUPYTER_TOKEN") or secrets.token_urlsafe(24)
    if not isinstance(port, int) or not 0 <= port < 65536:
        raise ValueError(f"port must be an integer in 0..65535, got {port!r}")
    argv = [
        sys.executable, "-m", "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir or nbtools.NOTEBOOKS}",
        f"--ServerApp.open_browser={open_browser}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # Jupyter refuses to start as root without it (CI, containers)
    return argv, token


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        self.exit(2, f"lecturekit: error: {message}\n")


def _cmd_lab(args) -> int:
    argv, token = lab_command(port=args.port, open_browser=not args.no_browser)
    print(f"JupyterLab on http://127.0.0.1:{args.port}/lab?token={token}", flush=True)
    try:
        return subprocess.call(argv)
    except KeyboardInterrupt:
        return 0


def _cmd_list(args) -> int:
    for script in nbtools.list_notebooks():
        print(f"{script.stem:<22} {nbtools.title_of(script)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lecturekit", description="Notebooks for Stat 212b, Lecture 16: deep generative models.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser("lab", help="open the notebooks in JupyterLab (127.0.0.1, token auth)")
    p.add_argument("--port", type=int, default=8888, help="port to listen on (default 8888)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=_cmd_lab)
    p = sub.add_parser("list", help="list the notebooks, one line each")
    p.set_defaults(func=_cmd_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"lecturekit: error: {err}", file=sys.stderr)
        return 2
