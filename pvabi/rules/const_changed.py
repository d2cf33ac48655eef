"""CONST_CHANGED: a constant or magic value changed."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair, parties
from ..findings import Category, Finding
from ..flows import BOTH, judge
from ..slots import const_bytes
from .base import Rule


def _show(value: object) -> str:
    if value is None:
        return "no constant"
    if isinstance(value, int):
        return f"{value:#x}"
    if isinstance(value, bytes):
        return repr(value.decode("latin-1"))
    return repr(value)


class ConstChanged(Rule):
    id = "CONST_CHANGED"
    title = "Constant or magic changed"
    category = Category.WIRE
    doc = ("A field declared with a constant (a signature, a magic number, a fixed API version) holds a "
           "different constant in the new layout, or gained or lost its constant. A peer that checks "
           "the magic rejects every image of the other version; one that does not check misreads it.")
    fix = "Keep the constant; signal a new interface with a new field or a version negotiated separately."
    backward = "breaking"
    forward = "breaking"
    witness_doc = "An old image carrying the old constant, which the new layout rejects."

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        for mt in pair.matches:
            a, b = mt.old.field.const, mt.new.field.const
            if const_bytes(mt.old) == const_bytes(mt.new) or mt.new.field.reserved is not None:
                continue
            writers, readers = parties(mt.old, mt.new)
            sev = judge(BOTH, writers or ("both",), readers or ("both",))
            witness = pair.match_witness(mt, sev, BOTH)
            yield self.finding(pair, mt.new.name, f"constant {_show(a)} -> {_show(b)}", sev,
                               witness, old=_show(a), new=_show(b), old_range=(mt.old.offset, mt.old.end),
                               new_range=(mt.new.offset, mt.new.end))
