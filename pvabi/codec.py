"""Decode and encode images of a layout: bytes <-> plain values.

``ConstructCodec`` is the reference (construct, optionally its compiled form).
Every codec returns the plain values of ``values``; the image checks below
(reserved bytes, unknown flag bits) read only those values and the model.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Any

from .engine import ArrayType, Layout, Member, RecordType, RType, ScalarType
from .errors import DecodeError, EncodeError
from .slots import slots
from .values import EnumValue, FlagsValue, bits_key, from_json


def _failures() -> tuple[type[Exception], ...]:
    """What construct (and the Python under it) raises on bytes it cannot parse or values it cannot build.

    A parse failure becomes a DecodeError in ``_decode_error`` alone, a build failure an EncodeError, so
    none reaches a user as a traceback. construct is imported here, not at the top: ``pvabi decode``
    runs on the fast path and needs this module's checks, not construct's 30 ms import.
    """
    import construct as cs

    return (cs.ConstructError, ValueError, TypeError, KeyError, IndexError, OverflowError, struct.error)


class ConstructCodec:
    def __init__(self, layout: Layout, compiled: bool = True) -> None:
        from .constructs import compiled_construct, layout_construct

        self.layout = layout
        self.construct = compiled_construct(layout) if compiled else layout_construct(layout)

    def parse(self, data: bytes) -> dict[str, Any]:
        check_length(self.layout, data)
        try:
            return plain(self.layout, self.construct.parse(data))
        except _failures() as e:
            raise _decode_error(self.layout, data, e) from None

    def build(self, values: dict[str, Any]) -> bytes:
        values = fold_unions(self.layout, values, self.layout.name)
        try:
            data: bytes = self.construct.build(values)
        except _failures() as e:
            raise EncodeError(f"{self.layout.name}: cannot build: {_msg(e)}") from None
        return data


def fold_unions(layout: Layout, values: Any, path: str) -> Any:
    """Replace every union's values by the one thing construct builds: its bytes (``_raw``).

    construct's Union builds the first member it can, and a reserved or constant
    member can always be built (from its default), so it would silently win over the
    member the user gave. Here every member given is built on its own and they must
    agree byte for byte where they overlap (``decode --json`` prints every view of a
    union, and ``_raw`` when it is not all zeros); a disagreement is an error, not a
    silent choice.
    """
    if not isinstance(values, dict):
        return values
    if layout.kind == "union":
        return {"_raw": _union_bytes(layout, values, path)}
    out = dict(values)
    for m in layout.members:
        if m.name in out and m.field.reserved is None:
            out[m.name] = _fold_value(m.rtype, out[m.name], f"{path}.{m.name}")
    return out


def _fold_value(t: RType, value: Any, path: str) -> Any:
    if isinstance(t, RecordType):
        return fold_unions(t.layout, value, path)
    if isinstance(t, ArrayType) and isinstance(value, list) and not isinstance(t.elem, ScalarType):
        return [_fold_value(t.elem, v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _union_bytes(layout: Layout, values: dict[str, Any], path: str) -> bytes:
    from .constructs import member_construct

    image = bytearray(layout.size)
    known = bytearray(layout.size)  # the bits of each byte a given member (or _raw) fixed
    sources: list[str | None] = [None] * layout.size
    raw = values.get("_raw")
    if raw is not None:
        image[:] = bytes(raw).ljust(layout.size, b"\0")[: layout.size]
        known[:] = b"\xff" * layout.size
        sources = ["_raw"] * layout.size
    given = [m for m in layout.members if m.name in values]
    if raw is None and not given and layout.members and layout.size:
        raise EncodeError(f"{path}: a union needs one of its members (or _raw): "
                          f"{', '.join(m.name for m in layout.members)}")
    for m in given:
        value = _fold_value(m.rtype, values[m.name], f"{path}.{m.name}")
        try:
            data = bytes(member_construct(m).build(value))
        except _failures() as e:
            raise EncodeError(f"{path}.{m.name}: cannot build: {_msg(e)}") from None
        for i, (b, mask) in enumerate(zip(data, _view_mask(m, len(data)), strict=True)):
            if (image[i] ^ b) & known[i] & mask:
                raise EncodeError(f"{path}.{m.name}: byte {i} is {b & mask:#04x} (mask {mask:#04x}), but "
                                  f"{sources[i]} gives {image[i] & mask:#04x}; give one view of the union, or "
                                  "views that agree")
            image[i] = (image[i] & ~mask & 0xFF) | (b & mask)
            known[i] |= mask
            sources[i] = m.name
    return bytes(image)


def _view_mask(m: Member, size: int) -> bytes:
    """The bits a member's view of a union fixes: all of its bytes, or a bitfield's own bits only."""
    bf = m.bitfield
    if bf is None:
        return b"\xff" * size
    return (((1 << bf.width) - 1) << bf.shift).to_bytes(size, bf.order)


def encode_values(layout: Layout, data: Any, allow_reserved: bool = False) -> tuple[bytes, list[Note]]:
    """JSON values (the shape ``decode --json`` prints) -> an image, checked as ``decode`` checks one.

    Values that put non-zero bytes into reserved-zero space, or set undefined bits of
    flags whose undefined bits are reserved, are refused unless ``allow_reserved``;
    the notes are returned either way, so a caller can warn.
    """
    codec = ConstructCodec(layout)
    image = codec.build(from_json(layout, data))
    notes = inspect(layout, codec.parse(image))
    if notes and not allow_reserved:
        more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
        raise EncodeError(f"{layout.name}.{notes[0]}{more}; writers must leave reserved space zero "
                          "(--allow-reserved writes it anyway)")
    return image, notes


def check_length(layout: Layout, data: bytes) -> None:
    if len(data) != layout.size:
        word = "shorter" if len(data) < layout.size else "longer"
        raise DecodeError(f"image is {len(data)} bytes, {word} than {layout.name} "
                          f"({layout.size} bytes on {layout.arch})", layout.name)


def _decode_error(layout: Layout, data: bytes, e: Exception) -> DecodeError:
    """The one translation of a construct failure: the member path and byte offset, as data.

    construct's compiled parsers lose the path; the interpreted one says where and what. Its
    path has no array indices (``arr -> x``), so a constant mismatch is pinned to the first
    constant slot whose bytes are wrong.
    """
    import construct as cs

    from .constructs import layout_construct

    try:
        layout_construct(layout).parse(data)
    except _failures() as again:
        e = again
    where = _path(e)
    if isinstance(e, cs.ConstError):
        for slot in slots(layout):
            const = slot.const
            if (const is not None and _unindexed(slot.path) == where
                    and data[slot.offset:slot.offset + len(const)] != const):
                return DecodeError(f"constant mismatch: {_msg(e)}", f"{layout.name}.{slot.path}", slot.offset)
    found = [s.offset for s in slots(layout)
             if _unindexed(s.path) == where or _unindexed(s.path).startswith(where + ".")]
    path = f"{layout.name}.{where}" if where else layout.name
    return DecodeError(_msg(e) or type(e).__name__, path, min(found) if found else None)


def _unindexed(path: str) -> str:
    return re.sub(r"\[\d+\]", "", path)


def _path(e: Exception) -> str:
    return str(getattr(e, "path", "") or "").replace("(parsing)", "").strip(" ->").replace(" -> ", ".")


def _msg(e: Exception) -> str:
    text = str(e).split("\n")[-1]
    text = text.replace("parsing expected", "expected").replace("but parsed", "but the image has")
    return text.split(": ", 1)[-1] if "(parsing)" in text or "(building)" in text else text


def plain(layout: Layout, parsed: Any) -> dict[str, Any]:
    """construct's Container -> plain values, guided by the model, in image order."""
    members = {m.name: m for m in layout.members}
    out: dict[str, Any] = {}
    for key, value in parsed.items():
        m = members.get(key)
        if m is not None:
            out[key] = _plain_member(m, m.rtype, value)
        elif key.startswith("_hole_") or key == "_raw":
            out[key] = bytes(value)
        elif key.startswith("_bits_"):
            out[key] = _bit_padding(layout, key, bytes(value))
    return out


