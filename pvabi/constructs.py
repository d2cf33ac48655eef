"""Resolved layouts -> ``construct`` structs: the reference parser and builder.

One construct per (layout, architecture), byte-exact in both directions: GCC's
padding is kept as ``_hole_<offset>`` fields, reserved regions as raw bytes, a
union as its raw bytes plus every member's view of them. Enums use construct's
``Enum``; constants use ``Const``, so an image without its magic does not parse.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import construct as cs

from .engine import ArrayType, BitRun, Layout, Member, RecordType, RType, ScalarType, bit_runs
from .slots import const_bytes
from .values import bits_key, hole_key

_FMT = {(1, False): "B", (2, False): "H", (4, False): "L", (8, False): "Q",
        (1, True): "b", (2, True): "h", (4, True): "l", (8, True): "q"}


def scalar_construct(t: ScalarType) -> cs.Construct:
    return cs.FormatField("<" if t.endian == "little" else ">", _FMT[(t.size, t.scalar.signed)])


def _is_char_array(t: RType) -> bool:
    return isinstance(t, ArrayType) and isinstance(t.elem, ScalarType) and t.elem.scalar.char


def type_construct(t: RType, m: Member | None = None) -> cs.Construct:
    if isinstance(t, RecordType):
        return layout_construct(t.layout)
    if isinstance(t, ArrayType):
        if _is_char_array(t):
            return cs.Bytes(t.count)
        return cs.Array(t.count, type_construct(t.elem, m))
    sub = scalar_construct(t)
    if m is not None and m.enum is not None:
        return _enum(sub, dict(m.enum.values))
    return sub


def _signed(value: int, m: Member) -> int:
    assert m.bitfield is not None
    if isinstance(m.rtype, ScalarType) and m.rtype.scalar.signed and value >> (m.bitfield.width - 1):
        value -= 1 << m.bitfield.width
    return value


def _run_constructs(run: BitRun) -> list[cs.Construct]:
    """A run of bitfields: its bytes under ``_bits_<offset>``, then each member computed from them.

    The bytes are rebuilt from the members' values on build (bits no member holds come from the
    ``_bits_`` value, so an image with set padding bits rebuilds byte for byte).
    """
    key = bits_key(run.offset)
    order = run.order

    def pack(ctx: Any) -> bytes:
        given = ctx.get(key)
        word = int.from_bytes(given, order) & ~run.covered if isinstance(given, (bytes, bytearray)) else 0
        for m in run.members:
            assert m.bitfield is not None
            value = ctx.get(m.name, 0)
            word |= (int(value) & ((1 << m.bitfield.width) - 1)) << run.shift(m)
        return word.to_bytes(run.size, order)

    def getter(m: Member) -> Any:
        assert m.bitfield is not None
        mask, shift = (1 << m.bitfield.width) - 1, run.shift(m)
        return lambda ctx: _signed(int.from_bytes(ctx[key], order) >> shift & mask, m)

    out = [key / cs.Rebuild(cs.Bytes(run.size), pack)]
    out += [m.name / cs.Computed(getter(m)) for m in run.members]
    return out


class _UnionBitfield(cs.Adapter):  # type: ignore[misc]
    """One bitfield viewed alone (a union member): the bytes its bits touch, as its integer."""

    def __init__(self, m: Member) -> None:
        assert m.bitfield is not None
        super().__init__(cs.Bytes(m.size))
        self.m = m
        self.order = m.bitfield.order

    def _decode(self, obj: bytes, context: Any, path: str) -> int:
        bf = self.m.bitfield
        assert bf is not None
        return _signed(int.from_bytes(obj, self.order) >> bf.shift & ((1 << bf.width) - 1), self.m)

    def _encode(self, obj: int, context: Any, path: str) -> bytes:
        bf = self.m.bitfield
        assert bf is not None
        return ((int(obj) & ((1 << bf.width) - 1)) << bf.shift).to_bytes(self.m.size, self.order)


def _enum(sub: cs.Construct, values: dict[str, int]) -> cs.Construct:
    # Passed as keyword arguments, enum names such as ``self`` or ``subcon`` collide with Enum's own parameters.
    enum = cs.Enum(sub)
    enum.encmapping = {cs.EnumIntegerString.new(v, k): v for k, v in values.items()}
    enum.decmapping = {v: cs.EnumIntegerString.new(v, k) for k, v in values.items()}
    enum.ksymapping = {v: k for k, v in values.items()}
    return enum


def member_construct(m: Member) -> cs.Construct:
    if m.bitfield is not None:
        return _UnionBitfield(m)
    if m.field.reserved is not None:
        return cs.Default(cs.Bytes(m.size), bytes(m.size))
    sub = type_construct(m.rtype, m)
    const = m.field.const
    if const is None:
        return sub
    if isinstance(const, int):
        return cs.Const(const, sub)
    raw = const_bytes(m)
    assert raw is not None
    if _is_char_array(m.rtype):
        return cs.Const(raw, sub)
    assert isinstance(m.rtype, ArrayType) and isinstance(m.rtype.elem, ScalarType)
    # An s8 array parses its bytes as -128..127, so compare like with like.
    signed = m.rtype.elem.scalar.signed
    return cs.Const([b - (0x100 if signed and b & 0x80 else 0) for b in raw], sub)


@lru_cache(maxsize=1024)
def layout_construct(layout: Layout) -> cs.Construct:
    """The construct for one layout (cached: layouts are immutable and hashable)."""
    if layout.kind == "union":
        views = [m.name / member_construct(m) for m in layout.members]
        return cs.Padded(layout.size, cs.Union(0, "_raw" / cs.Bytes(layout.size), *views))
    fields = []
    # Holes come in offset order (the engine adds them as it goes, the tail last): one pass places
    # each before the first member past it, instead of a scan of every hole per member.
    inner = [h for h in layout.holes if not h.tail]
    placed = 0
    runs = {run.members[0].name: run for run in bit_runs(layout)}
    for m in layout.members:
        while placed < len(inner) and inner[placed].offset < m.offset:
            h = inner[placed]
            fields.append(hole_key(h.offset) / cs.Default(cs.Bytes(h.size), bytes(h.size)))
            placed += 1
        if m.bitfield is not None:
            if m.name in runs:  # the first member of a run brings the whole run
                fields.extend(_run_constructs(runs[m.name]))
            continue
        fields.append(m.name / member_construct(m))
    for h in [*inner[placed:], *(h for h in layout.holes if h.tail)]:
        fields.append(hole_key(h.offset) / cs.Default(cs.Bytes(h.size), bytes(h.size)))
    return cs.Struct(*fields)


@lru_cache(maxsize=1024)
def compiled_construct(layout: Layout) -> cs.Construct:
    """construct's compiled form of the same struct (generated Python, much faster).

    construct cannot compile every struct (a union's size depends on what is
    built; bitfields are computed by Python functions it cannot emit as source);
    those keep the interpreted form, which is the reference anyway.
    """
    try:
        return layout_construct(layout).compile()
    except (cs.ConstructError, SyntaxError):
        return layout_construct(layout)
