"""The gate's integration files: ``pvabi init --ci``, the pre-commit hook, the GitHub Action and .ci/run.

The CI jobs are parsed as YAML and their commands run here as the CI system would
run them (in a repository with a base branch), so a job that cannot work fails
in this suite rather than in a user's first pull request.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml
from conftest import PVABI, REPO, Run, run_subprocess
from gatetools import git, make_repo


def _ok(run: Run, code: int = 0) -> Run:
    assert run.exit_code == code, run.output
    return run


def _run_script(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A job's shell step with ``pvabi`` meaning this checkout's console script."""
    bindir = Path(PVABI[0]).parent if len(PVABI) == 1 else None
    path = f"{bindir}{os.pathsep}{os.environ['PATH']}" if bindir else os.environ["PATH"]
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PATH": path, "NO_COLOR": "1", **env}, timeout=300, check=False)


def test_init_ci_github_writes_a_workflow_that_runs_the_gate(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    run = _ok(run_subprocess(["init", "--ci", "github"], repo.path))
    assert run.stdout.splitlines()[0] == "wrote .github/workflows/pvabi.yml"
    workflow = yaml.safe_load((repo.path / ".github/workflows/pvabi.yml").read_text())
    steps = workflow["jobs"]["abi"]["steps"]
    assert steps[0] == {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}}
    gate = steps[-1]
    assert gate["env"] == {"BASE": "${{ github.base_ref }}"}
    # on a pull request GitHub sets BASE to the base branch; actions/checkout names it origin/<base>
    subprocess.run(["git", "update-ref", "refs/remotes/origin/main", "main"], cwd=repo.path, check=True)
    repo.edit("abi/layouts/vcpu_time_info.yaml", "type: s8", "type: u8")
    repo.commit("break")
    pr = _run_script(gate["run"], repo.path, {"BASE": "main"})
    assert pr.returncode == 1 and "history: ok: frozen history is what origin/main (" in pr.stdout, pr.stdout
    push = _run_script(gate["run"], repo.path, {"BASE": ""})
    assert push.returncode == 1 and "history: skipped: no --against ref" in push.stdout
    # never overwritten
    again = run_subprocess(["init", "--ci", "github"], repo.path)
    assert again.exit_code == 2 and "refusing to overwrite an existing CI file" in again.stderr


def test_init_ci_gitlab_writes_a_job_that_runs_the_gate(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--branch", "change", str(origin.path), str(clone))
    _ok(run_subprocess(["init", "--ci", "gitlab"], clone))
    job = yaml.safe_load((clone / ".gitlab-ci.yml").read_text())["pvabi"]
    assert job["variables"]["GIT_DEPTH"] == 0
    install, gate = job["script"]
    assert install.startswith("python -m pip install")
    # a merge request pipeline has no remote-tracking ref of the target branch: the job fetches it
    git(clone, "update-ref", "-d", "refs/remotes/origin/main")
    run = _run_script(gate, clone, {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "frozen history is what origin/main" in run.stdout


def test_init_ci_in_a_new_directory_writes_the_abi_too(tmp_path: Path) -> None:
    run = _ok(run_subprocess(["init", "--ci", "gitlab"], tmp_path))
    assert "wrote abi/pvabi.yaml" in run.stdout and run.stdout.splitlines()[-2] == "wrote .gitlab-ci.yml"
    # a project without any frozen version passes, and says why there was nothing to diff
    check = _ok(run_subprocess(["check"], tmp_path))
    assert "diff: skipped: no frozen version yet" in check.stdout
    bad = run_subprocess(["init", str(tmp_path / "other"), "--ci", "jenkins"], tmp_path)
    assert bad.exit_code == 2 and "unknown CI system 'jenkins'" in bad.stderr
    assert not (tmp_path / "other").exists()


def test_the_pre_commit_hook_runs_pvabi_check() -> None:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["entry"] == "pvabi check" and hook["language"] == "python" and hook["pass_filenames"] is False


def test_the_action_installs_this_checkout_and_runs_the_gate(tmp_path: Path) -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"against", "format"}
    install, gate = action["runs"]["steps"][1:]
    assert install["run"] == 'python -m pip install "$GITHUB_ACTION_PATH"'
    assert "${{" not in gate["run"]  # inputs reach the script through env only
    repo = make_repo(tmp_path / "r")
    subprocess.run(["git", "update-ref", "refs/remotes/origin/main", "main"], cwd=repo.path, check=True)
    env = {"AGAINST": "", "FORMAT": "json", "ROOT": ".", "GITHUB_BASE_REF": "main"}
    run = _run_script(gate["run"], repo.path, env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert '"against": "origin/main (' in run.stdout


def test_ci_run_checks_the_shipped_abi_with_the_gate() -> None:
    lines = (REPO / ".ci" / "run").read_text().splitlines()
    [gate] = [x for x in lines if x.startswith("pvabi check")]
    assert "--format text" in gate and "junit:" in gate


def _stderr_on_a_terminal(args: list[str], cwd: Path) -> tuple[str, str]:
    """Run pvabi with stderr on a pseudo-terminal and stdout on a pipe: (stdout, what the terminal got)."""
    import pty
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen([*PVABI, *args], stdout=subprocess.PIPE, stderr=slave, cwd=cwd,
                            env={**os.environ, "NO_COLOR": "1"})
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    out = proc.communicate(timeout=120)[0].decode()
    os.close(master)
    return out, seen.decode()


def test_progress_shows_on_a_terminal_only(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    out, terminal = _stderr_on_a_terminal(["check", "--against", "main"], repo.path)
    assert "[1/8] validating layouts, config and waivers..." in terminal
    assert "[4/8] diffing the working layouts..." in terminal
    assert "[1/8]" not in out and "\x1b[K" not in out  # no progress in the output itself
    piped = run_subprocess(["check", "--against", "main"], repo.path)
    assert piped.stdout == out
    assert "[1/8]" not in piped.stderr and piped.stderr.startswith("pvabi check: 8 steps in ")
