"""Shared check behind the rules about a field's type (width, signedness, endianness, kind)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from ..bytesig import byte_signature, type_changes
from ..compare import Match, RecordPair, describe, parties, space_kind
from ..engine import ArrayType, RecordType, RType, ScalarType, int_range
from ..findings import BREAKING, COMPATIBLE, SOURCE_ONLY, Finding
from ..flows import BOTH, NEW_TO_OLD, OLD_TO_NEW, judge
from .base import Rule


def record_names(mt: Match) -> tuple[str, str]:
    """The struct names of a matched member's old and new type (empty when not a struct or struct array)."""
    def name(t: RType) -> str:
        leaf = t.leaf if isinstance(t, ArrayType) else t
        return leaf.layout.name if isinstance(leaf, RecordType) else ""
    return name(mt.old.rtype), name(mt.new.rtype)


def _bits_fit(mt: Match, size: int) -> bool:
    """A flags field whose every declared bit (in both versions) fits the narrower width.

    Legal writers store only declared bits, so the bytes beyond the narrower width are always zero and
    a little-endian reader of either width gets the same value.
    """
    fl = [m.flags for m in (mt.old, mt.new)]
    return all(f is not None for f in fl) and all(bit < size * 8 for f in fl if f is not None for _, bit in f.bits)


def _alias_kept(pair: RecordPair, mt: Match) -> bool:
    old, new = record_names(mt)
    return pair.cmp.same_layout(old, new) and old in pair.cmp.new.types


class TypeChangeRule(Rule):
    kinds: ClassVar[tuple[str, ...]]  # which results of compare.type_change this rule reports

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        for mt in pair.matches:
            if mt.new.field.reserved is not None or mt.old.size == mt.new.size == 0:
                continue  # reserved bytes are space; an empty member has no bytes to misread
            mine = [c for c in type_changes(mt.old.rtype, mt.new.rtype) if c in self.kinds]
            if mine == ["record"] and _alias_kept(pair, mt):
                continue  # the member's type name still resolves, to the same layout: nothing changed
            if mine:
                yield self._finding(pair, mt, mine[0])

    def breaks(self, pair: RecordPair, mt: Match) -> set[str]:
        """Both flows, except where one side provably keeps every value.

        - A little-endian unsigned field widened into reserved-zero bytes: old
          writers leave them zero, so new readers get the same number; only an old
          reader truncating a new writer's large value breaks.
        - Narrowed, with the freed bytes now reserved-zero: new writers leave them
          zero, so old readers get the same number; only a new reader truncating
          an old writer's large value breaks.
        - A signedness change of an enum whose every value fits both signs, or of
          a flags word (bits are bits): no legal value decodes differently.
        """
        o, n = mt.old.rtype, mt.new.rtype
        if (isinstance(o, ScalarType) and isinstance(n, ScalarType) and mt.old.offset == mt.new.offset
                and o.endian == n.endian == "little" and not o.scalar.signed and not n.scalar.signed):
            if n.size > o.size and space_kind(pair.old_spans(mt.old.end, mt.new.end)) == "zero":
                return set() if _bits_fit(mt, o.size) else {NEW_TO_OLD}
            if n.size < o.size and space_kind(pair.new_spans(mt.new.end, mt.old.end)) == "zero":
                return set() if _bits_fit(mt, n.size) else {OLD_TO_NEW}
        if type_changes(o, n) == ("signedness",) and self._values_fit(mt):
            return set()
        return set(BOTH)

    @staticmethod
    def _values_fit(mt: Match) -> bool:
        if mt.old.flags is not None and mt.new.flags is not None:
            return True
        o, n = mt.old.rtype, mt.new.rtype
        if mt.old.enum is None or mt.new.enum is None or not isinstance(o, ScalarType) or not isinstance(n, ScalarType):
            return False
        (lo1, hi1), (lo2, hi2) = int_range(o.scalar), int_range(n.scalar)
        return all(max(lo1, lo2) <= v <= min(hi1, hi2) for e in (mt.old.enum, mt.new.enum) for _, v in e.values)

    def _finding(self, pair: RecordPair, mt: Match, change: str) -> Finding:
        breaks = self.breaks(pair, mt)
        writers, readers = parties(mt.old, mt.new)
        otherwise = COMPATIBLE
        if change == "record" and (byte_signature(mt.old.rtype) == byte_signature(mt.new.rtype)
                                   or pair.cmp.same_layout(*record_names(mt))):
            # A struct renamed: byte for byte the same, or one layout under two names whose own pair
            # reports whatever changed inside it.
            breaks, otherwise = set(), SOURCE_ONLY
        sev = judge(breaks, writers, readers, otherwise)
        witness = pair.match_witness(mt, sev, breaks)
        note = ""
        if witness is None and any(s == BREAKING for _, s in sev):
            note = ("the witness search found no legal image that decodes differently; the verdict stays "
                    "breaking because pvabi cannot prove that every value a writer may store survives")
        old_t, new_t = describe(mt.old.rtype), describe(mt.new.rtype)
        return self.finding(pair, mt.new.name, f"{change} changed: {old_t} -> {new_t}", sev,
                            witness, old=old_t, new=new_t, old_range=(mt.old.offset, mt.old.end),
                            new_range=(mt.new.offset, mt.new.end), witness_note=note)
