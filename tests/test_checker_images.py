"""`pvabi check-images` and `pvabi.checker.check_images`: the shipped corpus passes; real breaks are named.

A break is made the way it happens: a working layout that changes how released
bytes read, or an image whose bytes no longer hold what its writer stored. The
finding must name the image, the field, the architecture, the byte range and
both values. Bad input is one line and exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHIPPED_ABI, Run
from corpus_edits import copy_abi, reseal, sign_virtual_top
from jsonschemas import schema_errors

from pvabi.abiroot import find_root
from pvabi.checker import SELF, check_images, direction, targets
from pvabi.imagerules import IMAGE_RULES

DOCS = SHIPPED_ABI.parent / "docs" / "images.md"


@pytest.mark.parametrize("mode", ["backward", "forward", "full"])
def test_the_shipped_corpus_passes_every_mode_transitively(mode: str) -> None:
    result = check_images(find_root(SHIPPED_ABI), mode=mode, transitive=True)
    assert result.exit_code == 0, [f.message for f in result.findings][:5]
    images = len(result.images)
    assert images >= 30
    read_elsewhere = {c.image.name for c in result.comparisons if c.direction != SELF}
    # Every image but those at the end of the version line in its direction is read under another version.
    assert len(read_elsewhere) >= images // 2
    assert all(c.compared > 0 for c in result.comparisons)


def test_directions_follow_the_writer() -> None:
    # A host image is read by older guests (backward) and newer guests (forward); a guest image the reverse.
    assert direction("host", 3, 1) == "backward" and direction("host", 1, 3) == "forward"
    assert direction("guest", 1, 3) == "backward" and direction("guest", 3, 1) == "forward"
    assert direction("guest", 2, 2) == SELF
    assert targets("host", 2, 5, "backward", False, None) == [(1, "backward")]
    assert targets("host", 2, 5, "backward", True, None) == [(0, "backward"), (1, "backward")]
    assert targets("guest", 2, 5, "backward", True, None) == [(3, "backward"), (4, "backward")]
    assert targets("guest", 2, 5, "full", False, None) == [(1, "forward"), (3, "backward")]
    assert targets("guest", 2, 5, "backward", False, 4) == [(4, "backward")]
    assert targets("guest", 2, 5, "backward", False, 0) == []  # an older host is not what backward reads with




def test_a_flipped_shared_field_fails_naming_the_field_and_offset(tmp_path: Path, cli) -> None:
    abi = copy_abi(tmp_path)
    name = "shared_info_page-x86_64-v1.0-host.bin"
    data = bytearray((abi / "images" / name).read_bytes())
    data[3077] ^= 0x10  # inside info.wc_sec, bytes [3076, 3080) on x86_64
    reseal(abi, name, bytes(data))
    run = cli("check-images", "--root", tmp_path, "--no-transitive")
    assert run.exit_code == 1, run.output
    assert "BREAKING (fails the check)  IMAGE_VALUE_CHANGED  A shared field reads differently" in run.stdout
    assert f"  image:    abi/images/{name}\n" in run.stdout
    assert "where:    shared_info_page.info.wc_sec on x86_64; bytes [3076, 3080)" in run.stdout
    # the field's YAML line in v1.0 (the version the image was written and read under)
    assert "  defined:  abi/versions/v1.0/shared_info.yaml:" in run.stdout
    wc_sec = 1764720000
    assert f"old/new:  {wc_sec} ({wc_sec:#x}) -> {wc_sec ^ 0x1000} ({wc_sec ^ 0x1000:#x})" in run.stdout
    assert "  bytes:    806d2f69\n" in run.stdout  # little-endian 0x692f6d80, as the file holds it
    assert "\nv1.0 (read under their own version): FAILED: 1 failure in 6 images;" in run.stdout
    # every other pair of versions passes, each with its own verdict line
    verdicts = [line for line in run.stdout.splitlines() if ": passed: " in line or ": FAILED: " in line]
    assert len(verdicts) == run.stdout.count("\n== ") and sum(": FAILED: " in v for v in verdicts) == 1


def test_a_working_layout_that_misreads_a_released_rom_is_named(tmp_path: Path, cli) -> None:
    abi = copy_abi(tmp_path)
    layout = sign_virtual_top(abi)
    run = cli("check-images", "--root", tmp_path, "--against", "working", "--mode", "full", "--json")
    assert run.exit_code == 1, run.output
    doc = json.loads(run.stdout)
    assert doc["schema"] == "pvabi.check-images/2" and doc["command"] == "check-images"
    assert not schema_errors("check-images", doc)
    found = [(s, f) for s in doc["sections"] for f in s["findings"]]
    # Every host-written ROM of every frozen version reads virtual_top 0xfc000000 as a negative number.
    assert {f["facts"]["image"] for _, f in found} == {f"abi/images/vrom_header-x86_32-{v}-host.bin"
                                                      for v in ("v1.0", "v1.1", "v1.2", "v1.3", "v2.0")}
    assert {s["title"] for s, _ in found} == {f"{v} -> working" for v in ("v1.0", "v1.1", "v1.2", "v1.3", "v2.0")}
    section, f = found[0]
    assert (f["rule"], f["path"], f["arches"], f["new_range"]) == ("IMAGE_VALUE_CHANGED", "virtual_top", ["x86_32"],
                                                                   [16, 20])
    assert f["facts"] == {"image": "abi/images/vrom_header-x86_32-v1.0-host.bin", "range": [16, 20],
                          "file_offset": 16, "bytes": "000000fc", "written": 4227858432, "read": -67108864}
    assert section["read_under"] == f["witness"]["read_under"] == "working" and f["witness"]["direction"] == "forward"
    # the field as the writer's frozen version defines it, and as the reader's (working) layout does
    assert f["old_loc"]["file"] == "abi/versions/v1.0/vmi_rom.yaml"
    assert f["new_loc"]["file"] == "abi/layouts/vmi_rom.yaml"
    line = next(i for i, t in enumerate(layout.read_text().splitlines(), 1) if t == "      - name: virtual_top")
    assert f["new_loc"]["line"] == line


def test_a_new_field_not_absent_and_reserved_bytes_not_zero(tmp_path: Path) -> None:
    # v1.1's vcpu_time_info keeps pad1 reserved-zero; v1.2 carves the clock flags (host writes, guest reads) out of
    # its first byte. A v1.1 host's page that leaves byte 29 of vcpu 0's time record non-zero breaks its own
    # promise, and a v1.2 guest on that host (forward) reads garbage as the clock flags.
    abi = copy_abi(tmp_path)
    name = "shared_info_page-x86_64-v1.1-host.bin"
    data = bytearray((abi / "images" / name).read_bytes())
    data[32 + 29] = 0x04
    reseal(abi, name, bytes(data))
    result = check_images(find_root(abi), mode="forward", transitive=False)
    got = {(c.read_under, f.rule, f.path, f.new_range) for c in result.comparisons for f in c.findings}
    assert got == {("v1.1", "IMAGE_RESERVED_NONZERO", "info.vcpu_info[0].time.pad1", (61, 62)),
                   ("v1.2", "IMAGE_NEW_FIELD_NOT_ABSENT", "info.vcpu_info[0].time.flags", (61, 62)),
                   # and bit 2 is a flag no version of pvclock_flags defines
                   ("v1.2", "IMAGE_UNKNOWN_FLAGS", "info.vcpu_info[0].time.flags", (61, 62))}
    # The host does not read the clock flags: the guest's page, damaged the same way, fails only its own promise.
    guest = "shared_info_page-x86_64-v1.1-guest.bin"
    data = bytearray((abi / "images" / guest).read_bytes())
    data[32 + 29] = 0x04
    reseal(abi, guest, bytes(data))
    result = check_images(find_root(abi), mode="backward", transitive=False)
    got = {(c.image.name, c.read_under, f.rule) for c in result.comparisons for f in c.findings}
    assert got == {(name, "v1.1", "IMAGE_RESERVED_NONZERO"), (guest, "v1.1", "IMAGE_RESERVED_NONZERO")}


def test_check_images_output_is_deterministic(cli) -> None:
    a = cli("check-images", "--root", SHIPPED_ABI, "--mode", "full", "--json")
    b = cli("check-images", "--root", SHIPPED_ABI, "--mode", "full", "--json")
    assert a.exit_code == b.exit_code == 0 and a.stdout == b.stdout


def _bad(run: Run) -> str:
    assert run.exit_code == 2, run.output
    assert "Traceback" not in run.output and len(run.error_lines) == 1, run.output
    return run.error_lines[0]


def test_a_truncated_image_is_one_line(tmp_path: Path, pvabi_proc) -> None:
    abi = copy_abi(tmp_path)
    name = "vrom_header-x86_32-v1.3-host.bin"
    reseal(abi, name, (abi / "images" / name).read_bytes()[:100])
    line = _bad(pvabi_proc("check-images", "--root", tmp_path))
    assert f"abi/images/{name}: image is 100 bytes, too short for vrom_header (144 bytes on x86_32)" in line


def test_an_oversized_image_is_one_line(tmp_path: Path, cli) -> None:
    abi = copy_abi(tmp_path)
    name = "vmi_ap_state-x86_32-v1.3-guest.bin"
    reseal(abi, name, (abi / "images" / name).read_bytes() + b"\0" * 8)
    line = _bad(cli("check-images", "--root", tmp_path))
    assert f"{name}: image is 100 bytes, longer than vmi_ap_state (92 bytes on x86_32)" in line


def test_an_image_that_does_not_match_its_sidecar_is_one_line(tmp_path: Path, cli) -> None:
    abi = copy_abi(tmp_path)
    name = "vmi_ap_state-x86_32-v1.3-guest.bin"
    data = bytearray((abi / "images" / name).read_bytes())
    data[0] ^= 1
    (abi / "images" / name).write_bytes(bytes(data))
    line = _bad(cli("check-images", "--root", tmp_path))
    assert f"{name}: does not match its sidecar: SHA-256" in line


def test_an_unknown_version_is_one_line(tmp_path: Path, cli) -> None:
    abi = copy_abi(tmp_path)
    sidecar = abi / "images" / "vmi_ap_state-x86_32-v1.3-guest.json"
    doc = json.loads(sidecar.read_text())
    doc["version"] = "v7.1"
    sidecar.write_text(json.dumps(doc))
    line = _bad(cli("check-images", "--root", tmp_path))
    assert "vmi_ap_state-x86_32-v1.3-guest.json: unknown version 'v7.1'" in line
    assert "unknown version 'v9.0'" in _bad(cli("check-images", "--root", SHIPPED_ABI, "--against", "v9.0"))


def test_a_corrupted_rom_signature_is_one_line(tmp_path: Path, pvabi_proc) -> None:
    abi = copy_abi(tmp_path)
    name = "vrom_header-x86_32-v2.0-host.bin"
    data = bytearray((abi / "images" / name).read_bytes())
    data[8:12] = b"cVmX"
    reseal(abi, name, bytes(data))
    line = _bad(pvabi_proc("check-images", "--root", tmp_path))
    assert f"{name}: vrom_header.vrom_signature at offset 8: bytes 63 56 6d 58, but v2.0 requires the constant " \
           "63 56 6d 69" in line


def test_a_malformed_sidecar_is_one_line(tmp_path: Path, cli) -> None:
    abi = copy_abi(tmp_path)
    sidecar = abi / "images" / "vmi_ap_state-x86_32-v1.0-guest.json"
    doc = json.loads(sidecar.read_text())
    doc["writer"] = "toolstack"
    sidecar.write_text(json.dumps(doc))
    line = _bad(cli("check-images", "--root", tmp_path))
    assert "vmi_ap_state-x86_32-v1.0-guest.json: writer: 'toolstack' is not one of host, guest" in line
    sidecar.write_text("{not json")
    assert "malformed JSON" in _bad(cli("check-images", "--root", tmp_path))


def test_every_rule_is_documented() -> None:
    text = DOCS.read_text()
    for rule in IMAGE_RULES.values():
        assert f"`{rule.id}`" in text and rule.doc.split(". ")[0] in " ".join(text.split())


def test_json_output_follows_its_schema(tmp_path: Path, cli) -> None:
    clean = cli("check-images", "--root", SHIPPED_ABI, "--mode", "full", "--json")
    assert not schema_errors("check-images", json.loads(clean.stdout))
    abi = copy_abi(tmp_path)
    name = "vrom_header-x86_32-v1.0-host.bin"
    data = bytearray((abi / "images" / name).read_bytes())
    data[20] = 0x01  # reserved2, reserved with any content: not a finding; rom_length is
    data[2] ^= 0xFF
    reseal(abi, name, bytes(data))
    failing = cli("check-images", "--root", tmp_path, "--json")
    doc = json.loads(failing.stdout)
    assert not schema_errors("check-images", doc)
    assert failing.exit_code == doc["exit_code"] == 1 and doc["summary"]["violations"] == 1
    f = next(f for s in doc["sections"] for f in s["findings"])
    assert (f["path"], f["facts"]["range"], f["facts"]["file_offset"], f["facts"]["bytes"]) == (
        "rom_length", [2, 3], 2, "df")
    assert f["category"] is None and f["fails"] and f["fix"] == IMAGE_RULES["IMAGE_VALUE_CHANGED"].fix
    # the sidecar's value (what the writer stored) and the damaged byte, both typed
    assert (f["facts"]["written"], f["facts"]["read"]) == (0xDF ^ 0xFF, 0xDF)


def test_array_elements_are_located_to_their_own_bytes() -> None:
    from pvabi.engine import Resolver
    from pvabi.imagedecode import decode
    from pvabi.project import load

    lay = Resolver(load(find_root(SHIPPED_ABI), "v1.0"), "x86_64").layout("shared_info_page")
    slots = decode(lay, bytes(lay.size)).slots
    # gcc: offsetof(struct shared_info, evtchn_pending) == 2048 on x86_64, 8-byte elements (include/pvabi/)
    assert (slots["info.evtchn_pending[3]"].offset, slots["info.evtchn_pending[3]"].size) == (2048 + 24, 8)
    assert (slots["info.vcpu_info[2].time.version"].offset, slots["info.vcpu_info[2].time.version"].size) == (160, 4)


def _broken_rom(tmp_path: Path) -> Path:
    abi = copy_abi(tmp_path)
    name = "vrom_header-x86_32-v1.0-host.bin"
    data = bytearray((abi / "images" / name).read_bytes())
    data[2] ^= 0xFF  # rom_length, which the sidecar records
    reseal(abi, name, bytes(data))
    return abi


def test_every_format_renders_the_report_and_files_match_stdout(tmp_path: Path, cli) -> None:
    from pvabi.formats import FORMATS

    abi = _broken_rom(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    files = [f"{name}:{out / name}" for name in FORMATS if name != "text"]
    run = cli("check-images", "--root", abi.parent, *[a for f in files for a in ("--format", f)], "--format", "text")
    assert run.exit_code == 1, run.output
    assert "IMAGE_VALUE_CHANGED" in run.stdout
    for name in FORMATS:
        if name == "text":
            continue
        written = (out / name).read_text()
        alone = cli("check-images", "--root", abi.parent, "--format", name)
        assert alone.exit_code == 1 and alone.stdout == written, name  # same input, same bytes, either way
        assert "IMAGE_VALUE_CHANGED" in written and "rom_length" in written, name
    assert json.loads((out / "json").read_text())["schema"] == "pvabi.check-images/2"
    assert "--json" in cli("check-images", "--help").stdout
    assert cli("check-images", "--root", abi.parent, "--json").stdout == (out / "json").read_text()


def test_bad_format_targets_are_one_line(cli) -> None:
    assert "unknown format 'yaml'" in _bad(cli("check-images", "--root", SHIPPED_ABI, "--format", "yaml"))
    assert "more than one format to stdout" in _bad(cli("check-images", "--root", SHIPPED_ABI, "--format",
                                                        "text", "--json"))


def test_the_library_report_is_what_the_command_renders(tmp_path: Path, cli) -> None:
    from pvabi.checker import images_report
    from pvabi.config import load_config
    from pvabi.formats import FORMATS

    abi = _broken_rom(tmp_path)
    cfg = load_config(abi)
    result = check_images(find_root(abi), mode="backward", transitive=cfg.transitive)
    report = images_report(result, cfg)
    assert report.exit_code == 1 and report.failed and report.summary.violations == 1
    failing = [s for s in report.sections if s.failed]
    assert [s.title for s in failing] == ["v1.0 (read under their own version)"]
    (e,) = failing[0].entries
    assert e.fails and e.violation and e.info.id == "IMAGE_VALUE_CHANGED" and e.finding.new_loc is not None
    # one section per pair of versions, each reading of the result in exactly one of them
    readings = [r for s in report.sections for r in s.fact("readings")]
    assert len(readings) == len(result.comparisons)
    assert FORMATS["text"](report, False) == cli("check-images", "--root", abi.parent, "--mode", "backward").stdout


def test_the_shipped_index_follows_its_schema() -> None:
    index = json.loads((SHIPPED_ABI / "images" / "index.json").read_text())
    assert not schema_errors("images", index)
    assert len(index["images"]) >= 30
    assert schema_errors("images", {**index, "images": {"../escape.bin": "0" * 64}})  # a name outside the corpus
