"""Images in, decoded values out as text: what ``pvabi decode`` reads and prints.

``read_image`` takes one layout's bytes from a file, at an offset inside a
larger dump (a ROM, a page dump) if asked, without reading a huge file whole.
``text_lines`` prints decoded values one leaf a line, with the byte offset,
enum and flags values by name, and bytes as hex.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .engine import ArrayType, Layout, RecordType, RType
from .errors import InputError
from .values import EnumValue, FlagsValue


def read_image(path: Path, layout: Layout, offset: int = 0) -> bytes:
    """``layout.size`` bytes at ``offset``; the whole file must be exactly that long when offset is 0."""
    if offset < 0:
        raise InputError(f"--offset must not be negative (got {offset})", str(path))
    try:
        with path.open("rb") as f:
            on_disk = os.fstat(f.fileno()).st_size
            f.seek(offset)
            # One byte more tells "too long" without reading a huge file.
            data = f.read(layout.size + (1 if offset == 0 else 0))
    except OSError as e:
        raise InputError(f"cannot read image: {e.strerror}", str(path)) from None
    where = f"{layout.name} ({layout.size} bytes on {layout.arch})"
    if offset:
        if len(data) < layout.size:
            raise InputError(f"image is {on_disk} bytes: {where} at offset {offset} runs past its end", str(path))
        return data
    if len(data) > layout.size:
        size = f"{on_disk} bytes" if on_disk > layout.size else f"more than {layout.size} bytes"
        raise InputError(f"image is {size}, longer than {where}; use --offset to decode a layout inside "
                         "a larger dump", str(path))
    return data


def text_lines(layout: Layout, values: dict[str, Any], hex_ints: bool = False, base: int = 0,
               prefix: str = "") -> list[str]:
    """``offset  path = value`` lines, in image order; holes only when they hold non-zero bytes."""
    out: list[str] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if key.startswith("_hole_") or key == "_raw":
            if key.startswith("_hole_") and any(value):
                out.append(_line(base + int(key[6:]), path, _bytes(value) + "  (GCC padding, not zero)"))
            continue
        m = layout.member(key)
        if m is None:
            continue
        out.extend(_value_lines(m.rtype, value, base + m.offset, path, hex_ints))
    return out


def _value_lines(t: RType, value: Any, at: int, path: str, hex_ints: bool) -> list[str]:
    if isinstance(value, dict) and isinstance(t, RecordType):
        return text_lines(t.layout, value, hex_ints, at, path + ".")
    if isinstance(value, list) and isinstance(t, ArrayType):
        elem = t.elem
        if all(isinstance(v, int) for v in value) and not any(isinstance(v, (EnumValue, FlagsValue)) for v in value):
            shown = ", ".join(_int(v, hex_ints) for v in value)
            return [_line(at, path, f"[{shown}]")]
        return [line for i, v in enumerate(value)
                for line in _value_lines(elem, v, at + i * elem.size, f"{path}[{i}]", hex_ints)]
    return [_line(at, path, _scalar(value, hex_ints))]


def _scalar(value: Any, hex_ints: bool) -> str:
    if isinstance(value, EnumValue):
        return f"{value.name} ({_int(value, hex_ints)})" if value.name else f"{_int(value, hex_ints)} (not a " \
                                                                             "value of the enum)"
    if isinstance(value, FlagsValue):
        names = list(value.names) + ([f"unknown {value.unknown:#x}"] if value.unknown else [])
        return f"{int(value):#x} ({' | '.join(names) or 'none set'})"
    if isinstance(value, (bytes, bytearray)):
        return _bytes(bytes(value))
    return _int(value, hex_ints)


def _int(value: int, hex_ints: bool) -> str:
    return f"{int(value):#x}" if hex_ints else str(int(value))


def _bytes(b: bytes) -> str:
    text = b.rstrip(b"\0")
    shown = b.hex(" ") if b else "(empty)"
    if text and all(32 <= c < 127 for c in text):
        return f'{shown}  "{text.decode("ascii")}"'
    return shown


def _line(offset: int, path: str, shown: str) -> str:
    return f"{offset:>6}  {path} = {shown}"
