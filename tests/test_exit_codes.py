"""Exit codes: 0 ok, 1 findings, 2 bad input, 3 internal error; and the tool's own version.

An internal error (a bug in pvabi) must never look like a finding (1) to a CI
job: it exits 3 with one line, and the traceback only with ``--debug``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import PVABI

import pvabi

# A bug forced from outside: the command's first library call raises something pvabi never raises on purpose.
CRASH = ("import sys, pvabi.cli as c\n"
         "def boom(*a, **k):\n"
         "    raise ZeroDivisionError('forced for the test')\n"
         "c._project = boom\n"
         "sys.argv = ['pvabi', *sys.argv[1:]]\n"
         "c.main()\n")


def _crash(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CRASH, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_internal_error_exits_3_with_one_line(tmp_path: Path) -> None:
    run = _crash("validate", cwd=tmp_path)
    assert run.returncode == 3
    lines = run.stderr.splitlines()
    assert lines == ["pvabi: internal error: ZeroDivisionError: forced for the test; "
                     "rerun with --debug for the traceback"]
    assert "Traceback" not in run.stdout + run.stderr


def test_internal_error_with_debug_prints_the_traceback(tmp_path: Path) -> None:
    run = _crash("--debug", "validate", cwd=tmp_path)
    assert run.returncode == 3
    assert "Traceback (most recent call last)" in run.stderr
    assert "ZeroDivisionError: forced for the test" in run.stderr
    assert run.stderr.splitlines()[-1].startswith("pvabi: internal error: ZeroDivisionError")


def test_version_option_prints_the_package_version() -> None:
    run = subprocess.run([*PVABI, "--version"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0
    assert run.stdout == f"pvabi {pvabi.__version__}\n"


def test_help_documents_the_exit_codes() -> None:
    run = subprocess.run([*PVABI, "--help"], capture_output=True, text=True, timeout=60,
                         env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0
    text = " ".join(run.stdout.split())
    for code in ("0 ok", "1 findings", "2 bad input", "3 internal error"):
        assert code in text


def test_usage_error_is_2(tmp_path: Path) -> None:
    run = subprocess.run([*PVABI, "show"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
