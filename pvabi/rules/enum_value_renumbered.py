"""ENUM_VALUE_RENUMBERED: an enum name now stands for another number."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import Comparison
from ..findings import BREAKING, Category, Finding
from ..flows import BOTH, OLD_TO_NEW
from ..model import EnumDef
from ._typeusers import judge_users, witness_through
from .base import Rule


class EnumValueRenumbered(Rule):
    id = "ENUM_VALUE_RENUMBERED"
    title = "Enum value renumbered"
    category = Category.WIRE
    doc = ("An enum name exists in both versions with different numbers. Binaries carry the number, not "
           "the name, so each side decodes the other's value as something else (or as nothing).")
    fix = "Give enum numbers once and never change them; add a new name for a new number."
    backward = "breaking when a peer other than the writer reads a field of the enum"
    forward = "breaking when a peer other than the writer reads a field of the enum"
    witness_doc = ("An old image of a field storing the old number, decoded under the new enum; when no "
                   "field stores the enum, there is no image and the finding names both numbers.")

    def check_enum(self, cmp: Comparison, old: EnumDef | None, new: EnumDef | None) -> Iterable[Finding]:
        if old is None or new is None:
            return
        for name, value in old.values:
            now = new.value_of(name)
            if now is None or now == value:
                continue
            sev = judge_users(cmp, old.name, "enum", BOTH)
            witness = None
            if any(s == BREAKING for _, s in sev):
                witness = witness_through(cmp, old.name, "enum", OLD_TO_NEW, value)
            yield self.type_finding(cmp, old.name, name, f"{old.name}.{name} renumbered {value} -> {now}", sev,
                                    witness, old=str(value), new=str(now),
                                    witness_note="" if witness else "no field stores this enum")
