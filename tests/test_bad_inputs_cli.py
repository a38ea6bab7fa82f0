"""Bad inputs to the notebook pipeline (lecturekit.nbtools) and the command line's Python entry points
(lecturekit.cli); the command line's flags are tested in tests/test_cli.py as well."""

from __future__ import annotations

import tempfile
from pathlib import Path

from lecturekit import cli, nbtools
from tests.support.bad_inputs import POSITIVE_INT, PROGRESS, Table, bad, call

T = Table("cli", ["lecturekit.nbtools", "lecturekit.cli"])
_TMP = tempfile.TemporaryDirectory(prefix="lk-bad-inputs-cli-")
TMP = Path(_TMP.name)
SCRIPT = TMP / "98_tiny.py"
SCRIPT.write_text("# %% [markdown]\n# # A tiny notebook\n\n# %%\nx = 1\n")
TEXT = TMP / "notes.txt"
TEXT.write_text("not a notebook")
nbtools.sync(SCRIPT)  # 98_tiny.ipynb, for execute's good call
BAD_IPYNB = TMP / "broken.ipynb"
BAD_IPYNB.write_text("{not json")
MISSING = TMP / "missing"
PATHS = [bad(3, TypeError), bad(None, TypeError), bad("", ValueError, "empty-string")]

T.add("nbtools.list_notebooks", lambda: call(nbtools.list_notebooks, TMP),
      directory=PATHS + [bad(MISSING, FileNotFoundError, "missing"), bad(TEXT, NotADirectoryError, "a-file")])
T.add("nbtools.resolve", lambda: call(nbtools.resolve, "98", TMP),
      name=[bad("99", names="notebook"), bad("em", names="notebook"), bad(3, TypeError), bad(None, TypeError), bad("  ", TypeError, "blank", names="notebook")],
      directory=[bad(MISSING, FileNotFoundError)])
T.add("nbtools.title_of", lambda: call(nbtools.title_of, SCRIPT),
      script=PATHS + [bad(TEXT, ValueError, "not-py"), bad(TMP / "absent.py", FileNotFoundError, "missing")])
T.add("nbtools.sync", lambda: call(nbtools.sync, SCRIPT),
      script=PATHS + [bad(TEXT, ValueError, "not-py"), bad(TMP / "absent.py", FileNotFoundError, "missing")])
T.add("nbtools.execute", lambda: call(nbtools.execute, TMP / "98_tiny.ipynb", timeout=60), _run_good=False,  # a kernel
      ipynb=PATHS + [bad(SCRIPT, ValueError, "a-script"), bad(TMP / "absent.ipynb", FileNotFoundError, "missing"),
                     bad(BAD_IPYNB, ValueError, "not-json")],
      timeout=POSITIVE_INT[:3], cwd=[bad(MISSING, FileNotFoundError)], out=[bad(4, TypeError)])
T.add("nbtools.warm_cache", lambda: call(nbtools.warm_cache, [str(SCRIPT)], TMP / "cache", timeout=60), _run_good=False,  # kernels
      names=[bad("01", TypeError), bad(["99"], names="notebook"), bad(5, TypeError)], directory=PATHS[:2] + [bad(TEXT, NotADirectoryError)],
      timeout=POSITIVE_INT[:3], progress=PROGRESS)
T.add("nbtools.main", lambda: call(nbtools.main, ["98"]), _run_good=False,  # executes notebooks
      argv=[bad("01", TypeError), bad(3, TypeError)])
T.exit_case("nbtools.main", nbtools.main, ["99"], "notebook must be one of")
T.exit_case("nbtools.main", nbtools.main, ["em"], "notebook must be one of")
T.exit_case("nbtools.main", nbtools.main, [""], "notebook must be")

T.add("cli.lab_command", lambda: call(cli.lab_command, port=8899, token="abc", open_browser=False, root_dir=TMP),
      port=[bad(-1), bad(65536), bad("8888"), bad(True), bad(88.5)],
      token=[bad(""), bad("a b"), bad(3)], open_browser=[bad("no", TypeError)],
      root_dir=[bad(MISSING, FileNotFoundError), bad(3, TypeError)])
T.add("cli.main", lambda: call(cli.main, ["list"]), argv=[bad("list", TypeError), bad([1, 2], TypeError)])
for argv, needle in ((["bogus"], "invalid choice"), (["run", "42"], "notebook must be one of"),
                     (["run", "01", "--timeout", "0"], "expected a positive integer"),
                     (["train", "vae", "--seed", "-2"], "--seed"), (["lab", "--port", "99999"], "port must be"),
                     (["cache", "warm", "--dir", str(TEXT)], "--dir must be a folder")):
    T.exit_case("cli.main", cli.main, argv, needle)

T.install(globals())
