"""FIELD_CONTRACT_CHANGED: same bytes, but a different writer, reader or feature gate."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair, parties
from ..findings import Finding
from ..flows import BOTH, judge
from .base import Rule


class FieldContractChanged(Rule):
    id = "FIELD_CONTRACT_CHANGED"
    title = "Field writer, reader or feature changed"
    category = "WIRE"
    doc = ("A field keeps its name, offset and type, but who writes it, who reads it, or the feature that "
           "gates its use changed. The bytes decode the same, yet the protocol around them moved: an old "
           "host that still writes a field the new guest now owns overwrites it; a peer that starts "
           "reading a field the other side never filled reads nothing meaningful; a new feature gate "
           "means new peers stop using the field with old peers that never negotiate it. It breaks "
           "wherever the field crosses between the parties in that direction.")
    fix = "Keep the contract; a new owner or a new gate needs a new field, negotiated by a feature."
    backward = "breaking when the field crosses between host and guest"
    forward = "breaking when the field crosses between host and guest"
    witness_doc = ("No image witness: every image decodes to the same value under both versions; the break "
                   "is in who fills the bytes and when, which the finding names.")

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        for mt in pair.matches:
            o, n = mt.old.field, mt.new.field
            if n.reserved is not None or mt.new.size == 0:
                continue
            changes = [f"{what} {a or 'none'} -> {b or 'none'}" for what, a, b in
                       (("writer", o.writer, n.writer), ("reader", o.reader, n.reader),
                        ("feature", o.feature, n.feature)) if a != b]
            if not changes:
                continue
            writers, readers = parties(mt.old, mt.new)
            sev = judge(BOTH, writers, readers)
            yield self.finding(pair, mt.new.name, "; ".join(changes), sev,
                               old=f"writer {o.writer}, reader {o.reader}, feature {o.feature or 'none'}",
                               new=f"writer {n.writer}, reader {n.reader}, feature {n.feature or 'none'}",
                               old_range=(mt.old.offset, mt.old.end), new_range=(mt.new.offset, mt.new.end),
                               witness_note="the bytes decode the same; the protocol around them changed")
