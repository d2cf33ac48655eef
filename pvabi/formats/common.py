"""Wording shared by the diff output formats."""

from __future__ import annotations

from typing import Any

from ..arch import ARCH_NAMES
from ..diff import PairReport
from ..findings import DIRECTION_TEXT, Finding, Witness

MODE_TEXT = {
    "backward": "backward (old guests on the new host)",
    "forward": "forward (new guests on an old host)",
    "full": "full (both directions)",
}


def where(f: Finding) -> str:
    path = f"{f.layout}.{f.path}" if f.path else f.layout
    return f"{path} on {arches(f.arches)}"


def arches(names: tuple[str, ...]) -> str:
    return "every architecture" if set(names) >= set(ARCH_NAMES) else ", ".join(names)


def byte_range(r: tuple[int, int] | None) -> str:
    if r is None:
        return "-"
    return f"{r[0]}..{r[1] - 1}" if r[1] > r[0] else f"{r[0]} (empty)"


def ranges(f: Finding) -> str:
    if f.old_range and f.new_range and f.old_range != f.new_range:
        return f"bytes {byte_range(f.old_range)} -> {byte_range(f.new_range)}"
    r = f.new_range or f.old_range
    return f"bytes {byte_range(r)}" if r else ""


def direction_line(f: Finding, direction: str) -> str:
    return f"{f.severity_in(direction)} ({DIRECTION_TEXT[direction]})"


def value(v: Any) -> str:
    if v is None:
        return "(absent)"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v} ({v:#x})" if v > 9 or v < 0 else str(v)
    if isinstance(v, (bytes, bytearray)):
        return f"bytes {bytes(v).hex(' ')}"
    return str(v)


def witness_lines(w: Witness) -> list[str]:
    moved = f" (the writer put its value at offset {w.writer_offset})" if w.writer_offset is not None else ""
    lines = [
        f"an image written under {w.written_under}, read under {w.read_under} ({w.layout} on {w.arch}):",
        f"{w.field} at offset {w.offset}, {w.size} byte{'s' if w.size != 1 else ''}: {w.bytes_at.hex(' ')}{moved}",
        f"{w.written_under} wrote {value(w.writer_value)}; {w.read_under} reads {value(w.reader_value)}",
    ]
    if w.note:
        lines.append(w.note)
    return lines


def summary(r: PairReport) -> str:
    c = r.counts()
    declared = r.declared_bump
    bump = f"requires a {r.required_bump} version bump" if r.required_bump != "none" else "requires no version bump"
    if declared is None:
        verdict = "no bump declared (not an upgrade between frozen versions)"
    elif r.declared is not None:
        verdict = (f"{declared} bump already declared by the newest frozen version ({r.old} -> {r.new}): "
                   f"{'ok' if r.bump_ok else 'NOT ENOUGH'}")
    else:
        verdict = f"declared {declared} ({r.old} -> {r.new}): {'ok' if r.bump_ok else 'NOT ENOUGH'}"
    state = "FAILED" if r.failed else "passed"
    return (f"{r.old} -> {r.new}: {c['breaking']} breaking, {c['source-only']} source-only, "
            f"{c['compatible']} compatible; {len(r.violations)} violating the gate; {bump}; {verdict}; {state}")
