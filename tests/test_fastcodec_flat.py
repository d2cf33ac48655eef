"""``FastCodec.flat``: the flat tuple a check compares with ``==``, its paths, and generated-code safety."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_roundtrip import random_image

from pvabi.codec import ConstructCodec
from pvabi.engine import Layout, RecordType
from pvabi.fastcodec import FastCodec
from shipped import shipped_layouts
from valuepath import MISSING, walk

LAYOUTS = shipped_layouts()
SEEDED = settings(derandomize=True, deadline=None, database=None, max_examples=20,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: f"{lay.name}-{lay.arch}")
@SEEDED
@given(data=st.binary(min_size=0, max_size=4096), at=st.integers(0, 1 << 16))
def test_flat_tuples_are_equal_exactly_when_decoded_values_are(layout: Layout, data: bytes, at: int) -> None:
    fast = FastCodec(layout)
    image = random_image(layout, data)
    flat = fast.flat(image)
    assert len(flat) == len(fast.paths) == len(set(fast.paths))
    # Each entry is the value at its path (words of bitfield runs are the run's bytes as a number).
    values = ConstructCodec(layout).parse(image)
    for path, entry in zip(fast.paths, flat, strict=True):
        found = walk(values, path)
        if "_bits_" in path.rsplit(".", 1)[-1] or path.endswith("@word"):
            continue
        assert found is not MISSING, path
        assert found == entry, path
    if not layout.size:
        return
    other = bytearray(image)
    other[at % layout.size] ^= 0x5A
    other = bytearray(random_image(layout, bytes(other)))  # constants stay constants
    assert (fast.flat(bytes(other)) == flat) == (ConstructCodec(layout).parse(bytes(other)) == values)


def test_paths_name_leaves_as_readers_write_them() -> None:
    page = next(lay for lay in LAYOUTS if lay.name == "shared_info_page" and lay.arch == "x86_64")
    paths = FastCodec(page).paths
    assert "info.vcpu_info[31].time.flags" in paths
    assert "info.evtchn_pending[63]" in paths
    assert "info.vcpu_info[0]._hole_2" in paths
    assert "unused" in paths


HOSTILE = ["x')\nimport os\nos.system('false')\n#", "__import__", "a b", "{}", "'\"", "\\", "t", "buf", "_Defer"]


def _renamed(layout: Layout, names: list[str]) -> Layout:
    """The layout with its members renamed: the loader only allows C identifiers, the generator must not care."""
    members = []
    for m, name in zip(layout.members, names, strict=False):
        rtype = m.rtype
        if isinstance(rtype, RecordType):
            rtype = RecordType(_renamed(rtype.layout, names[1:] + names[:1]))
        members.append(dataclasses.replace(m, name=name, rtype=rtype))
    return dataclasses.replace(layout, members=tuple(members))


def test_member_names_never_become_code() -> None:
    base = next(lay for lay in LAYOUTS if lay.name == "vcpu_info" and lay.arch == "x86_64")
    layout = _renamed(base, HOSTILE)
    image = bytes(range(layout.size))
    fast = FastCodec(layout)
    got: dict[str, Any] = fast.decode(image)
    assert list(got) == [*HOSTILE[:2], "_hole_2", *HOSTILE[2:len(base.members)]]
    assert got == ConstructCodec(layout).parse(image)
    assert fast.encode(got) == image
    assert fast.deferred == 0
