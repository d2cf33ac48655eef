"""BITFIELD_CHANGED: a bitfield's bits moved, or it grew or shrank."""

from __future__ import annotations

from collections.abc import Iterable

from ..codec import ConstructCodec
from ..compare import Match, RecordPair, parties
from ..engine import Layout, Member, bits_of
from ..errors import DecodeError
from ..findings import BREAKING, COMPATIBLE, DIRECTIONS, Category, Finding, Witness
from ..flows import BOTH, NEW_TO_OLD, OLD_TO_NEW, flow_parties, judge
from .base import Rule


def _text(m: Member) -> str:
    b = bits_of(m)
    return f"bits {b.pos}..{b.pos + b.width - 1}" + ("" if m.bitfield else " (a whole member)")


class BitfieldChanged(Rule):
    id = "BITFIELD_CHANGED"
    title = "Bitfield moved or resized"
    category = Category.WIRE
    doc = ("A bitfield's bits moved inside its record, or it gained or lost bits (including a member turned "
           "into a bitfield or back), while byte-level rules see the same bytes. Bits are numbered as GCC "
           "numbers them (from the least significant bit of the first byte on little-endian targets, from the "
           "most significant on big-endian ones). A reader looking at the old bits misreads what a writer put "
           "at the new ones. An unsigned bitfield widened into bits that were reserved-zero breaks only an old "
           "reader of a new writer's large values; narrowed with the freed bits now reserved-zero, only a new "
           "reader of an old writer's large values.")
    fix = ("Keep a bitfield's bits where they were; widen only into reserved-zero bits, and only when old "
           "readers may ignore the new high bits, or make the change in a major version.")
    backward = "breaking when a peer other than the writer reads it"
    forward = "breaking when a peer other than the writer reads it"
    witness_doc = ("An image with every bit of the writer's bitfield set, decoded under the reader's layout with "
                   "the construct codec; otherwise no witness, with the reason in the finding.")

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        for mt in pair.matches:
            if mt.old.bitfield is None and mt.new.bitfield is None:
                continue
            if mt.old.field.reserved is not None and mt.new.field.reserved is not None:
                continue  # reserved bits are space
            o, n = bits_of(mt.old), bits_of(mt.new)
            if (o.pos, o.width) == (n.pos, n.width):
                continue
            breaks = self._breaks(pair, mt)
            writers, readers = parties(mt.old, mt.new)
            sev = judge(breaks, writers, readers, COMPATIBLE)
            witness, note = None, ""
            if any(s == BREAKING for _, s in sev):
                witness = self._witness(pair, mt, sev, breaks)
                note = "" if witness else "no image found whose bits decode differently under the reader's layout"
            yield self.finding(pair, mt.new.name, f"{mt.new.name}: {_text(mt.old)} -> {_text(mt.new)}", sev,
                               witness, old=_text(mt.old), new=_text(mt.new),
                               old_range=(mt.old.offset, mt.old.end), new_range=(mt.new.offset, mt.new.end),
                               witness_note=note)

    @staticmethod
    def _breaks(pair: RecordPair, mt: Match) -> set[str]:
        """Both flows, unless an unsigned bitfield only grew into (or shrank out of) reserved-zero bits."""
        o, n = bits_of(mt.old), bits_of(mt.new)
        unsigned = all(not getattr(m.rtype, "scalar", None) or not m.rtype.scalar.signed  # type: ignore[union-attr]
                       for m in (mt.old, mt.new))
        if o.pos != n.pos or not unsigned:
            return set(BOTH)
        if n.width > o.width and _reserved_zero(pair.old, o.pos + o.width, n.pos + n.width, mt.old):
            return {NEW_TO_OLD}
        if n.width < o.width and _reserved_zero(pair.new, n.pos + n.width, o.pos + o.width, mt.new):
            return {OLD_TO_NEW}
        return set(BOTH)

    @staticmethod
    def _witness(pair: RecordPair, mt: Match, sev: tuple[tuple[str, str], ...], breaks: set[str]) -> Witness | None:
        """For each direction judged breaking, each broken flow between its declared writer and reader."""
        if pair.old is None or pair.new is None:
            return None
        writers, readers = parties(mt.old, mt.new)
        verdict = dict(sev)
        for direction in DIRECTIONS:
            if verdict[direction] != BREAKING:
                continue
            for flow in (OLD_TO_NEW, NEW_TO_OLD):
                who = flow_parties(direction, flow, writers, readers) if flow in breaks else None
                if who is None:
                    continue
                wl, rl = (pair.old, pair.new) if flow == OLD_TO_NEW else (pair.new, pair.old)
                wm, rm = (mt.old, mt.new) if flow == OLD_TO_NEW else (mt.new, mt.old)
                image = _set_bits(bytearray(max(wl.size, rl.size)), wm)
                try:
                    written = ConstructCodec(wl).parse(bytes(image[:wl.size]))[wm.name]
                    read = ConstructCodec(rl).parse(bytes(image[:rl.size]))[rm.name]
                except (DecodeError, KeyError):
                    continue
                if written == read:
                    continue
                names = (pair.cmp.old_name, pair.cmp.new_name)
                under, by = names if flow == OLD_TO_NEW else names[::-1]
                return Witness(pair.name, pair.arch, under, by, rm.name, rm.offset, rm.size, bytes(image),
                               written, read, note=f"the writer set {_text(wm)}; the reader takes {_text(rm)}",
                               writer_offset=wm.offset if wm.offset != rm.offset else None,
                               direction=direction, writer=who[0], reader=who[1])
        return None


def _reserved_zero(layout: Layout | None, start: int, end: int, own: Member) -> bool:
    """Bits ``start..end-1`` were held only by reserved-zero members (other than ``own``) in ``layout``."""
    if layout is None:
        return False
    need = set(range(start, end))
    for m in layout.members:
        if m is own or m.field.reserved != "zero":
            continue
        b = bits_of(m)
        need -= set(range(b.pos, b.pos + b.width))
    return not need


def _set_bits(image: bytearray, m: Member) -> bytearray:
    """``image`` with every bit of ``m`` set (in the target's bit order)."""
    b = bits_of(m)
    span = image[m.offset:m.offset + m.size]
    order = b.order
    word = int.from_bytes(span, order) | ((1 << b.width) - 1) << (b.shift if m.bitfield else 0)
    image[m.offset:m.offset + m.size] = word.to_bytes(m.size, order)
    return image
