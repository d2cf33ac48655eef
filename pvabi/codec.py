"""Decode and encode images of a layout: bytes <-> plain values.

``ConstructCodec`` is the reference (construct, optionally its compiled form).
Every codec returns the plain values of ``values``; the image checks below
(reserved bytes, unknown flag bits) read only those values and the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import construct as cs

from .constructs import compiled_construct, layout_construct
from .engine import ArrayType, Layout, Member, RecordType, RType
from .errors import DecodeError, EncodeError
from .values import EnumValue, FlagsValue, bits_key


class ConstructCodec:
    def __init__(self, layout: Layout, compiled: bool = True) -> None:
        self.layout = layout
        self.construct = compiled_construct(layout) if compiled else layout_construct(layout)

    def parse(self, data: bytes) -> dict[str, Any]:
        check_length(self.layout, data)
        try:
            parsed = self.construct.parse(data)
        except cs.ConstructError:
            # construct's compiled parsers lose the path; the interpreted one says where and what.
            try:
                layout_construct(self.layout).parse(data)
            except cs.ConstError as e:
                raise DecodeError(f"{self.layout.name}.{_path(e)}: constant mismatch: {_msg(e)}") from None
            except cs.ConstructError as e:
                raise DecodeError(f"{self.layout.name}.{_path(e)}: {_msg(e)}") from None
            raise
        return plain(self.layout, parsed)

    def build(self, values: dict[str, Any]) -> bytes:
        try:
            data: bytes = self.construct.build(values)
        except (cs.ConstructError, KeyError, TypeError, ValueError) as e:
            raise EncodeError(f"{self.layout.name}: cannot build: {_msg(e)}") from None
        return data


def check_length(layout: Layout, data: bytes) -> None:
    if len(data) != layout.size:
        word = "shorter" if len(data) < layout.size else "longer"
        raise DecodeError(f"image is {len(data)} bytes, {word} than {layout.name} "
                          f"({layout.size} bytes on {layout.arch})")


def _path(e: Exception) -> str:
    return str(getattr(e, "path", "") or "").replace("(parsing) -> ", "").replace(" -> ", ".") or "?"


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
    for m in layout.members:
        path = prefix + m.name
        _inspect(m, m.rtype, values[m.name], base + m.offset, path, notes)
    return notes


def _inspect(m: Member, t: RType, value: Any, offset: int, path: str, notes: list[Note]) -> None:
    if m.field.reserved == "zero" and m.bitfield is not None:
        if value:
            notes.append(Note(path, offset, "reserved must be zero, but is not"))
        return
    if m.field.reserved == "zero":
        if any(value):
            first = next(i for i, b in enumerate(value) if b)
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
