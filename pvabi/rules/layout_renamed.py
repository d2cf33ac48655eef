"""LAYOUT_RENAMED: a layout goes by another name; its identity followed its bytes or its declaration."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair
from ..findings import COMPATIBLE, SOURCE_ONLY, Category, Finding, severities
from .base import Rule


class LayoutRenamed(Rule):
    id = "LAYOUT_RENAMED"
    title = "Layout renamed"
    category = Category.SOURCE
    doc = ("A layout of the new version is an old layout under another name: it says so (renamed_from), the "
           "old name is now an alias of it on every architecture, the old name is gone and the new one is "
           "byte for byte the same on every architecture, or the same member of the same container holds "
           "the old type in one version and the new one in the other. The two are compared as one layout, so changes "
           "inside are reported by the other rules, not as a removal and an addition. When the old name no "
           "longer resolves, C sources that name it stop compiling (source-only); when it remains as an "
           "alias, nothing breaks.")
    fix = "Keep the old name as an alias (a typedef) for a deprecation period, or accept the source break."
    backward = "source-only (compatible when the old name remains an alias)"
    forward = "source-only (compatible when the old name remains an alias)"
    witness_doc = "Not a wire change, so no witness."

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        if pair.old is None or pair.new is None or pair.old_name == pair.name:
            return
        kept = pair.old_name in pair.cmp.new.types
        how = (f"{pair.old_name} is now an alias of {pair.name}" if kept
               else f"{pair.old_name} renamed to {pair.name}")
        sev = COMPATIBLE if kept else SOURCE_ONLY
        yield self.finding(pair, "", how, severities(sev, sev), old=pair.old_name, new=pair.name)
