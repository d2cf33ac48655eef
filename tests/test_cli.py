"""Happy paths of the ``pvabi`` command line, on the shipped ABI and on throw-away ones."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    CODEC_LAYOUT,
    REC_IMAGE,
    REC_VALUES,
    REPO,
    SHIPPED_ABI,
    Run,
    assert_bad_input,
    assert_one_bad_input,
    write_layouts,
)

from pvabi.cli import app

Cli = Callable[..., Run]
MakeAbi = Callable[..., Path]


def ok(run: Run) -> Run:
    assert run.exit_code == 0, f"exit {run.exit_code}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    assert "Traceback" not in run.output
    return run


# --- validate and finding the ABI ------------------------------------------------------------------------


@pytest.mark.parametrize("root", [SHIPPED_ABI, REPO], ids=["abi-dir", "repo-dir"])
def test_validate_shipped_abi(pvabi_proc: Cli, root: Path) -> None:
    run = ok(pvabi_proc("validate", root))
    assert run.stdout.startswith("ok: ")
    assert str(SHIPPED_ABI) in run.stdout
    assert run.stderr == ""


def test_validate_shipped_abi_found_from_the_repo(cli: Cli) -> None:
    run = ok(cli("validate", cwd=REPO / "abi" / "layouts"))
    assert f"({SHIPPED_ABI})" in run.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """``tmp_path/proj`` with ``abi/layouts/codec.yaml`` and an unrelated ``src/deep/er`` directory."""
    proj = tmp_path / "proj"
    write_layouts(proj / "abi" / "layouts", {"codec": CODEC_LAYOUT})
    (proj / "src" / "deep" / "er").mkdir(parents=True)
    return proj


@pytest.mark.parametrize("sub", [".", "src", "src/deep/er", "abi", "abi/layouts"])
def test_root_is_found_upward_from_a_subdirectory(cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch,
                                                  sub: str) -> None:
    monkeypatch.chdir(project / sub)
    run = ok(cli("validate"))
    assert f"({(project / 'abi').resolve()})" in run.stdout
    assert "1 layout files, 3 layouts" in run.stdout
    run = ok(cli("show", "rec", "--json"))
    assert json.loads(run.stdout)["size"] == 24


@pytest.mark.parametrize("given", ["proj", "proj/abi"], ids=["repo-dir", "abi-dir"])
def test_root_given_as_repo_or_abi_dir(cli: Cli, project: Path, tmp_path: Path, given: str) -> None:
    root = tmp_path / given
    run = ok(cli("validate", root, cwd=tmp_path))
    assert f"({(project / 'abi').resolve()})" in run.stdout
    run = ok(cli("show", "rec", "--root", root, "--json", cwd=tmp_path))
    assert json.loads(run.stdout)["name"] == "rec"


def test_root_option_wins_over_the_current_directory(cli: Cli, project: Path) -> None:
    # Run from inside the shipped repository, point at the temp ABI.
    run = ok(cli("show", "rec", "--root", project, cwd=REPO))
    assert "struct rec" in run.stdout


def test_no_abi_anywhere(cli: Cli, tmp_path: Path) -> None:
    assert_one_bad_input(cli("validate", cwd=tmp_path), None, None, "no abi/ directory found")


# --- show -------------------------------------------------------------------------------------------------


def _row(text: str, name: str) -> tuple[int, int]:
    """(offset, size) of the member line declaring ``name`` in ``show`` text."""
    m = re.search(r"/\*\s+(\d+)\s+(\d+) \*/ [^;]*\b" + re.escape(name) + r"(\[\d+\])*;", text)
    assert m, f"no member {name} in:\n{text}"
    return int(m.group(1)), int(m.group(2))


def test_show_text_x86_32(cli: Cli) -> None:
    text = ok(cli("show", "vcpu_info", "--arch", "x86_32", "--root", SHIPPED_ABI)).stdout
    assert text.startswith("struct vcpu_info {")
    assert "x86_32: size 64, align 4" in text
    assert _row(text, "evtchn_upcall_pending") == (0, 1)
    assert _row(text, "evtchn_upcall_mask") == (1, 1)
    assert _row(text, "evtchn_pending_sel") == (4, 4)
    assert _row(text, "arch") == (8, 24)
    assert _row(text, "time") == (32, 32)
    lines = text.splitlines()
    mask = next(i for i, line in enumerate(lines) if "evtchn_upcall_mask;" in line)
    assert re.search(r"/\*\s+2\s+2\s+XXX 2-byte hole \*/", lines[mask + 1]), lines[mask + 1]
    assert "holes: 1, sum holes: 2" in text


def test_show_text_x86_64_and_arm(cli: Cli) -> None:
    text = ok(cli("show", "vcpu_info", "--arch", "x86_64", "--root", SHIPPED_ABI)).stdout
    assert _row(text, "evtchn_pending_sel") == (8, 8)
    assert _row(text, "time") == (32, 32)
    assert "6-byte hole" in text
    text = ok(cli("show", "vcpu_info", "--arch", "aarch64", "--root", SHIPPED_ABI)).stdout
    assert "aarch64: size 48" in text
    assert _row(text, "time") == (16, 32)


def test_show_i386_is_x86_32(cli: Cli) -> None:
    alias = ok(cli("show", "vcpu_info", "--arch", "i386", "--root", SHIPPED_ABI)).stdout
    canonical = ok(cli("show", "vcpu_info", "--arch", "x86_32", "--root", SHIPPED_ABI)).stdout
    assert alias == canonical
    alias_json = json.loads(ok(cli("show", "vcpu_info", "-a", "i386", "--json", "--root", SHIPPED_ABI)).stdout)
    assert alias_json["arch"] == "x86_32"


def test_show_json_has_the_documented_keys(cli: Cli) -> None:
    data = json.loads(ok(cli("show", "vcpu_info", "--arch", "x86_32", "--json", "--root", SHIPPED_ABI)).stdout)
    assert data["schema"] == "pvabi.show/1"
    assert (data["name"], data["arch"], data["size"], data["align"]) == ("vcpu_info", "x86_32", 64, 4)
    assert list(data)[:1] == ["schema"]
    for key in ("name", "arch", "size", "align", "members", "holes"):
        assert key in data
    members = {m["name"]: m for m in data["members"]}
    for m in data["members"]:
        for key in ("name", "offset", "size", "type"):
            assert key in m, (key, m)
    assert (members["time"]["offset"], members["time"]["size"], members["time"]["type"]) == \
        (32, 32, "struct vcpu_time_info")
    assert members["evtchn_upcall_mask"]["offset"] == 1
    assert {"offset": 2, "size": 2, "after": "evtchn_upcall_mask"}.items() <= data["holes"][0].items()
    nested = {m["name"]: m for m in members["time"]["layout"]["members"]}
    assert nested["flags"]["offset"] == 29


def test_show_json_is_deterministic(pvabi_proc: Cli) -> None:
    args = ("show", "vcpu_info", "--arch", "x86_32", "--json", "--root", SHIPPED_ABI)
    first = ok(pvabi_proc(*args, env={"PYTHONHASHSEED": "1"}))
    second = ok(pvabi_proc(*args, env={"PYTHONHASHSEED": "2"}))
    assert first.stdout.encode() == second.stdout.encode()
    json.loads(first.stdout)


def test_show_every_shipped_layout_on_every_arch(cli: Cli) -> None:
    from pvabi.abiroot import AbiRoot
    from pvabi.project import load

    abi = load(AbiRoot(SHIPPED_ABI))
    for rec in abi.records():
        for arch in sorted(rec.arches or {"x86_32", "x86_64", "arm32", "aarch64", "ppc64", "s390x"}):
            data = json.loads(ok(cli("show", rec.name, "--arch", arch, "--json", "--root", SHIPPED_ABI)).stdout)
            assert (data["name"], data["arch"]) == (rec.name, arch)


# --- decode and encode ------------------------------------------------------------------------------------


@pytest.fixture
def codec_files(tmp_path: Path, make_abi: MakeAbi) -> tuple[Path, Path]:
    """(ABI root holding CODEC_LAYOUT, a directory for images and values)."""
    root = make_abi({"codec": CODEC_LAYOUT})
    work = tmp_path / "work"
    work.mkdir()
    return root, work


def test_encode_then_decode_round_trip(cli: Cli, codec_files: tuple[Path, Path]) -> None:
    root, work = codec_files
    (work / "values.json").write_text(json.dumps(REC_VALUES))
    run = ok(cli("encode", "rec", work / "values.json", "-o", work / "image.bin", "--root", root))
    assert "24 bytes" in run.stdout
    assert (work / "image.bin").read_bytes() == REC_IMAGE

    decoded = json.loads(ok(cli("decode", "rec", work / "image.bin", "--json", "--root", root)).stdout)
    assert decoded["schema"] == "pvabi.decode/1"
    assert (decoded["layout"], decoded["arch"], decoded["notes"]) == ("rec", "x86_64", [])
    values = decoded["values"]
    assert {k: values[k] for k in ("a", "b", "c", "arr")} == {k: REC_VALUES[k] for k in ("a", "b", "c", "arr")}
    assert values["in"]["p"] == 7
    assert values["fl"]["value"] == 3 and values["fl"]["set"] == ["A", "B"]
    assert values["st"] == {"value": 1, "name": "ON"}
    assert values["label"]["text"] == "abc"

    # The decode document is itself accepted by encode, and rebuilds the same bytes.
    (work / "decoded.json").write_text(json.dumps(decoded))
    ok(cli("encode", "rec", work / "decoded.json", "-o", work / "again.bin", "--root", root))
    assert (work / "again.bin").read_bytes() == REC_IMAGE
    again = json.loads(ok(cli("decode", "rec", work / "again.bin", "--json", "--root", root)).stdout)
    assert again == decoded


def test_decode_text_output(cli: Cli, codec_files: tuple[Path, Path]) -> None:
    root, work = codec_files
    (work / "image.bin").write_bytes(REC_IMAGE)
    text = ok(cli("decode", "rec", work / "image.bin", "--root", root)).stdout
    lines = [" ".join(line.split()) for line in text.splitlines()]
    # offset, path, value: flags and enums by name, bytes as hex, never inline JSON
    assert "0 a = 1" in lines
    assert "4 c = 3735928559" in lines
    assert "14 in.p = 7" in lines
    assert "8 fl = 0x3 (A | B)" in lines
    assert "18 st = ON (1)" in lines
    assert '19 label = 61 62 63 00 "abc"' in lines
    assert "{" not in text
    hexed = ok(cli("decode", "rec", work / "image.bin", "--root", root, "--hex")).stdout
    assert "     4  c = 0xdeadbeef" in hexed.splitlines()


@pytest.mark.parametrize("arch", ["x86_32", "x86_64", "arm32", "aarch64"])
def test_shipped_vcpu_info_round_trip(cli: Cli, tmp_path: Path, arch: str) -> None:
    time = {"version": 2, "tsc_timestamp": 0x1122334455667788, "system_time": 10**12, "tsc_to_system_mul": 7,
            "tsc_shift": -3, "flags": ["TSC_STABLE"]}
    values = {"evtchn_upcall_pending": 1, "evtchn_pending_sel": 5, "arch": {}, "time": time}
    if arch.startswith("x86"):
        values["evtchn_upcall_mask"] = 1
        values["arch"] = {"cr2": 0xFFFF}
    (tmp_path / "v.json").write_text(json.dumps(values))
    out = tmp_path / "img.bin"
    ok(cli("encode", "vcpu_info", tmp_path / "v.json", "-o", out, "--arch", arch, "--root", SHIPPED_ABI))
    size = json.loads(ok(cli("show", "vcpu_info", "--arch", arch, "--json", "--root", SHIPPED_ABI)).stdout)["size"]
    assert len(out.read_bytes()) == size
    decoded = json.loads(ok(cli("decode", "vcpu_info", out, "--arch", arch, "--json", "--root", SHIPPED_ABI)).stdout)
    got = decoded["values"]
    assert got["evtchn_pending_sel"] == 5
    assert got["time"]["tsc_timestamp"] == 0x1122334455667788
    assert got["time"]["tsc_shift"] == -3
    assert got["time"]["flags"]["set"] == ["TSC_STABLE"]
    assert decoded["notes"] == []


def test_union_round_trip(cli: Cli, codec_files: tuple[Path, Path]) -> None:
    root, work = codec_files
    (work / "u.json").write_text(json.dumps({"word": 0x04030201}))
    ok(cli("encode", "un", work / "u.json", "-o", work / "u.bin", "--root", root))
    assert (work / "u.bin").read_bytes() == bytes([1, 2, 3, 4])
    decoded = json.loads(ok(cli("decode", "un", work / "u.bin", "--json", "--root", root)).stdout)
    assert decoded["values"]["word"] == 0x04030201
    assert decoded["values"]["byte"] == 1


@pytest.mark.parametrize("json_", [False, True], ids=["text", "json"])
def test_decode_nonzero_reserved_bytes_is_a_finding(cli: Cli, codec_files: tuple[Path, Path], json_: bool) -> None:
    root, work = codec_files
    image = bytearray(REC_IMAGE)
    image[17] = 0x5A  # inner.rz[1] at 14 + 2 + 1: reserved, must be zero
    (work / "image.bin").write_bytes(bytes(image))
    run = cli("decode", "rec", work / "image.bin", "--root", root, *(["--json"] if json_ else []))
    assert run.exit_code == 1, run
    assert "Traceback" not in run.output
    if json_:
        notes = json.loads(run.stdout)["notes"]
    else:
        notes = [line for line in run.stdout.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1, notes
    assert "in.rz" in notes[0] and "offset 17" in notes[0] and "reserved" in notes[0]


def test_decode_undefined_flag_bits_is_a_finding(cli: Cli, codec_files: tuple[Path, Path]) -> None:
    root, work = codec_files
    image = bytearray(REC_IMAGE)
    image[8] = 0x07  # fl: bits A, B and the undefined bit 2
    (work / "image.bin").write_bytes(bytes(image))
    run = cli("decode", "rec", work / "image.bin", "--root", root)
    assert run.exit_code == 1, run
    notes = [line for line in run.stdout.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1 and "fl" in notes[0] and "0x4" in notes[0], notes


def test_decode_nonzero_reserved_any_is_not_a_finding(cli: Cli, tmp_path: Path) -> None:
    image = bytearray(32)
    image[4] = 0xFF  # vcpu_time_info.pad0: reserved any
    (tmp_path / "t.bin").write_bytes(bytes(image))
    run = ok(cli("decode", "vcpu_time_info", tmp_path / "t.bin", "--arch", "x86_32", "--root", SHIPPED_ABI))
    assert "note:" not in run.stdout


def test_encode_output_has_ordinary_permissions(cli: Cli, codec_files: tuple[Path, Path]) -> None:
    # An image is an ordinary file: created like `cp` or `cc -o` would, honouring the umask.
    root, work = codec_files
    (work / "values.json").write_text(json.dumps(REC_VALUES))
    old = os.umask(0o022)
    try:
        ok(cli("encode", "rec", work / "values.json", "-o", work / "image.bin", "--root", root))
    finally:
        os.umask(old)
    assert stat.S_IMODE((work / "image.bin").stat().st_mode) == 0o644


def test_encode_replaces_an_existing_output(cli: Cli, codec_files: tuple[Path, Path]) -> None:
    root, work = codec_files
    (work / "values.json").write_text(json.dumps(REC_VALUES))
    (work / "image.bin").write_bytes(b"old content that is longer than the new image")
    ok(cli("encode", "rec", work / "values.json", "-o", work / "image.bin", "--root", root))
    assert (work / "image.bin").read_bytes() == REC_IMAGE
    assert sorted(p.name for p in work.iterdir()) == ["image.bin", "values.json"]


# --- help -------------------------------------------------------------------------------------------------


COMMANDS = sorted((c.name or c.callback.__name__).replace("_", "-") for c in app.registered_commands
                  if c.callback is not None)


def test_all_commands_are_known() -> None:
    assert {"validate", "show", "decode", "encode", "versions", "freeze"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_of_every_command_has_an_example(cli: Cli, command: str, flag: str) -> None:
    run = ok(cli(command, flag))
    assert "Example:" in run.stdout
    assert f"pvabi {command}" in run.stdout


def test_top_level_help(pvabi_proc: Cli) -> None:
    run = ok(pvabi_proc("--help"))
    for command in COMMANDS:
        assert command in run.stdout


# --- versions and freeze ----------------------------------------------------------------------------------


def test_freeze_then_versions(cli: Cli, codec_files: tuple[Path, Path]) -> None:
    root, _ = codec_files
    run = ok(cli("freeze", "v1.0", "--summary", "First release", "--date", "2024-01-02", "--root", root))
    assert "v1.0" in run.stdout
    assert sorted(p.name for p in (root / "versions").iterdir()) == ["index.json", "v1.0"]
    assert (root / "versions" / "v1.0" / "codec.yaml").read_text() == CODEC_LAYOUT

    lines = ok(cli("versions", "--root", root)).stdout.splitlines()
    assert re.match(r"v1\.0\s+2024-01-02\s+First release$", lines[0]), lines
    assert lines[-1].startswith("working")
    data = json.loads(ok(cli("versions", "--json", "--root", root)).stdout)
    assert data == {"schema": "pvabi.version-list/1",
                    "versions": [{"name": "v1.0", "date": "2024-01-02", "summary": "First release"}]}

    # A second release needs a change and a summary (issue 8: freeze refuses an unchanged tree).
    (root / "layouts" / "codec.yaml").write_text(CODEC_LAYOUT.replace("Layouts for the encode", "Layouts for encode"))
    ok(cli("freeze", "v1.1", "-m", "Doc fix", "--root", root))
    names = [v["name"] for v in json.loads(ok(cli("versions", "--json", "--root", root)).stdout)["versions"]]
    assert names == ["v1.0", "v1.1"]
    assert "2 frozen versions verified" in ok(cli("validate", root)).stdout


def test_frozen_version_does_not_follow_the_working_copy(cli: Cli, codec_files: tuple[Path, Path]) -> None:
    root, _ = codec_files
    ok(cli("freeze", "v1.0", "-m", "A release", "--root", root))
    label4 = "      - name: label\n        type: char\n        count: 4\n"
    assert label4 in CODEC_LAYOUT
    changed = CODEC_LAYOUT.replace(label4, label4.replace("count: 4", "count: 5")).replace("    size: 24\n", "")
    (root / "layouts" / "codec.yaml").write_text(changed)
    working = json.loads(ok(cli("show", "rec", "--json", "--root", root)).stdout)
    frozen = json.loads(ok(cli("show", "rec", "--json", "--abi-version", "v1.0", "--root", root)).stdout)
    major = json.loads(ok(cli("show", "rec", "--json", "--abi-version", "v1", "--root", root)).stdout)
    assert {m["name"]: m["size"] for m in working["members"]}["label"] == 5
    assert {m["name"]: m["size"] for m in frozen["members"]}["label"] == 4
    assert major == frozen


def test_freeze_same_version_again(cli: Cli, codec_files: tuple[Path, Path]) -> None:
    root, _ = codec_files
    ok(cli("freeze", "v1.0", "-m", "A release", "--root", root))
    index = (root / "versions" / "index.json").read_bytes()
    assert_one_bad_input(cli("freeze", "v1.0", "-m", "A release", "--root", root), None, None, "v1.0",
                         "already exists")
    assert (root / "versions" / "index.json").read_bytes() == index
    assert sorted(p.name for p in (root / "versions").iterdir()) == ["index.json", "v1.0"]


def test_freeze_older_version_after_newer(cli: Cli, codec_files: tuple[Path, Path]) -> None:
    root, _ = codec_files
    ok(cli("freeze", "v1.0", "-m", "A release", "--root", root))
    index = (root / "versions" / "index.json").read_bytes()
    assert_one_bad_input(cli("freeze", "v0.9", "-m", "A release", "--root", root), None, None, "v0.9", "v1.0")
    assert (root / "versions" / "index.json").read_bytes() == index
    assert sorted(p.name for p in (root / "versions").iterdir()) == ["index.json", "v1.0"]


@pytest.mark.parametrize("name", ["1.0", "v1", "v1.0.0", "v1.x", "../v1.0"])
def test_freeze_bad_version_name(cli: Cli, codec_files: tuple[Path, Path], name: str) -> None:
    root, _ = codec_files
    assert_one_bad_input(cli("freeze", name, "-m", "A release", "--root", root), None, None, "vMAJOR.MINOR")
    assert not (root / "versions").exists()


def test_freeze_of_an_invalid_abi_writes_nothing(cli: Cli, codec_files: tuple[Path, Path]) -> None:
    root, _ = codec_files
    (root / "layouts" / "codec.yaml").write_text(CODEC_LAYOUT.replace("type: u32", "type: u33"))
    assert_bad_input(cli("freeze", "v1.0", "-m", "A release", "--root", root), "abi/layouts/codec.yaml", ..., "u33")
    assert not (root / "versions").exists()


@pytest.mark.parametrize("tamper", ["modify", "delete", "add"])
def test_tampered_frozen_version_fails_validate(cli: Cli, codec_files: tuple[Path, Path], tamper: str) -> None:
    root, _ = codec_files
    ok(cli("freeze", "v1.0", "-m", "A release", "--root", root))
    frozen = root / "versions" / "v1.0" / "codec.yaml"
    if tamper == "modify":
        frozen.write_text(frozen.read_text() + "# one more comment\n")
        needle, file = "modified", "abi/versions/v1.0/codec.yaml"
    elif tamper == "delete":
        frozen.unlink()
        needle, file = "missing", "abi/versions/v1.0/codec.yaml"
    else:
        (root / "versions" / "v1.0" / "extra.yaml").write_text(CODEC_LAYOUT.replace("id: codec", "id: extra"))
        needle, file = "not part of", "abi/versions/v1.0/extra.yaml"
    assert_one_bad_input(cli("validate", root), file, None, needle)
    # The frozen version refuses to load; the working copy is unaffected.
    assert_bad_input(cli("show", "rec", "--abi-version", "v1.0", "--root", root), file, None, needle)
    ok(cli("show", "rec", "--root", root))


def test_interrupted_freeze_is_ignored_then_removed(cli: Cli, codec_files: tuple[Path, Path]) -> None:
    # A freeze killed before its commit leaves a hidden staging directory: not part of the ABI (issue 17).
    root, _ = codec_files
    ok(cli("freeze", "v1.0", "-m", "A release", "--root", root))
    (root / "versions" / ".freeze-v1.1-abc").mkdir()
    ok(cli("validate", root))
    (root / "layouts" / "codec.yaml").write_text(CODEC_LAYOUT.replace("Layouts for the encode", "Layouts for encode"))
    ok(cli("freeze", "v1.1", "-m", "Doc fix", "--root", root))
    assert not (root / "versions" / ".freeze-v1.1-abc").exists()
