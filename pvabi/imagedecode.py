"""One image decoded into slots: every field and reserved region at its dotted path, with its bytes.

This is the image checker's only contact with the decoder: the typed values come
from ``decoder.decode`` (construct underneath; a refusal is a ``DecodeError``
naming path and offset, never construct's own exception), the constants from
``slots``; ``_walk`` only splits the typed values into one slot per element.
Nothing else in ``checker``/``images`` looks inside decoded values.

A slot is one scalar (an array of scalars gives one slot per element, so a
difference is located to the element and its bytes), one char array, one
bitfield, or one reserved region. Union members each give their own slots:
the checker compares every view of a union as the decoder gives it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .engine import ArrayType, Layout, Member, RecordType, RType, ScalarType
from .slots import Role, const_bytes
from .slots import slots as layout_slots
from .values import EnumValue, FlagsValue

VALUE, RESERVED_ZERO, RESERVED_ANY = "value", "reserved-zero", "reserved-any"


@dataclass(frozen=True)
class Slot:
    path: str  # dotted, array elements indexed: info.vcpu_info[3].time.version
    offset: int  # absolute, from the start of the layout
    size: int  # bytes it touches (a bitfield: the bytes its bits lie in)
    member: Member
    kind: str  # VALUE, RESERVED_ZERO or RESERVED_ANY
    value: Any  # int, EnumValue, FlagsValue, or bytes (char arrays and reserved regions)

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True)
class ConstMismatch:
    """A constant (a magic number, a signature) whose bytes in the image are not the declared ones."""

    path: str
    offset: int
    found: bytes
    expected: bytes


@dataclass(frozen=True)
class Decoded:
    layout: Layout
    data: bytes  # the bytes decoded, as the image holds them (wrong constants included)
    slots: dict[str, Slot]
    consts: tuple[ConstMismatch, ...]
    decoded: bytes = b""  # the bytes the decoder was given: ``data`` with every constant in its place


def decode(layout: Layout, data: bytes) -> Decoded:
    """Decode ``data`` (exactly ``layout.size`` bytes) into slots.

    A wrong constant does not stop the decode: it is recorded and the declared
    bytes are put in its place, so every other field can still be compared
    (construct refuses to parse past a constant it does not find).
    Raises ``DecodeError`` for anything else the decoder refuses.
    """
    consts: list[ConstMismatch] = []
    patched = bytearray(data)
    for c in layout_slots(layout):
        expected = const_bytes(c.member) if c.role is Role.CONSTANT and c.member is not None else None
        if expected is None:
            continue
        found = bytes(patched[c.offset:c.offset + len(expected)])
        if found != expected:
            consts.append(ConstMismatch(c.path, c.offset, found, expected))
            patched[c.offset:c.offset + len(expected)] = expected
    from .decoder import decode as decode_values  # the codecs load when an image is read, not to name types

    values = decode_values(layout, bytes(patched))
    slots = {s.path: s for s in _walk(layout, values, 0, "")}
    return Decoded(layout, bytes(data), slots, tuple(consts), bytes(patched))


def _walk(layout: Layout, values: dict[str, Any], base: int, prefix: str) -> Iterator[Slot]:
    for m in layout.members:
        yield from _member(m, m.rtype, values[m.name], base + m.offset, prefix + m.name)


def _member(m: Member, t: RType, value: Any, offset: int, path: str) -> Iterator[Slot]:
    reserved = m.field.reserved
    if reserved is not None:
        kind = RESERVED_ZERO if reserved == "zero" else RESERVED_ANY
        yield Slot(path, offset, m.size, m, kind, value)
    elif isinstance(t, RecordType):
        yield from _walk(t.layout, value, offset, path + ".")
    elif isinstance(value, (bytes, bytearray)):  # a char array: one string
        yield Slot(path, offset, t.size, m, VALUE, bytes(value))
    elif isinstance(t, ArrayType):
        for i, v in enumerate(value):
            yield from _member(m, t.elem, v, offset + i * t.elem.size, f"{path}[{i}]")
    else:
        assert isinstance(t, ScalarType)
        # A bitfield touches the bytes its bits lie in; an array element, its own bytes, not the array's.
        yield Slot(path, offset, m.size if m.bitfield is not None else t.size, m, VALUE, value)


def json_value(value: Any) -> Any:
    """A slot's value as ``pvabi decode --json`` prints it (the form sidecars record)."""
    if isinstance(value, EnumValue):
        return {"value": int(value), "name": value.name}
    if isinstance(value, FlagsValue):
        return {"value": int(value), "set": list(value.names), "unknown": value.unknown}
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).rstrip(b"\0")
        if text and all(32 <= c < 127 for c in text):
            return {"hex": bytes(value).hex(), "text": text.decode("ascii")}
        return {"hex": bytes(value).hex()}
    return int(value)


def written_by(slot: Slot, party: str) -> bool:
    """Does ``party`` (host or guest) write this field? ``both`` means either does."""
    return slot.kind == VALUE and slot.member.field.writer in (party, "both")
