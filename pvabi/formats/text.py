"""Plain-text diff report: one block per distinct finding, one verdict line per comparison.

A transitive run finds most changes against several earlier versions; each is
printed once, under the comparison the user asked for when it holds there,
with the other versions it also holds against.
"""

from __future__ import annotations

from ..diff import DiffResult, PairReport
from ..findings import BREAKING, SOURCE_ONLY, Finding
from .common import MODE_TEXT, also_text, deduplicated, direction_line, label, ranges, summary, where, witness_lines

COLORS = {BREAKING: "red", SOURCE_ONLY: "yellow", "compatible": "green"}
# SGR codes; written here rather than borrowed from a terminal library the package does not declare.
_SGR = {"red": 31, "green": 32, "yellow": 33}


def render(result: DiffResult, color: bool = False) -> str:
    out: list[str] = []
    p = result.policy
    out.append(f"pvabi diff: mode {MODE_TEXT[p.mode]}{', transitive' if result.transitive else ''}; "
               f"gate category {p.category}; ruleset {result.ruleset}")
    for report, shown in deduplicated(result):
        out.append("")
        out.append(f"== {report.old} -> {report.new}")
        if not report.findings:
            out.append("no changes")
        elif len(shown) < len(report.findings):
            rest = len(report.findings) - len(shown)
            out.append(f"{rest} finding{'s' if rest != 1 else ''} shown above or allowed by the gate "
                       f"(pvabi diff {report.old} {report.new} lists every one)")
        for f, others in shown:
            out.extend(_block(report, f, others, color))
        out.append(_style(summary(report), "red" if report.failed else "green", color, bold=True))
    return "\n".join(out) + "\n"


def _style(text: str, fg: str, color: bool, bold: bool = False) -> str:
    if not color:
        return text
    return f"\x1b[{'1;' if bold else ''}{_SGR[fg]}m{text}\x1b[0m"


def _block(report: PairReport, f: Finding, others: list[PairReport], color: bool) -> list[str]:
    rule = report.rule(f.rule)
    worst = f.worst(report.policy.directions)
    lines = ["", f"{_style(label(report, f), COLORS[worst], color, bold=True)}  {f.rule}  {rule.title}  "
                 f"[{rule.category}]",
             f"  where:    {where(f)}{'; ' + ranges(f) if ranges(f) else ''}",
             f"  change:   {f.message}"]
    if f.old or f.new:
        lines.append(f"  old/new:  {f.old or '-'} -> {f.new or '-'}")
    lines.append(f"  backward: {direction_line(f, 'backward')}")
    lines.append(f"  forward:  {direction_line(f, 'forward')}")
    if others:
        lines.append(f"  also:     against {also_text(f, others)}")
    if f.witness is not None:
        w = witness_lines(f.witness)
        lines.append(f"  witness:  {w[0]}")
        lines.extend(f"            {line}" for line in w[1:])
    elif f.witness_note:
        lines.append(f"  witness:  none ({f.witness_note})")
    if worst != "compatible":
        lines.append(f"  fix:      {rule.fix}")
    return lines
