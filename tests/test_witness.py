"""The witness generator: the images it writes must be legal, and its decoder must agree with construct."""

from __future__ import annotations

import pytest

from pvabi.codec import ConstructCodec, inspect
from pvabi.engine import Layout
from pvabi.slots import slots
from pvabi.witness import SEEDS, read_leaf, write_image
from shipped import shipped_layouts
from valuepath import walk

LAYOUTS = shipped_layouts()


def _ident(layout: Layout) -> str:
    return f"{layout.name}-{layout.arch}"


@pytest.mark.parametrize("layout", LAYOUTS, ids=_ident)
def test_images_are_legal_for_their_writer(layout: Layout) -> None:
    """Constants in place, reserved-zero bytes zero, only declared flag bits: a peer could really write it."""
    codec = ConstructCodec(layout)
    for seed in range(SEEDS):
        image = write_image(layout, layout.size, seed)
        values = codec.parse(image)  # raises on a wrong constant
        assert inspect(layout, values) == [], f"seed {seed}"


@pytest.mark.parametrize("layout", LAYOUTS, ids=_ident)
def test_leaf_decoder_agrees_with_construct(layout: Layout) -> None:
    codec = ConstructCodec(layout)
    image = write_image(layout, layout.size, 3)
    values = codec.parse(image)
    leaves = [r for r in slots(layout) if r.live]
    assert leaves or not layout.members
    for r in leaves:
        mine, theirs = read_leaf(image, r), walk(values, r.path)
        if isinstance(mine, str):  # enum or flags: "NAME (3)" / "0x3 [A, B]"
            number = int(mine.split(" ")[0], 0) if mine.startswith("0x") else int(mine.split("(")[-1].rstrip(")"))
            assert number == int(theirs), r.path
        elif isinstance(mine, list):
            assert mine == [int(x) for x in theirs], r.path
        else:
            assert mine == (bytes(theirs) if isinstance(mine, bytes) else int(theirs)), r.path


def test_seeds_vary_the_image() -> None:
    layout = next(x for x in LAYOUTS if x.name == "vcpu_time_info")
    images = {write_image(layout, layout.size, s) for s in range(SEEDS)}
    assert len(images) == SEEDS


def test_slots_cover_every_byte_of_a_struct_once() -> None:
    for layout in (x for x in LAYOUTS if x.kind == "struct"):
        covered = bytearray(layout.size)
        for r in slots(layout):
            for i in range(r.offset, r.offset + r.size):
                covered[i] += 1
        assert set(covered) <= {1}, _ident(layout)
