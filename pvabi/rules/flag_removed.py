"""FLAG_REMOVED: a flag bit old readers know is no longer defined."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import Comparison
from ..findings import BREAKING, SOURCE_ONLY, Category, Finding
from ..flows import NEW_TO_OLD, OLD_TO_NEW
from ..model import FlagsDef
from ._typeusers import judge_users, witness_through
from .base import Rule


class FlagRemoved(Rule):
    id = "FLAG_REMOVED"
    title = "Flag bit removed"
    category = Category.WIRE
    doc = ("A flag of the old type is gone and its bit is unused in the new one (or the whole flags type is "
           "gone). If the new type's undefined bits may hold anything, a new writer may leave the bit set "
           "and an old reader acts on it. If they are reserved-zero, new writers never set it again, which "
           "an old reader already handles (the flag is clear whenever it does not apply), but old writers "
           "still set it where a new reader is promised a zero bit; that is the same broken promise as "
           "tightening undefined bits (FLAGS_RESERVED_BITS_CHANGED)."
           " Flags no field stores are taken to travel from guest to host, as for enums.")
    fix = "Keep the flag defined (document it as never set) so the bit is not reused by accident."
    backward = "breaking where an old guest writes the bit for a new host (reserved-zero bits), or the reverse"
    forward = "breaking where an old host writes the bit for a new guest (reserved-zero bits), or the reverse"
    witness_doc = ("An image of a field storing the flags with the bit set, written by the side that may still "
                   "set it and decoded by the other; when no field stores the flags there is no image, and the "
                   "finding says so.")

    def check_flags(self, cmp: Comparison, old: FlagsDef | None, new: FlagsDef | None) -> Iterable[Finding]:
        if old is None:
            return
        if new is None:  # the whole type is gone, and with it any promise about its bits
            new = FlagsDef(old.name, old.doc, old.loc, (), "any")
        new_bits = {b for _, b in new.bits}
        new_names = {n for n, _ in new.bits}
        for name, bit in old.bits:
            if name in new_names or bit in new_bits:
                continue
            flow = OLD_TO_NEW if new.reserved_bits == "zero" else NEW_TO_OLD
            sev = judge_users(cmp, old.name, "flags", {flow}, otherwise=SOURCE_ONLY)
            witness = None
            if any(s == BREAKING for _, s in sev):
                witness = witness_through(cmp, old.name, "flags", flow, 1 << bit)
            note = "" if witness else "no field stores these flags in both versions"
            yield self.type_finding(cmp, old.name, name, f"{old.name}.{name} (bit {bit}) removed", sev, witness,
                                    old=f"{name} = bit {bit}", new="absent", witness_note=note)
