"""Slots: one flattening of a laid-out ``Layout`` into the pieces its bytes are made of.

A slot is a leaf (a scalar, a scalar array or char array taken whole, a
bitfield), a reserved region, a constant or a padding hole, at an absolute
byte offset. The codec's checks, the witness search, ``show`` and the C
checks all read these; nothing else walks a layout to find its leaves.

Unions: ``slots(layout)`` lists every member (every "view") of every union,
so slots of one union overlap; ``slots(layout, view=k)`` keeps only member
``k % n`` of each union, which is what one writer fills (a writer stores
through one view, so only that view's constants and enum values hold).
Arrays of records are unrolled element by element; arrays of scalars stay
one slot (``dims`` gives their shape).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from .engine import ArrayType, BitField, Layout, Member, RecordType, RType, ScalarType


class Role(StrEnum):
    FIELD = "field"
    CONSTANT = "constant"
    RESERVED_ZERO = "reserved-zero"
    RESERVED_ANY = "reserved-any"
    HOLE = "hole"


@dataclass(frozen=True)
class Slot:
    """One piece of a layout's bytes; ``size`` is the bytes it touches (a bitfield's span)."""

    path: str
    offset: int
    size: int
    role: Role
    member: Member | None = None  # None for a hole
    rtype: ScalarType | ArrayType | None = None  # None for holes and reserved regions of record type

    @property
    def bitfield(self) -> BitField | None:
        return self.member.bitfield if self.member is not None else None

    @property
    def scalar(self) -> ScalarType | None:
        """The element type: the type itself for a scalar, the innermost element for an array."""
        t: RType | None = self.rtype
        while isinstance(t, ArrayType):
            t = t.elem
        return t if isinstance(t, ScalarType) else None

    @property
    def endian(self) -> str | None:
        s = self.scalar
        return s.endian if s is not None else None

    @property
    def dims(self) -> tuple[int, ...]:
        return self.rtype.dims if isinstance(self.rtype, ArrayType) else ()

    @property
    def is_bytes(self) -> bool:
        """Decoded as a byte string: a char array, or a reserved region (its content has no meaning)."""
        if self.role in (Role.RESERVED_ZERO, Role.RESERVED_ANY) and self.bitfield is None:
            return True
        s = self.scalar
        return isinstance(self.rtype, ArrayType) and s is not None and s.scalar.char

    @property
    def const(self) -> bytes | None:
        """The bytes a constant slot must hold (see ``const_bytes``)."""
        return const_bytes(self.member) if self.member is not None else None

    @property
    def live(self) -> bool:
        """A field a reader interprets (a constant is read too: a reader checks it)."""
        return self.role in (Role.FIELD, Role.CONSTANT)


def slots(layout: Layout, view: int | None = None) -> tuple[Slot, ...]:
    """Every slot of ``layout`` in declaration order, holes first per record; cached (layouts are immutable)."""
    return _cached(layout, view)


@lru_cache(maxsize=256)
def _cached(layout: Layout, view: int | None) -> tuple[Slot, ...]:
    return tuple(_walk(layout, 0, "", view))


def _walk(layout: Layout, base: int, prefix: str, view: int | None) -> Iterator[Slot]:
    for h in layout.holes:
        yield Slot(f"{prefix}_hole_{h.offset}", base + h.offset, h.size, Role.HOLE)
    members = layout.members
    if view is not None and layout.kind == "union" and members:
        members = (members[view % len(members)],)
    for m in members:
        yield from _member(m, m.rtype, base + m.offset, prefix + m.name, view)


def role_of(m: Member) -> Role:
    if m.field.reserved == "zero":
        return Role.RESERVED_ZERO
    if m.field.reserved is not None:
        return Role.RESERVED_ANY
    return Role.CONSTANT if m.field.const is not None else Role.FIELD


def _member(m: Member, t: RType, offset: int, path: str, view: int | None) -> Iterator[Slot]:
    role = role_of(m)
    if role in (Role.RESERVED_ZERO, Role.RESERVED_ANY):
        leaf = t if isinstance(t, (ScalarType, ArrayType)) else None
        yield Slot(path, offset, m.size if t is m.rtype else t.size, role, m, leaf)
    elif isinstance(t, RecordType):
        yield from _walk(t.layout, offset, path + ".", view)
    elif isinstance(t, ArrayType) and isinstance(t.leaf, RecordType):
        for i in range(t.count):
            yield from _member(m, t.elem, offset + i * t.elem.size, f"{path}[{i}]", view)
    else:
        assert isinstance(t, (ScalarType, ArrayType))
        yield Slot(path, offset, m.size if t is m.rtype else t.size, role, m, t)


def offset_of(layout: Layout, path: str) -> int | None:
    """The absolute offset of the member or element at ``path`` (relative to ``layout``), if it has one."""
    if not path:
        return 0
    found = [s.offset for s in slots(layout)
             if s.path == path or s.path.startswith((path + ".", path + "["))]
    return min(found) if found else None


# --- values in bytes --------------------------------------------------------------------------------------------


def encode_int(value: int, size: int, endian: str | None) -> bytes:
    """``value`` in ``size`` bytes, two's complement, in the given byte order."""
    return (value & ((1 << (size * 8)) - 1)).to_bytes(size, "big" if endian == "big" else "little")


def const_bytes(m: Member) -> bytes | None:
    """The bytes a member's constant puts in an image; ``"ROM"`` and ``[82, 79, 77]`` are the same bytes.

    The one constant encoder: the codec's checks, the witness search and the rules that compare
    constants all use it. Byte lists may be written signed (an ``s8`` array) or as 0..255.
    """
    const = m.field.const
    t = m.rtype
    if const is None or not isinstance(t, (ScalarType, ArrayType)):
        return None
    if isinstance(const, int):
        s: RType = t
        while isinstance(s, ArrayType):
            s = s.elem
        assert isinstance(s, ScalarType)
        return encode_int(const, s.size, s.endian)
    return bytes(b & 0xFF for b in const).ljust(t.size, b"\0")


__all__ = ["Role", "Slot", "const_bytes", "encode_int", "offset_of", "role_of", "slots"]
