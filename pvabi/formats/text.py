"""Plain-text diff report: one block per finding, one summary line per comparison."""

from __future__ import annotations

from ..diff import DiffResult, PairReport
from ..findings import BREAKING, SOURCE_ONLY, Finding
from .common import MODE_TEXT, direction_line, ranges, summary, where, witness_lines

COLORS = {BREAKING: "red", SOURCE_ONLY: "yellow", "compatible": "green"}
# SGR codes; written here rather than borrowed from a terminal library the package does not declare.
_SGR = {"red": 31, "green": 32, "yellow": 33}


def render(result: DiffResult, color: bool = False) -> str:
    out: list[str] = []
    p = result.policy
    out.append(f"pvabi diff: mode {MODE_TEXT[p.mode]}{', transitive' if result.transitive else ''}; "
               f"gate category {p.category}; ruleset {result.ruleset}")
    for report in result.reports:
        out.append("")
        out.append(f"== {report.old} -> {report.new}")
        if not report.findings:
            out.append("no changes")
        for f in report.findings:
            out.extend(_block(report, f, color))
        out.append(_style(summary(report), "red" if report.failed else "green", color, bold=True))
    return "\n".join(out) + "\n"


def _style(text: str, fg: str, color: bool, bold: bool = False) -> str:
    if not color:
        return text
    return f"\x1b[{'1;' if bold else ''}{_SGR[fg]}m{text}\x1b[0m"


def _block(report: PairReport, f: Finding, color: bool) -> list[str]:
    rule = report.rule(f.rule)
    worst = f.worst(report.policy.directions)
    label = worst.upper() + (" (violation)" if report.is_violation(f) else "")
    lines = ["", f"{_style(label, COLORS[worst], color, bold=True)}  {f.rule}  {rule.title}  [{rule.category}]",
             f"  where:    {where(f)}{'; ' + ranges(f) if ranges(f) else ''}",
             f"  change:   {f.message}"]
    if f.old or f.new:
        lines.append(f"  old/new:  {f.old or '-'} -> {f.new or '-'}")
    lines.append(f"  backward: {direction_line(f, 'backward')}")
    lines.append(f"  forward:  {direction_line(f, 'forward')}")
    if f.witness is not None:
        w = witness_lines(f.witness)
        lines.append(f"  witness:  {w[0]}")
        lines.extend(f"            {line}" for line in w[1:])
    elif f.witness_note:
        lines.append(f"  witness:  none ({f.witness_note})")
    if worst != "compatible":
        lines.append(f"  fix:      {rule.fix}")
    return lines
