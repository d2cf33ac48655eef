"""History and files (issue 17) and the release checks of ``freeze`` (issue 8).

Freezes are killed with SIGKILL at random moments and run concurrently; after each,
``pvabi validate`` (the hash check of every frozen file) must pass and the history
must be either untouched or hold the new version complete. Crashes at a chosen point
run in a forked child that kills itself there, so they are deterministic.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PVABI, SHIPPED_ABI, Run, assert_one_bad_input, run_in_process

from pvabi import versions as versionsmod
from pvabi.abiroot import AbiRoot
from pvabi.versions import VersionIndex, freeze

Proc = Callable[..., Run]
FORK = multiprocessing.get_context("fork")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the shipped ABI (layouts, frozen history, config) under tmp_path/abi."""
    shutil.copytree(SHIPPED_ABI, tmp_path / "abi")
    return tmp_path / "abi"


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """One shipped layout file frozen once as v1.0 (no config: the gate is one non-transitive diff)."""
    abi = tmp_path / "small" / "abi"
    (abi / "layouts").mkdir(parents=True)
    shutil.copy(SHIPPED_ABI / "layouts" / "vcpu_time_info.yaml", abi / "layouts")
    freeze(AbiRoot(abi), "v1.0", "Baseline", "2026-01-01")
    return abi


def _history(abi: Path) -> dict[str, bytes]:
    """Everything a reader of the history sees: the index and every non-hidden version file."""
    out = {}
    for p in sorted((abi / "versions").rglob("*")):
        rel = p.relative_to(abi)
        if p.is_file() and not any(part.startswith(".") for part in rel.parts):
            out[str(rel)] = p.read_bytes()
    return out


def _edit_doc(abi: Path, n: int) -> None:
    """A compatible change: the working tree differs from the last version only in a doc string."""
    path = abi / "layouts" / "vcpu_time_info.yaml"
    text = path.read_text("utf-8")
    edited, count = re.subn(r"\n    (Edit \d+\. )?Per-vCPU", f"\n    Edit {n}. Per-vCPU", text, count=1)
    assert count == 1
    path.write_text(edited, "utf-8")


def _valid(pvabi_proc: Proc, abi: Path) -> None:
    run = pvabi_proc("validate", abi)
    assert run.exit_code == 0, run.output


# --- freeze's release checks (issue 8) ----------------------------------------------------------------


@pytest.mark.parametrize("date", ["2026-02-30", "2026-13-01", "26-01-01", "2026-1-1", "tomorrow"])
def test_impossible_date_is_refused(root: Path, pvabi_proc: Proc, date: str) -> None:
    _edit_doc(root, 1)
    run = pvabi_proc("freeze", "v2.1", "-m", "Docs", "--date", date, "--root", root)
    assert_one_bad_input(run, None, None, "YYYY-MM-DD")
    assert not (root / "versions" / "v2.1").exists()


@pytest.mark.parametrize("summary", ["", "   "])
def test_empty_summary_is_refused(root: Path, pvabi_proc: Proc, summary: str) -> None:
    _edit_doc(root, 1)
    run = pvabi_proc("freeze", "v2.1", "--summary", summary, "--root", root)
    assert_one_bad_input(run, None, None, "summary")
    assert not (root / "versions" / "v2.1").exists()


def test_unchanged_tree_is_refused(root: Path, pvabi_proc: Proc) -> None:
    run = pvabi_proc("freeze", "v2.1", "-m", "Nothing", "--root", root)
    assert_one_bad_input(run, None, None, "identical to v2.0")
    assert not (root / "versions" / "v2.1").exists()


def _break_abi(abi: Path) -> None:
    """Renumber a flag bit an old guest reads: breaking on every architecture."""
    path = abi / "layouts" / "vcpu_time_info.yaml"
    text = path.read_text("utf-8")
    assert "      GUEST_STOPPED: 1\n" in text
    path.write_text(text.replace("      GUEST_STOPPED: 1\n", "      GUEST_STOPPED: 2\n"), "utf-8")


