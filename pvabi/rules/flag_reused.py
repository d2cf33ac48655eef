"""FLAG_REUSED: a flag bit now has another meaning (another name), or a flag moved to another bit."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import Comparison
from ..findings import BREAKING, Category, Finding
from ..flows import BOTH, OLD_TO_NEW
from ..model import FlagsDef
from ._typeusers import judge_users, witness_through
from .base import Rule


class FlagReused(Rule):
    id = "FLAG_REUSED"
    title = "Flag bit reused or moved"
    category = Category.WIRE
    doc = ("A bit defined in both versions under different names, or a flag name that moved to another "
           "bit. Binaries carry bits, not names: an old writer's bit means one thing and a new reader "
           "takes it for another. pvabi cannot tell a pure rename from a new meaning; if it is only a "
           "rename, waive the finding with that reason."
           " Flags no field stores are taken to travel from guest to host, as for enums.")
    fix = "Never reuse or move a bit; take a reserved bit for the new meaning."
    backward = "breaking when a peer other than the writer reads the field"
    forward = "breaking when a peer other than the writer reads the field"
    witness_doc = ("An old image of a field storing the flags with the bit set, whose flag names differ when "
                   "decoded under the new type; when no field stores the flags there is no image, and the "
                   "finding says so.")

    def check_flags(self, cmp: Comparison, old: FlagsDef | None, new: FlagsDef | None) -> Iterable[Finding]:
        if old is None or new is None:
            return
        new_by_bit = {b: n for n, b in new.bits}
        new_by_name = dict(new.bits)
        for name, bit in old.bits:
            now_name, now_bit = new_by_bit.get(bit), new_by_name.get(name)
            if now_name is not None and now_name != name:
                what = f"bit {bit}: {name} -> {now_name}"
            elif now_bit is not None and now_bit != bit:
                what = f"{name}: bit {bit} -> {now_bit}"
            else:
                continue
            sev = judge_users(cmp, new.name, "flags", BOTH)
            witness = None
            if any(s == BREAKING for _, s in sev):
                witness = witness_through(cmp, new.name, "flags", OLD_TO_NEW, 1 << bit)
            yield self.type_finding(cmp, new.name, name, f"{new.name} {what}", sev, witness,
                                    old=f"{name} = bit {bit}", new=what,
                                    witness_note="" if witness else "no field stores these flags")
