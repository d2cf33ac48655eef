"""Temporary git repositories holding a copy of the shipped ABI, for the ``pvabi check`` tests.

``GitAbi`` is such a repository: the shipped ``abi/`` committed on ``main`` (with
``transitive: false`` unless asked otherwise, so each run diffs one pair and the
tests stay quick), then a ``change`` branch checked out for the test to edit.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import REPO, Run, run_subprocess
from jsonschemas import schema_errors

_RUNS = itertools.count()
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV})
    return proc.stdout


@dataclass(frozen=True)
class CheckRun(Run):
    """A run with the JSON report it also wrote (None when it wrote none: bad input)."""

    data: dict[str, Any] | None = None


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

    def check(self, *args: str, cwd: Path | None = None) -> CheckRun:
        """``pvabi check ARGS``; unless ARGS choose formats, the text to stdout and the JSON report to a file
        (one run, two formats), which ``finding_lines`` reads."""
        extra: list[str] = []
        json_file = None
        if not any(a in ("--format", "-f", "--json") for a in args):
            json_file = self.path.parent / f"check-{os.getpid()}-{next(_RUNS)}.json"
            extra = ["--format", "text", "--format", f"json:{json_file}"]
        run = run_subprocess(["check", *args, *extra], cwd or self.path, timeout=180)
        data = json.loads(json_file.read_text("utf-8")) if json_file and json_file.exists() else None
        return CheckRun(run.exit_code, run.stdout, run.stderr, data)

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


def report(run: Run) -> dict[str, Any]:
    """The ``pvabi.check/2`` document of a run (the file ``GitAbi.check`` had it write, or a ``--json``
    run's stdout), checked against its schema."""
    data = run.data if isinstance(run, CheckRun) and run.data is not None else json.loads(run.stdout)
    errors = schema_errors("check", data)
    assert not errors, errors
    return data


def finding_lines(run: Run) -> list[str]:
    """Each entry of a ``--json`` run that the gate counts (the diff sections' shown entries, every other
    step's), as ``FILE:LINE: RULE WHERE: VERDICT: MESSAGE`` built from the JSON fields."""
    out = []
    for section in report(run)["sections"]:
        for e in section["findings"]:
            if not e["shown"]:
                continue
            loc = e["new_loc"] or e["old_loc"]
            place = (f"{loc['file']}:{loc['line']}: " if loc else
                     f"{e['facts'].get('file') or e['facts'].get('image')}: " if e["facts"] else "")
            what = f" {e['layout']}{'.' + e['path'] if e['path'] else ''}" if e["layout"] else ""
            arches = f" on {', '.join(e['arches'])}" if e["arches"] else ""
            out.append(f"{place}{e['rule']}{what}{arches}: {e['label']}: {e['message']}")
    return out


def step(run: Run, name: str) -> str:
    """``STATUS   DETAIL`` of one step, as pvabi.check/1's steps table had it: from the verdict lines of a
    text run, or from the sections of a JSON one."""
    if run.stdout.startswith("{"):
        found = [s["verdict"] for s in report(run)["sections"] if s["step"] == name]
    else:
        found = [line for line in run.stdout.splitlines() if line.startswith(f"{name}: ")]
    assert found, run.stdout
    status, detail = found[0].split(": ", 2)[1:]
    return f"{status:<8} {detail}"
