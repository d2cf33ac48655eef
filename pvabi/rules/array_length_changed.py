"""ARRAY_LENGTH_CHANGED: an array field gained or lost elements."""

from __future__ import annotations

from collections.abc import Iterable

from ..bytesig import type_changes
from ..compare import Match, RecordPair, describe, gated, parties, space_kind
from ..engine import ArrayType
from ..findings import Category, Finding
from ..flows import BOTH, NEW_TO_OLD, OLD_TO_NEW, judge
from .base import Rule


class ArrayLengthChanged(Rule):
    id = "ARRAY_LENGTH_CHANGED"
    title = "Array length changed"
    category = Category.WIRE
    doc = ("An array field present in both layouts has different dimensions. Growing the outer dimension "
           "in place is judged like a new field in the bytes it takes: into reserved-zero space it is "
           "compatible, into padding, reserved-any space or past the old end it breaks new readers of "
           "old images (unless a feature old peers never negotiate gates the new elements), over a live "
           "field it breaks both ways. Shrinking leaves old readers decoding elements nobody writes. "
           "Changing an inner dimension re-indexes every element and breaks both ways.")
    fix = ("Size arrays for the future up front, grow them only into reserved-zero space, and never "
           "shrink or reshape them in a minor version.")
    backward = "depends on the space grown into and on who reads the field (see above)"
    forward = "depends on the space grown into and on who reads the field (see above)"
    witness_doc = "An image whose array decodes to a different element list under the other length."

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        for mt in pair.matches:
            if mt.new.field.reserved is None and "length" in type_changes(mt.old.rtype, mt.new.rtype):
                yield self._finding(pair, mt)

    def _breaks(self, pair: RecordPair, mt: Match) -> tuple[set[str], str]:
        o, n = mt.old.rtype, mt.new.rtype
        assert isinstance(o, ArrayType) and isinstance(n, ArrayType)
        if o.dims[1:] != n.dims[1:] or mt.old.offset != mt.new.offset or o.elem.size != n.elem.size:
            return set(BOTH), "elements re-indexed or moved"
        if n.count < o.count:
            return {NEW_TO_OLD}, "old readers decode elements new writers no longer write"
        space = space_kind(pair.old_spans(mt.old.end, mt.new.end))
        if space == "field":
            return set(BOTH), "new elements overlap an old field"
        if space == "zero":
            return set(), "new elements take reserved-zero bytes"
        if gated(pair, mt.new):
            return set(), f"new elements gated by feature {mt.new.field.feature}"
        where = "past the old end" if space == "past_end" else "padding or reserved-any bytes"
        return {OLD_TO_NEW}, f"new elements take {where} old writers may leave non-zero"

    def _finding(self, pair: RecordPair, mt: Match) -> Finding:
        breaks, why = self._breaks(pair, mt)
        writers, readers = parties(mt.old, mt.new)
        sev = judge(breaks, writers, readers)
        witness = pair.match_witness(mt, sev, breaks)
        old_t, new_t = describe(mt.old.rtype), describe(mt.new.rtype)
        return self.finding(pair, mt.new.name, f"length changed: {old_t} -> {new_t} ({why})",
                            sev, witness, old=old_t, new=new_t, old_range=(mt.old.offset, mt.old.end),
                            new_range=(mt.new.offset, mt.new.end))
