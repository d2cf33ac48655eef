"""A gate run (``gate.CheckResult``) as a ``report.Report``: one section per step, in the order they ran.

The diff step is the diff's own sections (``diffreport``), with the gate's
verdict on each entry: whether the gate fails on it, and the waiver that lets
it through. The other steps are sections of their own kind whose entries are
the gate's findings (frozen hashes, frozen history, stale headers, waivers)
and the image checker's failures. The gate's own checks are registered here
(``report.register_check``) so every format can show their title and fix.

Every verdict line starts ``STEP: STATUS:`` so that a CI log reads as the
steps table did; the report's closing line is ``gate.summary_line``.
"""

from __future__ import annotations

from dataclasses import replace

from .diffreport import change_key, diff_report
from .findings import Finding, Severity, severities
from .gate import ERROR, FAILED, CheckResult, GateFinding, Step, summary_line, verdict
from .history import FROZEN_HASH_EDITED, FROZEN_VERSION_CHANGED, FROZEN_VERSION_INSERTED, FROZEN_VERSION_REMOVED
from .model import Loc
from .report import CheckInfo, Entry, Metadata, Report, Section, check_info, count, register_check
from .waivers import WAIVER_EXPIRED, WAIVER_UNUSED, Waiver

SCHEMA = "pvabi.check/2"  # the JSON document's id: pvabi/schemas/check.schema.json, docs/json.md

_HISTORY_FIX = ("Restore the frozen files and abi/versions/index.json as the base ref has them; a change to "
                "the ABI goes into abi/layouts/ and is frozen as a new version.")
GATE_CHECKS = tuple(register_check(info) for info in (
    CheckInfo("FROZEN_HASH_MISMATCH", "A frozen version does not match its recorded hash", None,
              "A file of a frozen version (abi/versions/VERSION/) no longer has the SHA-256 that "
              "abi/versions/index.json records for it, or the directory holds a file the index does not "
              "list. Guests in the field were built against the frozen bytes; the gate cannot diff against "
              "a version it cannot trust, so the diff step is skipped.",
              "Restore the frozen file (git checkout BASE -- abi/versions/); never edit a frozen version."),
    CheckInfo(FROZEN_VERSION_CHANGED, "A frozen version differs from the base ref's", None,
              "With --against, a version the base ref froze is not what it was: one of its files was edited "
              "or deleted, a file was added to it, or its index entry (date, summary) changed. Rehashing an "
              "edited file in index.json does not help: frozen history is what the base had. No waiver can "
              "silence this.",
              _HISTORY_FIX),
    CheckInfo(FROZEN_VERSION_REMOVED, "A frozen version of the base ref is gone", None,
              "With --against, a version the base ref froze is gone from abi/versions/index.json, removed "
              "or renamed. Guests built against it still run. No waiver can silence this.", _HISTORY_FIX),
    CheckInfo(FROZEN_HASH_EDITED, "A recorded hash of a frozen version was edited", None,
              "With --against, abi/versions/index.json records another hash for a frozen file than the base "
              "ref does. No waiver can silence this.", _HISTORY_FIX),
    CheckInfo(FROZEN_VERSION_INSERTED, "A new frozen version is not appended", None,
              "With --against, a version frozen by this change sorts before a version the base ref already "
              "had: history may only grow at its end. No waiver can silence this.",
              "Freeze the change as a version newer than every version the base ref has."),
    CheckInfo("HEADERS_STALE", "Committed generated headers are stale", None,
              "A directory under include/ holds C headers whose banner says pvabi generated them, and "
              "`pvabi gen c` with the options that banner records writes something else today: code built "
              "from them disagrees with the layouts.",
              "Run the command in the headers' banner (Regenerate: ...) and commit the result."),
    CheckInfo(WAIVER_EXPIRED, "A waiver has expired", None,
              "A waiver in abi/waivers.yaml is past its expiry date, so it waives nothing and the finding it "
              "named fails the gate again.",
              "Fix the finding, or renew the waiver with a new date and a new approval."),
    CheckInfo(WAIVER_UNUSED, "A waiver matches no finding", None,
              "A waiver in abi/waivers.yaml names an identity (rule, layout, path, architecture) that no "
              "finding of this run has: the break it allowed is gone or was renamed, and a stale waiver "
              "would silently allow a future break.",
              "Remove the waiver from abi/waivers.yaml."),
))
_STEP_TITLES = {"validate": "layouts, config and waivers validate", "frozen": "frozen versions match their hashes",
                "history": "frozen history is the base ref's", "diff": "the working layouts against the newest "
                "frozen version", "policy": "the version policy", "headers": "committed generated headers are "
                "fresh", "images": "the image corpus reads correctly", "waivers": "waivers in force and used"}


