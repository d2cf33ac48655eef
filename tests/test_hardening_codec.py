"""Codec correctness (issue 17): no silently wrong image, no traceback, conflicting input refused.

Expected images are written with Python's ``struct`` from the C declaration the layout
states, not taken from pvabi's output; round trips compare against the input image.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CODEC_LAYOUT, REC_IMAGE, REC_VALUES, SHIPPED_ABI, Run, assert_one_bad_input, layout_file

MakeAbi = Callable[..., Path]
Proc = Callable[..., Run]

UNIONS = layout_file("u", """\
    after_reserved:
      kind: union
      doc: A reserved view first, then the live one.
      fields:
        - {name: pad, type: u8, count: 4, reserved: zero}
        - {name: w, type: u32, doc: The word.}
    after_const:
      kind: union
      doc: A constant view first, then the live one.
      fields:
        - {name: magic, type: u32, const: 0x1234, doc: A magic view.}
        - {name: w, type: u32, doc: The word.}
    holder:
      kind: struct
      doc: A union inside a struct, and an array of them.
      fields:
        - {name: head, type: u16, doc: A number.}
        - {name: u, type: after_reserved, doc: A union.}
        - {name: us, type: after_reserved, count: 2, doc: Unions.}
""")


def encode(pvabi_proc: Proc, root: Path, tmp: Path, layout: str, values: object, *extra: object) -> Run:
    vfile = tmp / "values.json"
    vfile.write_text(json.dumps(values))
    return pvabi_proc("encode", layout, vfile, "-o", tmp / "out.bin", "--root", root, *extra)


def ok(run: Run) -> Run:
    assert run.exit_code == 0, run.output
    assert "Traceback" not in run.output
    return run


def test_union_member_after_a_reserved_member_is_written(make_abi: MakeAbi, pvabi_proc: Proc,
                                                         tmp_path: Path) -> None:
    root = make_abi({"u": UNIONS})
    ok(encode(pvabi_proc, root, tmp_path, "after_reserved", {"w": 0x12345678}))
    assert (tmp_path / "out.bin").read_bytes() == struct.pack("<I", 0x12345678)


def test_union_member_after_a_constant_member_is_written_or_refused(make_abi: MakeAbi, pvabi_proc: Proc,
                                                                    tmp_path: Path) -> None:
    root = make_abi({"u": UNIONS})
    ok(encode(pvabi_proc, root, tmp_path, "after_const", {"w": 0x1234}))
    assert (tmp_path / "out.bin").read_bytes() == struct.pack("<I", 0x1234)
    # A value the constant view contradicts is refused, never replaced by the constant.
    run = encode(pvabi_proc, root, tmp_path, "after_const", {"w": 0x12345678})
    assert_one_bad_input(run, str(tmp_path / "values.json"), None, "magic", "constant")


def test_nested_union_members_are_written(make_abi: MakeAbi, pvabi_proc: Proc, tmp_path: Path) -> None:
    root = make_abi({"u": UNIONS})
    ok(encode(pvabi_proc, root, tmp_path, "holder", {"head": 7, "u": {"w": 1}, "us": [{"w": 2}, {"w": 3}]}))
    assert (tmp_path / "out.bin").read_bytes() == struct.pack("<H2xIII", 7, 1, 2, 3)


def round_trip(pvabi_proc: Proc, root: Path, tmp: Path, layout: str, image: bytes, *extra: object) -> bytes:
    (tmp / "in.bin").write_bytes(image)
    decoded = pvabi_proc("decode", layout, tmp / "in.bin", "--json", "--root", root, *extra)
    assert decoded.exit_code in (0, 1) and "Traceback" not in decoded.output, decoded.output
    (tmp / "values.json").write_text(decoded.stdout)
    ok(pvabi_proc("encode", layout, tmp / "values.json", "-o", tmp / "out.bin", "--root", root,
                  "--allow-reserved", *extra))
    return (tmp / "out.bin").read_bytes()


@pytest.mark.parametrize("layout,size", [("un", 4), ("holder", 16)])
def test_all_zero_union_image_round_trips(make_abi: MakeAbi, pvabi_proc: Proc, tmp_path: Path,
                                          layout: str, size: int) -> None:
    root = make_abi({"codec": CODEC_LAYOUT, "u": UNIONS})
    assert round_trip(pvabi_proc, root, tmp_path, layout, bytes(size)) == bytes(size)


def test_arm_empty_arch_union_round_trips(pvabi_proc: Proc, tmp_path: Path) -> None:
    size = json.loads(ok(pvabi_proc("show", "vcpu_info", "--arch", "arm32", "--json", "--root", SHIPPED_ABI)
                         ).stdout)["size"]
    image = bytes(range(1, size + 1))
    assert round_trip(pvabi_proc, SHIPPED_ABI, tmp_path, "vcpu_info", image, "--arch", "arm32") == image


def test_union_views_that_disagree_are_refused(make_abi: MakeAbi, pvabi_proc: Proc, tmp_path: Path) -> None:
    root = make_abi({"codec": CODEC_LAYOUT})
    run = encode(pvabi_proc, root, tmp_path, "un", {"_raw": {"hex": "01020304"}, "word": 5})
    assert_one_bad_input(run, str(tmp_path / "values.json"), None, "un.word", "_raw")
    assert not (tmp_path / "out.bin").exists()


ENUM_KEYWORDS = layout_file("k", """\
    rec:
      kind: struct
      doc: An enum whose names are construct's own keywords.
      fields:
        - {name: e, type: u8, enum: kw, doc: The enum.}
        - {name: m, type: s8, count: 2, const: [0x80, 0x7f], doc: A signed magic.}
    kw:
      kind: enum
      doc: Names that collided with Enum(subcon, **mapping).
      values: {self: 1, subcon: 2}
