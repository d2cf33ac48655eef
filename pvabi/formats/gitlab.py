"""GitLab code quality report: a JSON array of issues, one per distinct finding with a YAML location.

GitLab shows these in a merge request's widget and diff. Each issue needs a
file and a line and a fingerprint unique to the issue; the fingerprint hashes
the finding's identity and change, so it stays the same from run to run. A
finding without any YAML location (none today: every layout, member and type
has one on some side) cannot be placed and is left out.

Severities: a finding the gate fails on is ``blocker``, other breaking
findings ``major``, source-only ``minor``, compatible ``info``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..findings import Severity
from ..report import Entry, Report
from .common import arches

_SEVERITIES = {Severity.BREAKING: "major", Severity.SOURCE_ONLY: "minor", Severity.COMPATIBLE: "info"}


def render(report: Report, color: bool = False) -> str:
    issues = [_issue(e) for s in report.in_display_order() for e in s.entries if e.shown]
    return json.dumps([i for i in issues if i is not None], indent=2) + "\n"


def severity(e: Entry) -> str:
    return "blocker" if e.fails else _SEVERITIES[e.worst]


def _issue(e: Entry) -> dict[str, Any] | None:
    f = e.finding
    loc = f.new_loc or f.old_loc
    if loc is None:
        return None
    where = f"{f.layout}.{f.shown_path}" if f.path else f.layout
    change = "\0".join((f.rule, f.layout, f.path, ",".join(f.arches), f.message, f.old_version, f.new_version))
    return {
        "description": f"{e.label}: {where} on {arches(f.arches)}: {f.message}",
        "check_name": e.info.id,
        "fingerprint": hashlib.sha256(change.encode("utf-8")).hexdigest(),
        "severity": severity(e),
        "location": {"path": loc.file, "lines": {"begin": loc.line}},
    }
