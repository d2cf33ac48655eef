"""Shared check behind the rules about a field that is new in the new layout."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from ..compare import RecordPair, added_space, describe, gated, left_absent, parties
from ..engine import Member
from ..findings import Finding
from ..flows import BOTH, OLD_TO_NEW, judge
from .base import Rule

SPACE_TEXT = {
    "zero": "reserved-zero bytes",
    "undeclared": "bytes the old layout left undeclared (padding or reserved-any)",
    "past_end": "bytes past the old end of the layout",
    "field": "bytes an old field held",
}


class AddedFieldRule(Rule):
    space: ClassVar[str]  # which result of compare.added_space this rule reports

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        for m in pair.added():
            if m.size > 0 and added_space(pair, m) == self.space:
                yield self._finding(pair, m)

    def breaks(self, pair: RecordPair, m: Member) -> set[str]:
        if self.space == "zero":
            return set()
        if self.space == "field":
            return set(BOTH)
        if self.space == "past_end" and pair.old is not None and pair.old.definition.size_field:
            return set()  # the reader takes the record's extent from its size field: a shorter one lacks it
        return set() if gated(pair, m) or left_absent(pair, m) else {OLD_TO_NEW}

    def _finding(self, pair: RecordPair, m: Member) -> Finding:
        writers, readers = parties(m)
        sev = judge(self.breaks(pair, m), writers, readers)
        witness = pair.witness_for(sev, self.breaks(pair, m), writers, readers, None, m.name)
        gate = f"; gated by feature {m.field.feature}" if m.field.feature else ""
        if self.space == "past_end" and pair.old is not None and pair.old.definition.size_field:
            gate += f"; readers take the extent from {pair.old.definition.size_field}"
        elif self.space in ("undeclared", "past_end") and left_absent(pair, m):
            gate += "; old peers leave it zero (the memory starts zeroed), which means absent"
        return self.finding(pair, m.name, f"{m.name} ({describe(m.rtype)}) added in {SPACE_TEXT[self.space]}, "
                            f"written by {m.field.writer}, read by {m.field.reader}{gate}", sev, witness,
                            old="absent", new=describe(m.rtype), new_range=(m.offset, m.end))
