"""Shared check: what a layout's new size or alignment does where it is embedded."""

from __future__ import annotations

from ..compare import RecordPair
from ..findings import Witness
from ..flows import OLD_TO_NEW


def embedding_damage(pair: RecordPair) -> tuple[list[str], Witness | None, tuple[str, ...], tuple[str, ...]]:
    """Problems the change causes in the old version's containers of this layout on this arch.

    Returns the problems in words, a witness (an image of the container) for the
    first, and the writers and readers of the embedding members.
    """
    problems: list[str] = []
    witness = None
    writers: list[str] = []
    readers: list[str] = []
    for e in pair.cmp.embeddings("old", pair.name, pair.arch):
        old_c = pair.cmp.layout("old", e.container, pair.arch)
        new_c = pair.cmp.layout("new", e.container, pair.arch)
        if old_c is None or new_c is None:
            continue
        em = old_c.member(e.member)
        if em is not None:
            writers.append(em.field.writer)
            readers.append(em.field.reader)
        targets = []
        if e.in_array and pair.old is not None and pair.new is not None and pair.old.size != pair.new.size:
            problems.append(f"{e.container}.{e.member}[] changes stride")
            targets.append(f"{e.member}[1]")
        for name in e.followers:
            om, nm = old_c.member(name), new_c.member(name)
            if om is not None and nm is not None and om.offset != nm.offset:
                problems.append(f"{e.container}.{name} moves from {om.offset} to {nm.offset}")
                targets.append(name)
        for target in targets:
            if witness is None:
                witness = pair.witness(OLD_TO_NEW, target, target, old_layout=old_c, new_layout=new_c)
    return problems, witness, tuple(writers), tuple(readers)
