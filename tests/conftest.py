"""Shared fixtures for the CLI tests: throw-away ABI roots and two ways to run ``pvabi``.

``make_abi`` writes ``tmp_path/abi/layouts/*.yaml`` from texts (dedented, so a
test can indent its YAML with the code). ``cli`` runs the command in-process
through ``typer.testing.CliRunner`` on ``pvabi.cli.app``; ``pvabi_proc`` runs the
installed console script in a subprocess, which is the only way to see what a
user sees (a traceback printed by the interpreter, a real exit status).
``run_both`` does both and checks they agree.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import EllipsisType

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from pvabi.cli import app

# Property tests explore new cases on a developer's machine; in CI they run the same derandomized
# cases every time, so a gate's verdict never depends on the draw (a failure found locally is
# fixed, and its case kept as a regression test).
settings.register_profile("ci", derandomize=True, database=None)

# The suite and the pvabi processes it starts keep their parsed-document cache (pvabi/doccache.py) in a
# directory of their own, never in the developer's ~/.cache.
os.environ.setdefault("PVABI_CACHE_DIR", os.path.join(tempfile.mkdtemp(prefix="pvabi-test-cache-")))
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SHIPPED_ABI = REPO / "abi"


def _console_script() -> list[str]:
    """The installed ``pvabi`` script next to this interpreter (not a pyenv shim), else the PATH one."""
    beside = Path(sys.executable).with_name("pvabi")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("pvabi")
    if found:
        return [found]
    return [sys.executable, "-c", "from pvabi.cli import main; main()"]


PVABI = _console_script()


@dataclass(frozen=True)
class Run:
    """The outcome of one ``pvabi`` invocation."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def error_lines(self) -> list[str]:
        """The non-empty lines of stderr."""
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_in_process(args: list[str], cwd: Path | None = None) -> Run:
    """``pvabi ARGS`` through CliRunner; an exception escaping the command fails the test."""
    runner = CliRunner()
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=True)
    finally:
        os.chdir(old)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-6))
        pytest.fail(f"pvabi {' '.join(map(str, args))} raised instead of reporting:\n{tb}")
    return Run(result.exit_code, result.stdout, result.stderr)


def run_subprocess(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
                   timeout: float = 60, max_memory: int | None = None) -> Run:
    """``pvabi ARGS`` as a user runs it: the console script in a fresh interpreter.

    ``max_memory`` caps the child's address space (bytes), so a test of a memory-hungry bug fails
    with a MemoryError in the child instead of exhausting the machine.
    """
    full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", **(env or {})}

    def limit() -> None:
        if max_memory is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))

    proc = subprocess.run([*PVABI, *map(str, args)], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout, check=False, preexec_fn=limit if max_memory is not None else None)
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli() -> Callable[..., Run]:
    """Run pvabi in-process: ``cli("show", "vcpu_info", cwd=path)``."""

    def run(*args: object, cwd: Path | None = None) -> Run:
        return run_in_process([str(a) for a in args], cwd)

    return run


@pytest.fixture
def pvabi_proc() -> Callable[..., Run]:
    """Run the ``pvabi`` console script in a subprocess: ``pvabi_proc("validate", root)``."""

    def run(*args: object, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60,
            max_memory: int | None = None) -> Run:
        return run_subprocess([str(a) for a in args], cwd, env, timeout, max_memory)

    return run


@pytest.fixture
def run_both() -> Callable[..., Run]:
    """Run in-process and as a subprocess; both must agree on exit code and stderr. Returns the subprocess run."""

    def run(*args: object, cwd: Path | None = None, timeout: float = 60) -> Run:
        argv = [str(a) for a in args]
        proc = run_subprocess(argv, cwd, timeout=timeout)
        inproc = run_in_process(argv, cwd)
        assert inproc.exit_code == proc.exit_code, (inproc, proc)
        assert inproc.stderr == proc.stderr, (inproc.stderr, proc.stderr)
        return proc

    return run


def write_layouts(layouts: Path, files: dict[str, str | bytes]) -> None:
    layouts.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        fname = name if "." in name else f"{name}.yaml"
        if isinstance(text, bytes):
            (layouts / fname).write_bytes(text)
        else:
            (layouts / fname).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


@pytest.fixture
def make_abi(tmp_path: Path) -> Callable[..., Path]:
    """``make_abi({"a": "meta: ..."})`` writes ``tmp_path/abi/layouts/a.yaml`` and returns ``tmp_path/abi``.

    Texts are dedented; bytes are written as they are. Calling it again adds files.
    """

    def make(files: dict[str, str | bytes], root: Path | None = None) -> Path:
        abi = root or tmp_path / "abi"
        write_layouts(abi / "layouts", files)
        return abi

    return make


def layout_file(file_id: str, types: str, meta_extra: str = "") -> str:
    """A layout file text with a valid meta block; ``types`` is the YAML under ``types:`` (any indentation)."""
    body = textwrap.indent(textwrap.dedent(types).strip("\n"), "  ")
    extra = textwrap.indent(textwrap.dedent(meta_extra).strip("\n"), "  ")
    return (f"meta:\n  id: {file_id}\n  doc: Test layouts.\n" + (extra + "\n" if extra else "")
            + "types:\n" + body + "\n")


