"""FIELD_REMOVED: a live field is gone, or was turned into reserved bytes."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair, describe, parties
from ..engine import Member
from ..findings import SOURCE_ONLY, Category, Finding
from ..flows import NEW_TO_OLD, judge
from .base import Rule


class FieldRemoved(Rule):
    id = "FIELD_REMOVED"
    title = "Field removed"
    category = Category.WIRE
    doc = ("A field the old layout defined has no counterpart in the new one (by name, or by offset and type "
           "as a rename), or its bytes were declared reserved. Old readers still decode those bytes, but "
           "new writers no longer put the value there, so the old reader sees zero or garbage. A field "
           "nobody read (reader: none), or read only on a side that runs the new layout, can go without "
           "breaking anything on the wire; C code naming it still stops compiling.")
    fix = ("Keep the field (deprecate it in its doc) and keep writing a meaningful value; remove it only in "
           "a major version, or leave it in place as reserved once no supported reader reads it.")
    backward = "breaking when the host writes it and an old guest reads it"
    forward = "breaking when the guest writes it and an old host reads it"
    witness_doc = ("An image the new layout writes (the removed bytes hold whatever the new layout puts "
                   "there) decoded under the old layout: the old reader gets a value no writer meant.")

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        gone: list[tuple[Member, Member | None]] = [(m, None) for m in pair.removed()]
        gone += [(mt.old, mt.new) for mt in pair.matches if mt.new.field.reserved is not None]
        for old, now in gone:
            if old.size == 0:
                continue
            writers, readers = parties(old)
            sev = judge({NEW_TO_OLD}, writers, readers, otherwise=SOURCE_ONLY)
            witness = pair.witness_for(sev, {NEW_TO_OLD}, writers, readers, old.name, None, zero_is_witness=True)
            fate = f"now reserved ({now.field.reserved}) as {now.name}" if now is not None else "removed"
            yield self.finding(
                pair, old.name, f"{old.name} ({describe(old.rtype)}) {fate}; "
                f"written by {old.field.writer}, read by {old.field.reader}", sev, witness,
                old=describe(old.rtype), new=f"reserved {now.name}" if now is not None else "absent",
                old_range=(old.offset, old.end))
