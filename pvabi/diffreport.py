"""A ``DiffResult`` as a ``Report``: one section per comparison, each finding with its verdict in words.

The words live here, not in the formats, so that text, markdown and JSON agree:
a finding's label ("BREAKING (allowed by the major bump v1.3 -> v2.0)") and a
comparison's verdict line say the same thing in every format.

A transitive run finds most changes against several earlier versions; human
formats show each once (``Entry.shown``), under the comparison the user asked
for when it holds there, naming the other versions it also holds against.
"""

from __future__ import annotations

from .diff import DiffResult, PairReport
from .findings import BREAKING, Finding, Severity
from .report import Entry, Metadata, Report, Section, check_info

SCHEMA = "pvabi.diff/2"  # the JSON document's id: pvabi/schemas/diff.schema.json, docs/json.md


def diff_report(result: DiffResult, witness_files: dict[tuple[int, int], str] | None = None) -> Report:
    """``witness_files`` maps (comparison index, finding index) to a saved witness image's file name."""
    from . import __version__

    files = witness_files or {}
    shown = _shown(result)
    sections = tuple(_section(r, ri, shown, files, result.asked == (r.old, r.new))
                     for ri, r in enumerate(result.reports))
    meta = Metadata(result.ruleset, result.policy.mode, result.policy.category, result.transitive, __version__,
                    result.asked)
    return Report("diff", SCHEMA, sections, meta, result.exit_code, models=result.models)


def _section(r: PairReport, ri: int, shown: dict[tuple[int, int], list[PairReport]],
             files: dict[tuple[int, int], str], lead: bool) -> Section:
    entries = tuple(
        Entry(f, check_info(f.rule), f.worst(r.policy.directions), r.is_violation(f), label(r, f),
              fails=r.failed and r.is_violation(f), shown=(ri, fi) in shown,
              also=also_text(f, shown.get((ri, fi), [])), witness_file=files.get((ri, fi)))
        for fi, f in enumerate(r.findings))
    counts = {Severity(k): v for k, v in r.counts().items()}
    facts = (("old", r.old), ("new", r.new), ("declared_bump", r.declared_bump),
             ("required_bump", r.required_bump), ("bump_ok", r.bump_ok))
    return Section("diff", f"{r.old} -> {r.new}", entries, r.failed, summary(r), counts, facts,
                   lead=lead)


def label(r: PairReport, f: Finding) -> str:
    """The finding's verdict in words that agree with the summary line."""
    worst = f.worst(r.policy.directions)
    text = worst.upper()
    if r.is_violation(f):
        allowed = _allowed_by(r)
        return f"{text} (allowed by {allowed})" if allowed else f"{text} (fails the gate)"
    if worst == BREAKING:
        return f"{text} (not enforced by the {r.policy.category} gate)"
    return text


def _allowed_by(r: PairReport) -> str | None:
    if r.failed:
        return None
    if r.declared is not None:
        return "the major bump the newest frozen version already declared"
    return f"the major bump {r.old} -> {r.new}"


def also_text(f: Finding, others: list[PairReport]) -> str:
    """``v1.0, v1.1 (fails the gate there)``: the other old versions a finding holds against."""
    parts = []
    for r in others:
        fails = r.failed and any(change_key(v) == change_key(f) for v in r.violations)
        parts.append(f"{r.old}{' (fails the gate there)' if fails else ''}")
    return ", ".join(parts)


def summary(r: PairReport) -> str:
    """``OLD -> NEW: STATE: counts; what the bump policy made of them`` in words that agree with each other."""
    c = r.counts()
    counts = f"{c['breaking']} breaking, {c['source-only']} source-only, {c['compatible']} compatible"
    n = len(r.violations)
    if not r.findings:
        verdict = "no changes"
    elif r.failed:
        declared = r.declared_bump
        why = (f"{r.new} declares no version bump" if declared is None
               else f"{r.old} -> {r.new} is a {declared} bump, not major")
        verdict = f"{n} fail{'s' if n == 1 else ''} the gate: a major version bump is needed, and {why}"
    elif n:
        verdict = f"{n} breaking, allowed by {_allowed_by(r)}"
    elif r.required_bump == "none":
        verdict = "no version bump needed"
    else:
        verdict = "a minor version bump is needed" + (
            "" if r.bump_ok else f", but {r.old} -> {r.new} declares {r.declared_bump or 'none'}")
    return f"{r.old} -> {r.new}: {'FAILED' if r.failed else 'passed'}: {counts}; {verdict}"


def change_key(f: Finding) -> tuple[object, ...]:
    """A finding as a change, whichever earlier version it was found against."""
    return (f.rule, f.layout, f.path, f.arches, f.message, f.severity, f.old, f.new, f.old_range, f.new_range)


def _ordered(result: DiffResult) -> list[int]:
    """Indexes of the pair the user asked for first, then the earlier versions a transitive run added."""
    indexes = list(range(len(result.reports)))
    asked = [i for i in indexes if result.asked == (result.reports[i].old, result.reports[i].new)]
    return asked + [i for i in indexes if i not in asked]


def _shown(result: DiffResult) -> dict[tuple[int, int], list[PairReport]]:
    """(comparison, finding) indexes a human format shows, each with the other comparisons it holds in."""
    order = _ordered(result)
    holds: dict[tuple[object, ...], list[PairReport]] = {}
    for ri in order:
        for f in result.reports[ri].findings:
            holds.setdefault(change_key(f), []).append(result.reports[ri])
    seen: set[tuple[object, ...]] = set()
    out: dict[tuple[int, int], list[PairReport]] = {}
    for n, ri in enumerate(order):
        r = result.reports[ri]
        # The comparisons a transitive run adds show only what fails there: what they allow is history
        # the earlier releases already accepted, and `pvabi diff OLD NEW` shows it whole.
        failing = {change_key(f) for f in r.violations} if r.failed else set()
        for fi, f in enumerate(r.findings):
            key = change_key(f)
            if key in seen or (n > 0 and result.asked is not None and key not in failing):
                continue
            seen.add(key)
            out[(ri, fi)] = holds[key][1:]
    return out


def deduplicated(result: DiffResult) -> list[tuple[PairReport, list[tuple[Finding, list[PairReport]]]]]:
    """Each distinct finding once, in the comparison a human format shows it under, with the other
    comparisons it also holds in (what ``Entry.shown``/``also`` say, for callers that judge findings)."""
    shown = _shown(result)
    return [(result.reports[ri], [(f, shown[(ri, fi)]) for fi, f in enumerate(result.reports[ri].findings)
                                  if (ri, fi) in shown]) for ri in _ordered(result)]


__all__ = ["SCHEMA", "diff_report", "label", "summary"]
