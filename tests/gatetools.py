"""Temporary git repositories holding a copy of the shipped ABI, for the ``pvabi check`` tests.

``GitAbi`` is such a repository: the shipped ``abi/`` committed on ``main`` (with
``transitive: false`` unless asked otherwise, so each run diffs one pair and the
tests stay quick), then a ``change`` branch checked out for the test to edit.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from conftest import REPO, Run, run_subprocess

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV})
    return proc.stdout


@dataclass
class GitAbi:
    path: Path

    @property
    def abi(self) -> Path:
        return self.path / "abi"

    def layout(self, name: str) -> Path:
        return self.abi / "layouts" / f"{name}.yaml"

    def edit(self, relpath: str, old: str, new: str) -> None:
        p = self.path / relpath
        text = p.read_text("utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {relpath}"
        p.write_text(text.replace(old, new), "utf-8")

    def commit(self, message: str) -> str:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "-m", message)
        return git(self.path, "rev-parse", "HEAD").strip()

    def check(self, *args: str, cwd: Path | None = None) -> Run:
        return run_subprocess(["check", *args], cwd or self.path, timeout=180)

    def rehash(self, version: str, fname: str) -> None:
        """Record the current bytes of a frozen file in index.json, as a tampering pull request would."""
        index = self.abi / "versions" / "index.json"
        data = json.loads(index.read_text())
        entry = next(v for v in data["versions"] if v["name"] == version)
        entry["files"][fname] = hashlib.sha256((self.abi / "versions" / version / fname).read_bytes()).hexdigest()
        index.write_text(json.dumps(data, indent=2) + "\n")


def make_repo(root: Path, transitive: bool = False, include: bool = False) -> GitAbi:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "abi", root / "abi")
    if include:
        shutil.copytree(REPO / "include", root / "include")
    repo = GitAbi(root)
    if not transitive:
        repo.edit("abi/pvabi.yaml", "transitive: true", "transitive: false")
    git(root, "init", "-q", "-b", "main")
    repo.commit("the shipped ABI")
    git(root, "checkout", "-q", "-b", "change")
    return repo


def line_in(path: Path, needle: str) -> int:
    """The 1-based line of the only line of ``path`` holding ``needle``."""
    hits = [i + 1 for i, line in enumerate(path.read_text("utf-8").splitlines()) if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits} of {path}"
    return hits[0]


def finding_lines(run: Run) -> list[str]:
    """The lines of the text output's findings section."""
    lines = run.stdout.splitlines()
    if "== findings" not in lines:
        return []
    start = lines.index("== findings") + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


def step(run: Run, name: str) -> str:
    """The status and detail of one step in the text output's steps table."""
    found = [line for line in run.stdout.splitlines() if line.split(" ", 1)[0] == name]
    assert len(found) == 1, run.stdout
    return found[0].split(None, 1)[1]
