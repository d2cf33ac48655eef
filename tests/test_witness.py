"""The witness generator: the images it writes must be legal (its reader, decoder.read_slot, is held to
decoder.decode in test_decoder.py)."""

from __future__ import annotations

import pytest

from pvabi.codec import ConstructCodec, inspect
from pvabi.decoder import read_slot
from pvabi.engine import Layout
from pvabi.formats.common import value
from pvabi.slots import slots
from pvabi.witness import SEEDS, write_image
from shipped import shipped_layouts

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


def _slot_value(name: str, path: str, image_bytes: dict[int, int]) -> object:
    """The typed value at ``path`` of an x86_32 image of ``name`` with the given bytes set (others zero)."""
    layout = next(x for x in LAYOUTS if x.name == name and x.arch == "x86_32")
    image = bytearray(layout.size)
    for at, b in image_bytes.items():
        image[at] = b
    return read_slot(bytes(image), next(s for s in slots(layout) if s.path == path))


def test_formats_word_typed_values() -> None:
    """Display text is made by the formats alone, from the decoder's typed values."""
    assert value(_slot_value("vmi_relocation_info", "type", {4: 2})) == "JUMP_REL (2)"
    assert value(_slot_value("vmi_relocation_info", "type", {4: 9})) == "9 (no name in the enum)"
    flags = _slot_value("vcpu_time_info", "flags", {29: 0x83})
    assert value(flags) == "0x83 [TSC_STABLE, GUEST_STOPPED, undefined 0x80]"
    assert value(_slot_value("vcpu_time_info", "pad1", {30: 0xAB})) == "bytes ab 00"
    assert value([1, 300]) == "[1, 300]" and value(None) == "(absent)" and value(300) == "300 (0x12c)"
