"""LAYOUT_ADDED: a layout (or a layout on one more architecture) appeared."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair
from ..findings import COMPATIBLE, Category, Finding, severities
from .base import Rule


class LayoutAdded(Rule):
    id = "LAYOUT_ADDED"
    title = "Layout added"
    category = Category.LAYOUT
    doc = ("A layout exists in the new version (on this architecture) that the old one did not have. "
           "No old peer knows it, so nothing that worked before can break; new peers must not assume "
           "an old peer provides it.")
    fix = "Nothing to fix; negotiate its use (a feature flag) before relying on it with old peers."
    backward = "compatible"
    forward = "compatible"
    witness_doc = "Never breaking, so no witness."

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        if pair.old is None and pair.new is not None:
            yield self.finding(pair, "", f"layout {pair.name} added ({pair.new.size} bytes)",
                               severities(COMPATIBLE, COMPATIBLE), new=f"{pair.new.size} bytes",
                               new_range=(0, pair.new.size))
