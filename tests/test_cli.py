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
