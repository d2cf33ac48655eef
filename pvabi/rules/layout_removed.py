"""LAYOUT_REMOVED: a layout (or a layout on one architecture) disappeared."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair
from ..findings import BREAKING, Finding, severities
from .base import Rule


class LayoutRemoved(Rule):
    id = "LAYOUT_REMOVED"
    title = "Layout removed"
    category = "WIRE"
    doc = ("A layout the old version defined (on this architecture) is gone from the new one. Old peers "
           "still write and read it; the new side no longer defines what those bytes mean.")
    fix = "Keep the layout (mark it deprecated in its doc) until a major version drops it."
    backward = "breaking"
    forward = "breaking"
    witness_doc = ("No image witness: with no new layout there is nothing to decode an old image under; "
                   "the finding itself names the layout old peers still use.")

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        if pair.old is not None and pair.new is None:
            yield self.finding(pair, "", f"layout {pair.name} removed (was {pair.old.size} bytes)",
                               severities(BREAKING, BREAKING), old=f"{pair.old.size} bytes",
                               old_range=(0, pair.old.size),
                               witness_note="no new layout to decode under")
