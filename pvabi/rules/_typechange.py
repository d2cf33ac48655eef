"""Shared check behind the rules about a field's type (width, signedness, endianness, kind)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from ..compare import Match, RecordPair, describe, parties, space_kind, type_changes
from ..engine import ScalarType
from ..findings import BREAKING, Finding
from ..flows import BOTH, NEW_TO_OLD, OLD_TO_NEW, judge
from .base import Rule


class TypeChangeRule(Rule):
    kinds: ClassVar[tuple[str, ...]]  # which results of compare.type_change this rule reports

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        for mt in pair.matches:
            if mt.new.field.reserved is not None:
                continue
            mine = [c for c in type_changes(mt.old.rtype, mt.new.rtype) if c in self.kinds]
            if mine:
                yield self._finding(pair, mt, mine[0])

    def breaks(self, pair: RecordPair, mt: Match) -> set[str]:
        """Both flows, except a little-endian unsigned widening into reserved-zero bytes.

        Old writers leave those bytes zero, so a new reader gets the same number;
        only a new writer's large value, truncated by an old reader, breaks.
        """
        o, n = mt.old.rtype, mt.new.rtype
        if (isinstance(o, ScalarType) and isinstance(n, ScalarType) and n.size > o.size
                and mt.old.offset == mt.new.offset and o.endian == n.endian == "little"
                and not o.scalar.signed and not n.scalar.signed
                and space_kind(pair.old_spans(mt.old.end, mt.new.end)) == "zero"):
            return {NEW_TO_OLD}
        return set(BOTH)

    def _finding(self, pair: RecordPair, mt: Match, change: str) -> Finding:
        breaks = self.breaks(pair, mt)
        writers, readers = parties(mt.old, mt.new)
        sev = judge(breaks, writers, readers)
        witness = None
        if any(s == BREAKING for _, s in sev):
            for flow in (OLD_TO_NEW, NEW_TO_OLD):
                if flow in breaks:
                    witness = pair.witness(flow, mt.old.name, mt.new.name)
                    if witness is not None:
                        break
        old_t, new_t = describe(mt.old.rtype), describe(mt.new.rtype)
        return self.finding(pair, mt.new.name, f"{change} changed: {old_t} -> {new_t}", sev,
                            witness, old=old_t, new=new_t, old_range=(mt.old.offset, mt.old.end),
                            new_range=(mt.new.offset, mt.new.end))
