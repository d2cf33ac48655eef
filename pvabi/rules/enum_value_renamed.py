"""ENUM_VALUE_RENAMED: an enum number kept, its name changed."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import Comparison
from ..findings import SOURCE_ONLY, Category, Finding, severities
from ..model import EnumDef
from .base import Rule


class EnumValueRenamed(Rule):
    id = "ENUM_VALUE_RENAMED"
    title = "Enum value renamed"
    category = Category.SOURCE
    doc = ("An old enum name is gone, but its number is still defined under a name the old enum did not "
           "have. Binaries are unaffected; C code using the old constant stops compiling.")
    fix = "Keep the old name as an alias (a second #define) for a deprecation period."
    backward = "source-only"
    forward = "source-only"
    witness_doc = "Not a wire change, so no witness."

    def check_enum(self, cmp: Comparison, old: EnumDef | None, new: EnumDef | None) -> Iterable[Finding]:
        if old is None or new is None:
            return
        old_names = {n for n, _ in old.values}
        for name, value in old.values:
            if new.value_of(name) is not None:
                continue
            now = new.name_of(value)
            if now is not None and now not in old_names:
                yield self.type_finding(cmp, old.name, name, f"{old.name}.{name} ({value}) renamed to {now}",
                                        severities(SOURCE_ONLY, SOURCE_ONLY), old=name, new=now)
