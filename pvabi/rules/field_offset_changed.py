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
        runs: list[list[Match]] = []
        for mt in moved:
            delta = mt.new.offset - mt.old.offset
            last = runs[-1][-1] if runs else None
            if last is not None and last.new.offset - last.old.offset == delta and self._adjacent(pair, last, mt):
                runs[-1].append(mt)
            else:
                runs.append([mt])
        for run in runs:
            yield self._run_finding(pair, run)

    @staticmethod
    def _adjacent(pair: RecordPair, a: Match, b: Match) -> bool:
        """No unmoved live member sits between them in the new layout."""
        assert pair.new is not None
        names = [m.name for m in pair.new.members if m.size > 0 and m.field.reserved is None]
        i, j = names.index(a.new.name), names.index(b.new.name)
        between = names[i + 1:j]
        moved_names = {mt.new.name for mt in pair.matches if mt.old.offset != mt.new.offset}
        return all(n in moved_names for n in between)

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
