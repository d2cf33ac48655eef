"""SARIF 2.1.0 (OASIS), the format GitHub code scanning uploads: one result per distinct finding.

Each result points at the YAML line of the member it concerns (the new side's
when it exists there) and carries the finding's stable identity as a partial
fingerprint, so code scanning tracks one finding across runs and a waiver's
identity can be matched against it. The driver lists only the rules the results
use, sorted, so the document depends on nothing but the findings.
"""

from __future__ import annotations

import json
from typing import Any

from ..findings import Severity
from ..report import CheckInfo, Entry, Report
from .common import arches

VERSION = "2.1.0"
SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVELS = {Severity.BREAKING: "warning", Severity.SOURCE_ONLY: "warning", Severity.COMPATIBLE: "note"}


def render(report: Report, color: bool = False) -> str:
    return json.dumps(to_sarif(report), indent=2) + "\n"


def to_sarif(report: Report) -> dict[str, Any]:
    entries = [(s.title, e) for s in report.in_display_order() for e in s.entries if e.shown]
    infos = sorted({e.info.id: e.info for _, e in entries}.values(), key=lambda i: i.id)
    index = {info.id: i for i, info in enumerate(infos)}
    m = report.metadata
    return {
        "$schema": SCHEMA_URI,
        "version": VERSION,
        "runs": [{
            "tool": {"driver": {"name": "pvabi", "version": m.pvabi_version, "semanticVersion": m.pvabi_version,
                                "rules": [_rule(info) for info in infos]}},
            "columnKind": "unicodeCodePoints",
            "results": [_result(title, e, index[e.info.id]) for title, e in entries],
            "properties": {"command": report.command, "ruleset": m.ruleset, "mode": m.mode,
                           "category": m.category, "transitive": m.transitive, "exitCode": report.exit_code,
                           "verdicts": [s.verdict for s in report.in_display_order()]},
        }],
    }


def _rule(info: CheckInfo) -> dict[str, Any]:
    out: dict[str, Any] = {"id": info.id, "name": info.id.title().replace("_", ""),
                           "shortDescription": {"text": info.title}, "fullDescription": {"text": info.doc},
                           "help": {"text": info.fix}}
    if info.category is not None:
        out["properties"] = {"category": str(info.category)}
    return out


def level(e: Entry) -> str:
    return "error" if e.fails else _LEVELS[e.worst]


def _result(title: str, e: Entry, rule_index: int) -> dict[str, Any]:
    f = e.finding
    where = f"{f.layout}.{f.shown_path}" if f.path else f.layout
    out: dict[str, Any] = {
        "ruleId": e.info.id,
        "ruleIndex": rule_index,
        "level": level(e),
        "message": {"text": f"{e.label}: {where} on {arches(f.arches)}: {f.message}"},
    }
    loc = f.new_loc or f.old_loc
    if loc is not None:
        out["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": loc.file},
                                                  "region": {"startLine": loc.line}}}]
    out["partialFingerprints"] = {"pvabiIdentity/v1": "|".join((f.rule, f.layout, f.path, ",".join(f.arches)))}
    if e.waived:
        out["suppressions"] = [{"kind": "external", "justification": e.waiver}]
    out["properties"] = {
        "comparison": title,
        "identities": [{"rule": i.rule, "layout": i.layout, "path": i.path, "arch": i.arch} for i in f.identities],
        "severity": {"backward": str(f.severity_in("backward")), "forward": str(f.severity_in("forward"))},
        "oldLocation": str(f.old_loc) if f.old_loc else None,
        "newLocation": str(f.new_loc) if f.new_loc else None,
    }
    return out
