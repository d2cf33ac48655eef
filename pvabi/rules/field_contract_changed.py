"""FIELD_CONTRACT_CHANGED: same bytes, but a different writer, reader or feature gate."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair
from ..findings import BREAKING, COMPATIBLE, DIRECTIONS, Category, Direction, Finding, severities
from ..model import FieldDef
from .base import Rule


class FieldContractChanged(Rule):
    id = "FIELD_CONTRACT_CHANGED"
    title = "Field writer, reader or feature changed"
    category = Category.WIRE
    doc = ("A field keeps its name, offset and type, but who writes it, who reads it, or the feature that "
           "gates its use changed. The bytes decode the same, yet the protocol around them moved. Each "
           "party follows the contract of the version it runs; a direction breaks when some reader expects "
           "other writers than it gets: an old host that still writes a field the new guest now owns, a "
           "new reader of a field the old side never fills, or a new feature gate behind which new peers "
           "stop filling the field for old peers that never negotiate it. A reader that stops reading "
           "(the deprecation step) breaks nothing.")
    fix = "Keep the contract; a new owner or a new gate needs a new field, negotiated by a feature."
    backward = "breaking when an old guest's reader expects other writers than the new host provides, or vice versa"
    forward = "breaking when a new guest's reader expects other writers than the old host provides, or vice versa"
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
            sev = severities(*(BREAKING if _breaks(o, n, d) else COMPATIBLE for d in DIRECTIONS))
            yield self.finding(pair, mt.new.name, "; ".join(changes), sev,
                               old=f"writer {o.writer}, reader {o.reader}, feature {o.feature or 'none'}",
                               new=f"writer {n.writer}, reader {n.reader}, feature {n.feature or 'none'}",
                               old_range=(mt.old.offset, mt.old.end), new_range=(mt.new.offset, mt.new.end),
                               witness_note="the bytes decode the same; the protocol around them changed")


def _parties(word: str) -> set[str]:
    return {"host", "guest"} if word == "both" else (set() if word == "none" else {word})


def _breaks(old: FieldDef, new: FieldDef, direction: str) -> bool:
    """Does some reader, following its own version's contract, expect other writers than it gets?

    Each party follows the contract of the version it runs. A field gated by a
    feature the other side's version does not gate the same way is never
    negotiated between them, so that party leaves it alone.
    """
    runs_new = {"host": direction == Direction.BACKWARD, "guest": direction == Direction.FORWARD}
    other = {"host": "guest", "guest": "host"}

    def contract(p: str) -> FieldDef:
        return new if runs_new[p] else old

    def active(p: str) -> bool:
        feature = contract(p).feature
        return feature is None or feature == contract(other[p]).feature

    writers = {p for p in runs_new if active(p) and p in _parties(contract(p).writer)}
    return any(active(q) and q in _parties(contract(q).reader)
               and _parties(contract(q).writer) - {q} != writers - {q} for q in runs_new)