def _bit_padding(layout: Layout, key: str, raw: bytes) -> bytes:
    """A bitfield run's bytes with its members' bits cleared: what is left is padding, kept for rebuilding."""
    run = next(r for r in layout.bit_runs if bits_key(r.offset) == key)
    return (int.from_bytes(raw, run.order) & ~run.covered).to_bytes(run.size, run.order)


def _plain_member(m: Member, t: RType, value: Any) -> Any:
    if (m.field.reserved is not None and m.bitfield is None) or isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(t, RecordType):
        return plain(t.layout, value)
    if isinstance(t, ArrayType):
        return [_plain_member(m, t.elem, v) for v in value]
    number = int(value.int) if hasattr(value, "int") else int(value)
    if m.enum is not None:
        return EnumValue(number, m.enum)
    if m.flags is not None:
        return FlagsValue(number, m.flags)
    return number


@dataclass(frozen=True)
class Note:
    """Something an image does that its layout says writers must not do."""

    path: str
    offset: int
    message: str

    def __str__(self) -> str:
        return f"{self.path} (offset {self.offset}): {self.message}"


def inspect(layout: Layout, values: dict[str, Any], base: int = 0, prefix: str = "") -> list[Note]:
    """Reserved-zero bytes that are not zero, and flag bits no one defined."""
    notes: list[Note] = []
    # In a union a reserved member overlaps the live ones: only the bytes no live member covers are reserved.
    live = max((m.size for m in layout.members if m.field.reserved is None), default=0) \
        if layout.kind == "union" else 0
    for m in layout.members:
        path = prefix + m.name
        _inspect(m, m.rtype, values[m.name], base + m.offset, path, notes, live)
    return notes


def _inspect(m: Member, t: RType, value: Any, offset: int, path: str, notes: list[Note], skip: int = 0) -> None:
    if m.field.reserved == "zero" and m.bitfield is not None:
        if value:
            notes.append(Note(path, offset, "reserved must be zero, but is not"))
        return
    if m.field.reserved == "zero":
        if any(value[skip:]):
            first = next(i for i, b in enumerate(value) if b and i >= skip)
            notes.append(Note(path, offset + first, "reserved must be zero, but is not"))
        return
    if m.field.reserved is not None:
        return  # reserved with any content: nothing to check, and its value is raw bytes
    if isinstance(t, RecordType):
        notes.extend(inspect(t.layout, value, offset, path + "."))
    elif isinstance(t, ArrayType) and isinstance(value, list):
        for i, v in enumerate(value):
            _inspect(m, t.elem, v, offset + i * t.elem.size, f"{path}[{i}]", notes)
    elif isinstance(value, FlagsValue) and value.unknown and m.flags and m.flags.reserved_bits == "zero":
        notes.append(Note(path, offset, f"undefined flag bits {value.unknown:#x} set in {m.flags.name}"))
