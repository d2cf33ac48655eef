"""LAYOUT_OUTGROWS_BOUND: a layout no longer fits the page or ROM area the old version bounded it to."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair, is_live, parties
from ..engine import Layout
from ..findings import Category, Finding
from ..flows import BOTH, OLD_TO_NEW, judge
from .base import Rule


class LayoutOutgrowsBound(Rule):
    id = "LAYOUT_OUTGROWS_BOUND"
    title = "Layout outgrows its page or ROM"
    category = Category.WIRE
    doc = ("The old version bounded the layout with max_size (the page it is the only content of, or the "
           "ROM area it is mapped in), and the new layout is larger than that bound. Old peers map or "
           "allocate only the old bound: a new reader of an old peer's memory reads past the end of the "
           "page, and a new writer overruns it.")
    fix = "Move the growth to a second page or ROM area negotiated by a feature, or make it a major version."
    backward = "breaking"
    forward = "breaking"
    witness_doc = ("An old image of the bound's size followed by other memory, decoded under the new layout; "
                   "no witness when only reserved bytes lie past the bound (the damage is an overrun "
                   "buffer, not a misread field), and the finding says so.")

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        old, new = pair.old, pair.new
        if old is None or new is None or old.definition.max_size is None:
            return
        bound = old.definition.max_size.get_int(pair.arch)
        if bound is None or new.size <= bound:
            return
        writers, readers = parties(*old.members, *new.members)
        sev = judge(BOTH, writers, readers)
        past = [m for m in new.members if is_live(m) and m.end > bound and m.size > 0]
        witness = pair.witness_for(sev, {OLD_TO_NEW}, *parties(past[0]), _in_old(old, past[0].name),
                                   past[0].name) if past else None
        yield self.finding(pair, "", f"{new.size} bytes, past the old max_size of {bound}", sev, witness,
                           old=f"max {bound} bytes", new=f"{new.size} bytes", new_range=(bound, new.size),
                           witness_note="" if witness else "only reserved bytes lie past the bound")


def _in_old(old: Layout, name: str) -> str | None:
    """The member's path in the old layout, so the witness compares like with like."""
    return name if old.member(name) is not None else None
