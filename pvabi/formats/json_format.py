"""A report as JSON: ``pvabi.diff/2`` for ``pvabi diff`` (pvabi/schemas/diff.schema.json, docs/json.md).

Machine formats list every entry of every section, including those the human
formats fold away (``shown``: false).
"""

from __future__ import annotations

import json
from typing import Any

from ..findings import DIRECTIONS, Witness
from ..model import Loc
from ..report import Entry, Report, Section
from ..witnessdoc import witness_json


def render(report: Report, color: bool = False) -> str:
    return json.dumps(to_json(report), indent=2, sort_keys=False) + "\n"


def to_json(report: Report) -> dict[str, Any]:
    m = report.metadata
    return {
        "schema": report.schema,
        "command": report.command,
        "pvabi_version": m.pvabi_version,
        "ruleset": m.ruleset,
        "mode": m.mode,
        "category": m.category,
        "transitive": m.transitive,
        "asked": {"old": m.asked[0], "new": m.asked[1]} if m.asked else None,
        "exit_code": report.exit_code,
        "summary": {"verdict": report.summary.verdict, "failed": report.summary.failed,
                    "violations": report.summary.violations, "waived": report.summary.waived,
                    "counts": dict(report.summary.counts)},
        "sections": [_section(s) for s in report.sections],
        # only where the report has one, so the documents of commands without one keep their shape
        **({"conclusion": report.conclusion} if report.conclusion else {}),
    }


def _section(s: Section) -> dict[str, Any]:
    return {
        "kind": s.kind,
        "title": s.title,
        **dict(s.facts),
        "failed": s.failed,
        "verdict": s.verdict,
        "counts": dict(s.counts),
        "findings": [_entry(e) for e in s.entries],
    }


def _range(x: tuple[int, int] | None) -> list[int] | None:
    return list(x) if x is not None else None


def _loc(x: Loc | None) -> dict[str, Any] | None:
    return {"file": x.file, "line": x.line} if x is not None else None


def _entry(e: Entry) -> dict[str, Any]:
    f = e.finding
    return {
        "rule": f.rule,
        "title": e.info.title,
        "category": e.info.category,
        "layout": f.layout,
        "path": f.path,
        "covers": list(f.covers),
        "run_end": f.run_end,
        "arches": list(f.arches),
        "identities": [{"rule": i.rule, "layout": i.layout, "path": i.path, "arch": i.arch} for i in f.identities],
        "old_loc": _loc(f.old_loc),
        "new_loc": _loc(f.new_loc),
        "message": f.message,
        "old": f.old,
        "new": f.new,
        "old_range": _range(f.old_range),
        "new_range": _range(f.new_range),
        "severity": {d: f.severity_in(d) for d in DIRECTIONS},
        "worst": e.worst,
        "violation": e.violation,
        "fails": e.fails,
        "waived": e.waived,
        "waiver": e.waiver,
        "label": e.label,
        "shown": e.shown,
        "fix": e.info.fix,
        "witness": _witness(f.witness, e.witness_file) if f.witness else None,
        "witness_note": f.witness_note,
        "facts": dict(e.facts),
    }


def _witness(w: Witness, file: str | None) -> dict[str, Any]:
    return witness_json(w, file)

