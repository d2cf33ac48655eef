"""FIELD_OFFSET_CHANGED: fields moved; runs that moved by the same amount fold into one finding."""

from __future__ import annotations

from collections.abc import Iterable

from ..compare import Match, RecordPair, parties
from ..findings import Category, Finding
from ..flows import BOTH, judge
from .base import Rule


class FieldOffsetChanged(Rule):
    id = "FIELD_OFFSET_CHANGED"
    title = "Field offset changed"
    category = Category.WIRE
    doc = ("A field present in both layouts (by name or as a rename) starts at a different offset. A peer "
           "on the other version reads it from the wrong bytes. Consecutive fields that moved by the same "
           "amount (everything after an insertion or a widened member) are reported once, as a run "
           "\"shifted by N\". Members of size zero (empty structs) have no bytes and are not reported.")
    fix = ("Put the field back where it was; add new things in reserved space or at the end, or make the "
           "move in a major version.")
    backward = "breaking when anyone but the field's own writer reads it"
    forward = "breaking when anyone but the field's own writer reads it"
    witness_doc = "An old image whose moved field decodes under the new layout to another value."

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        moved = sorted((mt for mt in pair.matches if mt.old.offset != mt.new.offset and mt.new.size > 0
                        and mt.new.field.reserved is None), key=lambda mt: mt.new.offset)
        if not moved:
            return
        adjacent = _Adjacency(pair)
        runs: list[list[Match]] = []
        for mt in moved:
            delta = mt.new.offset - mt.old.offset
            last = runs[-1][-1] if runs else None
            if last is not None and last.new.offset - last.old.offset == delta and adjacent(last, mt):
                runs[-1].append(mt)
            else:
                runs.append([mt])
        for run in runs:
            yield self._run_finding(pair, run)

    def _run_finding(self, pair: RecordPair, run: list[Match]) -> Finding:
        first, last = run[0], run[-1]
        delta = first.new.offset - first.old.offset
        writers, readers = parties(*(m for mt in run for m in (mt.old, mt.new)))
        sev = judge(BOTH, writers, readers)
        witness = None
        for mt in run:
            witness = pair.match_witness(mt, sev, BOTH)
            if witness is not None:
                break
        names = first.new.name if len(run) == 1 else f"{first.new.name} .. {last.new.name}"
        count = "" if len(run) == 1 else f" ({len(run)} fields)"
        return self.finding(
            pair, first.new.name, f"{names}{count} shifted by {delta:+d} bytes", sev, witness,
            old=f"offset {first.old.offset}", new=f"offset {first.new.offset}",
            old_range=(first.old.offset, last.old.end), new_range=(first.new.offset, last.new.end),
            details=tuple(f"{mt.new.name}: {mt.old.offset} -> {mt.new.offset}" for mt in run),
            covers=tuple(mt.new.name for mt in run), run_end=last.new.name if len(run) > 1 else "")


class _Adjacency:
    """Whether no unmoved live member sits between two moved ones in the new layout.

    Built once per record (positions and a running count of unmoved members), so a run of N shifted
    fields costs N look-ups, not N scans of the record.
    """

    def __init__(self, pair: RecordPair) -> None:
        assert pair.new is not None
        moved_names = {mt.new.name for mt in pair.matches if mt.old.offset != mt.new.offset}
        self._position: dict[str, int] = {}
        self._unmoved_before = [0]  # [k]: unmoved live members among the first k
        for m in pair.new.members:
            if m.size > 0 and m.field.reserved is None:
                self._position.setdefault(m.name, len(self._unmoved_before) - 1)
                self._unmoved_before.append(self._unmoved_before[-1] + (m.name not in moved_names))

    def __call__(self, a: Match, b: Match) -> bool:
        i, j = self._position[a.new.name], self._position[b.new.name]
        if j <= i + 1:
            return True
        return self._unmoved_before[j] == self._unmoved_before[i + 1]
