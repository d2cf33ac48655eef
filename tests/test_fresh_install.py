"""A newcomer's machine: a new virtualenv, a clean copy of the tree, the README's quick start.

A fresh install once crashed on an import pyproject.toml did not declare
(click), hidden because CI used an interpreter that happened to have it. This
test installs from a copy of the tracked files into an empty virtualenv and
runs the README's first quick-start command exactly as written, plus
``pvabi --version``. The second command installs the test extras and runs this
very suite; running it here would recurse, so the test runs its install part as
written and then has pytest collect the suite (collection is where a missing
test dependency shows). ``.ci/run`` runs both commands whole, in its own
virtualenv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / ".ci"))
from quickstart import quick_start  # noqa: E402

from pvabi import __version__  # noqa: E402


def _tracked_copy(dest: Path) -> Path:
    """The files git tracks (and untracked, unignored ones), as a clean clone would hold them."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def _run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("fresh")
    tree = _tracked_copy(base / "pvabi")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_"))}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(env_dir)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return tree, env


def test_readme_has_exactly_two_quick_start_commands() -> None:
    commands = quick_start((REPO / "README.md").read_text("utf-8"))
    assert len(commands) == 2
    assert commands[0].startswith("python3 -m pip install . ")
    assert "pytest" in commands[1]


def test_first_quick_start_command_works_in_a_fresh_virtualenv(fresh: tuple[Path, dict[str, str]]) -> None:
    tree, env = fresh
    first = quick_start((tree / "README.md").read_text("utf-8"))[0]
    run = _run(first, tree, env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert "ok:" in run.stdout  # validate's summary
    assert "v1.3 -> v2.0" in run.stdout  # the diff's own verdict line
    version = _run("pvabi --version", tree, env)
    assert version.returncode == 0
    assert version.stdout.strip() == f"pvabi {__version__}"
    # The installed script is the venv's, not a leftover elsewhere on the machine.
    where = _run("command -v pvabi", tree, env).stdout.strip()
    assert where == str(Path(env["VIRTUAL_ENV"]) / "bin" / "pvabi")


def test_second_quick_start_command_installs_and_collects(fresh: tuple[Path, dict[str, str]]) -> None:
    tree, env = fresh
    second = quick_start((tree / "README.md").read_text("utf-8"))[1]
    install, _, test_command = second.partition(" && ")
    assert test_command == "python3 -m pytest"
    run = _run(install, tree, env)
    assert run.returncode == 0, run.stderr[-3000:]
    collected = _run(f"{test_command} --collect-only -q", tree, env)
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]
    assert "error" not in collected.stdout.lower().splitlines()[-1]
