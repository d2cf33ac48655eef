"""FLAGS_RESERVED_BITS_CHANGED: the promise about a flags type's undefined bits changed."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import Comparison
from ..findings import Category, Finding
from ..flows import NEW_TO_OLD, OLD_TO_NEW
from ..model import FlagsDef
from ._typeusers import judge_users
from .base import Rule


class FlagsReservedBitsChanged(Rule):
    id = "FLAGS_RESERVED_BITS_CHANGED"
    title = "Flags' undefined bits re-promised"
    category = Category.WIRE
    doc = ("A flags type's undefined bits were reserved-zero and may now hold anything, or the other way "
           "round. Loosening (zero to any) lets new writers leave bits set that old readers were promised "
           "are clear: an old reader that tests the whole word, or that treats every set bit as a known "
           "flag, misbehaves; it also means no later flag can be added compatibly. Tightening (any to "
           "zero) is a promise old writers never made: a new reader relying on clear bits meets an old "
           "writer's garbage. Flags no field stores are taken to travel from guest to host.")
    fix = "Declare reserved_bits: zero once and keep it; it is what lets flags grow."
    backward = "breaking where the loosened side writes and the other reads"
    forward = "breaking where the loosened side writes and the other reads"
    witness_doc = ("No image witness: an undefined bit decodes to the same number under both versions; the "
                   "break is in the promise about it, which the finding states.")

    def check_flags(self, cmp: Comparison, old: FlagsDef | None, new: FlagsDef | None) -> Iterable[Finding]:
        if old is None or new is None or old.reserved_bits == new.reserved_bits:
            return
        loosened = old.reserved_bits == "zero"
        sev = judge_users(cmp, new.name, "flags", {NEW_TO_OLD} if loosened else {OLD_TO_NEW})
        yield self.type_finding(cmp, new.name, "", f"undefined bits of {new.name}: {old.reserved_bits} -> "
                                f"{new.reserved_bits}", sev, old=f"reserved_bits {old.reserved_bits}",
                                new=f"reserved_bits {new.reserved_bits}",
                                witness_note="an undefined bit decodes the same under both versions")
