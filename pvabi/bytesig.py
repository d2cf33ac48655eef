"""What a type means in bytes, names aside: the facts behind renames, regroupings and layout identity.

Two types are the same in bytes when every image decodes alike under both: same sizes, signedness,
byte order, array shapes and, for records, the same members at the same offsets with the same
reserved state, enum, flags and constant. Names (of members, of struct types, alias spellings) do not
count: they are what a rename changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .engine import ArrayType, Layout, Member, RecordType, RType, ScalarType
from .slots import Role, const_bytes, slots


def type_changes(a: RType, b: RType) -> tuple[str, ...]:
    """How two member types differ in the bytes they describe; empty when they do not.

    Any of: ``kind`` (scalar/array/record), ``length`` (array dimensions),
    ``width``, ``signedness``, ``endianness``, ``record`` (another layout).
    An array that changed length and element width reports both. Spelling (an
    alias for the same storage, char for int8) is not a change.
    """
    if isinstance(a, ArrayType) != isinstance(b, ArrayType):
        return ("kind",)
    if isinstance(a, ArrayType) and isinstance(b, ArrayType):
        dims = ("length",) if a.dims != b.dims else ()
        return dims + type_changes(a.leaf, b.leaf)
    if isinstance(a, RecordType) != isinstance(b, RecordType):
        return ("kind",)
    if isinstance(a, RecordType) and isinstance(b, RecordType):
        return () if a.layout.name == b.layout.name else ("record",)
    assert isinstance(a, ScalarType) and isinstance(b, ScalarType)
    out = []
    if a.size != b.size:
        out.append("width")
    if a.scalar.signed != b.scalar.signed and not (a.scalar.char or b.scalar.char):
        out.append("signedness")
    if a.endian != b.endian and a.size > 1 and b.size > 1:
        out.append("endianness")
    return tuple(out)


def byte_signature(t: RType) -> object:
    """What a type means in bytes, ignoring every name: equal signatures decode every image alike."""
    if isinstance(t, ArrayType):
        return ("array", t.dims, byte_signature(t.leaf))
    if isinstance(t, RecordType):
        lay = t.layout
        return ("record", lay.kind, lay.size, lay.align, tuple(
            (m.offset, m.field.reserved, m.field.enum, m.field.flags, const_bytes(m),
             byte_signature(m.rtype)) for m in lay.members))
    return ("scalar", t.size, t.scalar.signed, t.endian)


def leaf_set(members: list[Member] | tuple[Member, ...]) -> frozenset[object]:
    """The live leaves under these members: absolute offset, byte meaning and contract, names left out."""
    out = set()
    for m in members:
        for _, offset, rtype, inner in leaves_of_member(m):
            if inner.field.reserved is None:
                f = inner.field
                out.add((offset, byte_signature(rtype), f.enum, f.flags, f.writer, f.reader, f.feature,
                         const_bytes(inner)))
    return frozenset(out)


def leaves_of_member(m: Member) -> list[tuple[str, int, RType, Member]]:
    """(path, absolute offset, type, innermost member) of every leaf under one member."""
    if isinstance(m.rtype, RecordType):
        return [(m.name + "." + lf.path, m.offset + lf.offset, lf.rtype, lf.member) for lf in _leaves(m.rtype.layout)]
    if isinstance(m.rtype, ArrayType) and isinstance(m.rtype.leaf, RecordType):
        elem = m.rtype.elem
        if not isinstance(elem, RecordType):
            return [(m.name, m.offset, m.rtype, m)]  # multi-dimensional arrays of records: compared whole
        return [(f"{m.name}[{i}].{lf.path}", m.offset + i * elem.size + lf.offset, lf.rtype, lf.member)
                for i in range(m.rtype.count) for lf in _leaves(elem.layout)]
    return [(m.name, m.offset, m.rtype, m)]


def _leaves(layout: Layout) -> list[_Leaf]:
    """Slots that are not padding (a reserved region counts: ``leaf_set`` leaves it out), with a type."""
    out = []
    for s in slots(layout):
        if s.role is not Role.HOLE and s.member is not None:
            out.append(_Leaf(s.path, s.offset, s.rtype or s.member.rtype, s.member))
    return out


@dataclass(frozen=True)
class _Leaf:
    path: str
    offset: int
    rtype: RType
    member: Member


def same_bytes(a: RType, b: RType) -> bool:
    """No change in the bytes, or only another name for a struct that is byte for byte the same."""
    changes = type_changes(a, b)
    return not changes or (changes == ("record",) and byte_signature(a) == byte_signature(b))
