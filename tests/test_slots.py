"""Slots: the one flattening of a layout. Their offsets are also asserted against GCC: the C layout check
(pvabi/codegen/check.py, run under gcc in test_engine_vs_compiler.py) asserts every nested slot's offsetof."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CODEC_LAYOUT
from objimage import object_image
from test_bitfields_vs_compiler import BITFIELDS_YAML, decls, fill
from test_engine_vs_compiler import load_yaml_text, requires

from pvabi.abiroot import find_root
from pvabi.codec import ConstructCodec
from pvabi.engine import Layout, Resolver
from pvabi.project import load
from pvabi.slots import Elements, Record, Role, const_bytes, leaves, offset_of, slots, tree

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


# --- the tree the fast path reads: structure, keys, bitfield words ---------------------------------------------

SHAPES = """\
meta: {id: shapes, doc: "Empty records and arrays; arrays of records holding unions with bitfield views."}
types:
  nothing:
    kind: struct
    doc: An empty struct (a GCC extension, 0 bytes).
    fields: []
  view:
    kind: union
    doc: A word, or its low bits alone.
    fields:
      - {name: word, type: u32, doc: Whole.}
      - {name: low, type: u32, bits: 5, doc: Low bits.}
  cell:
    kind: struct
    doc: An element.
    fields:
      - {name: tag, type: u8, doc: Tag.}
      - {name: v, type: view, doc: The union.}
  shapes:
    kind: struct
    doc: Every container shape.
    fields:
      - {name: none, type: nothing, doc: Empty.}
      - {name: zero, type: cell, count: 0, doc: No elements.}
      - {name: grid, type: cell, count: [2, 2], doc: Two by two.}
      - {name: flag, type: u16, bits: 3, doc: Bits.}
      - {name: more, type: u16, bits: 9, doc: More bits.}
      - {name: word, type: u32, doc: After the run.}
"""


def _shapes(make_abi: Callable[..., Path], arch: str) -> Layout:
    root = make_abi({"shapes": SHAPES})
    return Resolver(load(find_root(root.parent)), arch).layout("shapes")


def _reader_path(keys: tuple[str | int, ...]) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else k)
    return out


def _at(values: Any, keys: tuple[str | int, ...]) -> Any:
    for k in keys:
        values = values[k]
    return values


@pytest.mark.parametrize("arch", ["x86_64", "ppc64"])
def test_the_tree_holds_empty_records_and_arrays_and_its_leaves_are_the_slots(
        make_abi: Callable[..., Path], arch: str) -> None:
    layout = _shapes(make_abi, arch)
    root = tree(layout)
    assert tuple(leaves(root)) == slots(layout) and tree(layout) is root
    by = {item.path: item for item in root.items}
    assert isinstance(by["none"], Record) and by["none"].items == () and by["none"].keys == ("none",)
    assert isinstance(by["zero"], Elements) and by["zero"].items == ()
    grid = by["grid"]
    assert isinstance(grid, Elements) and len(grid.items) == 2
    row = grid.items[1]
    assert isinstance(row, Elements) and [e.path for e in row.items] == ["grid[1][0]", "grid[1][1]"]
    assert all(isinstance(e, Record) and e.keys == ("grid", 1, i) for i, e in enumerate(row.items))


@pytest.mark.parametrize("arch", ["x86_64", "ppc64", "x86_32"])
def test_keys_reach_every_slot_in_decoded_values(make_abi: Callable[..., Path], arch: str) -> None:
    """The keys are the path as data: they find each slot's value (and a run's padding bits) in a real decode."""
    layout = _shapes(make_abi, arch)
    values = ConstructCodec(layout).parse(bytes(range(256))[:layout.size])
    for s in slots(layout):
        assert _reader_path(s.keys) == s.path
        _at(values, s.keys)  # a KeyError or IndexError fails the test
        if s.word is not None and s.word.key is not None:
            assert s.word.key in _at(values, s.keys[:-1]), s.path


def test_bitfields_of_a_run_share_one_word_and_a_union_view_has_its_own(make_abi: Callable[..., Path]) -> None:
    layout = _shapes(make_abi, "x86_64")
    by = {s.path: s for s in slots(layout)}
    flag, more, low = by["flag"], by["more"], by["grid[0][1].v.low"]
    assert flag.word is more.word and flag.word is not None
    assert (flag.word.size, flag.word.key, flag.shift, more.shift) == (2, f"_bits_{flag.word.offset}", 0, 3)
    assert flag.word.covered == (1 << 12) - 1
    assert low.word is not None and low.word.key is None and (low.word.offset, low.word.size) == (low.offset, 1)
    assert by["word"].word is None and by["word"].shift == 0


@requires("clang")
@pytest.mark.parametrize("arch", ["x86_64", "x86_32", "arm32", "aarch64", "ppc64", "s390x"])
@pytest.mark.parametrize("name", ["hv_msr", "straddle", "packed_bits"])
def test_words_and_shifts_read_the_bits_a_compiler_stored(arch: str, name: str, tmp_path: Path) -> None:
    """Independent truth: the compiler's initialised object; each bitfield slot's word, shift and width give
    back the value C stored, and the word holds the bytes the slot says the bits touch."""
    abi = load_yaml_text(BITFIELDS_YAML)
    resolver = Resolver(abi, arch)
    layout = resolver.layout(name)
    for seed in range(3):
        inits, expected = fill(layout, random.Random(seed), arch)
        image = object_image(arch, decls(abi, resolver, name) + f"struct {name} obj = {{{', '.join(inits)}}};\n",
                             tmp_path)
        checked = 0
        for s in slots(layout):
            if s.word is None:
                continue
            bf, scalar = s.bitfield, s.scalar
            assert bf is not None and scalar is not None
            w = s.word
            assert w.offset <= s.offset and s.offset + s.size <= w.offset + w.size
            number = int.from_bytes(image[w.offset:w.offset + w.size], w.order) >> s.shift & ((1 << bf.width) - 1)
            if scalar.scalar.signed and number >> (bf.width - 1):
                number -= 1 << bf.width
            assert number == _at(expected, s.keys), f"{name}.{s.path} on {arch}: image {image.hex()}"
            checked += 1
        assert checked == sum(1 for m in layout.members if m.bitfield is not None)
