"""The struct fast path against construct, the reference: every value, every type, every byte, every error.

Random images of every shipped layout (the working tree and every frozen version, on
every architecture it exists on) and random layouts drawn by ``strategies.abi_files``
go through both codecs. They must decode to equal values of the same types in the same
key order, encode those values to the same bytes, and refuse bad images and bad values
with the same exception and message. The fast path must take valid input itself
(``deferred`` stays 0): agreeing only by handing everything to construct proves nothing.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_roundtrip import random_image

from pvabi import arch as archmod
from pvabi.codec import ConstructCodec
from pvabi.engine import Layout, Resolver
from pvabi.errors import DecodeError
from pvabi.fastcodec import FastCodec, _FlagsCache, fast_codec, supports
from pvabi.loader import load_abi
from pvabi.project import load
from pvabi.values import EnumValue, FlagsValue, from_json, to_json
from pvabi.versions import VersionIndex
from shipped import ROOT, shipped_layouts
from strategies import abi_files, write_layouts

SEEDED = settings(derandomize=True, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])


def _every_shipped_layout() -> list[tuple[str, Layout]]:
    out = [("working", lay) for lay in shipped_layouts()]
    for v in VersionIndex.read(ROOT).versions:
        out += [(v.name, lay) for lay in shipped_layouts(load(ROOT, v.name))]
    return out


SHIPPED = _every_shipped_layout()


def typed(value: Any) -> Any:
    """Values with their types and key order made visible, so ``==`` also compares those."""
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, EnumValue):
        return ("enum", int(value), value.name)
    if isinstance(value, FlagsValue):
        return ("flags", int(value), value.names, value.unknown)
    return (type(value).__name__, value)


def agree(layout: Layout, image: bytes) -> dict[str, Any]:
    """Both codecs on one valid image: equal typed values, equal bytes back, no deferral."""
    ref = ConstructCodec(layout)
    fast = FastCodec(layout)
    expected = ref.parse(image)
    got = fast.decode(image)
    assert typed(got) == typed(expected)
    assert fast.encode(got) == ref.build(expected) == image
    assert fast.deferred == 0, "the fast path handed a valid image to construct"
    return got


def same_error(fast_call: Any, ref_call: Any) -> None:
    """Both calls fail alike, or both succeed with equal results."""
    try:
        expected: Any = ref_call()
    except Exception as e:  # whatever the reference raises, the fast path must raise too
        with pytest.raises(type(e)) as got:
            fast_call()
        assert str(got.value) == str(e)
        return
    assert fast_call() == expected


@pytest.mark.parametrize(("version", "layout"), SHIPPED, ids=[f"{v}-{lay.name}-{lay.arch}" for v, lay in SHIPPED])
@settings(SEEDED, max_examples=15)
@given(data=st.binary(min_size=0, max_size=4096))
def test_shipped_layouts_agree_on_random_images(version: str, layout: Layout, data: bytes) -> None:
    assert supports(layout)
    agree(layout, random_image(layout, data))


@pytest.mark.parametrize(("version", "layout"), SHIPPED, ids=[f"{v}-{lay.name}-{lay.arch}" for v, lay in SHIPPED])
def test_shipped_layouts_agree_on_filled_images(version: str, layout: Layout) -> None:
    for fill in (0x00, 0xFF, 0x80, 0x7F):
        agree(layout, random_image(layout, bytes([fill]) * layout.size))


def _random_layout(files: dict[str, Any], arch: str, data: st.DataObject) -> Layout:
    with tempfile.TemporaryDirectory() as tmp:
        write_layouts(files, Path(tmp) / "layouts")
        abi = load_abi(Path(tmp) / "layouts")
    records = [r for r in abi.records() if r.exists_on(arch)]
    assume(records)
    return Resolver(abi, arch).layout(data.draw(st.sampled_from([r.name for r in records])))


@settings(SEEDED, max_examples=300)
@given(files=abi_files(max_files=2, max_types=6), arch=st.sampled_from(sorted(archmod.ARCHES)), data=st.data())
def test_random_layouts_agree(files: dict[str, Any], arch: str, data: st.DataObject) -> None:
    layout = _random_layout(files, arch, data)
    fill = data.draw(st.sampled_from(["random", "random", "zero", "ones"]))
    if fill == "random":
        image = data.draw(st.binary(min_size=layout.size, max_size=layout.size))
    else:
        image = bytes([0 if fill == "zero" else 0xFF]) * layout.size
    values = agree(layout, image)
    # Values as encode reads them from JSON: zero padding and zero union bytes left out, enum
    # and flags as plain numbers; the union views alone must rebuild the same bytes.
    printed = from_json(layout, json.loads(json.dumps(to_json(layout, values))))
    same_error(lambda: FastCodec(layout).encode(printed), lambda: ConstructCodec(layout).build(printed))


# --- errors: the reference's exception and message --------------------------------------------


def _layout(name: str, arch: str = "x86_64", version: str = "working") -> Layout:
    return next(lay for v, lay in SHIPPED if v == version and lay.name == name and lay.arch == arch)


@pytest.mark.parametrize("size_delta", [-1, 1, -64])
def test_wrong_length_is_the_reference_error(size_delta: int) -> None:
    layout = _layout("vcpu_info")
    image = bytes(max(0, layout.size + size_delta))
    with pytest.raises(DecodeError) as expected:
        ConstructCodec(layout).parse(image)
    fast = FastCodec(layout)
    with pytest.raises(DecodeError) as got:
        fast.decode(image)
    assert str(got.value) == str(expected.value)
    with pytest.raises(DecodeError) as got_flat:
        fast.flat(image)
    assert str(got_flat.value) == str(expected.value)


@settings(SEEDED, max_examples=60)
@given(at=st.integers(0, 143), byte=st.integers(0, 255), data=st.binary(min_size=144, max_size=144))
def test_constants_are_checked_like_the_reference(at: int, byte: int, data: bytes) -> None:
    layout = _layout("vrom_header", "x86_32")
    image = bytearray(random_image(layout, data))
    image[at] = byte
    fast = FastCodec(layout)
    same_error(lambda: fast.decode(bytes(image)), lambda: ConstructCodec(layout).parse(bytes(image)))
    try:
        ConstructCodec(layout).parse(bytes(image))
    except DecodeError as e:
        assert "constant mismatch" in str(e)
        with pytest.raises(DecodeError, match="constant mismatch"):
            fast.flat(bytes(image))
    else:
        assert fast.deferred == 0


def _edits() -> list[tuple[str, Any]]:
    """Ways to spoil valid values of shared_info_page: each must fail (or pass) exactly as construct does."""
    return [
        ("missing member", lambda v: v["info"].pop("wc_sec")),
        ("missing nested record", lambda v: v.pop("info")),
        ("value out of range", lambda v: v["info"].__setitem__("wc_sec", 1 << 32)),
        ("negative unsigned", lambda v: v["info"].__setitem__("wc_sec", -1)),
        ("text for a number", lambda v: v["info"].__setitem__("wc_sec", "7")),
        ("float for a number", lambda v: v["info"].__setitem__("wc_sec", 7.0)),
        ("short array", lambda v: v["info"]["evtchn_mask"].pop()),
        ("long array", lambda v: v["info"]["evtchn_mask"].append(0)),
        ("tuple array", lambda v: v["info"].__setitem__("evtchn_mask", tuple(v["info"]["evtchn_mask"]))),
        ("short reserved", lambda v: v.__setitem__("unused", b"\0" * 959)),
        ("reserved as list", lambda v: v.__setitem__("unused", [0] * 960)),
        ("reserved left out", lambda v: v.pop("unused")),
        ("bytearray reserved", lambda v: v.__setitem__("unused", bytearray(960))),
        ("padding left out", lambda v: v["info"]["vcpu_info"][3].pop("_hole_2")),
        ("padding too long", lambda v: v["info"]["vcpu_info"][3].__setitem__("_hole_2", b"\0" * 7)),
        ("flags as plain int", lambda v: v["info"]["vcpu_info"][0]["time"].__setitem__("flags", 3)),
        ("extra key", lambda v: v["info"].__setitem__("nonsense", 1)),
        ("bool for a number", lambda v: v["info"].__setitem__("wc_sec", True)),
        ("record as list", lambda v: v["info"]["vcpu_info"].__setitem__(0, [])),
    ]


@pytest.mark.parametrize(("what", "edit"), _edits(), ids=[w for w, _ in _edits()])
def test_bad_values_fail_like_the_reference(what: str, edit: Any) -> None:
    layout = _layout("shared_info_page")
    image = random_image(layout, bytes(range(256)) * 16)
    values = ConstructCodec(layout).parse(image)
    edit(values)
    same_error(lambda: FastCodec(layout).encode(values), lambda: ConstructCodec(layout).build(values))


def test_constant_given_wrong_builds_as_the_reference_does() -> None:
    layout = _layout("vrom_header", "x86_32")
    values = ConstructCodec(layout).parse(random_image(layout, bytes(144)))
    values["rom_signature"] = 0x1234
    # construct's compiled build writes the constant over a wrong value (the interpreted one refuses it);
    # the reference is the compiled codec, and the fast path answers as it does.
    same_error(lambda: FastCodec(layout).encode(values), lambda: ConstructCodec(layout).build(values))
    values.pop("rom_signature")  # a constant left out is written as the constant, by the fast path itself
    fast = FastCodec(layout)
    assert fast.encode(values) == ConstructCodec(layout).build(values)
    assert fast.deferred == 0


# --- the codec is shared and typed values are made once ----------------------------------------


def test_fast_codec_is_cached_per_layout() -> None:
    layout = _layout("vcpu_info")
    assert fast_codec(layout) is fast_codec(layout)


def test_enum_and_flags_values_are_shared_not_remade() -> None:
    layout = _layout("vcpu_info")
    fast = FastCodec(layout)
    image = bytes(layout.size)
    a = fast.decode(image)["time"]["flags"]
    b = fast.decode(image)["time"]["flags"]
    assert isinstance(a, FlagsValue) and a is b


def test_flags_cache_stays_bounded_on_random_images() -> None:
    layout = _layout("vcpu_time_info")
    flags_def = next(m.flags for m in layout.members if m.flags is not None)
    cache = _FlagsCache(flags_def)
    for value in range(0, 1 << 16, 7):  # far more values than a cache should keep
        made = cache[value]
        assert isinstance(made, FlagsValue) and int(made) == value
        assert made.names == FlagsValue(value, flags_def).names
    assert 0 < len(cache) <= 256


CONSTANT_ENUM = """\
meta: {id: ce, doc: An enum field that is also a constant.}
types:
  mode: {kind: enum, doc: A mode., values: {OFF: 0, ON: 1}}
  ce:
    kind: struct
    doc: Constant enum.
    fields:
      - {name: m, type: u8, enum: mode, const: 1, doc: Always on.}
      - {name: x, type: u8, doc: Anything.}
"""


def test_a_layout_the_fast_path_leaves_to_construct(tmp_path: Path) -> None:
    # construct compares a constant enum field's decoded name to the number and never matches,
    # so such a layout never decodes; the fast path does not guess otherwise: construct answers.
    (tmp_path / "ce.yaml").write_text(CONSTANT_ENUM, "utf-8")
    layout = Resolver(load_abi(tmp_path), "x86_64").layout("ce")
    assert not supports(layout)
    fast = FastCodec(layout)
    same_error(lambda: fast.decode(b"\x01\x02"), lambda: ConstructCodec(layout).parse(b"\x01\x02"))
    assert fast.deferred == 1
    with pytest.raises(DecodeError):
        fast.flat(b"\x01\x02")
