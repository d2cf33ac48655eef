"""Markdown report, for a pull-request comment.

GitHub refuses comments over 65,536 characters, so the report is built to fit:
the verdicts and the table of distinct findings come first, witnesses and fixes
sit in collapsed ``<details>``, and when it still does not fit, whole rows are
dropped from the end with a line saying how many and how to see them.
"""

from __future__ import annotations

from ..findings import Severity
from ..report import Entry, Report
from .common import MODE_TEXT, arches, locations, ranges, witness_lines

ICON = {Severity.BREAKING: "❌", Severity.SOURCE_ONLY: "⚠️", Severity.COMPATIBLE: "✅"}
LIMIT = 65_536  # GitHub's limit on an issue or pull-request comment, in characters


def render(report: Report, color: bool = False, limit: int = LIMIT) -> str:
    m = report.metadata
    head = [f"### pvabi {report.command}: {report.summary.verdict}", "",
            f"Mode {MODE_TEXT[m.mode]}{', transitive' if m.transitive else ''}; gate category "
            f"`{m.category}`; ruleset {m.ruleset}."]
    sections = report.in_display_order()
    # Verdicts first, so they survive any cut.
    head += ["", *[f"- **{_escape(s.verdict)}**" for s in sections]]
    if report.conclusion:
        head += ["", _escape(report.conclusion)]
    rows: list[list[str]] = []
    details: list[list[str]] = []
    for s in sections:
        shown = [e for e in s.entries if e.shown]
        if not shown:
            continue
        rows.append(["", f"#### {_title(s.title)}", "",
                     "| | Rule | Where | Arch | Change | Backward | Forward |", "|---|---|---|---|---|---|---|"])
        rows += [[_row(e)] for e in shown]
        details += [_details(e) for e in shown if e.finding.witness is not None or e.violation]
    return _fit(head, rows, details, limit)


def _title(title: str) -> str:
    """``v1.3 -> v2.0`` as `` `v1.3` → `v2.0` ``."""
    old, sep, new = title.partition(" -> ")
    return f"`{old}` → `{new}`" if sep else _escape(title)


def _fit(head: list[str], rows: list[list[str]], details: list[list[str]], limit: int) -> str:
    def text(n_rows: int, n_details: int, note: str) -> str:
        body = [line for chunk in rows[:n_rows] for line in chunk]
        if n_details:
            body += ["", "<details><summary>Witnesses and fixes</summary>", ""]
            body += [line for chunk in details[:n_details] for line in chunk]
            body += ["", "</details>"]
        return "\n".join(head + body + ([note] if note else [])) + "\n"

    n_rows, n_details = len(rows), len(details)
    out = text(n_rows, n_details, "")
    while len(out) > limit and (n_rows or n_details):
        if n_details:
            n_details -= 1
        else:
            n_rows -= 1
        cut_rows, cut_details = len(rows) - n_rows, len(details) - n_details
        note = (f"\n_Cut to fit a pull-request comment ({limit:,} characters): {cut_details} witness/fix "
                f"entr{'ies' if cut_details != 1 else 'y'} and {cut_rows} table row{'s' if cut_rows != 1 else ''} "
                "left out. `pvabi diff --format text` or `--format json` shows everything._")
        out = text(n_rows, n_details, note)
    return out


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _row(e: Entry) -> str:
    f = e.finding
    mark = f"{ICON[e.worst]} {_escape(e.label)}"
    path = f"{f.layout}.{f.shown_path}" if f.path else f.layout
    defined = f" ({_escape(locations(f))})" if locations(f) else ""
    change = _escape(f.message) + (f" (also against {_escape(e.also)})" if e.also else "")
    cells = [mark, f"`{f.rule}`", f"`{path}` {ranges(f)}{defined}", arches(f.arches), change,
             f.severity_in("backward"), f.severity_in("forward")]
    return "| " + " | ".join(cells) + " |"


def _details(e: Entry) -> list[str]:
    f = e.finding
    path = f"{f.layout}.{f.shown_path}" if f.path else f.layout
    out = [f"- `{f.rule}` `{path}` ({arches(f.arches)}): {_escape(f.message)}"]
    if f.witness is not None:
        out += [f"  - witness: {_escape(line)}" for line in witness_lines(f.witness)]
    elif f.witness_note:
        out.append(f"  - no witness: {_escape(f.witness_note)}")
    out += [f"  - {key}: {_escape(str(value))}" for key, value in e.facts]
    out.append(f"  - fix: {_escape(e.info.fix)}")
    return out
