"""Markdown diff report, for a pull-request comment.

GitHub refuses comments over 65,536 characters, so the report is built to fit:
the verdicts and the table of distinct findings come first, witnesses and fixes
sit in collapsed ``<details>``, and when it still does not fit, whole rows are
dropped from the end with a line saying how many and how to see them.
"""

from __future__ import annotations

from ..diff import DiffResult, PairReport
from ..findings import Finding
from .common import MODE_TEXT, also_text, arches, deduplicated, label, ranges, summary, witness_lines

ICON = {"breaking": "❌", "source-only": "⚠️", "compatible": "✅"}
LIMIT = 65_536  # GitHub's limit on an issue or pull-request comment, in characters


def render(result: DiffResult, color: bool = False, limit: int = LIMIT) -> str:
    p = result.policy
    head = [f"### pvabi diff: {'failed' if result.failed else 'passed'}", "",
            f"Mode {MODE_TEXT[p.mode]}{', transitive' if result.transitive else ''}; gate category "
            f"`{p.category}`; ruleset {result.ruleset}."]
    sections = deduplicated(result)
    # Verdicts first, so they survive any cut.
    head += ["", *[f"- **{_escape(summary(r))}**" for r, _ in sections]]
    rows: list[list[str]] = []
    details: list[list[str]] = []
    for r, shown in sections:
        if not shown:
            continue
        rows.append(["", f"#### `{r.old}` → `{r.new}`", "",
                     "| | Rule | Where | Arch | Change | Backward | Forward |", "|---|---|---|---|---|---|---|"])
        rows += [[_row(r, f, others)] for f, others in shown]
        details += [_details(r, f) for f, _ in shown if f.witness is not None or r.is_violation(f)]
    return _fit(head, rows, details, limit)


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


def _row(r: PairReport, f: Finding, others: list[PairReport]) -> str:
    worst = f.worst(r.policy.directions)
    mark = f"{ICON[worst]} {_escape(label(r, f))}"
    path = f"{f.layout}.{f.path}" if f.path else f.layout
    change = _escape(f.message) + (f" (also against {_escape(also_text(f, others))})" if others else "")
    cells = [mark, f"`{f.rule}`", f"`{path}` {ranges(f)}", arches(f.arches), change,
             f.severity_in("backward"), f.severity_in("forward")]
    return "| " + " | ".join(cells) + " |"


def _details(r: PairReport, f: Finding) -> list[str]:
    path = f"{f.layout}.{f.path}" if f.path else f.layout
    out = [f"- `{f.rule}` `{path}` ({arches(f.arches)}): {_escape(f.message)}"]
    if f.witness is not None:
        out += [f"  - witness: {_escape(line)}" for line in witness_lines(f.witness)]
    elif f.witness_note:
        out.append(f"  - no witness: {_escape(f.witness_note)}")
    out.append(f"  - fix: {_escape(r.rule(f.rule).fix)}")
    return out
