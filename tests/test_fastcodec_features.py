"""Every part of the layout language the fast path generates code for, in one layout, on every architecture.

The shipped ABI has no unions or bitfields and the random layouts reach each feature
only by chance; this layout holds all of them at once: runs of bitfields (signed,
reserved, with an enum, with padding bits), a union with a bitfield view, a struct view,
a reserved view and an array view, a big-endian field in a little-endian file and the
other way round, a text constant, a byte-list constant, two-dimensional char and
integer arrays, a zero-length array, arrays of structs holding unions, padding and a
flexible array member. Both codecs must agree on random, all-zero and all-one images,
and on values rebuilt from the JSON ``decode --json`` prints (unions as views only).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fastcodec_differential import agree, same_error
from test_roundtrip import random_image

from pvabi import arch as archmod
from pvabi.codec import ConstructCodec
from pvabi.engine import Layout, Resolver
from pvabi.errors import DecodeError
from pvabi.fastcodec import FastCodec, supports
from pvabi.loader import load_abi
from pvabi.values import from_json, to_json

LAYOUT = """\
meta: {id: features, doc: Every feature the fast path generates code for.}
types:
  mode:
    kind: enum
    doc: A mode.
    values: {OFF: 0, ON: 1, AUTO: 5}
  caps:
    kind: flags
    doc: Capabilities.
    bits: {A: 0, B: 3}
    reserved_bits: zero
  reg:
    kind: union
    doc: One register, four ways.
    fields:
      - {name: raw, type: u64, doc: Whole.}
      - {name: low, type: u32, bits: 5, doc: Low bits alone.}
      - name: halves
        kind: struct
        doc: Halves.
        fields:
          - {name: lo, type: u32, doc: Low.}
          - {name: hi, type: s32, doc: High.}
      - {name: bytes, type: u8, count: 8, doc: Bytes.}
      - {name: spare, type: u8, count: 6, reserved: any}
  entry:
    kind: struct
    doc: An element with a union inside.
    fields:
      - {name: tag, type: u8, enum: mode, doc: Tag.}
      - {name: r, type: reg, doc: Register.}
      - {name: f, type: u16, flags: caps, doc: Flags.}
  features:
    kind: struct
    doc: All of it.
    fields:
      - {name: magic, type: char, count: 4, const: "PVA", doc: Magic text.}
      - {name: sig, type: u8, count: 2, const: [0x55, 0xAA], doc: Byte-list constant.}
      - {name: version, type: u16, const: 3, doc: Integer constant.}
      - {name: enable, type: u32, bits: 1, doc: A bit.}
      - {name: level, type: s32, bits: 4, doc: Signed bits.}
      - {name: m, type: u32, bits: 3, enum: mode, doc: Enum bits.}
      - {name: rsv, type: u32, bits: 7, reserved: zero}
      - {name: be, type: __be32, doc: Big-endian everywhere.}
      - {name: le, type: __le16, doc: Little-endian everywhere.}
      - {name: native_big, type: u32, endian: big, doc: Big by attribute.}
      - {name: small, type: s8, doc: Signed byte.}
      - {name: wide, type: u64, bits: 33, doc: Wide bits.}
      - {name: names, type: char, count: [3, 5], doc: Names.}
      - {name: grid, type: s16, count: [2, 3], doc: Grid.}
      - {name: none, type: u32, count: 0, doc: Nothing.}
      - {name: entries, type: entry, count: 3, doc: Entries.}
      - {name: modes, type: u8, enum: mode, count: 4, doc: Modes.}
      - {name: tail, type: u8, doc: Forces padding after it.}
      - {name: more, type: u64, count: 0, flexible: true, doc: Flexible.}
"""


def _layouts() -> list[Layout]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "features.yaml").write_text(LAYOUT, "utf-8")
        abi = load_abi(Path(tmp))
    return [Resolver(abi, a).layout("features") for a in archmod.ARCHES]


LAYOUTS = _layouts()
SEEDED = settings(derandomize=True, deadline=None, database=None, max_examples=40,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.arch)
@SEEDED
@given(data=st.binary(min_size=0, max_size=512))
def test_every_feature_agrees_with_construct(layout: Layout, data: bytes) -> None:
    assert supports(layout)
    image = random_image(layout, data)
    values = agree(layout, image)
    printed = from_json(layout, json.loads(json.dumps(to_json(layout, values))))
    fast = FastCodec(layout)
    assert fast.encode(printed) == ConstructCodec(layout).build(printed) == image
    assert fast.deferred == 0, "views without _raw must be merged by the fast path itself"


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.arch)
def test_filled_images_agree(layout: Layout) -> None:
    for fill in (0x00, 0xFF, 0x80):
        agree(layout, random_image(layout, bytes([fill]) * layout.size))


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.arch)
def test_union_views_that_disagree_fail_like_the_reference(layout: Layout) -> None:
    values = ConstructCodec(layout).parse(random_image(layout, bytes(range(256)) * 2))
    union = values["entries"][1]["r"]
    union.pop("_raw")
    union["raw"] = union["raw"] ^ 1  # the other views still say the old low bit
    same_error(lambda: FastCodec(layout).encode(values), lambda: ConstructCodec(layout).build(values))
    with pytest.raises(Exception) as e:
        ConstructCodec(layout).build(values)
    assert "views that agree" in str(e.value)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.arch)
def test_each_constant_is_checked(layout: Layout) -> None:
    good = random_image(layout, bytes(layout.size))
    for at in (0, 2, 4, 5, 6):  # inside "PVA\\0", 0x55 0xAA, and the version
        bad = bytearray(good)
        bad[at] ^= 0x01
        with pytest.raises(DecodeError) as expected:
            ConstructCodec(layout).parse(bytes(bad))
        with pytest.raises(DecodeError) as got:
            FastCodec(layout).decode(bytes(bad))
        assert str(got.value) == str(expected.value)
