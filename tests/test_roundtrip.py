"""build(parse(image)) == image on random images of every shipped layout, every architecture.

Also holds construct's compiled parser to the interpreted one (as construct's
own test helper does) on the same images.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvabi.codec import ConstructCodec
from pvabi.engine import ArrayType, Layout, RecordType, RType, ScalarType
from shipped import shipped_layouts

LAYOUTS = shipped_layouts()


def _const_patches(layout: Layout, base: int = 0) -> list[tuple[int, bytes]]:
    """(offset, bytes) of every constant, so random images carry the magic a layout demands."""
    patches: list[tuple[int, bytes]] = []
    for m in layout.members:
        at = base + m.offset
        if m.field.const is not None:
            patches.append((at, _const_bytes(m.field.const, m.rtype)))
        t = m.rtype
        while isinstance(t, ArrayType):
            t = t.elem
        if isinstance(t, RecordType):
            stride = t.size
            count = m.rtype.size // stride if stride else 0
            for i in range(count):
                patches.extend(_const_patches(t.layout, at + i * stride))
    return patches


def _const_bytes(const: Any, t: RType) -> bytes:
    if isinstance(const, int):
        assert isinstance(t, ScalarType)
        return const.to_bytes(t.size, t.endian, signed=t.scalar.signed)  # type: ignore[arg-type]
    return bytes(const).ljust(t.size, b"\0")


def random_image(layout: Layout, data: bytes) -> bytes:
    image = bytearray(data[: layout.size].ljust(layout.size, b"\0"))
    for offset, value in _const_patches(layout):
        image[offset:offset + len(value)] = value
    return bytes(image)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: f"{lay.name}-{lay.arch}")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=0, max_size=8192))
def test_build_parse_is_identity(layout: Layout, data: bytes) -> None:
    image = random_image(layout, data)
    reference = ConstructCodec(layout, compiled=False)
    compiled = ConstructCodec(layout, compiled=True)
    values = reference.parse(image)
    assert reference.build(values) == image
    assert compiled.parse(image) == values
    assert compiled.build(values) == image


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: f"{lay.name}-{lay.arch}")
def test_all_ones_and_zeros_round_trip(layout: Layout) -> None:
    for fill in (0x00, 0xFF, 0xA5):
        image = random_image(layout, bytes([fill]) * layout.size)
        codec = ConstructCodec(layout)
        assert codec.build(codec.parse(image)) == image
