"""FIELD_RENAMED: same bytes, same type, another name."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair, describe
from ..findings import SOURCE_ONLY, Category, Finding, severities
from .base import Rule


class FieldRenamed(Rule):
    id = "FIELD_RENAMED"
    title = "Field renamed"
    category = Category.SOURCE
    doc = ("A field of the old layout has no namesake in the new one, but a new field (or reserved member) "
           "sits at the same offset with the same size and type, and the same enum, flags, constant, "
           "writer, reader and feature, so it is taken as a rename; bytes that changed hands or meaning "
           "are a removal and an addition instead. The same holds for a regrouping: members that cover "
           "the same bytes with the same leaves (offset, type and contract of every scalar) under another "
           "nesting, such as a nested struct replaced by its fields inline, or a byte moved into a named "
           "union. The bytes mean the same to every binary; C sources that name the old member stop "
           "compiling. Renames are found by offset and bytes, never by name.")
    fix = ("Keep the old name as an alias (a union member or a compatibility #define in the generated "
           "header) for a deprecation period, or accept the source break in a release note.")
    backward = "source-only"
    forward = "source-only"
    witness_doc = "Not a wire change, so no witness: every image decodes to the same value under both names."

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        for mt in pair.matches:
            if mt.renamed:
                yield self.finding(pair, mt.old.name, f"{mt.old.name} renamed to {mt.new.name} "
                                   f"(same offset {mt.old.offset}, {describe(mt.old.rtype)})",
                                   severities(SOURCE_ONLY, SOURCE_ONLY), old=mt.old.name, new=mt.new.name,
                                   old_range=(mt.old.offset, mt.old.end), new_range=(mt.new.offset, mt.new.end))
        for g in pair.regroups:
            old_names = ", ".join(m.name for m in g.old)
            new_names = ", ".join(m.name for m in g.new)
            start, end = min(m.offset for m in g.old), max(m.end for m in g.old)
            yield self.finding(pair, g.old[0].name, f"{old_names} regrouped as {new_names} over the same bytes "
                               f"{start}..{end - 1} (every leaf keeps its offset, type and contract)",
                               severities(SOURCE_ONLY, SOURCE_ONLY), old=old_names, new=new_names,
                               old_range=(start, end), new_range=(min(m.offset for m in g.new),
                                                                  max(m.end for m in g.new)),
                               covers=tuple(m.name for m in (*g.old, *g.new)))
