"""Markdown diff report, for a pull-request comment."""

from __future__ import annotations

from ..diff import DiffResult, PairReport
from ..findings import Finding
from .common import MODE_TEXT, arches, ranges, summary, witness_lines

ICON = {"breaking": "❌", "source-only": "⚠️", "compatible": "✅"}


def render(result: DiffResult, color: bool = False) -> str:
    p = result.policy
    out = [f"### pvabi diff: {'failed' if result.failed else 'passed'}", "",
           f"Mode {MODE_TEXT[p.mode]}{', transitive' if result.transitive else ''}; gate category "
           f"`{p.category}`; ruleset {result.ruleset}."]
    for r in result.reports:
        out += ["", f"#### `{r.old}` → `{r.new}`", "", f"**{_escape(summary(r))}**", ""]
        if not r.findings:
            out.append("No changes.")
            continue
        out += ["| | Rule | Where | Arch | Change | Backward | Forward |",
                "|---|---|---|---|---|---|---|"]
        out += [_row(r, f) for f in r.findings]
        details = [f for f in r.findings if f.witness is not None or r.is_violation(f)]
        if details:
            out += ["", "<details><summary>Witnesses and fixes</summary>", ""]
            for f in details:
                out += _details(r, f)
            out += ["</details>"]
    return "\n".join(out) + "\n"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _row(r: PairReport, f: Finding) -> str:
    worst = f.worst(r.policy.directions)
    mark = ICON[worst] + (" **violation**" if r.is_violation(f) else "")
    path = f"{f.layout}.{f.path}" if f.path else f.layout
    cells = [mark, f"`{f.rule}`", f"`{path}` {ranges(f)}", arches(f.arches), _escape(f.message),
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
