"""``pvabi check`` on bad input: one line naming the problem and its fix, exit code 2, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, Run, run_subprocess
from gatetools import git, make_repo


def _one_error(run: Run) -> str:
    assert run.exit_code == 2, run.output
    assert "Traceback" not in run.stderr and run.stdout == ""
    errors = [x for x in run.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1, run.stderr
    return errors[0]


def test_a_ref_that_does_not_exist(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    line = _one_error(repo.check("--against", "origin/nope"))
    assert line == ("error: git ref 'origin/nope' does not exist in this repository (fetch it first, e.g. "
                    "git fetch origin nope)")


def test_a_ref_that_is_not_a_ref(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    line = _one_error(repo.check("--against=--output=x"))
    assert line.startswith("error: --against '--output=x' is not a git ref")


def test_a_base_without_abi(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "README").write_text("no ABI yet\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "start")
    shutil.copytree(REPO / "abi", root / "abi")
    line = _one_error(run_subprocess(["check", "--against", "main"], root))
    assert line.startswith("error: there is no abi/layouts/ at main (")
    assert line.endswith("the base has no ABI to compare with (drop --against for the first pull request that "
                         "adds abi/)")


def test_no_abi_here(tmp_path: Path) -> None:
    line = _one_error(run_subprocess(["check"], tmp_path))
    assert line.startswith("error: no abi/ directory found in ") and line.endswith("(pass ROOT)")


def test_not_a_git_repository(tmp_path: Path) -> None:
    shutil.copytree(REPO / "abi", tmp_path / "abi")
    line = _one_error(run_subprocess(["check", "--against", "main"], tmp_path))
    assert line.endswith("is not inside a git repository, which --against needs (run pvabi check in a clone, or "
                         "drop --against)")


def test_new_only_needs_against(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    assert _one_error(repo.check("--new-only")) == ("error: --new-only needs --against GIT_REF: the findings the "
                                                    "base already had")


def test_a_shallow_clone_without_the_base_says_how_to_fetch_it(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin")
    (origin.path / "note").write_text("a second commit, so a depth-1 clone lacks the first\n")
    origin.commit("note")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "change", f"file://{origin.path}", str(clone))
    line = _one_error(run_subprocess(["check", "--against", "origin/main"], clone))
    assert line == ("error: git ref 'origin/main' is not in this shallow clone; fetch the history: git fetch "
                    "--unshallow origin (GitHub actions/checkout: fetch-depth: 0; GitLab CI: GIT_DEPTH: 0)")
    # the base fetched, but only its tip: the merge base is missing
    git(clone, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    line = _one_error(run_subprocess(["check", "--against", "origin/main"], clone))
    assert line.startswith("error: HEAD and 'origin/main' have no common commit in this shallow clone; fetch the "
                           "history: git fetch --unshallow origin")
    git(clone, "fetch", "-q", "--unshallow", "origin")
    assert run_subprocess(["check", "--against", "origin/main"], clone, timeout=180).exit_code == 0


def test_a_layout_that_does_not_load_is_bad_input_with_its_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    repo.edit("abi/layouts/vcpu_time_info.yaml", "type: s8", "type: nosuchtype")
    run = repo.check("--against", "main")
    assert run.exit_code == 2 and "Traceback" not in run.stderr
    assert any(x.startswith("error: abi/layouts/vcpu_time_info.yaml:") and "nosuchtype" in x
               for x in run.stderr.splitlines()), run.stderr


def test_unknown_format_and_bad_today(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    assert _one_error(repo.check("--format", "pdf")) == ("error: unknown format 'pdf' in --format 'pdf' (known: "
                                                         "text, json, markdown, github, junit, sarif, gitlab, html)")
    assert _one_error(repo.check("--today", "tomorrow")) == ("error: --today takes a day written YYYY-MM-DD, not "
                                                             "'tomorrow'")
    assert _one_error(repo.check("--mode", "sideways")).startswith("error: unknown mode 'sideways'")
