"""RECORD_ALIGNMENT_CHANGED: a layout's alignment changed."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair, parties
from ..findings import BREAKING, COMPATIBLE, Category, Finding, severities
from ..flows import BOTH, judge
from ._embedding import embedding_damage
from .base import Rule


class RecordAlignmentChanged(Rule):
    id = "RECORD_ALIGNMENT_CHANGED"
    title = "Layout alignment changed"
    category = Category.LAYOUT
    doc = ("_Alignof a layout changed (a wider member, packed, or aligned(N)). Inside the ABI the effect "
           "shows where it is embedded, and those moved bytes come with a witness here. Consumers also "
           "embed shared layouts in their own structures and allocate them; a different alignment moves "
           "their fields or breaks their allocation. That damage is outside any image pvabi can build, so "
           "when no embedding in the ABI moves, this finding has no witness by design. A layout that says it "
           "is not embedded by consumers (placement page or fixed, in both versions) is compatible when no "
           "embedding in the ABI moves: its address is a page or fixed by the ABI, not computed from its "
           "alignment.")
    fix = ("Keep the alignment (an explicit aligned(N) on the layout pins it), or declare placement: page or "
           "fixed when consumers never embed or allocate the layout.")
    backward = "breaking (for consumers that embed or allocate the layout)"
    forward = "breaking (for consumers that embed or allocate the layout)"
    witness_doc = ("An image of an embedding layout whose members moved, when one exists in the ABI; "
                   "otherwise none (the damage is in consumers' own structures).")

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        old, new = pair.old, pair.new
        if old is None or new is None or old.align == new.align:
            return
        problems, witness, writers, readers = embedding_damage(pair)
        placed = {old.definition.placement, new.definition.placement} <= {"page", "fixed"}
        if placed and not problems:
            yield self.finding(pair, "", f"alignment {old.align} -> {new.align}: no embedding in the ABI moves, "
                               f"and it lives at a {new.definition.placement} address consumers do not compute",
                               severities(COMPATIBLE, COMPATIBLE), old=f"align {old.align}",
                               new=f"align {new.align}")
            return
        if not writers:
            writers, readers = parties(*old.members, *new.members)
        sev = judge(BOTH, writers or ("both",), readers or ("both",))
        why = "; ".join(problems) if problems else "no embedding in the ABI moves"
        if not any(s == BREAKING for _, s in sev):
            witness = None
        yield self.finding(pair, "", f"alignment {old.align} -> {new.align}: {why}", sev, witness,
                           old=f"align {old.align}", new=f"align {new.align}",
                           witness_note="" if witness or not any(s == BREAKING for _, s in sev)
                           else "alignment affects consumers' own structures")
