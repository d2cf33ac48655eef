"""FLAG_REMOVED: a flag bit old readers know is no longer defined."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import Comparison
from ..findings import BREAKING, SOURCE_ONLY, Finding
from ..flows import NEW_TO_OLD, judge
from ..model import FlagsDef
from ._typeusers import parties_of, witness_through
from .base import Rule


class FlagRemoved(Rule):
    id = "FLAG_REMOVED"
    title = "Flag bit removed"
    category = "WIRE"
    doc = ("A flag of the old type is gone and its bit is unused in the new one. If the new type's "
           "undefined bits may hold anything, a new writer may leave the bit set and an old reader acts on "
           "it: breaking. If they are reserved-zero, new writers simply never set it again, which an old "
           "reader must already handle (the flag is unset whenever it does not apply); only C code naming "
           "the flag breaks."
           " Flags no field stores are taken to travel from guest to host, as for enums.")
    fix = "Keep the flag defined (document it as never set) so the bit is not reused by accident."
    backward = "source-only with reserved-zero bits; else breaking when the new host writes and an old guest reads"
    forward = "source-only with reserved-zero bits; else breaking when the new guest writes and an old host reads"
    witness_doc = ("A new image of a field storing the flags with the bit set (legal because the new type's "
                   "undefined bits may hold anything); when no field stores the flags there is no image, and the "
                   "finding says so.")

    def check_flags(self, cmp: Comparison, old: FlagsDef | None, new: FlagsDef | None) -> Iterable[Finding]:
        if old is None or new is None:
            return
        new_bits = {b for _, b in new.bits}
        new_names = {n for n, _ in new.bits}
        writers, readers = parties_of(cmp, new.name, "flags")
        for name, bit in old.bits:
            if name in new_names or bit in new_bits:
                continue
            breaks = set() if new.reserved_bits == "zero" else {NEW_TO_OLD}
            sev = judge(breaks, writers, readers, otherwise=SOURCE_ONLY)
            witness = None
            if any(s == BREAKING for _, s in sev):
                witness = witness_through(cmp, new.name, "flags", NEW_TO_OLD, 1 << bit)
            note = "" if witness or not breaks else "no field stores these flags"
            yield self.type_finding(cmp, new.name, name, f"{old.name}.{name} (bit {bit}) removed", sev, witness,
                                    old=f"{name} = bit {bit}", new="absent", witness_note=note)
