"""The ``lecturekit`` command line (also ``python -m lecturekit``).

- ``lecturekit lab``: JupyterLab on the notebooks, bound to 127.0.0.1 with a random token.
- ``lecturekit list``: the notebooks, one line each.
- ``lecturekit app NOTEBOOK``: the notebook's widgets alone, served by Voila on 127.0.0.1.
- ``lecturekit slides NOTEBOOK``: the notebook as a live deck in JupyterLab, widgets in projector mode.
- ``lecturekit site OUT [NB...]``: a static course site (executed notebooks, pre-rendered widget frames).
- ``lecturekit run NOTEBOOK``: execute headless; write an executed copy and an HTML export.
- ``lecturekit link --hub URL NOTEBOOK``: an nbgitpuller link that opens the notebook on a JupyterHub.
- ``lecturekit train MODEL``: full-scale training (GPU or time); the notebooks pick the result up.
- ``lecturekit doctor``: versions, widget front end, device, and the cache folders (``--verbose``: every model).
- ``lecturekit cache warm [NB...] --dir DIR`` / ``lecturekit cache list``: pre-train the notebooks' models.
- ``lecturekit homework build --out DIR`` / ``grade SUBMISSION...`` / ``export --format otter|nbgrader OUT``.

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
from .checks import check_path, check_positive_float

__all__ = ["lab_command", "main"]


def lab_command(*, port: int = 8888, token: str | None = None, open_browser: bool = True,
                root_dir: Path | None = None) -> tuple[list[str], str]:
    """The JupyterLab command line ``make lab`` runs, and its token.

    The server listens on 127.0.0.1 only and always asks for a token: a fresh random one unless
    ``token`` (or ``$JUPYTER_TOKEN``) gives a non-empty one.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < 65536:
        raise ValueError(f"port must be an integer in 0..65535, got {port!r}")
    if token is not None and (not isinstance(token, str) or not token.strip() or any(c.isspace() for c in token)):
        raise ValueError(f"token must be a non-empty string without spaces, or None for a random one, got {token!r}")
    if not isinstance(open_browser, bool):
        raise TypeError(f"open_browser must be True or False, got {open_browser!r}")
    if root_dir is not None:
        check_path("root_dir", root_dir, kind="dir")
    token = token or os.environ.get("JUPYTER_TOKEN") or secrets.token_urlsafe(24)
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


