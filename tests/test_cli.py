"""The lecturekit command line: every subcommand has --help; bad arguments give one line and exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lecturekit import cli


def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "lecturekit", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args", [[], ["lab"], ["app"], ["list"], ["run"], ["train"], ["doctor"], ["homework"], ["homework", "build"], ["homework", "grade"]])
def test_help(args):
    out = run(*args, "--help")
    assert out.returncode == 0 and "usage: lecturekit" in out.stdout


@pytest.mark.parametrize("args, needle", [
    (["bogus"], "invalid choice"),
    (["run", "42"], "notebook must be one of"),
    (["run"], "required"),
    (["app", "99"], "notebook must be one of"),
    (["app", "01", "--port", "0"], "port must be"),
    (["lab", "--port", "x"], "invalid int"),
    (["lab", "--port", "99999"], "port must be"),
    (["homework"], "required"),
    (["homework", "build"], "--out"),
    (["homework", "grade", "missing.ipynb"], "submission not found"),
    (["homework", "grade", "x.ipynb", "--timeout", "-1"], "submission not found"),
])
def test_bad_arguments_give_one_line_and_exit_2(args, needle):
    out = run(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], out.stderr


def test_list_shows_every_notebook():
    out = run("list")
    assert out.returncode == 0 and "01_em" in out.stdout and "EM and the variational bound" in out.stdout


def test_doctor_reports_versions_device_and_cache():
    out = run("doctor")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "torch" in out.stdout and "device: cpu" in out.stdout and "model cache" in out.stdout


def test_run_executes_a_notebook_and_exports_html(tmp_path):
    out = run("run", "01", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    import nbformat

    nb = nbformat.read(tmp_path / "01_em.ipynb", as_version=4)
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    assert "Exercise 1.1: passed" in (tmp_path / "01_em.html").read_text()


def test_homework_build_writes_student_notebooks(tmp_path):
    out = run("homework", "build", "--out", str(tmp_path / "students"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "students" / "01_em.ipynb").exists()


def test_main_returns_codes_in_process(capsys):
    assert cli.main(["list"]) == 0
    assert cli.main([]) == 2


def test_app_command_serves_voila_on_localhost():
    argv = cli.app_command("01", port=8870, open_browser=False)
    assert argv[1:3] == ["-m", "voila"] and argv[3].endswith("01_em.ipynb")
    assert "--Voila.ip=127.0.0.1" in argv and "--port=8870" in argv and "--no-browser" in argv


# -- user errors: one line (two for a failing cell), never a traceback ------------------------------------------


def run_here(argv, capsys):
    """``lecturekit ARGV`` in this process: (exit code, stdout, stderr)."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "a-file.txt"
    path.write_text("not a folder")
    return str(path)


