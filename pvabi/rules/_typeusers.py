"""Shared help for enum and flags rules: which fields store the type, and a witness through one."""

from __future__ import annotations

from dataclasses import replace

from ..compare import Comparison, RecordPair, parties
from ..findings import BREAKING, COMPATIBLE, DIRECTIONS, SOURCE_ONLY, Direction, Witness, severities
from ..flows import NEW_TO_OLD, OLD_TO_NEW, flow_parties, judge

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


def judge_users(cmp: Comparison, type_name: str, attr: str, breaks: set[str] | frozenset[str],
                otherwise: str = COMPATIBLE) -> tuple[tuple[str, str], ...]:
    """Severity per direction: the worst over the fields storing the type, each judged by its own flows.

    Pooling every field's writers and readers would pair one field's writer
    with another field's reader and invent flows that never happen.
    """
    contracts = {(f.writer, f.reader) for side in ("old", "new")
                 for rec, name in cmp.users_of(side, type_name, attr)
                 if (f := rec.field(name)) is not None}
    if not contracts:
        contracts = {(UNSTORED[0][0], UNSTORED[1][0])}
    verdicts = [dict(judge(breaks, (w,), (r,), otherwise)) for w, r in sorted(contracts)]
    order = (BREAKING, SOURCE_ONLY, COMPATIBLE)
    worst = {d: min((v[d] for v in verdicts), key=order.index) for d in DIRECTIONS}
    return severities(worst[Direction.BACKWARD], worst[Direction.FORWARD])


def type_arches(cmp: Comparison, type_name: str) -> tuple[str, ...]:
    """Where a type matters: the architectures of the layouts storing it, else of the file defining it."""
    found: set[str] = set()
    for attr in ("enum", "flags"):
        for side in ("old", "new"):
            for rec, _ in cmp.users_of(side, type_name, attr):
                found.update(a for a in cmp.arches if rec.exists_on(a))
    if not found:
        for abi in (cmp.old, cmp.new):
            for file in abi.files:
                if type_name in file.types:
                    found.update(a for a in cmp.arches if file.arches is None or a in file.arches)
    return tuple(a for a in cmp.arches if a in found) or tuple(cmp.arches)


def with_parties(w: Witness, flow: str, who: tuple[tuple[str, ...], tuple[str, ...]]) -> Witness:
    """The witness labelled with the first direction (backward first) where ``flow`` runs between the
    declared writer and reader: the direction whose breaking verdict it proves."""
    for direction in DIRECTIONS:
        found = flow_parties(direction, flow, *who)
        if found is not None:
            return replace(w, direction=direction, writer=found[0], reader=found[1])
    return w


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
                return with_parties(found, flow, parties(old.member(field), new.member(field)))
    return None


__all__ = ["NEW_TO_OLD", "OLD_TO_NEW", "judge_users", "type_arches", "users", "witness_through"]
