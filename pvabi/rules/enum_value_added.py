"""ENUM_VALUE_ADDED: a new enum value old readers do not know."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import Comparison
from ..findings import BREAKING, Category, Finding
from ..flows import NEW_TO_OLD
from ..model import EnumDef
from ._typeusers import judge_users, witness_through
from .base import Rule


class EnumValueAdded(Rule):
    id = "ENUM_VALUE_ADDED"
    title = "Enum value added"
    category = Category.WIRE
    doc = ("The new enum defines a number the old one did not. Old writers never produce it, so new "
           "readers are safe; but a new writer may store it where an old reader will meet a value it "
           "does not know. That is a hazard in whichever direction new writers face old readers: for "
           "an enum no field stores (a table of call numbers, as VMI's slots), new guests calling an old "
           "host.")
    fix = ("Negotiate the value (a feature or version check) before a new writer uses it with an old peer, "
           "and waive the finding once that is in place.")
    backward = "breaking when the new host writes the field and an old guest reads it"
    forward = "breaking when the new guest writes the field (or makes the call) and an old host reads it"
    witness_doc = ("A new image of a field storing the new value, decoded under the old enum; when no field "
                   "stores the enum, there is no image and the finding names the value.")

    def check_enum(self, cmp: Comparison, old: EnumDef | None, new: EnumDef | None) -> Iterable[Finding]:
        if old is None or new is None:
            return
        old_numbers = {v for _, v in old.values}
        old_names = {n for n, _ in old.values}
        for name, value in new.values:
            if name in old_names or value in old_numbers:
                continue
            sev = judge_users(cmp, new.name, "enum", {NEW_TO_OLD})
            witness = None
            if any(s == BREAKING for _, s in sev):
                witness = witness_through(cmp, new.name, "enum", NEW_TO_OLD, value)
            yield self.type_finding(cmp, new.name, name, f"{new.name}.{name} ({value}) added", sev, witness,
                                    old="absent", new=f"{name} = {value}",
                                    witness_note="" if witness else "no field stores this enum")
