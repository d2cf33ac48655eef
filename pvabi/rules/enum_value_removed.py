"""ENUM_VALUE_REMOVED: an enum value old peers may still send is gone."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import Comparison
from ..findings import BREAKING, Category, Finding
from ..flows import OLD_TO_NEW
from ..model import EnumDef
from ._typeusers import judge_users, witness_through
from .base import Rule


class EnumValueRemoved(Rule):
    id = "ENUM_VALUE_REMOVED"
    title = "Enum value removed"
    category = Category.WIRE
    doc = ("A name and number of the old enum are gone and the number is not reused under a new name "
           "(that is ENUM_VALUE_RENAMED). Old writers still store it; new readers meet a value they do not "
           "define. An enum no field stores (a table of call numbers) is taken to carry requests from "
           "guest to host.")
    fix = "Keep the value (document it as obsolete); reject it at run time if it must go away."
    backward = "breaking when the guest writes the field and the host reads it"
    forward = "breaking when the host writes the field and the guest reads it"
    witness_doc = ("An old image of a field storing the removed value, decoded under the new enum; when no "
                   "field stores the enum, there is no image and the finding names the value.")

    def check_enum(self, cmp: Comparison, old: EnumDef | None, new: EnumDef | None) -> Iterable[Finding]:
        if old is None:
            return
        if new is None:  # the whole type is gone: every value old peers use is
            new = EnumDef(old.name, old.doc, old.loc, ())
        new_numbers = {v for _, v in new.values}
        for name, value in old.values:
            if new.value_of(name) is not None or value in new_numbers:
                continue
            sev = judge_users(cmp, old.name, "enum", {OLD_TO_NEW})
            witness = None
            if any(s == BREAKING for _, s in sev):
                witness = witness_through(cmp, old.name, "enum", OLD_TO_NEW, value)
            yield self.type_finding(cmp, old.name, name, f"{old.name}.{name} ({value}) removed", sev, witness,
                                    old=f"{name} = {value}", new="absent",
                                    witness_note="" if witness else "no field stores this enum")
