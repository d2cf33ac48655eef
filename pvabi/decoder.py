"""The decoder: an image's bytes <-> typed values, for every reader of images in pvabi.

Typed values (see ``values``): ``int``; ``EnumValue``/``FlagsValue`` (an int that
also carries its names); ``bytes`` for char arrays, reserved regions and padding;
lists for arrays; dicts for structs and unions. ``decode`` and ``encode`` are the
whole interface a consumer needs. They run on the struct fast path
(``fastcodec.FastCodec``, generated from the same layout model), which hands
anything it does not take itself to construct (``codec.ConstructCodec``): construct
is the reference, and the differential tests hold the fast path to it value for
value and byte for byte, so errors and results are construct's either way.

``read_slot`` reads one slot of an image into the same typed values. The
witness search uses it because it reads a few fields of many candidate images;
the tests hold it to ``decode`` on every shipped layout and every witness.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from .codec import ConstructCodec
from .engine import ArrayType, Layout
from .errors import DecodeError
from .fastcodec import fast_codec
from .slots import Slot
from .values import EnumValue, FlagsValue, from_json

__all__ = ["DecodeError", "decode", "encode", "read_slot"]


def decode(layout: Layout, data: bytes) -> dict[str, Any]:
    """Typed values of an image of exactly ``layout.size`` bytes; DecodeError (path, offset) otherwise."""
    return fast_codec(layout).decode(bytes(data))


def encode(layout: Layout, values: dict[str, Any]) -> bytes:
    """An image from typed values (what ``decode`` returns) or their JSON form; EncodeError names the field."""
    return fast_codec(layout).encode(from_json(layout, values))


@lru_cache(maxsize=256)
def reference(layout: Layout) -> ConstructCodec:
    """The construct codec of ``layout``: what the fast path is held to."""
    return ConstructCodec(layout)


def read_slot(image: bytes, slot: Slot) -> Any:
    """The typed value a reader decodes from one slot of ``image`` (which must reach the slot's end).

    A reserved region and a char array are bytes, a scalar array a (nested) list, an enum or
    flags field an EnumValue or FlagsValue, anything else an int (a bitfield: its own bits).
    """
    raw = bytes(image[slot.offset:slot.offset + slot.size])
    if len(raw) != slot.size:
        raise DecodeError(f"the image ends before this slot ({len(image)} bytes)", slot.path, slot.offset)
    s, m = slot.scalar, slot.member
    if slot.is_bytes or s is None or m is None:
        return raw
    if slot.bitfield is not None:
        bf = slot.bitfield
        number = int.from_bytes(raw, bf.order) >> bf.shift & ((1 << bf.width) - 1)
        if s.scalar.signed and number >> (bf.width - 1):
            number -= 1 << bf.width
        return _typed(number, slot)
    order: Literal["little", "big"] = "big" if s.endian == "big" else "little"
    flat = [_typed(int.from_bytes(raw[i:i + s.size], order, signed=s.scalar.signed), slot)
            for i in range(0, len(raw), s.size)]
    if not isinstance(slot.rtype, ArrayType):
        return flat[0]
    return _nest(flat, slot.dims)


def _typed(number: int, slot: Slot) -> Any:
    m = slot.member
    assert m is not None
    if m.enum is not None:
        return EnumValue(number, m.enum)
    if m.flags is not None:
        return FlagsValue(number, m.flags)
    return number


def _nest(flat: list[Any], dims: tuple[int, ...]) -> list[Any]:
    """Row-major nesting, as C lays out ``T x[a][b]`` and construct decodes it."""
    if len(dims) <= 1:
        return list(flat)
    step = len(flat) // dims[0] if dims[0] else 0
    return [_nest(flat[i * step:(i + 1) * step], dims[1:]) for i in range(dims[0])]
