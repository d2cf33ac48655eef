"""The shipped ABI against facts stated by the public headers it mirrors.

Numbers here are facts from the headers, not pvabi output:
- xen-project/xen xen/include/public/xen.h: "32 bytes" (vcpu_time_info) and
  "64 bytes (x86)" (vcpu_info) in its comments; shared_info lives in one page.
- xen-project/xen xen/include/public/arch-x86/xen-x86_32.h: wc_sec_hi sits in
  arch_shared_info on i386 because there is no room in shared_info.
- torvalds/linux arch/x86/include/asm/vmi.h (2.6.2x–2.6.36): the packed
  struct vrom_header; the field offsets below are its member order and sizes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pvabi import arch as archmod
from pvabi.cli import app
from pvabi.engine import Resolver
from pvabi.project import load
from pvabi.slots import Role, slots
from pvabi.versions import VersionIndex
from shipped import REPO, ROOT, shipped_layouts, working

XEN_ARCHES = ["x86_32", "x86_64", "arm32", "aarch64"]


def _lay(name: str, arch: str, version: str = "working"):  # type: ignore[no-untyped-def]
    abi = working() if version == "working" else load(ROOT, version)
    return Resolver(abi, arch).layout(name)


@pytest.mark.parametrize("arch", list(archmod.ARCHES))
def test_vcpu_time_info_is_32_bytes_everywhere(arch: str) -> None:
    assert _lay("vcpu_time_info", arch).size == 32


@pytest.mark.parametrize("arch", ["x86_32", "x86_64"])
def test_vcpu_info_is_64_bytes_on_x86(arch: str) -> None:
    assert _lay("vcpu_info", arch).size == 64


@pytest.mark.parametrize("arch", XEN_ARCHES)
def test_shared_info_fits_one_page(arch: str) -> None:
    assert _lay("shared_info", arch).size <= 4096
    page = _lay("shared_info_page", arch)
    assert page.size == 4096
    assert page.members[-1].field.reserved is not None  # the unused tail is reserved


def test_wc_sec_hi_placement_per_arch() -> None:
    si64 = _lay("shared_info", "x86_64")
    hi = si64.member("wc_sec_hi")
    assert hi is not None and hi.offset == si64.member("wc_nsec").end  # type: ignore[union-attr]
    si32 = _lay("shared_info", "x86_32")
    assert si32.member("wc_sec_hi") is None
    arch32 = _lay("arch_shared_info", "x86_32")
    assert arch32.members[-1].name == "wc_sec_hi"


def test_event_bitmaps_have_one_bit_per_channel() -> None:
    for arch, channels in (("x86_32", 1024), ("x86_64", 4096), ("arm32", 4096), ("aarch64", 4096)):
        pending = _lay("shared_info", arch).member("evtchn_pending")
        assert pending is not None and pending.size * 8 == channels, arch


VROM_OFFSETS = {
    "rom_signature": 0, "rom_length": 2, "rom_entry": 3, "rom_pad0": 7, "vrom_signature": 8,
    "api_version_min": 12, "api_version_maj": 13, "jump_slots": 14, "reserved1": 15, "virtual_top": 16,
    "reserved2": 20, "license_offs": 22, "pci_header_offs": 24, "pnp_header_offs": 26, "rom_pad3": 28,
    "reserved": 32, "vmi_init": 128, "get_reloc": 136,
}


def test_vrom_header_matches_public_vmi_h() -> None:
    rom = _lay("vrom_header", "x86_32")
    assert {m.name: m.offset for m in rom.members} == VROM_OFFSETS
    assert rom.size == 144
    assert rom.member("rom_signature").field.const == 0xAA55  # type: ignore[union-attr]
    assert rom.member("vrom_signature").field.const == 0x696D5663  # "cVmi"  # type: ignore[union-attr]


def test_vmi_rom_exists_on_i386_only() -> None:
    rec = working().record("vrom_header")
    assert rec is not None and rec.arches == frozenset({"x86_32"})


def test_every_version_loads_and_bare_major_resolves() -> None:
    index = VersionIndex.read(ROOT)
    names = [v.name for v in index.versions]
    assert len(names) >= 4 and names == sorted(names, key=lambda n: tuple(map(int, n[1:].split("."))))
    for name in names:
        load(ROOT, name)
    assert index.resolve("v1").name == max((n for n in names if n.startswith("v1.")),
                                           key=lambda n: int(n.split(".")[1]))


def test_working_equals_newest_version() -> None:
    newest = VersionIndex.read(ROOT).versions[-1]
    for fname in newest.files:
        assert (ROOT.versions / newest.name / fname).read_bytes() == (ROOT.layouts / fname).read_bytes()


def _geometry(layout) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    return [(s.path, s.offset, s.size) for s in slots(layout) if s.role is not Role.HOLE] + [("", 0, layout.size)]


def test_shipped_history_changes_are_where_changes_md_says() -> None:
    # v1.1 carved wc_sec_hi out of the x86_64 hole: no member of v1.0 moved.
    old, new = _lay("shared_info", "x86_64", "v1.0"), _lay("shared_info", "x86_64", "v1.1")
    assert any(h.offset == 3084 and h.size == 4 for h in old.holes)
    assert new.member("wc_sec_hi").offset == 3084  # type: ignore[union-attr]
    assert all(new.member(m.name).offset == m.offset for m in old.members)  # type: ignore[union-attr]
    assert not any(h.offset == 3084 for h in new.holes)
    # v2.0 broke arm32 only.
    for arch in ("x86_32", "x86_64", "aarch64"):
        assert _geometry(_lay("shared_info", arch, "v1.3")) == _geometry(_lay("shared_info", arch, "v2.0")), arch
    assert _lay("shared_info", "arm32", "v1.3").size == 312
    assert _lay("shared_info", "arm32", "v2.0").size == 1088


FROZEN = [(v.name, f) for v in VersionIndex.read(ROOT).versions for f in sorted(v.files)]


@pytest.mark.parametrize(("version", "fname"), FROZEN)
def test_tampering_with_any_frozen_file_fails_validate(tmp_path: Path, version: str, fname: str) -> None:
    shutil.copytree(REPO / "abi", tmp_path / "abi")
    victim = tmp_path / "abi" / "versions" / version / fname
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x20
    victim.write_bytes(bytes(data))
    result = CliRunner().invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert f"abi/versions/{version}/{fname}" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("layout", shipped_layouts(), ids=lambda lay: f"{lay.name}-{lay.arch}")
def test_show_is_readable_and_agrees_with_engine(layout) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["show", layout.name, "--arch", layout.arch, "--root", str(REPO)])
    assert result.exit_code == 0, result.output
    assert f"size: {layout.size}," in result.output
    for m in layout.members:
        assert f"{m.offset:>6} {m.size:>6} */" in result.output and m.name in result.output


def test_validate_passes_on_shipped_abi() -> None:
    result = CliRunner().invoke(app, ["validate", str(REPO)])
    assert result.exit_code == 0, result.output
