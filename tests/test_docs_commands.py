"""Every pvabi command shown in the README and docs/ runs, and shows what it really prints.

Fenced blocks are read in two forms:

- a transcript: ``$ pvabi ...`` lines each followed by the output shown. The
  output must equal what pvabi prints, unless the block is abridged (it holds a
  ``...`` line): then every shown line must appear in the real output, in order.
- a script: lines starting with ``pvabi `` (a trailing ``# comment`` and a
  ``> file`` redirection are allowed). Each must exit 0 or 1 with no traceback.
  A script that starts with ``pvabi init`` runs in a new empty directory, as a
  newcomer would; every other block runs in a copy of the shipped ``abi/``.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PVABI, REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Block:
    file: str
    line: int
    lines: tuple[str, ...]

    @property
    def is_transcript(self) -> bool:
        return any(line.startswith("$ pvabi") for line in self.lines)

    @property
    def script(self) -> list[str]:
        return [line for line in self.lines if line.startswith("pvabi ")]


def blocks() -> list[Block]:
    found = []
    for doc in DOCS:
        text = doc.read_text("utf-8").splitlines()
        start = None
        for i, line in enumerate(text):
            if FENCE.match(line) and start is None:
                start = i
            elif line.strip() == "```" and start is not None:
                block = Block(doc.name, start + 1, tuple(text[start + 1:i]))
                if block.is_transcript or block.script:
                    found.append(block)
                start = None
    return found


BLOCKS = blocks()


def _argv(command: str) -> tuple[list[str], str | None]:
    command = re.sub(r"\s+#.*$", "", command)
    words = shlex.split(command)
    out = None
    if ">" in words:
        at = words.index(">")
        out, words = words[at + 1], words[:at]
    assert words[0] == "pvabi"
    return [*PVABI, *words[1:]], out


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv, out = _argv(command)
    run = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "COLUMNS": "100", "NO_COLOR": "1", "LANG": "C.UTF-8"})
    if out is not None:
        (cwd / out).write_text(run.stdout)
    return run


@pytest.fixture
def shipped_copy(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "abi", tmp_path / "abi")
    return tmp_path


def test_the_docs_show_commands() -> None:
    assert len(BLOCKS) >= 4
    assert any(b.is_transcript for b in BLOCKS) and any(b.script for b in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.file}:{b.line}" for b in BLOCKS])
def test_documented_commands_run(block: Block, shipped_copy: Path, tmp_path: Path) -> None:
    if block.is_transcript:
        _check_transcript(block, shipped_copy)
        return
    cwd = shipped_copy
    if block.script[0].split()[:2] == ["pvabi", "init"]:
        cwd = tmp_path / "newcomer"
        cwd.mkdir()
    for command in block.script:
        run = _run(command, cwd)
        assert run.returncode in (0, 1), f"{block.file}:{block.line}: {command}\n{run.stdout}{run.stderr}"
        assert "Traceback" not in run.stderr


def _check_transcript(block: Block, cwd: Path) -> None:
    abridged = "..." in block.lines
    steps: list[tuple[str, list[str]]] = []
    for line in block.lines:
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    for command, shown in steps:
        run = _run(command, cwd)
        assert run.returncode in (0, 1), f"{command}\n{run.stderr}"
        real = run.stdout.rstrip("\n").splitlines()
        if not abridged:
            assert real == shown, f"{block.file}:{block.line}: `{command}` prints something else now"
            continue
        it = iter(real)
        for want in (line for line in shown if line != "..."):
            assert any(got == want for got in it), \
                f"{block.file}:{block.line}: `{command}` no longer prints (in this order): {want!r}"
