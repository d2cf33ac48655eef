"""Which fields of one reading the checker compares, worked out once per pair of layouts, and the compare itself.

What a reading compares depends only on the two layouts and the parties: the
shared fields (by path, or renamed at the same bits) the writer writes and the
reader reads, and the fields only the reader has, each with its absent value.
``plan`` works that out once per (writer's layout, reader's layout, writer)
from the slots' geometry; every image of that pair then costs one
``FastCodec.flat`` per side and one ``==`` of two tuples (issue 14). Only when
the tuples differ are the differing fields looked up, and the slots' typed
values decide, so the findings are exactly those of a field-by-field compare.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .engine import Layout
from .fastcodec import fast_codec, supports
from .imagedecode import RESERVED_ZERO, VALUE, Decoded, Slot, written_by

_PLANS_LIMIT = 512


@dataclass(frozen=True)
class Plan:
    shared: tuple[tuple[str, str], ...]  # (reader's path, writer's path) of each compared field
    new: tuple[tuple[str, int | None], ...]  # (reader's path, absent value or None) of each field the writer lacks
    # The shared fields' entries of each side's flat tuple; None when a side has no flat form.
    pick_written: Callable[[tuple[Any, ...]], Any] | None = None
    pick_read: Callable[[tuple[Any, ...]], Any] | None = None

    def mismatched(self, written: Decoded, read: Decoded) -> list[tuple[str, str]]:
        """The shared fields whose values differ, as (reader's path, writer's path)."""
        candidates = self.shared
        if self.pick_written is not None and self.pick_read is not None and self.shared:
            a = self.pick_written(fast_codec(written.layout).flat(written.decoded))
            b = self.pick_read(fast_codec(read.layout).flat(read.decoded))
            if a == b:
                return []
            if len(self.shared) > 1:  # itemgetter of one index gives the value itself, not a tuple
                candidates = tuple(p for p, x, y in zip(self.shared, a, b, strict=True) if x != y)
        return [(r, w) for r, w in candidates if not same(written.slots[w].value, read.slots[r].value)]


_PLANS: dict[tuple[int, int, str, str], tuple[Layout, Layout, Plan]] = {}


def plan(written: Decoded, read: Decoded, writer: str, party: str) -> Plan:
    """The plan of reading ``writer``'s images of ``written.layout`` as ``party`` with ``read.layout``."""
    key = (id(written.layout), id(read.layout), writer, party)
    found = _PLANS.get(key)
    if found is not None and found[0] is written.layout and found[1] is read.layout:
        return found[2]
    if len(_PLANS) >= _PLANS_LIMIT:
        _PLANS.clear()
    made = _make(written, read, writer, party)
    _PLANS[key] = (written.layout, read.layout, made)
    return made


def _make(written: Decoded, read: Decoded, writer: str, party: str) -> Plan:
    shared: list[tuple[str, str]] = []
    new: list[tuple[str, int | None]] = []
    for path, r in read.slots.items():
        if r.kind != VALUE or r.member.field.const is not None or not reads(r, party):
            continue
        w = written.slots.get(path) or renamed(r, written, read)
        if w is not None and w.kind == VALUE:
            if written_by(w, writer):  # else the other party's field: this image says nothing about it
                shared.append((path, w.path))
            continue
        new.append((path, absent_value(r, written)))
    picks = _picks(written.layout, read.layout, shared)
    return Plan(tuple(shared), tuple(new), *picks)


def _picks(wl: Layout, rl: Layout, shared: list[tuple[str, str]]) -> tuple[Any, Any]:
    if not shared or not supports(wl) or not supports(rl):
        return None, None
    wi = {p: i for i, p in enumerate(fast_codec(wl).paths)}
    ri = {p: i for i, p in enumerate(fast_codec(rl).paths)}
    if any(w not in wi or r not in ri for r, w in shared):
        return None, None
    return operator.itemgetter(*(wi[w] for _, w in shared)), operator.itemgetter(*(ri[r] for r, _ in shared))


def reads(slot: Slot, party: str) -> bool:
    """Does ``party`` (host or guest) interpret this field? Only its reader can misread it."""
    return slot.member.field.reader in (party, "both")


def same(a: object, b: object) -> bool:
    """Equal numbers (enum and flag names are the layouts' business: a renamed value reads the same)."""
    if isinstance(a, int) and isinstance(b, int):
        return int(a) == int(b)
    return a == b


def renamed(r: Slot, written: Decoded, read: Decoded) -> Slot | None:
    """The writer's field at exactly the same bytes, when the reader's has another name (a rename).

    Only a writer's field the reader no longer has by its name: a union view added at the bytes another
    view still holds is a new field, which must read as absent, not a rename of that view.
    """
    return next((w for w in written.slots.values() if w.kind == VALUE and (w.offset, w.size) == (r.offset, r.size)
                 and w.member.bitfield == r.member.bitfield and w.path not in read.slots), None)


def absent_value(r: Slot, written: Decoded) -> int | None:
    """What a field the writer's version lacks must hold: its declared ``absent``, else what the writer left.

    Zero when every one of its bits was reserved-zero for the writer, or when the
    writer's top layout declares its memory zero-filled and none of the writer's
    fields covers those bits; unknown (None) otherwise.
    """
    if r.member.field.absent is not None:
        return int(r.member.field.absent)
    mine = bits(r)
    over = [w for w in written.slots.values() if _overlap(bits(w), mine)]
    if over and all(w.kind == RESERVED_ZERO for w in over) and _covers(over, r):
        return 0
    if written.layout.definition.zero_filled and not any(w.kind == VALUE for w in over):
        return 0
    return None


def _covers(slots: list[Slot], r: Slot) -> bool:
    have = {b for s in slots for b in bits(s)}
    return all(b in have for b in bits(r))


def bits(s: Slot) -> range:
    """The bits a slot holds, counted from the layout's start in GCC's bitfield order: a bitfield shares its
    bytes with its neighbours, and only its own bits say whether the writer stored anything there."""
    bf = s.member.bitfield
    if bf is None:
        return range(s.offset * 8, s.end * 8)
    start = (s.offset - s.member.offset) * 8 + bf.pos  # the record's start, then the bits within it
    return range(start, start + bf.width)


def _overlap(a: range, b: range) -> bool:
    return a.start < b.stop and b.start < a.stop
