"""RESERVED_ZERO_DECLARED: bytes old writers left undefined are now promised zero."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import RecordPair
from ..findings import COMPATIBLE, Category, Finding, severities
from .base import Rule


class ReservedZeroDeclared(Rule):
    id = "RESERVED_ZERO_DECLARED"
    title = "Undefined bytes declared reserved-zero"
    category = Category.LAYOUT
    doc = ("Bytes that were GCC padding or reserved with any content in the old layout are reserved-zero "
           "in the new one. Nobody reads reserved bytes, so nothing breaks now, and new writers will leave "
           "zeros. But old writers never made that promise: a field carved out of these bytes later is "
           "compatible with this version and not with the older one, which is why such a carve-out must be "
           "checked against every earlier version (--transitive). Xen's shared-info page works this way: "
           "the hypervisor clears it, but the early headers never said so.")
    fix = "Nothing to fix now; keep --transitive on, so a later field here is judged against the older versions."
    backward = "compatible"
    forward = "compatible"
    witness_doc = "Never breaking, so no witness."

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        if pair.old is None or pair.new is None:
            return
        for m in pair.new.members:
            if m.field.reserved != "zero" or m.size == 0:
                continue
            before = [s for s in pair.old_spans(m.offset, m.end) if s.kind in ("hole", "any")]
            if not before:
                continue
            where = ", ".join(f"{s.start}..{s.end - 1} was {'padding' if s.kind == 'hole' else 'reserved (any)'}"
                              for s in before)
            yield self.finding(pair, m.name, f"reserved-zero {m.name}: {where}", severities(COMPATIBLE, COMPATIBLE),
                               old="undefined", new="reserved zero", new_range=(m.offset, m.end))
