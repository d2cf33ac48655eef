"""Layout identity across two versions: which new layout is which old one under another name.

A layout keeps its identity through a rename when it says so (``renamed_from``), when its old name is
now an alias of it on every architecture, when the old name is gone and a new layout is byte for byte
the same on every architecture, or when the same member of the same container holds the old type in
one version and the new type in the other. Only one-to-one pairings count: two candidates for one
name are left as a removal and an addition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .bytesig import byte_signature
from .engine import RecordType
from .model import AliasDef

if TYPE_CHECKING:
    from .compare import Comparison


def renamed_layouts(cmp: Comparison) -> dict[str, str]:
    """{new name: old name} of layouts that changed their name, not their identity."""
    old_recs = {r.name for r in cmp.old.records()}
    new_recs = {r.name for r in cmp.new.records()}
    out: dict[str, str] = {}
    for r in cmp.new.records():
        for was in r.renamed_from:
            if was in old_recs and was not in new_recs and was not in out.values():
                out[r.name] = was
    for name, t in cmp.new.types.items():
        if isinstance(t, AliasDef) and name in old_recs and name not in out.values():
            targets = {target for _, target in t.targets.values}
            target = next(iter(targets)) if len(targets) == 1 else None
            if isinstance(target, str) and target in new_recs and target not in old_recs and target not in out:
                out[target] = name
    gone = [n for n in sorted(old_recs - new_recs - set(cmp.new.types)) if n not in out.values()]
    fresh = [n for n in sorted(new_recs - old_recs) if n not in out]
    same = [(o, n) for o in gone for n in fresh if _same_bytes_everywhere(cmp, o, n)]
    same += [(o, n) for o, n in _same_place(cmp, gone, fresh) if (o, n) not in same]
    for o, n in same:
        if sum(1 for x, _ in same if x == o) == 1 and sum(1 for _, y in same if y == n) == 1:
            out[n] = o
    return out


def _same_place(cmp: Comparison, gone: list[str], fresh: list[str]) -> list[tuple[str, str]]:
    """(old, new) struct types that the same member of the same container holds in the two versions."""
    found = []
    for rec in cmp.new.records():
        old_rec = cmp.old.record(rec.name)
        if old_rec is None:
            continue
        for f in rec.fields:
            was = old_rec.field(f.name)
            if was is not None and was.type in gone and f.type in fresh and was.dims == f.dims:
                found.append((was.type, f.type))
    return sorted(set(found))


def _same_bytes_everywhere(cmp: Comparison, old_name: str, new_name: str) -> bool:
    seen = False
    for a in cmp.arches:
        o, n = cmp.layout("old", old_name, a), cmp.layout("new", new_name, a)
        if (o is None) != (n is None):
            return False
        if o is not None and n is not None:
            if byte_signature(RecordType(o)) != byte_signature(RecordType(n)):
                return False
            seen = True
    return seen