@pytest.mark.parametrize("args, needle", [
    (["run", "01", "--out", "{file}"], "--out must be a folder"),
    (["run", "01", "--out", ""], "--out must name a folder"),
    (["run", "01", "--timeout", "0"], "expected a positive integer"),
    (["run", "01", "--timeout", "abc"], "expected a positive integer"),
    (["run", "nosuch.py"], "notebook must be one of"),
    (["run", "01", "--bogus"], "unrecognized arguments"),
    (["app", "01", "--port", "70000"], "port must be"),
    (["lab", "--port", "-1"], "port must be"),
    (["link", "01"], "--hub"),
    (["link", "01", "--hub", "ftp://hub.example.edu", "--repo", "r"], "hub must be"),
    (["link", "01", "--hub", "https://hub.example.edu", "--repo", "r", "--target", "a/b"], "target must be"),
    (["link", "01", "--hub", "https://hub.example.edu", "--repo", "r", "--app", "x"], "invalid choice"),
    (["link", "99", "--hub", "https://hub.example.edu", "--repo", "r"], "notebook must be one of"),
    (["train", "nosuch"], "invalid choice"),
    (["train"], "MODEL is required"),
    (["train", "vae", "--epochs", "0"], "--epochs must be positive"),
    (["train", "vae", "--epochs", "two"], "invalid int"),
    (["train", "vae", "--limit", "-5"], "--limit must be positive"),
    (["train", "vae", "--seed", "-1"], "--seed must be a non-negative integer"),
    (["train", "vae", "--device", "gpu0"], "--device gpu0"),
    (["train", "vae", "--data", "cifar"], "invalid choice"),
    (["train", "vae", "--data-dir", "{file}"], "--data-dir must be a folder"),
    (["train", "vae", "--data-dir", "/nonexistent/mnist"], "full MNIST is not in"),
    (["cache"], "required"),
    (["cache", "warm", "99"], "notebook must be one of"),
    (["cache", "warm", "--dir", "{file}"], "--dir must be a folder"),
    (["cache", "warm", "--timeout", "-3"], "expected a positive integer"),
    (["homework", "build", "--out", "{file}"], "--out must be a folder"),
    (["homework", "grade", "{file}", "--timeout", "nan"], "--timeout must be a positive number"),
    (["homework", "grade", "{file}", "--memory", "-1"], "--memory must be a positive number"),
    (["homework", "grade", "{file}", "--jobs", "0"], "expected a positive integer"),
    (["homework", "grade", "{file}", "--csv", "scores.txt"], "--csv must be a .csv file"),
    (["homework", "grade", "{file}", "--csv", "{file}/scores.csv"], "cannot be made"),
    (["homework", "export", "{file}", "--format", "zip"], "invalid choice"),
    (["homework", "export", "{file}", "--format", "otter"], "OUT must be a folder"),
    (["homework", "export", "out", "99", "--format", "otter"], "notebook must be one of"),
    (["doctor", "--bogus"], "unrecognized arguments"),
])
def test_every_command_gives_one_line_for_bad_flags_and_files(args, needle, a_file, capsys):
    args = [a.replace("{file}", a_file) for a in args]
    code, _, err = run_here(args, capsys)
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], err


FAILING = """# %% [markdown]
# # A notebook whose third cell fails

# %%
x = 1

# %%
# divide by zero on purpose
y = x / 0
"""


@pytest.fixture
def failing_notebook(tmp_path):
    path = tmp_path / "99_failing.py"
    path.write_text(FAILING)
    return path


def test_a_failing_cell_is_named_in_two_lines_and_verbose_gives_the_traceback(failing_notebook, tmp_path):
    out = run("run", str(failing_notebook), "--out", str(tmp_path / "out"), timeout=600)
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 2, out.stderr
    assert "cell 3" in lines[0] and "y = x / 0" in lines[0] and "ZeroDivisionError" in lines[0], lines[0]
    assert "--verbose" in lines[1]
    # the notebook as far as it ran is kept, with the error in its cell
    import nbformat

    nb = nbformat.read(tmp_path / "out" / "99_failing.ipynb", as_version=4)
    assert nb.cells[2].outputs[0]["ename"] == "ZeroDivisionError"

    verbose = run("run", str(failing_notebook), "--out", str(tmp_path / "out"), "--verbose", timeout=600)
    assert verbose.returncode == 1
    assert "ZeroDivisionError" in verbose.stderr and "Traceback" in verbose.stderr
    assert "\x1b[" not in verbose.stderr  # colour codes stripped
    assert verbose.stderr.strip().splitlines()[-1].startswith("lecturekit: error: 99_failing: cell 3")


def test_notebook_names_may_follow_options(monkeypatch):
    """`lecturekit site OUT --max-mb 5 02 03` names notebooks 02 and 03 (argparse alone rejected them)."""
    from lecturekit import cli

    seen = {}
    monkeypatch.setattr(cli, "_cmd_site", lambda args: seen.update(vars(args)) or 0)
    assert cli.main(["site", "/tmp/lk-site-out", "--max-mb", "5", "02", "03"]) == 0
    assert seen["notebooks"] == ["02", "03"] and seen["max_mb"] == 5.0
    seen.clear()
    assert cli.main(["site", "/tmp/lk-site-out", "01", "--max-mb", "5", "02"]) == 0
    assert seen["notebooks"] == ["01", "02"]
    with pytest.raises(SystemExit) as exit_info:  # an unknown option after the names is still an error
        cli.main(["site", "/tmp/lk-site-out", "--max-mb", "5", "02", "--bogus"])
    assert exit_info.value.code == 2
