"""Slots: the one flattening of a layout. Their offsets are also asserted against GCC: the C layout check
(pvabi/codegen/check.py, run under gcc in test_engine_vs_compiler.py) asserts every nested slot's offsetof."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import CODEC_LAYOUT

from pvabi.abiroot import find_root
from pvabi.engine import Layout, Resolver
from pvabi.project import load
from pvabi.slots import Role, const_bytes, offset_of, slots

BITS = """\
meta:
  id: bits
  doc: Bitfields, a reserved-zero bitfield, a constant and a big-endian field.
types:
  bf:
    kind: struct
    doc: Three bitfields sharing a word, then a constant and a big-endian word.
    fields:
      - {name: lo, type: u32, bits: 3, doc: Low bits.}
      - {name: rz, type: u32, bits: 5, reserved: zero, doc: Must be zero.}
      - {name: hi, type: u32, bits: 12, doc: High bits.}
      - {name: magic, type: u16, const: 0x55aa, doc: A magic number.}
      - {name: be, type: u32, endian: big, doc: A big-endian word.}
      - {name: text, type: char, count: 4, const: "AB", doc: A text constant.}
      - {name: list, type: s8, count: 4, const: [65, 66], doc: The same bytes as a list.}
"""


def _layout(make_abi: Callable[..., Path], name: str, arch: str = "x86_64") -> Layout:
    root = make_abi({"codec": CODEC_LAYOUT, "bits": BITS})
    return Resolver(load(find_root(root.parent)), arch).layout(name)


def test_roles_paths_and_offsets_of_a_struct(make_abi: Callable[..., Path]) -> None:
    rec = _layout(make_abi, "rec")
    got = [(s.path, s.offset, s.size, s.role) for s in slots(rec)]
    assert ("_hole_2", 2, 2, Role.HOLE) in got
    assert ("in.rz", 16, 2, Role.RESERVED_ZERO) in got
    assert ("arr", 10, 4, Role.FIELD) in got and ("in.p", 14, 2, Role.FIELD) in got
    assert next(s for s in slots(rec) if s.path == "arr").dims == (2,)
    assert offset_of(rec, "in") == 14 and offset_of(rec, "in.rz") == 16 and offset_of(rec, "nope") is None


def test_a_union_lists_every_view_or_one(make_abi: Callable[..., Path]) -> None:
    un = _layout(make_abi, "un")
    assert [s.path for s in slots(un)] == ["byte", "word"]  # overlapping views
    assert [s.path for s in slots(un, view=0)] == ["byte"]
    assert [s.path for s in slots(un, view=3)] == ["word"]  # view k % n


def test_bitfields_constants_and_byte_order(make_abi: Callable[..., Path]) -> None:
    bf = _layout(make_abi, "bf")
    by = {s.path: s for s in slots(bf)}
    assert by["rz"].role is Role.RESERVED_ZERO and by["rz"].bitfield is not None
    assert (by["lo"].bitfield.pos, by["lo"].bitfield.width) == (0, 3)  # type: ignore[union-attr]
    assert (by["hi"].offset, by["hi"].size) == (1, 2)  # bits 8..19 touch bytes 1 and 2
    assert by["magic"].role is Role.CONSTANT and by["magic"].const == b"\xaa\x55"
    assert by["be"].endian == "big" and by["be"].role is Role.FIELD
    assert slots(bf) is slots(bf)  # cached: a layout is immutable


def test_one_constant_encoder_for_text_and_byte_lists(make_abi: Callable[..., Path]) -> None:
    bf = _layout(make_abi, "bf", "ppc64")
    magic = bf.member("magic")
    assert magic is not None and const_bytes(magic) == b"\x55\xaa"  # big-endian target
    text, listed = bf.member("text"), bf.member("list")
    assert text is not None and listed is not None
    assert const_bytes(text) == const_bytes(listed) == b"AB\0\0"
