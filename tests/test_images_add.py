"""`pvabi images add`: a captured image is decoded, copied in atomically, described and (if released) locked."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

from conftest import SHIPPED_ABI

from pvabi.abiroot import find_root
from pvabi.checker import check_images
from pvabi.images import load_corpus, read_index


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(SHIPPED_ABI, tmp_path / "abi")
    return tmp_path / "abi"


def test_a_captured_rom_inside_a_larger_dump_is_registered_and_locked(tmp_path: Path, cli) -> None:
    abi = _copy(tmp_path)
    rom = (abi / "images" / "vrom_header-x86_32-v1.3-host.bin").read_bytes()
    dump = tmp_path / "option-rom-area.bin"
    dump.write_bytes(b"\xff" * 0x800 + rom + b"\xee" * 16)
    run = cli("images", "add", dump, "--layout", "vrom_header", "--arch", "i386", "--offset", "0x800",
              "--abi-version", "v1", "--note", "read from the option-ROM area of a test host", "--root", tmp_path)
    assert run.exit_code == 0, run.output
    name = "vrom_header-x86_32-v1.3-host-captured.bin"
    assert (abi / "images" / name).read_bytes() == dump.read_bytes()
    sidecar = json.loads((abi / "images" / name.replace(".bin", ".json")).read_text())
    assert (sidecar["schema"], sidecar["version"], sidecar["arch"], sidecar["offset"], sidecar["writer"]) == (
        "pvabi.image/1", "v1.3", "x86_32", 0x800, "host")
    assert sidecar["produced"] == {"by": "captured", "note": "read from the option-ROM area of a test host"}
    # The same values the compiled writer recorded for the same bytes.
    shipped = json.loads((abi / "images" / "vrom_header-x86_32-v1.3-host.json").read_text())
    assert sidecar["expected"] == shipped["expected"]
    assert read_index(find_root(abi))[name] == sidecar["sha256"]
    assert cli("validate", tmp_path).exit_code == 0
    result = check_images(find_root(abi), mode="full", transitive=True)
    assert result.exit_code == 0
    assert any(c.image.name == name and c.read_under == "v2.0" for c in result.comparisons)
    again = cli("images", "add", dump, "--layout", "vrom_header", "--arch", "i386", "--offset", "0x800",
                "--abi-version", "v1.3", "--root", tmp_path)
    assert again.exit_code == 2 and "already in the corpus" in again.stderr


def test_a_captured_unknown_enum_value_is_a_finding(tmp_path: Path, cli) -> None:
    abi = _copy(tmp_path)
    reloc = tmp_path / "reloc.bin"
    reloc.write_bytes(struct.pack("<IB3x", 0xC0101000, 7))  # type 7: no vmi_relocation_type names it
    run = cli("images", "add", reloc, "--layout", "vmi_relocation_info", "--arch", "x86_32", "--root", tmp_path)
    assert run.exit_code == 0, run.output
    img = next(i for i in load_corpus(find_root(abi)) if i.layout == "vmi_relocation_info")
    assert img.version == "working" and img.name not in read_index(find_root(abi))
    assert img.expected == {"eip": 0xC0101000, "type": {"value": 7, "name": None}}
    result = check_images(find_root(abi), mode="backward", transitive=False)
    found = [(c.read_under, f.rule, f.path, f.new_range) for c in result.comparisons for f in c.findings]
    # Under its own version, and under v2.0, which an older guest on this host reads it with.
    assert found == [("working", "IMAGE_UNKNOWN_ENUM", "type", (4, 5)), ("v2.0", "IMAGE_UNKNOWN_ENUM", "type", (4, 5))]


def test_bad_captured_images_are_one_line_and_leave_nothing_behind(tmp_path: Path, pvabi_proc) -> None:
    abi = _copy(tmp_path)
    before = sorted(p.name for p in (abi / "images").iterdir())
    short = tmp_path / "short.bin"
    short.write_bytes(b"\x55\xaa" + b"\0" * 50)
    bad_sig = tmp_path / "bad-signature.bin"
    bad_sig.write_bytes(b"\x55\xab" + b"\0" * 142)
    cases = [
        (short, ["--layout", "vrom_header", "--arch", "x86_32"], "too short for vrom_header (144 bytes on x86_32)"),
        (bad_sig, ["--layout", "vrom_header", "--arch", "x86_32"],
         "vrom_header.rom_signature at offset 0: bytes 55 ab, but the layout requires the constant 55 aa"),
        (bad_sig, ["--layout", "vrom_header", "--arch", "x86_32", "--writer", "firmware"],
         "--writer must be host or guest"),
        (bad_sig, ["--layout", "no_such", "--arch", "x86_32"], "no layout named 'no_such'"),
        (bad_sig, ["--layout", "vrom_header", "--arch", "x86_32", "--abi-version", "v8.8"], "unknown version"),
        (bad_sig, ["--layout", "vrom_header", "--arch", "x86_64"], "does not exist on x86_64"),
    ]
    for image, args, message in cases:
        run = pvabi_proc("images", "add", image, *args, "--root", tmp_path)
        assert run.exit_code == 2 and "Traceback" not in run.output, run.output
        assert len(run.error_lines) == 1 and message in run.error_lines[0], run.output
    assert sorted(p.name for p in (abi / "images").iterdir()) == before