def test_breaking_change_under_a_minor_version_is_refused_with_findings(root: Path, pvabi_proc: Proc) -> None:
    _break_abi(root)
    before = _history(root)
    run = pvabi_proc("freeze", "v2.1", "-m", "Wider words", "--root", root)
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    assert "BREAKING" in run.stdout and "GUEST_STOPPED" in run.stdout  # the findings are shown
    assert "without a major version" in run.stderr and "--allow-break" in run.stderr
    assert _history(root) == before


def test_breaking_change_under_a_major_version_is_frozen(root: Path, pvabi_proc: Proc) -> None:
    _break_abi(root)
    run = pvabi_proc("freeze", "v3.0", "-m", "Wider words", "--date", "2027-01-01", "--root", root)
    assert run.exit_code == 0, run.output
    _valid(pvabi_proc, root)


def test_allow_break_freezes_and_records_the_reason(root: Path, pvabi_proc: Proc) -> None:
    _break_abi(root)
    run = pvabi_proc("freeze", "v2.1", "-m", "Wider words", "--allow-break", "no guest reads GUEST_STOPPED yet",
                     "--root", root)
    assert run.exit_code == 0, run.output
    assert "warning:" in run.stderr
    listed = json.loads(pvabi_proc("versions", "--json", "--root", root).stdout)["versions"][-1]
    assert listed["name"] == "v2.1"
    assert "no guest reads GUEST_STOPPED yet" in listed["summary"]
    _valid(pvabi_proc, root)


def test_compatible_change_is_frozen(root: Path, pvabi_proc: Proc) -> None:
    _edit_doc(root, 1)
    run = pvabi_proc("freeze", "v2.1", "-m", "Docs", "--root", root)
    assert run.exit_code == 0, run.output
    _valid(pvabi_proc, root)


# --- names and summaries ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["v03.0", "v2.01", "v\u0663.0", "v3.0\n", "v\uff13.0"])
def test_odd_version_names_are_refused(root: Path, pvabi_proc: Proc, name: str) -> None:
    _edit_doc(root, 1)
    run = pvabi_proc("freeze", name, "-m", "Odd", "--root", root)
    assert_one_bad_input(run, None, None, "vMAJOR.MINOR")
    assert sorted(p.name for p in (root / "versions").iterdir()) == sorted(
        p.name for p in (SHIPPED_ABI / "versions").iterdir())


def test_summary_cannot_inject_markdown_into_the_changelog(root: Path, pvabi_proc: Proc) -> None:
    _edit_doc(root, 1)
    run = pvabi_proc("freeze", "v2.1", "-m", "Docs\n\n## v9.9 — forged release", "--root", root)
    assert_one_bad_input(run, None, None, "one line")
    assert not (root / "versions" / "v2.1").exists()


@pytest.mark.parametrize("entry_name", [12, None, ["v1.0"], "v1.0\n"])
def test_index_entry_with_a_bad_name(root: Path, pvabi_proc: Proc, entry_name: Any) -> None:
    index = root / "versions" / "index.json"
    data = json.loads(index.read_text("utf-8"))
    data["versions"][0]["name"] = entry_name
    index.write_text(json.dumps(data), "utf-8")
    for command in ("validate", "versions"):
        run = pvabi_proc(command, "--root", root) if command == "versions" else pvabi_proc(command, root)
        assert_one_bad_input(run, "abi/versions/index.json", None, "malformed version index")


# --- unreadable and unwritable things -----------------------------------------------------------------


