"""Slots: one flattening of a laid-out ``Layout`` into the pieces its bytes are made of.

A slot is a leaf (a scalar, a scalar array or char array taken whole, a
bitfield), a reserved region, a constant or a padding hole, at an absolute
byte offset. The codec's checks, the witness search, ``show``, the C checks and
the struct fast path (``fastcodec``) all read these; nothing else walks a layout
to find its leaves.

Unions: ``slots(layout)`` lists every member (every "view") of every union,
so slots of one union overlap; ``slots(layout, view=k)`` keeps only member
``k % n`` of each union, which is what one writer fills (a writer stores
through one view, so only that view's constants and enum values hold).
Arrays of records are unrolled element by element; arrays of scalars stay
one slot (``dims`` gives their shape).

``tree(layout)`` is the same walk with its structure kept: the records and
arrays of records the slots sit in, so a consumer that rebuilds nested values
(the fast path) sees empty structs and empty arrays too. ``slots`` is its
leaves, in the same order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Literal

from .engine import ArrayType, BitField, Layout, Member, RecordType, RType, ScalarType
from .values import bits_key, hole_key

Key = str | int  # a key of decoded values: a member, ``_hole_N`` or ``_bits_N``; or a list index


class Role(StrEnum):
    FIELD = "field"
    CONSTANT = "constant"
    RESERVED_ZERO = "reserved-zero"
    RESERVED_ANY = "reserved-any"
    HOLE = "hole"


@dataclass(frozen=True)
class Word:
    """The integer a bitfield's bits are taken from, made of ``size`` bytes at ``offset`` in ``order``.

    In a struct it is the bytes of the bitfield's run (shared, as one object, by every member of
    the run; ``key`` is where decoded values keep its padding bits); a bitfield that is a union's
    view has a word of its own bytes and no ``key``.
    """

    offset: int
    size: int
    order: Literal["little", "big"]
    covered: int  # the bits of the word some member holds; the rest is bit padding
    key: str | None


@dataclass(frozen=True)
class Slot:
    """One piece of a layout's bytes; ``size`` is the bytes it touches (a bitfield's span)."""

    path: str
    offset: int
    size: int
    role: Role
    member: Member | None = None  # None for a hole
    rtype: ScalarType | ArrayType | None = None  # None for holes and reserved regions of record type
    keys: tuple[Key, ...] = ()  # the keys that reach its value in decoded values (``path`` as data)
    word: Word | None = None  # a bitfield's word
    shift: int = 0  # a bitfield: the right shift that brings its bits to bit 0 of its word

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


@dataclass(frozen=True)
class Record:
    """A struct or union the walk went through, at ``offset``: its holes first, then its members' items."""

    path: str
    keys: tuple[Key, ...]
    offset: int
    layout: Layout
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Elements:
    """An array of records (or of arrays of records), element by element; ``items`` may be empty."""

    path: str
    keys: tuple[Key, ...]
    offset: int
    size: int
    member: Member
    items: tuple[Item, ...]


Item = Slot | Record | Elements


def slots(layout: Layout, view: int | None = None) -> tuple[Slot, ...]:
    """Every slot of ``layout`` in declaration order, holes first per record; cached (layouts are immutable)."""
    return _cached(layout, view)


def tree(layout: Layout, view: int | None = None) -> Record:
    """The walk ``slots`` flattens, as nested records and arrays of records; cached like ``slots``."""
    return _tree(layout, view)


@lru_cache(maxsize=256)
def _tree(layout: Layout, view: int | None) -> Record:
    return _record(layout, 0, "", (), view)


@lru_cache(maxsize=256)
def _cached(layout: Layout, view: int | None) -> tuple[Slot, ...]:
    return tuple(leaves(tree(layout, view)))


def leaves(item: Item) -> Iterator[Slot]:
    """The slots under ``item``, in the order ``slots`` lists them (iteratively: nesting is deep)."""
    stack: list[Item] = [item]
    while stack:
        top = stack.pop()
        if isinstance(top, Slot):
            yield top
        else:
            stack.extend(reversed(top.items))


def _record(layout: Layout, base: int, path: str, keys: tuple[Key, ...], view: int | None) -> Record:
    prefix = path + "." if path else ""
    items: list[Item] = [Slot(prefix + hole_key(h.offset), base + h.offset, h.size, Role.HOLE,
                              keys=(*keys, hole_key(h.offset))) for h in layout.holes]
    members = layout.members
    if view is not None and layout.kind == "union" and members:
        members = (members[view % len(members)],)
    words = _words(layout, base)
    for m in members:
        items.append(_member(m, m.rtype, base + m.offset, prefix + m.name, (*keys, m.name), view, words))
    return Record(path, keys, base, layout, tuple(items))


def _words(layout: Layout, base: int) -> dict[str, tuple[Word, int]]:
    """Each bitfield member's word and shift: its run's bytes in a struct, its own bytes in a union."""
    out: dict[str, tuple[Word, int]] = {}
    for run in layout.bit_runs:  # empty for a union
        word = Word(base + run.offset, run.size, run.order, run.covered, bits_key(run.offset))
        for m in run.members:
            out[m.name] = (word, run.shift(m))
    if layout.kind == "union":
        for m in layout.members:
            bf = m.bitfield
            if bf is not None:
                own = ((1 << bf.width) - 1) << bf.shift
                out[m.name] = (Word(base + m.offset, m.size, bf.order, own, None), bf.shift)
    return out


def role_of(m: Member) -> Role:
    if m.field.reserved == "zero":
        return Role.RESERVED_ZERO
    if m.field.reserved is not None:
        return Role.RESERVED_ANY
    return Role.CONSTANT if m.field.const is not None else Role.FIELD


def _member(m: Member, t: RType, offset: int, path: str, keys: tuple[Key, ...], view: int | None,
            words: dict[str, tuple[Word, int]]) -> Item:
    role = role_of(m)
    if role in (Role.RESERVED_ZERO, Role.RESERVED_ANY):
        leaf = t if isinstance(t, (ScalarType, ArrayType)) else None
        return _leaf(path, offset, m.size if t is m.rtype else t.size, role, m, leaf, keys, words)
    if isinstance(t, RecordType):
        return _record(t.layout, offset, path, keys, view)
    if isinstance(t, ArrayType) and isinstance(t.leaf, RecordType):
        step = t.elem.size
        elems = tuple(_member(m, t.elem, offset + i * step, f"{path}[{i}]", (*keys, i), view, words)
                      for i in range(t.count))
        return Elements(path, keys, offset, t.size, m, elems)
    assert isinstance(t, (ScalarType, ArrayType))
    return _leaf(path, offset, m.size if t is m.rtype else t.size, role, m, t, keys, words)


def _leaf(path: str, offset: int, size: int, role: Role, m: Member, t: ScalarType | ArrayType | None,
          keys: tuple[Key, ...], words: dict[str, tuple[Word, int]]) -> Slot:
    if m.bitfield is not None:
        word, shift = words[m.name]
        return Slot(path, offset, size, role, m, t, keys, word, shift)
    return Slot(path, offset, size, role, m, t, keys)


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


__all__ = ["Elements", "Item", "Key", "Record", "Role", "Slot", "Word", "const_bytes", "encode_int", "leaves",
           "offset_of", "role_of", "slots", "tree"]
