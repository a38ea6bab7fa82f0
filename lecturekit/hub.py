"""Links that open a course notebook on a JupyterHub, through nbgitpuller.

A student who follows the link logs in to the hub, which starts their server; nbgitpuller then
clones the course repository into their home (or, when it is already there, pulls the new commits
while keeping the student's own edits) and opens the notebook. This builds the same link as
nbgitpuller's own link generator (``docs/_static/link_gen/link.js``)::

    {hub}/hub/user-redirect/git-pull?repo=...&urlpath=...&branch=...&targetPath=...

``urlpath`` is relative to the student's server and must name the clone's folder, so
``targetPath`` is always given (nbgitpuller's default is the last part of the repository URL,
``.git`` included).
"""

from __future__ import annotations

import subprocess
import urllib.parse
from pathlib import Path, PurePosixPath

from . import nbtools

__all__ = ["APPS", "default_repo", "nbgitpuller_link", "notebook_path"]

#: Where the link lands: ``urlpath`` for a file in each front end.
APPS = {"lab": "lab/tree/{path}", "voila": "voila/render/{path}"}


def default_repo(root: Path = nbtools.ROOT) -> str:
    """The ``origin`` URL of the git checkout lecturekit runs from (the course repository)."""
    root = nbtools.check_path("root", root)
    if not root.is_dir():
        raise ValueError(f"root must be the folder of a git checkout, got {str(root)!r} (not a folder)")
    try:
        out = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        out = None
    if out is None or out.returncode != 0 or not out.stdout.strip():
        raise ValueError(f"root {str(root)!r} has no git remote 'origin': pass --repo URL, the course repository "
                         "students clone (any URL or path that `git clone` accepts)")
    return out.stdout.strip()


def notebook_path(notebook: str) -> str:
    """The notebook's path inside the course repository: ``01`` gives ``notebooks/01_em.ipynb``.

    A name of one of lecturekit's notebooks is resolved; a relative ``.ipynb`` path with a ``/``
    (a notebook of the course repository that lecturekit does not ship) is taken as it is.
    """
    try:
        script = nbtools.resolve(notebook)
    except ValueError:
        p = PurePosixPath(notebook)
        if p.suffix == ".ipynb" and len(p.parts) > 1 and not p.is_absolute() and ".." not in p.parts:
            return str(p)
        raise
    try:
        return script.with_suffix(".ipynb").relative_to(nbtools.ROOT).as_posix()
    except ValueError:
        raise ValueError(f"{script} is outside the course repository {nbtools.ROOT}: give its path inside "
                         "the repository, such as notebooks/01_em.ipynb") from None


def _clone_folder(repo: str) -> str:
    """The folder ``git clone REPO`` makes: the last part of the URL without ``.git`` (git's rule)."""
    last = repo.rstrip("/").split("/")[-1].split(":")[-1]
    for suffix in (".git", ".bundle"):
        if last.endswith(suffix) and len(last) > len(suffix):
            last = last[: -len(suffix)]
    return last


def nbgitpuller_link(hub: str, notebook: str, *, repo: str, branch: str | None = None,
                     target: str | None = None, app: str = "lab") -> str:
    """The nbgitpuller link that clones or updates ``repo`` in the student's home and opens ``notebook``.

    Args:
        hub: the hub's public URL, such as ``https://hub.example.edu`` (with its base path if any).
        notebook: a lecturekit notebook name (``01``, ``01_em``) or a path inside the repository.
        repo: the course repository, any URL or path that ``git clone`` accepts.
        branch: the branch to pull (default: the repository's default branch).
        target: the folder in the student's home (default: the repository's name, as git names it).
        app: ``"lab"`` (JupyterLab) or ``"voila"`` (the widgets alone, code hidden).

    Returns:
        The link, to paste into the course page or the learning-management system.
    """
    if not isinstance(hub, str):
        raise TypeError(f"hub must be the hub's URL as a string, such as https://hub.example.edu, got {hub!r}")
    for name, value in (("branch", branch), ("target", target)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a string or None, got {value!r}")
    parsed = urllib.parse.urlsplit(hub)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query or parsed.fragment:
        raise ValueError(f"hub must be the hub's http(s) URL such as https://hub.example.edu, got {hub!r}")
    if not repo or not isinstance(repo, str):
        raise ValueError(f"repo must be a git URL or path, got {repo!r}")
    if not isinstance(app, str) or app not in APPS:
        raise ValueError(f"app must be one of {', '.join(APPS)}, got {app!r}")
    target = target if target is not None else _clone_folder(repo)
    if not target or target in (".", "..") or "/" in target or "\\" in target:
        raise ValueError(f"target must be a folder name without '/', got {target!r}")
    urlpath = APPS[app].format(path=f"{target}/{notebook_path(notebook)}")
    query = {"repo": repo, "urlpath": urlpath}
    if branch:
        query["branch"] = branch
    query["targetPath"] = target
    base = parsed.path.rstrip("/")
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, f"{base}/hub/user-redirect/git-pull",
                                    urllib.parse.urlencode(query), ""))