def test_unreadable_layouts_directory_is_an_error(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may run as root, for whom chmod 000 changes nothing: the OS's refusal is simulated instead.
    real = os.scandir

    def refuse(path: Any = ".") -> Any:
        if Path(path) == root / "layouts":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", refuse)
    run = run_in_process(["validate", str(root)])
    assert run.exit_code == 2 and "Permission denied" in run.stderr, run
    _edit_doc(root, 1)
    run = run_in_process(["freeze", "v2.1", "-m", "Empty?", "--root", str(root)])
    assert run.exit_code == 2 and "Permission denied" in run.stderr, run
    assert not (root / "versions" / "v2.1").exists()


def test_unwritable_versions_directory_is_an_error(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def refuse(*args: Any, **kwargs: Any) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    _edit_doc(root, 1)
    run = run_in_process(["freeze", "v2.1", "-m", "Docs", "--root", str(root)])
    assert run.exit_code == 2 and "Permission denied" in run.stderr, run


def test_unreadable_frozen_file_is_reported(root: Path, pvabi_proc: Proc) -> None:
    frozen = root / "versions" / "v1.0" / "xen_types.yaml"
    frozen.unlink()
    frozen.mkdir()  # a directory where a frozen file was: reading it fails like an unreadable file
    run = pvabi_proc("validate", root)
    assert run.exit_code == 2 and "Traceback" not in run.output, run.output
    assert "xen_types.yaml" in run.stderr


def test_non_utf8_release_note(root: Path, pvabi_proc: Proc) -> None:
    (root / "notes" / "v1.1.md").write_bytes(b"caf\xe9\n")
    run = pvabi_proc("changelog", "v1.0", "v1.1", "--root", root)
    assert_one_bad_input(run, "abi/notes/v1.1.md", None, "UTF-8")


def test_frozen_directory_is_as_readable_as_the_tree(root: Path, pvabi_proc: Proc) -> None:
    _edit_doc(root, 1)
    old = os.umask(0o022)
    try:
        run = pvabi_proc("freeze", "v2.1", "-m", "Docs", "--root", root)
    finally:
        os.umask(old)
    assert run.exit_code == 0, run.output
    assert stat.S_IMODE((root / "versions" / "v2.1").stat().st_mode) == 0o755


# --- crashes and concurrency --------------------------------------------------------------------------


def _in_child(target: Callable[[], None]) -> int:
    proc = FORK.Process(target=target)
    proc.start()
    proc.join(60)
    assert proc.exitcode is not None, "child did not finish"
    return proc.exitcode


def test_kill_between_commit_and_index_leaves_a_valid_history(small: Path, pvabi_proc: Proc) -> None:
    """The deterministic form of the 1-in-60 random kill: the index write never happens."""
    _edit_doc(small, 1)

    def child() -> None:
        def die(*args: object, **kwargs: object) -> None:
            os.kill(os.getpid(), signal.SIGKILL)

        versionsmod.write_atomic = die  # type: ignore[assignment]
        freeze(AbiRoot(small), "v1.1", "Docs")

    assert _in_child(child) == -signal.SIGKILL
    _valid(pvabi_proc, small)
    names = [v["name"] for v in json.loads(pvabi_proc("versions", "--json", "--root", small).stdout)["versions"]]
    assert names[-1] == "v1.1"
    _edit_doc(small, 2)
    run = pvabi_proc("freeze", "v1.2", "-m", "More docs", "--root", small)
    assert run.exit_code == 0, run.output
    _valid(pvabi_proc, small)
    on_disk = json.loads((small / "versions" / "index.json").read_text("utf-8"))
    assert [v["name"] for v in on_disk["versions"]][-2:] == ["v1.1", "v1.2"]


def _slow_freeze(abi: Path, name: str, delay: float) -> Callable[[], None]:
    """A freeze that pauses after its checks, with its snapshot staged but not committed: where a racing
    writer overtook it (its index write then dropped the other's entry, or its rename failed)."""
    def child() -> None:
        import tempfile

        real = tempfile.mkdtemp

        def slow(*args: Any, **kwargs: Any) -> str:
            made = real(*args, **kwargs)
            time.sleep(delay)
            return made

        tempfile.mkdtemp = slow  # type: ignore[assignment]
        try:
            freeze(AbiRoot(abi), name, f"Freeze {name}")
        except versionsmod.InputError:
            os._exit(2)
        except BaseException:
            os._exit(3)
        os._exit(0)
    return child


@pytest.mark.parametrize("names", [("v1.1", "v1.2"), ("v1.1", "v1.1")], ids=["different", "same"])
def test_concurrent_freezes(small: Path, pvabi_proc: Proc, names: tuple[str, str]) -> None:
    root = small
    _edit_doc(root, 1)
    first = FORK.Process(target=_slow_freeze(root, names[0], 1.0))
    second = FORK.Process(target=_slow_freeze(root, names[1], 0.0))
    first.start()
    time.sleep(0.4)
    second.start()
    first.join(60)
    second.join(60)
    codes = (first.exitcode, second.exitcode)
    assert 3 not in codes, codes
    _valid(pvabi_proc, root)
    listed = [v.name for v in VersionIndex.read(AbiRoot(root)).versions]
    for name, code in zip(names, codes, strict=True):
        assert (code == 0) == (name in listed) or names[0] == names[1], (codes, listed)
    if names[0] == names[1]:
        assert sorted(codes) == [0, 2], codes  # one froze it, the other was refused cleanly
    else:
        assert codes == (0, 0) and listed[-2:] == list(names)


def _kill_at_random(argv: list[str], delay: float) -> int:
    proc = subprocess.Popen([*PVABI, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err.decode()
    return proc.returncode


def test_kill_9_during_freeze_loop(small: Path, pvabi_proc: Proc) -> None:
    root = small
    rng = random.Random(17)
    start = time.monotonic()
    _edit_doc(root, 0)
    done = subprocess.run([*PVABI, "freeze", "v1.1", "-m", "Timing", "--root", str(root)], check=True,
                          capture_output=True)
    assert done.returncode == 0
    duration = time.monotonic() - start
    minor = 2
    for i in range(1, 13):
        _edit_doc(root, i)
        before = _history(root)
        name = f"v1.{minor}"
        code = _kill_at_random(["freeze", name, "-m", f"Round {i}", "--root", str(root)],
                               rng.uniform(0, duration * 1.2))
        after = _history(root)
        listed = [v.name for v in VersionIndex.read(AbiRoot(root)).versions]
        assert VersionIndex.read(AbiRoot(root)).verify() == [] and VersionIndex.read(AbiRoot(root)).orphans() == []
        if name in listed:
            minor += 1  # complete: every frozen file verified by validate above
        else:
            # untouched: the index and every version as they were (only a hidden staging directory may remain)
            assert after == before, (i, code)
    _valid(pvabi_proc, root)
    assert minor > 2 or duration < 0.2  # at least one kill landed after the commit, unless freezing is instant


def test_kill_9_during_encode_loop(tmp_path: Path) -> None:
    rng = random.Random(8)
    out = tmp_path / "image.bin"
    old = b"old image of another size"
    values = tmp_path / "values.json"
    size = json.loads(subprocess.run([*PVABI, "show", "shared_info_page", "--json", "--root", str(SHIPPED_ABI)],
                                     check=True, capture_output=True).stdout)["size"]
    image = bytes(size)
    (tmp_path / "zero.bin").write_bytes(image)
    decoded = subprocess.run([*PVABI, "decode", "shared_info_page", str(tmp_path / "zero.bin"), "--json",
                              "--root", str(SHIPPED_ABI)], capture_output=True, check=True).stdout
    values.write_bytes(decoded)
    argv = ["encode", "shared_info_page", str(values), "-o", str(out), "--root", str(SHIPPED_ABI)]
    start = time.monotonic()
    subprocess.run([*PVABI, *argv], check=True, capture_output=True)
    duration = time.monotonic() - start
    assert out.read_bytes() == image
    for _ in range(12):
        out.write_bytes(old)
        _kill_at_random(argv, rng.uniform(0, duration * 1.2))
        assert out.read_bytes() in (old, image)
