"""FLAG_ADDED: a new flag bit in bits the old version left undefined."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import Comparison
from ..findings import BREAKING, Category, Finding
from ..flows import OLD_TO_NEW
from ..model import FlagsDef
from ._typeusers import judge_users, witness_through
from .base import Rule


class FlagAdded(Rule):
    id = "FLAG_ADDED"
    title = "Flag bit added"
    category = Category.WIRE
    doc = ("A flag bit that the old flags type left undefined now has a name. When the old type declared "
           "its undefined bits reserved-zero, old writers never set it and old readers ignore it: "
           "compatible, and the way flags should grow (GUEST_STOPPED next to TSC_STABLE). When the old "
           "undefined bits could hold anything, an old writer may have set the bit, and a new reader "
           "takes it for the new meaning."
           " Flags no field stores are taken to travel from guest to host, as for enums.")
    fix = "Declare reserved_bits: zero on flags types, so that every unused bit can become a flag later."
    backward = "compatible with reserved-zero bits; otherwise breaking when an old guest writes the field"
    forward = "compatible with reserved-zero bits; otherwise breaking when an old host writes the field"
    witness_doc = ("An old image of a field storing the flags with the bit set (legal when undefined bits "
                   "were not reserved-zero); when no field stores the flags there is no image, and the finding "
                   "says so.")

    def check_flags(self, cmp: Comparison, old: FlagsDef | None, new: FlagsDef | None) -> Iterable[Finding]:
        if old is None or new is None:
            return
        used = {b for _, b in old.bits}
        names = {n for n, _ in old.bits}
        for name, bit in new.bits:
            if bit in used or name in names:
                continue
            breaks = set() if old.reserved_bits == "zero" else {OLD_TO_NEW}
            sev = judge_users(cmp, new.name, "flags", breaks)
            witness = None
            if any(s == BREAKING for _, s in sev):
                witness = witness_through(cmp, new.name, "flags", OLD_TO_NEW, 1 << bit)
            where = "reserved-zero" if old.reserved_bits == "zero" else "undefined (any)"
            yield self.type_finding(cmp, new.name, name, f"{new.name}.{name} (bit {bit}) added in {where} bits",
                                    sev, witness, old=f"bit {bit} {where}", new=name,
                                    witness_note="" if witness or not breaks else "no field stores these flags")
