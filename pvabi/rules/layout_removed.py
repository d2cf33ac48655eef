"""LAYOUT_REMOVED: a layout (or a layout on one architecture) disappeared."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair
from ..findings import BREAKING, SOURCE_ONLY, Category, Finding, severities
from .base import Rule


class LayoutRemoved(Rule):
    id = "LAYOUT_REMOVED"
    title = "Layout removed"
    category = Category.WIRE
    doc = ("A layout the old version defined (on this architecture) is gone from the new one. Old peers "
           "still write and read it; the new side no longer defines what those bytes mean. One case is only "
           "a source break: a layout that lives embedded (placement embedded, the default) and whose every "
           "embedding in the old ABI lives on in the new one, matched or regrouped member by member (a nested "
           "struct replaced by its fields inline): its bytes are still described where they are exchanged.")
    fix = "Keep the layout (mark it deprecated in its doc) until a major version drops it."
    backward = "breaking"
    forward = "breaking"
    witness_doc = ("No image witness: with no new layout there is nothing to decode an old image under; "
                   "the finding itself names the layout old peers still use.")

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        if pair.old is not None and pair.new is None:
            if _lives_on(pair):
                yield self.finding(pair, "", f"layout {pair.name} removed (was {pair.old.size} bytes); every "
                                   "embedding keeps its bytes", severities(SOURCE_ONLY, SOURCE_ONLY),
                                   old=f"{pair.old.size} bytes", old_range=(0, pair.old.size))
                return
            yield self.finding(pair, "", f"layout {pair.name} removed (was {pair.old.size} bytes)",
                               severities(BREAKING, BREAKING), old=f"{pair.old.size} bytes",
                               old_range=(0, pair.old.size),
                               witness_note="no new layout to decode under")


def _lives_on(pair: RecordPair) -> bool:
    """Is the removed layout only ever embedded, and is every embedding's member still there in the new ABI?"""
    assert pair.old is not None
    if pair.old.definition.placement != "embedded":
        return False
    uses = pair.cmp.embeddings("old", pair.old_name, pair.arch)
    if not uses:
        return False
    for e in uses:
        new_name = next((n for n, o in pair.cmp.renamed.items() if o == e.container), e.container)
        old_c = pair.cmp.layout("old", e.container, pair.arch)
        new_c = pair.cmp.layout("new", new_name, pair.arch)
        if old_c is None or new_c is None:
            return False
        container = RecordPair(pair.cmp, new_name, pair.arch, old_c, new_c, old_name=e.container)
        kept = {mt.old.name for mt in container.matches} | {m.name for g in container.regroups for m in g.old}
        if e.member not in kept:
            return False
    return True