def check_report(result: CheckResult) -> Report:
    """The report every ``pvabi check`` format renders; the same result gives the same report."""
    from . import __version__

    sections: list[Section] = []
    for step in result.steps:
        mine = [f for f in result.findings if f.step == step.name]
        if step.name == "diff" and result.diff is not None:
            sections += _diff_sections(result, step, mine)
        else:
            sections.append(_step_section(step, mine, result.against))
    p = result.policy
    meta = Metadata(result.ruleset, p.mode, p.category, result.transitive, __version__,
                    result.diff.asked if result.diff is not None else None)
    return Report("check", SCHEMA, tuple(sections), meta, result.exit_code, conclusion=summary_line(result),
                  models=result.diff.models if result.diff is not None else {})


def _step_line(step: Step) -> str:
    return f"{step.name}: {step.status}: {step.detail}"


def _step_section(step: Step, findings: list[GateFinding], against: str | None) -> Section:
    entries = tuple(_entry(f) for f in findings)
    facts: tuple[tuple[str, object], ...] = (("step", step.name), ("status", step.status))
    if step.name == "history":
        facts += (("against", against),)
    return Section(step.name, _STEP_TITLES[step.name], entries, step.status == FAILED, _step_line(step),
                   count(entries), facts)


def _diff_sections(result: CheckResult, step: Step, findings: list[GateFinding]) -> list[Section]:
    """The diff's sections with the gate's verdict on each entry, and the waived findings (which the
    result's diff leaves out so that its verdict lines agree with the gate's) put back, marked waived."""
    assert result.diff is not None
    gated = {(f.comparison, change_key(f.finding)): f for f in findings if f.finding is not None}
    failing = {change_key(f.finding) for f in findings if f.finding is not None and f.failing}
    out = []
    for s in diff_report(result.diff).sections:
        entries = [_gated(e, gated.get((s.title, change_key(e.finding))), change_key(e.finding) in failing)
                   for e in s.entries]
        entries += [_entry(f) for f in findings if f.waiver is not None and f.comparison == s.title]
        failed = any(e.fails for e in entries)
        status = FAILED if failed else "ok"
        out.append(replace(s, entries=tuple(entries), failed=failed, counts=count(tuple(entries)), lead=False,
                           verdict=f"diff: {status}: {s.verdict}",
                           facts=(*s.facts, ("step", step.name), ("status", status))))
    return out


def _gated(e: Entry, f: GateFinding | None, fails: bool) -> Entry:
    """A diff entry with the gate's verdict: the gate's words where the gate shows it (``f``), and whether
    the gate fails on the change (held against any comparison)."""
    if f is None:
        return replace(e, fails=fails)
    return replace(e, fails=fails, label=verdict(f),
                   facts=(*e.facts, *((("already_at_base", True),) if f.at_base else ())))


def _entry(f: GateFinding) -> Entry:
    """A gate finding as a report entry: the gate's own findings are errors no waiver covers; a diff or image
    finding keeps its own severities."""
    finding = f.finding
    facts: tuple[tuple[str, object], ...] = ()
    if finding is None and f.step == "headers":
        finding = _own_finding(f, None)  # its place is a directory of headers, not a line
        facts = (("file", f.file),) if f.file else ()
    elif finding is None:
        # a frozen file as a whole (a hash that no longer matches it) is annotated on its first line
        finding = _own_finding(f, Loc(f.file, f.line or 1) if f.file else None)
    elif f.step == "images" and f.file:
        facts = (("image", f.file),)
    worst = Severity.BREAKING if f.severity == ERROR else Severity(f.severity)
    return Entry(finding, _info(f.rule), worst, f.fails, verdict(f), fails=f.failing, waived=f.waiver is not None,
                 waiver=_waiver_text(f.waiver), facts=facts)


def _own_finding(f: GateFinding, loc: Loc | None) -> Finding:
    return Finding(f.rule, f.layout, f.path, f.arches, f.message, severities("breaking", "breaking"), new_loc=loc)


def _waiver_text(w: Waiver | None) -> str:
    if w is None:
        return ""
    return f"by {w.where} until {w.expires} (approved by {w.approved_by}: {w.reason})"


def _info(rule: str) -> CheckInfo:
    """A rule's or a registered check's info; the image checker's rules, while it registers none, from
    its own registry."""
    try:
        return check_info(rule)
    except KeyError:
        from .imagerules import IMAGE_RULES

        r = IMAGE_RULES[rule]
        return CheckInfo(r.id, r.title, None, r.doc, "Fix the layout change that makes this image read "
                         "differently, or, for an intended break, release it as a major version.")


__all__ = ["GATE_CHECKS", "SCHEMA", "check_report"]
