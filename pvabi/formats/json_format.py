"""JSON diff report, schema ``pvabi.diff/1`` (pvabi/schemas/diff.schema.json, docs/json.md)."""

from __future__ import annotations

import json
from typing import Any

from ..diff import DiffResult, PairReport
from ..findings import DIRECTIONS, Finding, Witness
from ..witnessdoc import witness_json

SCHEMA = "pvabi.diff/1"


def render(result: DiffResult, color: bool = False) -> str:
    return json.dumps(to_json(result), indent=2, sort_keys=False) + "\n"


def to_json(result: DiffResult, witness_files: dict[tuple[int, int], str] | None = None) -> dict[str, Any]:
    """``witness_files`` maps (comparison index, finding index) to a saved witness file's name."""
    files = witness_files or {}
    return {
        "schema": SCHEMA,
        "ruleset": result.ruleset,
        "mode": result.policy.mode,
        "category": result.policy.category,
        "transitive": result.transitive,
        "exit_code": result.exit_code,
        "comparisons": [_report(r, files, i) for i, r in enumerate(result.reports)],
    }


def _report(r: PairReport, files: dict[tuple[int, int], str], ri: int) -> dict[str, Any]:
    return {
        "old": r.old,
        "new": r.new,
        "declared_bump": r.declared_bump,
        "required_bump": r.required_bump,
        "bump_ok": r.bump_ok,
        "failed": r.failed,
        "counts": r.counts(),
        "findings": [_finding(r, f, files.get((ri, fi))) for fi, f in enumerate(r.findings)],
    }


def _range(x: tuple[int, int] | None) -> list[int] | None:
    return list(x) if x is not None else None


def _finding(r: PairReport, f: Finding, file: str | None) -> dict[str, Any]:
    rule = r.rule(f.rule)
    return {
        "rule": f.rule,
        "title": rule.title,
        "category": rule.category,
        "layout": f.layout,
        "path": f.path,
        "arches": list(f.arches),
        "message": f.message,
        "old": f.old,
        "new": f.new,
        "old_range": _range(f.old_range),
        "new_range": _range(f.new_range),
        "severity": {d: f.severity_in(d) for d in DIRECTIONS},
        "worst": f.worst(r.policy.directions),
        "violation": r.is_violation(f),
        "fix": rule.fix,
        "witness": _witness(f.witness, file) if f.witness else None,
        "witness_note": f.witness_note,
    }


def _witness(w: Witness, file: str | None) -> dict[str, Any]:
    return witness_json(w, file)

