"""Wording shared by the output formats (the verdict words themselves come with the report)."""

from __future__ import annotations

from typing import Any

from ..arch import ARCH_NAMES
from ..findings import DIRECTION_TEXT, Finding, Witness
from ..model import Loc
from ..report import Report
from ..values import EnumValue, FlagsValue

MODE_TEXT = {
    "backward": "backward (old guests on the new host)",
    "forward": "forward (new guests on an old host)",
    "full": "full (both directions)",
}


def where(f: Finding) -> str:
    path = f"{f.layout}.{f.shown_path}" if f.path else f.layout
    return f"{path} on {arches(f.arches)}"


def header(report: Report) -> str:
    """``mode backward (...), transitive; gate category LAYOUT; ruleset 2``."""
    m = report.metadata
    return (f"mode {MODE_TEXT[m.mode]}{', transitive' if m.transitive else ''}; gate category {m.category}; "
            f"ruleset {m.ruleset}")


def locations(f: Finding) -> str:
    """``old.yaml:12 -> new.yaml:14``, one side when the other has no such member, "" when neither has."""
    def loc(x: Loc | None) -> str:
        return str(x) if x is not None else "-"

    if f.old_loc is None and f.new_loc is None:
        return ""
    if f.old_loc == f.new_loc:
        return loc(f.new_loc)
    return f"{loc(f.old_loc)} -> {loc(f.new_loc)}"


def arches(names: tuple[str, ...]) -> str:
    return "every architecture" if set(names) >= set(ARCH_NAMES) else ", ".join(names)


def byte_range(r: tuple[int, int] | None) -> str:
    """Half-open ``[start, end)``, the convention JSON's ``[start, end]`` pairs use too (docs/diff.md)."""
    if r is None:
        return "-"
    return f"[{r[0]}, {r[1]})" if r[1] > r[0] else f"[{r[0]}, {r[0]}) (empty)"


def ranges(f: Finding) -> str:
    if f.old_range and f.new_range and f.old_range != f.new_range:
        return f"bytes {byte_range(f.old_range)} -> {byte_range(f.new_range)}"
    r = f.new_range or f.old_range
    return f"bytes {byte_range(r)}" if r else ""


def direction_line(f: Finding, direction: str) -> str:
    return f"{f.severity_in(direction)} ({DIRECTION_TEXT[direction]})"


def value(v: Any) -> str:
    """A decoded value (``decoder``'s types) in words: ``BLOCKED (2)``, ``0x3 [TSC_STABLE, GUEST_STOPPED]``."""
    if v is None:
        return "(absent)"
    if isinstance(v, EnumValue):
        return f"{v.name} ({int(v)})" if v.name else f"{int(v)} (no name in the enum)"
    if isinstance(v, FlagsValue):
        names = list(v.names) + ([f"undefined {v.unknown:#x}"] if v.unknown else [])
        return f"{int(v):#x} [{', '.join(names)}]"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v} ({v:#x})" if v > 9 or v < 0 else str(v)
    if isinstance(v, (bytes, bytearray)):
        return f"bytes {bytes(v).hex(' ')}"
    if isinstance(v, list):
        return "[" + ", ".join(_element(x) for x in v) + "]"
    return str(v)


def _element(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, (bool, EnumValue, FlagsValue)):
        return str(v)
    return value(v)


def witness_lines(w: Witness) -> list[str]:
    moved = f" (the writer put its value at offset {w.writer_offset})" if w.writer_offset is not None else ""
    who = ""
    if w.writer and w.reader:
        # backward is old guests on a new host; forward, new guests on an old host
        age = {"backward": {"host": "new ", "guest": "old "}, "forward": {"host": "old ", "guest": "new "}}.get(
            w.direction, {})
        who = (f"; written by the {age.get(w.writer, '')}{w.writer}, read by the {age.get(w.reader, '')}{w.reader}"
               + (f" ({w.direction})" if w.direction else ""))
    written = value(w.writer_value)
    if w.writer_field:
        written = f"no {w.field}; these bytes are its {w.writer_field} = {written}"
    read = value(w.reader_value)
    if w.required is not None:
        read = f"{read}, but this version requires {value(w.required)}"
    lines = [
        f"an image written under {w.written_under}, read under {w.read_under} ({w.layout} on {w.arch}){who}:",
        f"{w.field} at offset {w.offset}, {w.size} byte{'s' if w.size != 1 else ''}: {w.bytes_at.hex(' ')}{moved}",
        f"{w.written_under} wrote {written}; {w.read_under} reads {read}",
    ]
    if w.elements_differing > 1:
        lines.append(f"{w.elements_differing} elements differ; the first {len(w.differing)}, written -> read:")
        lines += [f"  {path}: {value(a)} -> {value(b)}" for path, a, b in w.differing]
    if w.note:
        lines.append(w.note)
    return lines
