"""Wording shared by the diff output formats."""

from __future__ import annotations

from typing import Any

from ..arch import ARCH_NAMES
from ..diff import DiffResult, PairReport
from ..findings import BREAKING, DIRECTION_TEXT, Finding, Witness
from ..values import EnumValue, FlagsValue

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


def label(r: PairReport, f: Finding) -> str:
    """The finding's verdict in words that agree with the summary line."""
    worst = f.worst(r.policy.directions)
    text = worst.upper()
    if r.is_violation(f):
        allowed = _allowed_by(r)
        return f"{text} (allowed by {allowed})" if allowed else f"{text} (fails the gate)"
    if worst == BREAKING:
        return f"{text} (not enforced by the {r.policy.category} gate)"
    return text


def _allowed_by(r: PairReport) -> str | None:
    if r.failed:
        return None
    if r.declared is not None:
        return "the major bump the newest frozen version already declared"
    return f"the major bump {r.old} -> {r.new}"


def also_text(f: Finding, others: list[PairReport]) -> str:
    """``v1.0, v1.1 (fails the gate there)``: the other old versions a finding holds against."""
    parts = []
    for r in others:
        fails = r.failed and any(identity(v) == identity(f) for v in r.violations)
        parts.append(f"{r.old}{' (fails the gate there)' if fails else ''}")
    return ", ".join(parts)


def summary(r: PairReport) -> str:
    """``OLD -> NEW: STATE: counts; what the bump policy made of them`` in words that agree with each other."""
    c = r.counts()
    counts = f"{c['breaking']} breaking, {c['source-only']} source-only, {c['compatible']} compatible"
    n = len(r.violations)
    if not r.findings:
        verdict = "no changes"
    elif r.failed:
        declared = r.declared_bump
        why = (f"{r.new} declares no version bump" if declared is None
               else f"{r.old} -> {r.new} is a {declared} bump, not major")
        verdict = f"{n} fail{'s' if n == 1 else ''} the gate: a major version bump is needed, and {why}"
    elif n:
        verdict = f"{n} breaking, allowed by {_allowed_by(r)}"
    elif r.required_bump == "none":
        verdict = "no version bump needed"
    else:
        verdict = "a minor version bump is needed" + (
            "" if r.bump_ok else f", but {r.old} -> {r.new} declares {r.declared_bump or 'none'}")
    return f"{r.old} -> {r.new}: {'FAILED' if r.failed else 'passed'}: {counts}; {verdict}"


def identity(f: Finding) -> tuple[object, ...]:
    """A finding as a change, whichever earlier version it was found against."""
    return (f.rule, f.layout, f.path, f.arches, f.message, f.severity, f.old, f.new, f.old_range, f.new_range)


def ordered(result: DiffResult) -> list[PairReport]:
    """The pair the user asked for first, then the earlier versions a transitive run added, oldest first."""
    reports = list(result.reports)
    asked = [r for r in reports if result.asked == (r.old, r.new)]
    return asked + [r for r in reports if r not in asked]


Shown = list[tuple[Finding, list[PairReport]]]


def deduplicated(result: DiffResult) -> list[tuple[PairReport, Shown]]:
    """Each distinct finding once, in the first report (in ``ordered``) that has it, with the other
    comparisons it also holds in."""
    also: dict[tuple[object, ...], list[PairReport]] = {}
    for r in ordered(result):
        for f in r.findings:
            also.setdefault(identity(f), []).append(r)
    seen: set[tuple[object, ...]] = set()
    out = []
    for i, r in enumerate(ordered(result)):
        shown = []
        # The comparisons a transitive run adds show only what fails there: what they allow is history
        # the earlier releases already accepted, and `pvabi diff OLD NEW` shows it whole.
        failing = {identity(f) for f in r.violations} if r.failed else set()
        for f in r.findings:
            key = identity(f)
            if key in seen or (i > 0 and result.asked is not None and key not in failing):
                continue
            seen.add(key)
            shown.append((f, also[key][1:]))
        out.append((r, shown))
    return out
