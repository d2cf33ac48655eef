"""RESERVED_REMOVED: reserved-zero bytes lost their zero guarantee without becoming a field."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair
from ..findings import COMPATIBLE, Category, Finding, severities
from .base import Rule


class ReservedRemoved(Rule):
    id = "RESERVED_REMOVED"
    title = "Reserved-zero space shrunk or dropped"
    category = Category.LAYOUT
    doc = ("Bytes the old layout reserved as must-be-zero are, in the new layout, padding, reserved with "
           "any content, or gone (the layout shrank). No field is misread: readers ignored them before "
           "and nobody reads them now, so the shrink is compatible. It is reported because the zero "
           "promise was what let a later version carve a compatible field out of those bytes; once "
           "dropped, a future field there needs a feature gate. Bytes that became a field are judged "
           "by the FIELD_ADDED_* rules instead.")
    fix = "Keep the reserved-zero declaration unless the space is really given up."
    backward = "compatible"
    forward = "compatible"
    witness_doc = "Never breaking, so no witness."

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        if pair.old is None or pair.new is None:
            return
        for m in pair.old.members:
            if m.field.reserved != "zero" or m.size == 0:
                continue
            now = pair.new_spans(m.offset, m.end)
            lost = [s for s in now if s.kind in ("hole", "any", "past_end")]
            if not lost:
                continue
            where = ", ".join(f"{s.start}..{s.end - 1} now {s.kind.replace('_', ' ')}" for s in lost)
            yield self.finding(pair, m.name, f"reserved-zero {m.name} ({m.offset}..{m.end - 1}): {where}",
                               severities(COMPATIBLE, COMPATIBLE), old="reserved zero", new="not zero-reserved",
                               old_range=(m.offset, m.end))
