"""Bad inputs to the lecture-room tools: projector mode (lecturekit.projector), hub links (lecturekit.hub)
and the live slides (lecturekit.slides)."""

from __future__ import annotations

import math
import subprocess

from lecturekit import hub, projector, slides
from tests.support.bad_inputs import Table, bad, call

T = Table("tools", ["lecturekit.projector", "lecturekit.hub", "lecturekit.slides"])
SCALE = [bad(0.5), bad(5.0), bad(math.nan, TypeError), bad("1.5", TypeError), bad(None, TypeError)]
HUB = "https://hub.example.edu"
REPO = "https://github.com/example/course.git"


def present_and_restore(scale=1.0):
    """projector.present, leaving the scale in force as it was (other tests read it)."""
    before = projector._scale
    try:
        return projector.present(scale)
    finally:
        projector._scale = before


def _git_repo(tmp_path_factory=None):
    import tempfile
    from pathlib import Path

    root = Path(tempfile.mkdtemp(prefix="lk-hub-"))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "remote", "add", "origin", REPO], check=True)
    return root


def _no_remote():
    import tempfile

    return tempfile.mkdtemp(prefix="lk-hub-none-")


# -- projector mode
T.add("projector.present", lambda: call(present_and_restore, 1.5), scale=SCALE)
T.add("projector.zoom_for", lambda: call(projector.zoom_for, 400, 1.5), _check=lambda z: abs(z - 1.5 * 810 / 400) < 1e-12,
      picture_width=[bad(0), bad(-10.0), bad(math.nan), bad(math.inf), bad("810", TypeError), bad(True, TypeError)],
      scale=SCALE[:3])

# -- hub links
T.add("hub.default_repo", lambda: call(hub.default_repo, _git_repo()), _check=lambda url: url == REPO,
      root=[bad(3, TypeError), bad(None, TypeError), bad("", ValueError, "empty"),
            bad("/nonexistent/course", ValueError, "missing"), bad(_no_remote(), ValueError, "no-remote")])
T.add("hub.notebook_path", lambda: call(hub.notebook_path, "01"), _check=lambda p: p == "notebooks/01_em.ipynb",
      notebook=[bad(3, TypeError), bad(None, TypeError), bad("99"), bad("../secret.ipynb", ValueError, "dotdot"),
                bad("notes/x.txt", ValueError, "not-ipynb")])
T.add("hub.nbgitpuller_link", lambda: call(hub.nbgitpuller_link, HUB, "01", repo=REPO, branch="main"),
      _check=lambda url: url.startswith(HUB + "/hub/user-redirect/git-pull?") and "targetPath=course" in url,
      hub=[bad("hub.example.edu"), bad("ftp://hub.example.edu"), bad(3, TypeError), bad(HUB + "?x=1", ValueError, "query")],
      notebook=[bad("99"), bad(3, TypeError)], repo=[bad(""), bad(3)], branch=[bad(3, TypeError)],
      target=[bad("a/b"), bad(".."), bad(3, TypeError)], app=[bad("classic"), bad(3)])

# -- live slides
T.add("slides.slide_type", lambda: call(slides.slide_type, "Reading the figure: ..."),
      _check=lambda kind: kind == "fragment",
      markdown=[bad(None, TypeError), bad(3, TypeError), bad(b"Reading", TypeError), bad(["Reading"], TypeError),
                bad(1.5, TypeError)])
T.add("slides.mark_slides", lambda: call(slides.mark_slides, "# %% [markdown]\n# Title\n# %%\nx = 1\n"),
      _check=lambda text: 'slide_type": "slide"' in text,
      text=[bad(None, TypeError), bad(3, TypeError), bad(b"# %%", TypeError), bad(["# %%"], TypeError)])
T.case("slides.mark_slides", "other-metadata", lambda: slides.mark_slides('# %% [markdown] tags=["x"]\n# Title\n'),
       ValueError, names="line")
T.add("slides.lab_settings", lambda: call(slides.lab_settings, _no_remote()),
      directory=[bad(None, TypeError), bad(3, TypeError), bad("", ValueError, "empty"), bad(b"/tmp", TypeError),
                 bad(["/tmp"], TypeError)])
T.add("slides.slides_command", lambda: call(slides.slides_command, "01", _no_remote(), port=8890, token="abc"),
      _check=lambda out: out[2].endswith("token=abc") and out[1][projector.ENV] == "1.5",
      notebook=[bad("99"), bad(3, TypeError)], settings_dir=[bad(None, TypeError), bad("", ValueError, "empty")],
      port=[bad(-1), bad(70000), bad("8890", (TypeError, ValueError))], scale=SCALE[:3],
      token=[bad("has space")], open_browser=[bad("yes", TypeError)])

T.install(globals())
