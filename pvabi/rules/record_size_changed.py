"""RECORD_SIZE_CHANGED: a layout's size changed; judged where it lives."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair, is_live, parties, room
from ..engine import Layout
from ..findings import BREAKING, COMPATIBLE, Category, Finding, severities
from ..flows import BOTH, OLD_TO_NEW, judge
from ._embedding import embedding_damage
from .base import Rule


class RecordSizeChanged(Rule):
    id = "RECORD_SIZE_CHANGED"
    title = "Layout size changed"
    category = Category.LAYOUT
    doc = ("sizeof a layout changed. That alone breaks nothing; what matters is where the layout lives. "
           "Embedded in an array, every element after the first moves (the stride changed); embedded "
           "before live fields, those fields move. Embedded last, or before reserved space that absorbs "
           "the growth (the shared-info page's unused tail), it is compatible. A layout nothing embeds "
           "is compatible when it shrinks or when its old max_size (the page or ROM it lives in), or the "
           "page of a layout with placement page, leaves room for the growth, or when it carries its own "
           "size (size_field) so readers step over it by that; otherwise a peer that sized "
           "its buffer by the old sizeof is overrun. "
           "(A shrink is judged compatible on the assumption that the memory is the shared page or a "
           "buffer the reader provides; a peer that copies the old sizeof into a buffer the other side "
           "sized by the new one is not modelled.)")
    fix = ("Grow only into reserved space or room declared by max_size (or placement: page); never resize a "
           "layout used as an array element in a minor version.")
    backward = "breaking where the change moves bytes of an embedding layout or overruns a peer's buffer"
    forward = "breaking where the change moves bytes of an embedding layout or overruns a peer's buffer"
    witness_doc = ("An image of the embedding layout whose moved element or follower decodes differently, "
                   "or the standalone layout's first field past the old end. Growth of a standalone layout "
                   "made only of padding or reserved bytes has no image witness (the damage is an overrun "
                   "buffer, not a misread field) and the finding says so.")

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        old, new = pair.old, pair.new
        if old is None or new is None or old.size == new.size:
            return
        change = f"{old.size} -> {new.size} bytes"
        embedded = pair.cmp.embeddings("old", pair.old_name, pair.arch)
        note = ""
        witness = None
        if embedded:
            problems, witness, writers, readers = embedding_damage(pair)
            if problems:
                why = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
                sev = judge(BOTH, writers, readers)
            else:
                why = "absorbed where embedded (" + ", ".join(f"{e.container}.{e.member}" for e in embedded) + ")"
                sev = severities(COMPATIBLE, COMPATIBLE)
        else:
            bound = old.definition.max_size.get_int(pair.arch) if old.definition.max_size else room(old)
            if new.size < old.size:
                why, sev = "shrank; nothing embeds it", severities(COMPATIBLE, COMPATIBLE)
            elif old.definition.size_field:
                why = f"grew; nothing embeds it, and readers take its extent from {old.definition.size_field}"
                sev = severities(COMPATIBLE, COMPATIBLE)
            elif bound is not None and new.size <= bound:
                what = "max_size" if old.definition.max_size else "page (placement: page)"
                why, sev = f"grew within its old {what} of {bound}", severities(COMPATIBLE, COMPATIBLE)
            else:
                why = ("grew; nothing embeds it and no old max_size leaves room, "
                       "so peers sized by the old sizeof are overrun")
                writers, readers = parties(*old.members, *new.members)
                sev = judge(BOTH, writers, readers)
                past = [m for m in new.members if is_live(m) and m.end > old.size and m.size > 0]
                if past:
                    witness = pair.witness_for(sev, {OLD_TO_NEW}, *parties(past[0]), _in_old(old, past[0].name),
                                               past[0].name)
                else:
                    note = "only padding or reserved bytes grew: an overrun buffer, not a misread field"
        if not any(s == BREAKING for _, s in sev):
            witness, note = None, ""  # nothing breaks, so there is nothing to prove
        elif witness is None and not note:
            note = "no embedding member decodes differently"
        yield self.finding(pair, "", f"size {change}: {why}", sev, witness, old=f"{old.size} bytes",
                           new=f"{new.size} bytes", old_range=(0, old.size), new_range=(0, new.size),
                           witness_note=note)


def _in_old(old: Layout, name: str) -> str | None:
    """The member's path in the old layout, so the witness compares like with like."""
    return name if old.member(name) is not None else None
