"""Shared check: what a layout's new size or alignment does where it is embedded."""

from __future__ import annotations

from ..compare import RecordPair
from ..engine import Member
from ..findings import DIRECTIONS, Witness
from ..flows import NEW_TO_OLD, OLD_TO_NEW, flow_parties
from ._typeusers import with_parties


def embedding_damage(pair: RecordPair) -> tuple[list[str], Witness | None, tuple[str, ...], tuple[str, ...]]:
    """Problems the change causes in the old version's containers of this layout on this arch.

    Returns the problems in words, a witness (an image of the container) for the
    first, and the writers and readers of the members that moved: their
    contracts, not the embedding's, decide who is hurt.
    """
    problems: list[str] = []
    witness = None
    writers: list[str] = []
    readers: list[str] = []
    resized = pair.old is not None and pair.new is not None and pair.old.size != pair.new.size
    for e in pair.cmp.embeddings("old", pair.old_name, pair.arch):
        old_c = pair.cmp.layout("old", e.container, pair.arch)
        new_c = pair.cmp.layout("new", e.container, pair.arch)
        if old_c is None or new_c is None:
            continue
        moved: list[tuple[Member, str]] = []
        om, nm = old_c.member(e.member), new_c.member(e.member)
        if om is not None and nm is not None and om.offset != nm.offset:
            problems.append(f"{e.container}.{e.member} itself moves from {om.offset} to {nm.offset}")
            moved.append((om, e.member))
        elif e.in_array and resized and om is not None:
            problems.append(f"{e.container}.{e.member}[] changes stride")
            moved.append((om, f"{e.member}[1]"))
        for name in e.followers:
            fo, fn = old_c.member(name), new_c.member(name)
            if fo is not None and fn is not None and fo.offset != fn.offset:
                problems.append(f"{e.container}.{name} moves from {fo.offset} to {fn.offset}")
                moved.append((fo, name))
        for member, target in moved:
            writers.append(member.field.writer)
            readers.append(member.field.reader)
            for flow in (OLD_TO_NEW, NEW_TO_OLD):
                if witness is None:
                    found = pair.witness(flow, target, target, old_layout=old_c, new_layout=new_c)
                    who = ((member.field.writer,), (member.field.reader,))
                    if found is not None and any(flow_parties(d, flow, *who) for d in DIRECTIONS):
                        witness = with_parties(found, flow, who)
    return problems, witness, tuple(writers), tuple(readers)