""")


def test_enum_named_self_or_subcon(make_abi: MakeAbi, pvabi_proc: Proc, tmp_path: Path) -> None:
    root = make_abi({"k": ENUM_KEYWORDS})
    (tmp_path / "img.bin").write_bytes(bytes([2, 0x80, 0x7F]))
    decoded = ok(pvabi_proc("decode", "rec", tmp_path / "img.bin", "--json", "--root", root))
    assert json.loads(decoded.stdout)["values"]["e"] == {"value": 2, "name": "subcon"}
    ok(encode(pvabi_proc, root, tmp_path, "rec", {"e": "self"}))
    assert (tmp_path / "out.bin").read_bytes() == bytes([1, 0x80, 0x7F])


def test_signed_byte_constant_above_0x7f_decodes(make_abi: MakeAbi, pvabi_proc: Proc, tmp_path: Path) -> None:
    root = make_abi({"k": ENUM_KEYWORDS})
    (tmp_path / "img.bin").write_bytes(bytes([1, 0x80, 0x7F]))
    decoded = ok(pvabi_proc("decode", "rec", tmp_path / "img.bin", "--json", "--root", root))
    assert json.loads(decoded.stdout)["values"]["m"] == [-128, 127]
    (tmp_path / "img.bin").write_bytes(bytes([1, 0x81, 0x7F]))
    wrong = pvabi_proc("decode", "rec", tmp_path / "img.bin", "--root", root)
    assert wrong.exit_code == 2 and "constant" in wrong.stderr and "Traceback" not in wrong.output


# --- conflicting or unknown input ---------------------------------------------------------------------


@pytest.fixture
def codec_root(make_abi: MakeAbi) -> Path:
    return make_abi({"codec": CODEC_LAYOUT})


@pytest.mark.parametrize("fl,needle", [
    (["A", "A"], "listed twice"),
    ({"value": 1, "set": ["B"]}, "disagree"),
    ({"value": 3, "set": ["A"], "unknown": 0}, "disagree"),
    (["C"], "bits: A, B"),
])
def test_conflicting_or_unknown_flags(codec_root: Path, pvabi_proc: Proc, tmp_path: Path,
                                      fl: object, needle: str) -> None:
    run = encode(pvabi_proc, codec_root, tmp_path, "rec", {**REC_VALUES, "fl": fl})
    assert_one_bad_input(run, str(tmp_path / "values.json"), None, "rec.fl", needle)


@pytest.mark.parametrize("st,needle", [
    ({"value": 1, "name": "OFF"}, "disagree"),
    ("MAYBE", "values: OFF, ON"),
    ({"name": "MAYBE"}, "values: OFF, ON"),
])
def test_conflicting_or_unknown_enum_names(codec_root: Path, pvabi_proc: Proc, tmp_path: Path,
                                           st: object, needle: str) -> None:
    run = encode(pvabi_proc, codec_root, tmp_path, "rec", {**REC_VALUES, "st": st})
    assert_one_bad_input(run, str(tmp_path / "values.json"), None, "rec.st", needle)


def test_consistent_value_and_names_are_accepted(codec_root: Path, pvabi_proc: Proc, tmp_path: Path) -> None:
    values = {**REC_VALUES, "fl": {"value": 3, "set": ["A", "B"], "unknown": 0}, "st": {"value": 1, "name": "ON"}}
    ok(encode(pvabi_proc, codec_root, tmp_path, "rec", values))
    assert (tmp_path / "out.bin").read_bytes() == REC_IMAGE


# --- reserved-zero space ------------------------------------------------------------------------------


def test_non_zero_reserved_bytes_are_refused(codec_root: Path, pvabi_proc: Proc, tmp_path: Path) -> None:
    values = {**REC_VALUES, "in": {"p": 7, "rz": {"hex": "0001"}}}
    run = encode(pvabi_proc, codec_root, tmp_path, "rec", values)
    assert_one_bad_input(run, str(tmp_path / "values.json"), None, "in.rz", "offset 17", "--allow-reserved")
    assert not (tmp_path / "out.bin").exists()


def test_allow_reserved_warns_and_writes(codec_root: Path, pvabi_proc: Proc, tmp_path: Path) -> None:
    values = {**REC_VALUES, "in": {"p": 7, "rz": {"hex": "0001"}}, "fl": {"value": 0x83}}
    run = ok(encode(pvabi_proc, codec_root, tmp_path, "rec", values, "--allow-reserved"))
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and any("offset 17" in w for w in warnings) and any("0x80" in w for w in warnings)
    image = bytearray(REC_IMAGE)
    image[17] = 1
    image[8] = 0x83
    assert (tmp_path / "out.bin").read_bytes() == bytes(image)


def test_undefined_flag_bits_are_refused(codec_root: Path, pvabi_proc: Proc, tmp_path: Path) -> None:
    run = encode(pvabi_proc, codec_root, tmp_path, "rec", {**REC_VALUES, "fl": 4})
    assert_one_bad_input(run, str(tmp_path / "values.json"), None, "fl", "undefined flag bits 0x4")


# --- the document decode --json prints ----------------------------------------------------------------


def test_decoded_architecture_is_used(pvabi_proc: Proc, tmp_path: Path) -> None:
    size = json.loads(ok(pvabi_proc("show", "vcpu_info", "--arch", "arm32", "--json", "--root", SHIPPED_ABI)
                         ).stdout)["size"]
    image = bytes((7 * i) & 0xFF for i in range(size))
    (tmp_path / "in.bin").write_bytes(image)
    decoded = pvabi_proc("decode", "vcpu_info", tmp_path / "in.bin", "--arch", "arm32", "--json",
                         "--root", SHIPPED_ABI)
    assert decoded.exit_code == 1 and json.loads(decoded.stdout)["notes"], decoded.output  # reserved bytes set
    (tmp_path / "values.json").write_text(decoded.stdout)
    ok(pvabi_proc("encode", "vcpu_info", tmp_path / "values.json", "-o", tmp_path / "out.bin",
                  "--allow-reserved", "--root", SHIPPED_ABI))
    assert (tmp_path / "out.bin").read_bytes() == image


@pytest.mark.parametrize("extra,needle", [
    (("--arch", "x86_64"), "decoded on arm32"),
    (("--abi-version", "v1.0"), "decoded under version 'working'"),
])
def test_decoded_document_mismatch_is_refused(pvabi_proc: Proc, tmp_path: Path, extra: tuple[str, ...],
                                              needle: str) -> None:
    size = json.loads(ok(pvabi_proc("show", "vcpu_info", "--arch", "arm32", "--json", "--root", SHIPPED_ABI)
                         ).stdout)["size"]
    (tmp_path / "in.bin").write_bytes(bytes(size))
    decoded = ok(pvabi_proc("decode", "vcpu_info", tmp_path / "in.bin", "--arch", "arm32", "--json",
                            "--root", SHIPPED_ABI))
    (tmp_path / "values.json").write_text(decoded.stdout)
    run = pvabi_proc("encode", "vcpu_info", tmp_path / "values.json", "-o", tmp_path / "out.bin",
                     "--root", SHIPPED_ABI, *extra)
    assert_one_bad_input(run, str(tmp_path / "values.json"), None, needle)


def test_decoded_layout_mismatch_is_refused(codec_root: Path, pvabi_proc: Proc, tmp_path: Path) -> None:
    doc = {"schema": "pvabi.decode/1", "layout": "rec", "arch": "x86_64", "version": "working",
           "values": {"byte": 1}}
    run = encode(pvabi_proc, codec_root, tmp_path, "un", doc)
    assert_one_bad_input(run, str(tmp_path / "values.json"), None, "decoded as rec")


# --- where the image goes -----------------------------------------------------------------------------


def test_output_symlink_is_not_replaced(codec_root: Path, pvabi_proc: Proc, tmp_path: Path) -> None:
    target = tmp_path / "target.bin"
    target.write_bytes(b"keep")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    (tmp_path / "values.json").write_text(json.dumps(REC_VALUES))
    run = pvabi_proc("encode", "rec", tmp_path / "values.json", "-o", link, "--root", codec_root)
    assert_one_bad_input(run, str(link), None, "symbolic link")
    assert link.is_symlink() and target.read_bytes() == b"keep"