def line_of(text: str, marker: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` line of ``text`` containing ``marker`` (text dedented like make_abi)."""
    lines = textwrap.dedent(text).lstrip("\n").splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if marker in line]
    assert len(hits) >= nth, f"{marker!r} occurs {len(hits)} times"
    return hits[nth - 1]


def shown(file_id: str) -> str:
    """How pvabi names a layout file of a ``make_abi`` root in its messages."""
    return f"abi/layouts/{file_id}.yaml"


def problem_lines(run: Run) -> list[str]:
    """The ``error:`` lines a run printed."""
    return [line for line in run.error_lines if line.startswith("error:")]


def assert_bad_input(run: Run, file: str | None, lines: int | set[int] | EllipsisType | None, *needles: str
                     ) -> list[str]:
    """Exit 2, no traceback, and every stderr line a one-line ``error:`` naming ``file:line`` and every needle.

    ``lines`` is the line (or the set of acceptable lines: the key itself, or the item or type that
    encloses it) every message must name; None when the problem has no line (a whole file, an image);
    ``...`` when any line (or none) will do. Returns the error lines.
    """
    assert run.exit_code == 2, f"exit {run.exit_code}, expected 2\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    assert "Traceback" not in run.output, run.output
    errors = problem_lines(run)
    assert errors, f"no error: line on stderr\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    assert len(run.error_lines) == len(errors), f"stderr has lines that are not one-line problems:\n{run.stderr}"
    allowed = {lines} if isinstance(lines, int) else lines if isinstance(lines, set) else None
    for msg in errors:
        if file is not None:
            if lines is Ellipsis:
                assert file in msg, f"expected {file!r} in {msg!r}"
            elif allowed is None:
                assert f"{file}: " in msg, f"expected {file!r} (without a line) in {msg!r}"
            else:
                m = re.search(re.escape(file) + r":(\d+): ", msg)
                assert m, f"expected {file}:LINE in {msg!r}"
                assert int(m.group(1)) in allowed, f"line {m.group(1)} in {msg!r}, expected one of {sorted(allowed)}"
        for needle in needles:
            assert needle in msg, f"expected {needle!r} in {msg!r}"
    return errors


def assert_one_bad_input(run: Run, file: str | None, lines: int | set[int] | EllipsisType | None,
                         *needles: str) -> str:
    """``assert_bad_input`` for a problem that must be reported exactly once."""
    errors = assert_bad_input(run, file, lines, *needles)
    assert len(errors) == 1, f"expected exactly one problem line, got {len(errors)}:\n{run.stderr}"
    return errors[0]


# A small ABI for encode/decode: every kind of member the codec handles.
CODEC_LAYOUT = """\
meta:
  id: codec
  doc: Layouts for the encode and decode tests.
types:
  inner:
    kind: struct
    doc: A nested record with a reserved-must-be-zero tail.
    fields:
      - name: p
        type: u16
        doc: A number.
      - name: rz
        type: u8
        count: 2
        reserved: zero
  rec:
    kind: struct
    doc: One member of each kind.
    size: 24
    fields:
      - name: a
        type: u8
        doc: An unsigned byte.
      - name: b
        type: s8
        doc: A signed byte.
      - name: c
        type: u32
        offset: 4
        doc: A word after a 2-byte hole.
      - name: fl
        type: u8
        flags: fb
        doc: Flags.
      - name: arr
        type: u16
        count: 2
        offset: 10
        doc: An array.
      - name: in
        type: inner
        offset: 14
        doc: A nested record.
      - name: st
        type: u8
        enum: state
        doc: An enum.
      - name: label
        type: char
        count: 4
        doc: Text.
  un:
    kind: union
    doc: A union of a byte and a word.
    fields:
      - name: byte
        type: u8
        doc: The first byte.
      - name: word
        type: u32
        doc: The whole word.
  fb:
    kind: flags
    doc: Two defined bits; the others are reserved (zero).
    bits:
      A: 0
      B: 1
  state:
    kind: enum
    doc: A state.
    values:
      "OFF": 0
      "ON": 1
"""

# Values for ``rec`` and the image they encode to (x86_64, little-endian).
REC_VALUES = {"a": 1, "b": -2, "c": 0xDEADBEEF, "fl": ["A", "B"], "arr": [1, 65535], "in": {"p": 7},
              "st": "ON", "label": "abc"}
REC_IMAGE = bytes.fromhex("01fe0000efbeadde0300" "0100ffff" "0700" "0000" "01" "61626300" "00")


@pytest.fixture
def codec_abi(make_abi: Callable[..., Path]) -> Path:
    """A temp ABI root (``tmp_path/abi``) holding CODEC_LAYOUT."""
    return make_abi({"codec": CODEC_LAYOUT})
