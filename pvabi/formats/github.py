"""GitHub Actions workflow commands: one annotation per distinct finding, on the YAML line it concerns.

A step that prints ``::error file=F,line=N,title=T::MESSAGE`` gets an
annotation on line N of F in the pull request's diff (GitHub's "workflow
commands" documentation). The new side's line is used when the member exists
there, since that is the file a pull request changes; a removed member points
at the old version's file. Verdict lines are printed as plain log lines.

Levels: a finding the gate fails on is an ``error``; any other breaking or
source-only finding (one a major bump allows, or the gate category does not
enforce) a ``warning``; a compatible one a ``notice``.
"""

from __future__ import annotations

from ..findings import Severity
from ..report import Entry, Report
from .common import arches

_LEVELS = {Severity.BREAKING: "warning", Severity.SOURCE_ONLY: "warning", Severity.COMPATIBLE: "notice"}


def render(report: Report, color: bool = False) -> str:
    out = []
    for section in report.in_display_order():
        out += [_annotation(e) for e in section.entries if e.shown]
        out.append(section.verdict)
    if report.conclusion:
        out.append(report.conclusion)
    return "\n".join(out) + "\n"


def level(e: Entry) -> str:
    return "error" if e.fails else _LEVELS[e.worst]


def _annotation(e: Entry) -> str:
    f = e.finding
    loc = f.new_loc or f.old_loc
    where = f"{f.layout}.{f.shown_path}" if f.path else f.layout
    props = [f"file={_property(loc.file)}", f"line={loc.line}"] if loc is not None else []
    props.append(f"title={_property(f'{e.info.id}: {e.info.title}')}")
    message = f"{e.label}: {where} on {arches(f.arches)}: {f.message}"
    if e.waived:
        message += f" (waived: {e.waiver})"
    elif e.worst != Severity.COMPATIBLE:
        message += f"\nFix: {e.info.fix}"
    return f"::{level(e)} {','.join(props)}::{_data(message)}"


def _data(text: str) -> str:
    """A workflow command's message: % and line breaks escaped, so one finding stays one command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """A property value: also : and , escaped, which would end the value."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")