def _positive_int(text: str) -> int:
    """An argparse type: a positive integer (``--timeout 0`` or ``-1`` is refused in one line)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


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


def app_command(notebook: str, *, port: int = 8866, open_browser: bool = True) -> list[str]:
    """The Voila command line that serves one notebook as an app (code hidden) on 127.0.0.1."""
    script = nbtools.resolve(notebook)
    ipynb = script.with_suffix(".ipynb")
    if not ipynb.exists():
        raise FileNotFoundError(f"{ipynb} is missing: run `make notebooks` first")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"port must be an integer in 1..65535, got {port!r}")
    argv = [sys.executable, "-m", "voila", str(ipynb), f"--port={port}", "--Voila.ip=127.0.0.1"]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def _cmd_app(args) -> int:
    argv = app_command(args.notebook, port=args.port, open_browser=not args.no_browser)
    print(f"serving the widgets of {args.notebook} on http://127.0.0.1:{args.port}/", flush=True)
    try:
        return subprocess.call(argv, cwd=nbtools.NOTEBOOKS)
    except KeyboardInterrupt:
        return 0


def _cmd_slides(args) -> int:
    import tempfile

    from . import slides

    with tempfile.TemporaryDirectory(prefix="lecturekit-slides-") as settings:
        argv, env, url = slides.slides_command(args.notebook, settings, port=args.port, scale=args.scale,
                                               open_browser=not args.no_browser)
        print(f"the deck of {args.notebook} on {url}\nrun all cells, then move with the arrow keys", flush=True)
        try:
            return subprocess.call(argv, env=env)
        except KeyboardInterrupt:
            return 0


def _cmd_site(args) -> int:
    from . import site

    out = check_path("OUT", args.out, kind="new_dir")
    report = site.build(out, args.notebooks or None, timeout=args.timeout, max_frames=args.max_frames,
                        max_product=args.max_product, max_mb=args.max_mb, progress=lambda line: print(line, flush=True),
                        keep_going=args.keep_going)
    print(site.summary({**report, "notebooks": [], "failed": []}), flush=True)  # notebooks printed as they finished
    if report["failed"]:
        print(f"error: notebooks that failed to execute (their pages show the error): "
              f"{', '.join(nb['name'] for nb in report['failed'])}", file=sys.stderr, flush=True)
    return 1 if report["failed"] else 0


def _cmd_link(args) -> int:
    from . import hub

    repo = args.repo or hub.default_repo()
    print(hub.nbgitpuller_link(args.hub, args.notebook, repo=repo, branch=args.branch, target=args.target,
                               app=args.app))
    return 0


def _cmd_run(args) -> int:
    import nbformat
    from nbconvert import HTMLExporter

    script = nbtools.resolve(args.notebook)
    out = _out_folder("--out", args.out)
    ipynb = out / script.with_suffix(".ipynb").name
    import jupytext

    nb = jupytext.read(script, fmt="py:percent")
    nbformat.write(nb, ipynb)
    os.environ.setdefault("TQDM_DISABLE", "1")
    nbtools.execute(ipynb, cwd=script.parent, timeout=args.timeout)
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(ipynb, as_version=4))
    html_path = ipynb.with_suffix(".html")
    html_path.write_text(html)
    print(f"executed {ipynb}\nexported {html_path}")
    return 0


def _out_folder(option: str, value: str) -> Path:
    """The folder named by an option, created if missing; one-line errors for a file or an empty name."""
    if not value or not value.strip():
        raise ValueError(f"{option} must name a folder, got {value!r}")
    out = check_path(option, value, kind="new_dir")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _cmd_doctor(args) -> int:
    import importlib.metadata as md
    import platform

    from . import __version__, checkpoint
    from .utils import get_device

    def version(name):
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return "not installed"

    ok = True
    print(f"lecturekit {__version__}, Python {platform.python_version()} on {platform.platform()}")
    for name in ("torch", "numpy", "matplotlib", "ipywidgets", "jupyterlab", "jupyterlab_widgets",
                 "jupytext", "nbval", "scikit-learn", "mlxtend"):
        print(f"  {name:<20} {version(name)}")
    iw, front = version("ipywidgets"), version("jupyterlab_widgets")
    if iw.startswith("8.") and not front.startswith("3."):
        ok = False
        print(f"  ! ipywidgets {iw} needs the JupyterLab front end jupyterlab_widgets 3.x, found {front}")
    else:
        print(f"  widget front end matches ipywidgets {iw}: yes")
    try:
        print(f"  device: {get_device()}")
    except ValueError as err:
        ok = False
        print(f"  ! device: {err}")
    entries = checkpoint.entries()
    for kind, folder in checkpoint.cache_dirs():
        mine = [e for e in entries if e["kind"] == kind and e["path"].parent == folder]
        state = "" if folder.is_dir() else " (missing)"
        access = {"shared": "read-only", "user": "writable", "shipped": "shipped with lecturekit"}[kind]
        print(f"  model cache ({access}): {folder}{state}: {len(mine)} models, "
              f"{sum(e['mb'] for e in mine):.1f} MiB")
    if args.verbose:
        for e in entries:
            print(f"    {e['name']:<32} {e['kind']:<6} {e['path']}")
    from . import recipes

    trained = [(name, found[1]) for name in recipes.RECIPES if (found := recipes.load_trained(name)) is not None]
    print("  full-size models: " + (", ".join(f"{n} ({e.get('data')}, {e.get('epochs')} epochs on {e.get('device')})"
                                              for n, e in trained) or "none (see `lecturekit train --list`)"))
    print("everything looks right" if ok else "some checks failed (marked !)")
    return 0 if ok else 1


def _cmd_cache_warm(args) -> int:
    from . import checkpoint

    target = _out_folder("--dir", args.dir) if args.dir is not None else checkpoint.cache_dir()
    names = [nbtools.resolve(n).stem for n in args.notebooks]  # unknown names fail before any work
    done = nbtools.warm_cache(names or None, target, timeout=args.timeout)
    models = list(target.glob("*.pt"))
    for name, seconds in done:
        print(f"{name:<16} {seconds:7.1f} s")
    print(f"{len(models)} models ({sum(m.stat().st_size for m in models) / 2**20:.1f} MiB) in {target}")
    return 0


def _cmd_cache_list(args) -> int:
    from . import checkpoint

    for e in checkpoint.entries():
        print(f"{e['name']:<32} {e['kind']:<6} {e['mb']:7.2f} MiB  {e['path']}")
    return 0


def _cmd_train(args) -> int:
    from . import recipes

    if args.list:
        for r in recipes.RECIPES.values():
            print(f"{r.name:<8} {r.epochs:>4} epochs  {r.summary}")
        return 0
    if args.model is None:
        raise ValueError(f"MODEL is required: one of {', '.join(recipes.RECIPES)} (see --list)")
    if args.limit is not None and args.limit <= 0:
        raise ValueError(f"--limit must be positive, got {args.limit}")
    if args.epochs is not None and args.epochs <= 0:
        raise ValueError(f"--epochs must be positive, got {args.epochs}")
    if args.seed < 0:
        raise ValueError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.data_dir is not None:
        check_path("--data-dir", args.data_dir, kind="new_dir")
    if args.device is not None:
        from .utils import get_device

        try:
            get_device(args.device)
        except ValueError as err:
            raise ValueError(f"--device {args.device}: {err}") from None
    if args.data == "mnist" and not args.download:
        from . import data

        root = Path(args.data_dir) if args.data_dir else recipes.data_dir()
        missing = [n for split in data.MNIST_FILES.values() for n, _ in split if not (root / n).exists()]
        if missing:
            raise FileNotFoundError(f"full MNIST is not in {root} ({missing[0]} missing): add --download to fetch "
                                    f"it (SHA-256 checked), point --data-dir at it, or use --data mnist5k offline")
    recipe = recipes.RECIPES[args.model]
    epochs = args.epochs or recipe.epochs
    print(f"training {args.model}: {recipe.summary}; data {args.data}, epochs {epochs}", flush=True)
    model, extras, path = recipes.fit_recipe(args.model, num_epochs=epochs, data=args.data, device=args.device,
                                             seed=args.seed, limit=args.limit, root=args.data_dir,
                                             download=args.download)
    device = next(model.parameters()).device
    shown = {k: extras[k] for k in ("device", "train_images", "wall_s", "test_elbo", "test_iwae50") if k in extras}
    print(", ".join(f"{k} {v}" for k, v in shown.items()))
    print(f"saved {path} (trained on {device}); notebooks load it with "
          f"lecturekit.recipes.load_trained({args.model!r})")
    return 0


def _cmd_homework_build(args) -> int:
    from . import grading

    built = grading.build_all(_out_folder("--out", args.out))
    for path in built:
        print(path)
    print(f"{len(built)} student notebooks written to {args.out}")
    return 0


def _cmd_homework_grade(args) -> int:
    from . import grading

    missing = [s for s in args.submissions if not Path(s).is_file()]
    if len(missing) == len(args.submissions):
        raise FileNotFoundError(f"submission not found: {', '.join(missing)}")
    for option, value in (("--timeout", args.timeout), ("--cell-timeout", args.cell_timeout), ("--memory", args.memory)):
        check_positive_float(option, value)
    if args.csv is not None:  # before grading, which takes minutes
        check_path("--csv", args.csv, kind="new_file", suffixes=(".csv",))
    results = grading.grade(args.submissions, timeout=args.timeout, cell_timeout=min(args.timeout, args.cell_timeout),
                            memory_mb=args.memory, sandbox="none" if args.no_sandbox else "auto", jobs=args.jobs)
    print(grading.score_table(results))
    if args.csv:  # written for whatever could be graded, before any error below
        print(f"details written to {grading.write_csv(results, args.csv)}")
    for name in missing:
        print(f"lecturekit: error: submission not found: {name}", file=sys.stderr)
    return 2 if missing else 0


def _cmd_homework_export(args) -> int:
    from .exercises import export

    write = export.export_otter if args.format == "otter" else export.export_nbgrader
    for name in args.notebooks:  # unknown names fail before any work
        nbtools.resolve(name)
    written = write(_out_folder("OUT", args.out), args.notebooks or None)
    for path in written:
        print(path)
    hint = ("cd OUT/NN_topic && otter assign NN_topic.ipynb dist" if args.format == "otter"
            else "cd OUT && nbgrader generate_assignment NN_topic")
    print(f"{len(written)} {args.format} assignments written to {args.out}; next: {hint}")
    return 0


def _cmd_homework_refresh(args) -> int:
    from . import grading

    print(f"stored the answers to the public cases in {grading.refresh_answers()}")
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
    p = sub.add_parser("app", help="serve one notebook's widgets alone with Voila (127.0.0.1), for projection")
    p.add_argument("notebook", help="a notebook name such as 01, 01_em or a path")
    p.add_argument("--port", type=int, default=8866, help="port to listen on (default 8866)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=_cmd_app)
    p = sub.add_parser("slides", help="open a notebook as a live deck in JupyterLab (127.0.0.1), widgets in "
                       "projector mode")
    p.add_argument("notebook", help="a notebook name such as 01, 01_em or a path")
    p.add_argument("--port", type=int, default=8890, help="port to listen on (default 8890)")
    p.add_argument("--scale", type=float, default=1.5, help="projector scale of the widgets (1: the notebook's "
                   "size; default 1.5, a 1920-px projector)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=_cmd_slides)
    p = sub.add_parser("site", help="build a static course site in OUT: every notebook executed, math typeset, "
                       "widgets pre-rendered (works offline)")
    p.add_argument("out", metavar="OUT", help="the folder to write (created; its old site is replaced)")
    p.add_argument("notebooks", nargs="*", metavar="NB", help="only these notebooks (default: all)")
    p.add_argument("--timeout", type=_positive_int, default=1800, help="seconds per cell (default 1800)")
    p.add_argument("--max-frames", type=_positive_int, default=2000,
                   help="most frames pre-rendered per widget (default 2000)")
    p.add_argument("--max-product", type=_positive_int, default=400,
                   help="draw every combination of a widget's controls when there are at most this many "
                   "(default 400); otherwise one control at a time, the others at their defaults")
    p.add_argument("--max-mb", type=float, default=20.0,
                   help="size budget of one widget's frames in MB (default 20): long sliders keep evenly spaced steps")
    p.add_argument("--keep-going", action="store_true", help="build the other notebooks when one fails (its page "
                   "shows the error; exit status 1); default: stop at the first failure")
    p.set_defaults(func=_cmd_site)
    p = sub.add_parser("link", help="print an nbgitpuller link: the hub clones or updates the course "
                       "repository in the student's home and opens the notebook")
    p.add_argument("notebook", help="a notebook name such as 01, 01_em, or a path inside the repository")
    p.add_argument("--hub", required=True, help="the hub's URL, such as https://hub.example.edu")
    p.add_argument("--repo", help="the course repository students clone (default: this checkout's origin)")
    p.add_argument("--branch", help="the branch to pull (default: the repository's default branch)")
    p.add_argument("--target", help="the folder in the student's home (default: the repository's name)")
    p.add_argument("--app", choices=("lab", "voila"), default="lab",
                   help="lab: JupyterLab (default); voila: the widgets alone, for projection")
    p.set_defaults(func=_cmd_link)
    p = sub.add_parser("run", help="execute a notebook headless; write an executed copy and HTML")
    p.add_argument("notebook", help="a notebook name such as 01, 01_em or a path")
    p.add_argument("--out", default="run-output", help="folder for the executed notebook and HTML")
    p.add_argument("--timeout", type=_positive_int, default=900, help="seconds allowed per cell (default 900)")
    p.add_argument("--verbose", action="store_true", help="print the failing cell's full traceback")
    p.set_defaults(func=_cmd_run)
    from .recipes import DATASETS, RECIPES

    p = sub.add_parser("train", help="train a full-size model (GPU or time); notebooks pick it up from the cache")
    p.add_argument("model", nargs="?", choices=sorted(RECIPES), metavar="MODEL",
                   help=f"one of {', '.join(RECIPES)} (see --list)")
    p.add_argument("--list", action="store_true", help="list the models and their default epochs")
    p.add_argument("--epochs", type=int, help="passes over the training images (default: the model's)")
    p.add_argument("--data", choices=DATASETS, default="mnist",
                   help="mnist: full MNIST from --data-dir (default); mnist5k: the 4,000 offline digits")
    p.add_argument("--data-dir", help="folder of the MNIST IDX files (default $LECTUREKIT_DATA/mnist, else ~/lecturekit_data/mnist)")
    p.add_argument("--download", action="store_true", help="fetch missing MNIST files (SHA-256 checked)")
    p.add_argument("--device", help="cpu, cuda, cuda:1, mps (default: the best one found)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--limit", type=int, help="train on the first N images only (smoke tests)")
    p.add_argument("--verbose", action="store_true", help="print the full traceback of an error")
    p.set_defaults(func=_cmd_train)
    p = sub.add_parser("doctor", help="versions, widget front end, device and model cache")
    p.add_argument("--verbose", action="store_true", help="also list every cached model and its folder")
    p.set_defaults(func=_cmd_doctor)
    cache = sub.add_parser("cache", help="pre-train the notebooks' models, or list the cached ones")
    cache_sub = cache.add_subparsers(dest="cache_command", metavar="ACTION", parser_class=_Parser, required=True)
    p = cache_sub.add_parser("warm", help="execute notebooks headless so that every model they use is trained "
                                          "into a cache folder (for a class's shared cache)")
    p.add_argument("notebooks", nargs="*", help="notebook names such as 04 or 04_vae (default: all)")
    p.add_argument("--dir", help="the cache folder to fill (default: your own model cache)")
    p.add_argument("--timeout", type=_positive_int, default=1800, help="seconds allowed per cell (default 1800)")
    p.add_argument("--verbose", action="store_true", help="print a failing cell's full traceback")
    p.set_defaults(func=_cmd_cache_warm)
    p = cache_sub.add_parser("list", help="every cached model and the folder it comes from")
    p.set_defaults(func=_cmd_cache_list)
    hw = sub.add_parser("homework", help="build student notebooks or grade submissions")
    hw_sub = hw.add_subparsers(dest="hw_command", metavar="ACTION", parser_class=_Parser, required=True)
    p = hw_sub.add_parser("build", help="write student notebooks (solutions stubbed, outputs cleared)")
    p.add_argument("--out", required=True, help="folder for the student notebooks")
    p.set_defaults(func=_cmd_homework_build)
    p = hw_sub.add_parser("grade", help="grade submitted notebooks in a sandbox (public and held-out cases); "
                                        "print a score table")
    p.add_argument("submissions", nargs="+", help="submitted .ipynb files (named like alice_01_em.ipynb)")
    p.add_argument("--csv", help="also write per-exercise verdicts to this CSV file")
    p.add_argument("--timeout", type=float, default=600, help="seconds per submission (default 600)")
    p.add_argument("--cell-timeout", type=float, default=120, help="seconds per cell or call (default 120)")
    p.add_argument("--memory", type=float, default=4096, metavar="MIB",
                   help="address-space limit of a submission, in MiB (default 4096)")
    p.add_argument("--jobs", type=_positive_int, default=1, help="submissions graded at once (default 1)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run without isolation where namespaces are unavailable (trusted notebooks only)")
    p.set_defaults(func=_cmd_homework_grade)
    p = hw_sub.add_parser("export", help="write an otter-grader assignment or an nbgrader source folder")
    p.add_argument("out", help="the folder to write")
    p.add_argument("notebooks", nargs="*", help="notebook names such as 01 or 01_em (default: all with exercises)")
    p.add_argument("--format", required=True, choices=("otter", "nbgrader"), help="otter or nbgrader")
    p.set_defaults(func=_cmd_homework_export)
    p = hw_sub.add_parser("refresh", help="(maintainers) store the answers to the public cases from solutions/")
    p.set_defaults(func=_cmd_homework_refresh)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; user errors print one line (two for a failing notebook cell) and return 1 or 2.

    ``--verbose`` (on ``run``, ``cache warm`` and ``train``) adds the full traceback.
    """
    if argv is not None and (isinstance(argv, (str, bytes)) or not isinstance(argv, (list, tuple))
                             or not all(isinstance(a, str) for a in argv)):
        raise TypeError(f"argv must be a list of strings such as ['run', '01'], got {argv!r}")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # notebook names after an option (`site OUT --max-mb 5 02`) still name notebooks
        if isinstance(getattr(args, "notebooks", None), list) and not any(e.startswith("-") for e in extra):
            args.notebooks.extend(extra)
        else:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    verbose = bool(getattr(args, "verbose", False)) and args.command != "doctor"
    try:
        return args.func(args)
    except nbtools.NotebookError as err:
        if verbose and err.traceback:
            print(err.traceback, file=sys.stderr)
        print(f"lecturekit: error: {err}", file=sys.stderr)
        if not verbose:
            print("lecturekit: run again with --verbose for the full traceback", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lecturekit: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError) as err:  # FileNotFoundError and CheckpointError included
        if verbose:
            import traceback

            traceback.print_exc()
        text = " ".join(str(err).split()) or type(err).__name__
        print(f"lecturekit: error: {text}", file=sys.stderr)
        return 2
