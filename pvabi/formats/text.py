"""Plain-text report: one block per distinct finding, one verdict line per section.

A transitive diff finds most changes against several earlier versions; each is
printed once (``Entry.shown``), under the comparison the user asked for when it
holds there, with the other versions it also holds against.
"""

from __future__ import annotations

from ..findings import Severity
from ..report import Entry, Report, Section
from .common import direction_line, header, locations, ranges, where, witness_lines

COLORS = {Severity.BREAKING: "red", Severity.SOURCE_ONLY: "yellow", Severity.COMPATIBLE: "green"}
# SGR codes; written here rather than borrowed from a terminal library the package does not declare.
_SGR = {"red": 31, "green": 32, "yellow": 33}


def render(report: Report, color: bool = False) -> str:
    out = [f"pvabi {report.command}: {header(report)}"]
    for section in report.in_display_order():
        out.append("")
        out.append(f"== {section.title}")
        shown = [e for e in section.entries if e.shown]
        if not section.entries and section.kind == "diff":
            out.append("no changes")
        elif len(shown) < len(section.entries):
            rest = len(section.entries) - len(shown)
            out.append(f"{rest} finding{'s' if rest != 1 else ''} shown above or allowed by the gate "
                       f"({_full_listing(report, section)} lists every one)")
        for e in shown:
            out.extend(_block(e, color))
        out.append(_style(section.verdict, "red" if section.failed else "green", color, bold=True))
    if report.conclusion:
        out += ["", _style(report.conclusion, "red" if report.failed else "green", color, bold=True)]
    return "\n".join(out) + "\n"


def _full_listing(report: Report, section: Section) -> str:
    if section.kind == "diff":
        return f"pvabi diff {section.fact('old')} {section.fact('new')}"
    return f"pvabi {report.command} --format json"


def _style(text: str, fg: str, color: bool, bold: bool = False) -> str:
    if not color:
        return text
    return f"\x1b[{'1;' if bold else ''}{_SGR[fg]}m{text}\x1b[0m"


def _block(e: Entry, color: bool) -> list[str]:
    f, info = e.finding, e.info
    category = f"  [{info.category}]" if info.category else ""
    lines = ["", f"{_style(e.label, COLORS[e.worst], color, bold=True)}  {info.id}  {info.title}{category}",
             f"  where:    {where(f)}{'; ' + ranges(f) if ranges(f) else ''}"]
    if locations(f):
        lines.append(f"  defined:  {locations(f)}")
    lines.append(f"  change:   {f.message}")
    if f.old or f.new:
        lines.append(f"  old/new:  {f.old or '-'} -> {f.new or '-'}")
    lines.append(f"  backward: {direction_line(f, 'backward')}")
    lines.append(f"  forward:  {direction_line(f, 'forward')}")
    if e.also:
        lines.append(f"  also:     against {e.also}")
    if f.witness is not None:
        w = witness_lines(f.witness)
        lines.append(f"  witness:  {w[0]}")
        lines.extend(f"            {line}" for line in w[1:])
    elif f.witness_note:
        lines.append(f"  witness:  none ({f.witness_note})")
    lines.extend(f"  {key + ':':9} {value}" for key, value in e.facts)
    if e.waived:
        lines.append(f"  waived:   {e.waiver}")
    if e.worst != Severity.COMPATIBLE:
        lines.append(f"  fix:      {info.fix}")
    return lines
