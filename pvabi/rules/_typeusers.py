"""Shared help for enum and flags rules: which fields store the type, and a witness through one."""

from __future__ import annotations

from ..compare import Comparison, RecordPair
from ..findings import Witness
from ..flows import NEW_TO_OLD, OLD_TO_NEW

# A table of call or operation numbers that no field stores (VMI's call slots)
# carries requests: the guest picks the number, the host acts on it.
UNSTORED = (("guest",), ("host",))


def users(cmp: Comparison, type_name: str, attr: str) -> list[tuple[str, str]]:
    """(layout, field) pairs storing the type in either version, deduplicated, in order."""
    seen: list[tuple[str, str]] = []
    for side in ("old", "new"):
        for rec, field in cmp.users_of(side, type_name, attr):
            if (rec.name, field) not in seen:
                seen.append((rec.name, field))
    return seen


def parties_of(cmp: Comparison, type_name: str, attr: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    writers: list[str] = []
    readers: list[str] = []
    for side in ("old", "new"):
        for rec, field in cmp.users_of(side, type_name, attr):
            f = rec.field(field)
            if f is not None:
                writers.append(f.writer)
                readers.append(f.reader)
    return (tuple(writers), tuple(readers)) if writers else UNSTORED


def witness_through(cmp: Comparison, type_name: str, attr: str, flow: str, value: int) -> Witness | None:
    """Write ``value`` into a field of the type under the writing version; decode it under the other."""
    for layout, field in users(cmp, type_name, attr):
        for a in cmp.arches:
            old, new = cmp.layout("old", layout, a), cmp.layout("new", layout, a)
            if old is None or new is None or old.member(field) is None or new.member(field) is None:
                continue
            pair = RecordPair(cmp, layout, a, old, new)
            found = pair.witness(flow, field, field, pick={field: value})
            if found is not None:
                return found
    return None


__all__ = ["NEW_TO_OLD", "OLD_TO_NEW", "parties_of", "users", "witness_through"]
