"""``pvabi check`` as a library call: the pre-merge gate, its steps, their findings and the verdict.

One run does what a CI job needs before a change merges: the layouts and the
config validate; frozen versions still match their hashes; against a base ref,
frozen history is what the base had (``history``); the working layouts are
diffed against the newest frozen version under the project's policy; the
version policy says which bump the change needs; committed generated headers
are fresh; waivers are applied, and stale or expired ones reported.

Bad input (a layout that does not load, a malformed waiver file, a missing git
ref) raises, as everywhere in pvabi: exit code 2. Everything the gate refuses is
a ``GateFinding``: exit code 1 unless each failing one is waived.

A finding's identity is ``Finding.identities`` and its YAML place the
finding's ``new_loc``/``old_loc``; ``gatereport`` turns a ``CheckResult`` into a
``report.Report`` that every output format renders. ``image_corpus_step`` is
where the image checker joins the gate.
"""

from __future__ import annotations

import datetime as dt
import shlex
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .abiroot import WORKING, AbiRoot
from .config import CONFIG_NAME, Config, load_config
from .diff import DiffResult, Policy
from .diffreport import change_key, deduplicated
from .diffrun import run_diff
from .errors import InputError, InputErrors, PvabiError
from .findings import BREAKING, COMPATIBLE, SOURCE_ONLY, Finding, Identity
from .history import HISTORY_RULES, protect
from .model import Abi, FieldDef, RecordDef
from .project import Project
from .rules import all_rules
from .versions import VersionIndex, parse_name
from .waivers import WAIVER_EXPIRED, WAIVER_UNUSED, Applied, Waiver, apply, load_waivers

ERROR = "error"  # the severity of the gate's own findings (history, hashes, headers, waivers)
SEVERITY_ORDER = (ERROR, BREAKING, SOURCE_ONLY, COMPATIBLE)
FROZEN_HASH_MISMATCH = "FROZEN_HASH_MISMATCH"
HEADERS_STALE = "HEADERS_STALE"
GATE_RULES = (*HISTORY_RULES, FROZEN_HASH_MISMATCH, HEADERS_STALE, WAIVER_EXPIRED, WAIVER_UNUSED)
OK, FAILED, SKIPPED = "ok", "failed", "skipped"
STEPS = ("validate", "frozen", "history", "diff", "policy", "headers", "images", "waivers")
MAX_HEADER_FILES = 2000


@dataclass(frozen=True)
class CheckOptions:
    against: str | None = None
    new_only: bool = False
    mode: str | None = None
    category: str | None = None
    today: dt.date | None = None  # for tests: the day waivers expire against
    transitive: bool | None = None  # None: from the config


@dataclass(frozen=True)
class Step:
    name: str
    status: str  # ok | failed | skipped
    detail: str


@dataclass(frozen=True)
class GateFinding:
    rule: str
    severity: str  # error (the gate's own rules) or the diff finding's worst severity under the mode
    message: str
    file: str | None = None
    line: int | None = None
    layout: str = ""
    path: str = ""
    arches: tuple[str, ...] = ()
    fails: bool = True  # refuses the change unless waived
    waivable: bool = False
    waiver: Waiver | None = None
    partly_waived: Waiver | None = None  # a waiver covering some of the finding's architectures, not all
    at_base: bool = False  # already reported at the base ref (--against)
    finding: Finding | None = field(default=None, compare=False)
    step: str = ""  # the step (STEPS) that reported it: the report section it goes in
    comparison: str = ""  # a diff finding's comparison ("v2.0 -> working"), whose section shows it

    @property
    def failing(self) -> bool:
        return self.fails and self.waiver is None

    @property
    def where(self) -> str:
        if not self.layout:
            return ""
        path = f"{self.layout}.{self.path}" if self.path else self.layout
        return f"{path} on {', '.join(self.arches)}" if self.arches else path


@dataclass(frozen=True)
class CheckResult:
    root: str
    policy: Policy
    transitive: bool
    steps: tuple[Step, ...]
    findings: tuple[GateFinding, ...]  # what the gate reports (with --new-only, without what the base had)
    diff: DiffResult | None  # the diff as shown: waived findings and hidden base findings taken out
    against: str | None = None  # "origin/main (merge base 0123abcd4567)"
    hidden_at_base: int = 0
    ruleset: int = 0  # the config's, which the diff ran under

    @property
    def failed(self) -> bool:
        return any(f.failing for f in self.findings)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SEVERITY_ORDER, 0)
        for f in self.findings:
            out[f.severity] += 1
        return out

    @property
    def waived(self) -> int:
        return sum(1 for f in self.findings if f.waiver is not None)


Progress = Callable[[int, int, str], None]


# --- where a finding is ----------------------------------------------------------------------------------------

def place(finding: Finding, new: Abi, old: Abi | None) -> tuple[str, int] | None:
    """The YAML file and line a reviewer reads for a finding: the diff's ``new_loc`` when the member is still
    there, else its ``old_loc`` (a removed field, in the old version's file); only when neither side has
    the member itself (an enum's value, a flag's bit) the nearest declaration found by walking the path."""
    loc = finding.new_loc or finding.old_loc
    if loc is not None:
        return loc.file, loc.line
    partial = None
    for abi in (new, old):
        if abi is None:
            continue
        found, complete = _member_loc(abi, finding.layout, finding.path)
        if complete:
            return found
        partial = partial or found
    return partial


def _member_loc(abi: Abi, layout: str, path: str) -> tuple[tuple[str, int] | None, bool]:
    """The deepest declaration of ``layout.path`` in ``abi``, and whether it is the member itself."""
    t = abi.types.get(layout)
    if t is None:
        return None, False
    loc = t.loc
    rec = t if isinstance(t, RecordDef) else None
    # "a .. b" names a run of members; the first is where a reviewer starts reading
    parts = path.split(" .. ")[0].split(".") if path else []
    for depth, part in enumerate(parts):
        f = _field(rec, part.split("[")[0]) if rec is not None else None
        if f is None:
            # an enum's value or a flag's bit has no line of its own: the type's line is the member's
            return (loc.file, loc.line), rec is None and depth == 0
        loc = f.loc
        rec = f.inline or abi.record(f.type)
    return (loc.file, loc.line), True


def _field(rec: RecordDef, name: str) -> FieldDef | None:
    found = rec.field(name)
    if found is not None:
        return found
    for f in rec.fields:  # an anonymous member's fields are reached without its name, as in C
        if f.anonymous and f.inline is not None:
            inner = _field(f.inline, name)
            if inner is not None:
                return inner
    return None


def image_corpus_step(root: AbiRoot, policy: Policy) -> tuple[Step, list[GateFinding]]:
    """Every image of abi/images/ read under the versions the policy's mode requires (``checker``): each
    failure fails the gate; bad input (a truncated image, a sidecar not matching it) raises, exit 2."""
    from .checker import check_images
    from .images import load_corpus

    if not load_corpus(root):
        return Step("images", SKIPPED, f"no image corpus ({_shown(root, root.path / 'images')} has no images; "
                                       "pvabi images add registers one)"), []
    result = check_images(root, mode=policy.mode)
    out = [_image_finding(f, policy) for f in result.findings]
    detail = (f"{_n(len(result.images), 'image')} read {_n(len(result.comparisons), 'time')} under the "
              f"{policy.mode} mode: {_n(len(out), 'failure')}")
    return Step("images", FAILED if out else OK, detail), out


def _image_finding(f: Finding, policy: Policy) -> GateFinding:
    """The checker's finding as the gate's: the image file (the checker's first detail) is where it is."""
    image = f.details[0] if f.details else None
    return GateFinding(f.rule, f.worst(policy.directions), f.message, image, None, f.layout, f.path, f.arches,
                       finding=f, step="images")


# --- the run ---------------------------------------------------------------------------------------------------

def run_check(root: AbiRoot | Project, options: CheckOptions, progress: Progress | None = None) -> CheckResult:
    """Run every step of the gate on ``root``; raise ``PvabiError`` on bad input."""
    project = Project.of(root)  # one project for every step: each version loads and lays out once
    root = project.root
    tell = progress or (lambda i, n, what: None)
    today = options.today or dt.datetime.now(dt.UTC).date()

    tell(1, len(STEPS), "validating layouts, config and waivers")
    abi, cfg, waivers, index = _validate(project)
    policy = Policy((options.mode or cfg.mode).lower(), (options.category or cfg.category).upper())
    if options.transitive is not None:
        cfg = replace(cfg, transitive=options.transitive)
    steps = [Step("validate", OK, f"{len(abi.files)} layout files, {len(abi.records())} layouts, "
                                  f"{cfg.path or 'no config (defaults)'}, {_n(len(waivers), 'waiver')}")]

    tell(2, len(STEPS), "verifying frozen versions")
    tampered = [*index.verify(), *index.orphans()]
    findings = [GateFinding(FROZEN_HASH_MISMATCH, ERROR, e.message, e.file, e.line, step="frozen")
                for e in tampered]
    steps.append(Step("frozen", FAILED if tampered else OK,
                      f"{_n(len(tampered), 'problem')} in frozen versions" if tampered
                      else f"{len(index.versions)} frozen versions match their hashes"))

    with tempfile.TemporaryDirectory(prefix="pvabi-check-") as tmp:
        tell(3, len(STEPS), "reading the base from git" if options.against else "frozen history")
        base_root, against, step, violations = _history(root, options.against, Path(tmp))
        steps.append(step)
        findings += violations
        tell(4, len(STEPS), "diffing the working layouts")
        skipped, result, diff_findings = _diff(project, abi, index, policy, cfg, base_root, bool(tampered))
        base_note = ""
        if result is not None and base_root is not None:
            at_base = _base_identities(base_root, policy, cfg.transitive)
            if at_base is None:
                base_note = f"; the layouts at {against} do not load, so no finding counts as already there"
            at_base = at_base or set()
            diff_findings = [replace(f, at_base=bool(f.finding and set(f.finding.identities) <= at_base))
                             for f in diff_findings]

    applied = apply(waivers, [f.finding.identities if f.finding else () for f in diff_findings], today)
    diff_findings = [replace(f, waiver=applied.waived.get(i), partly_waived=applied.partly.get(i))
                     for i, f in enumerate(diff_findings)]
    set_aside = {change_key(f.finding) for f in diff_findings if f.finding is not None
                 and (f.waiver is not None or (options.new_only and f.at_base))}
    hidden = sum(1 for f in diff_findings if f.at_base) if options.new_only else 0
    if options.new_only:
        diff_findings = [f for f in diff_findings if not f.at_base]
    findings += diff_findings
    tell(5, len(STEPS), "version policy")
    if result is not None:
        diff_step = _diff_step(result, diff_findings, cfg.transitive)
        steps += [replace(diff_step, detail=diff_step.detail + base_note), _policy_step(result, diff_findings, index)]
        result = _without(result, set_aside)
    else:
        steps += [Step("diff", SKIPPED, skipped), Step("policy", SKIPPED, "no diff to judge")]

    tell(6, len(STEPS), "checking generated headers")
    header_step, stale = _headers(project)
    steps.append(header_step)
    findings += stale
    tell(7, len(STEPS), "image corpus")
    image_findings: list[GateFinding] = []
    if tampered or violations:
        # images are read under frozen versions, which must be the ones their sidecars were checked against
        image_step = Step("images", SKIPPED, "frozen history is not intact: no image is read under it")
    else:
        image_step, image_findings = image_corpus_step(root, policy)
    steps.append(image_step)
    findings += image_findings

    tell(8, len(STEPS), "waivers")
    waiver_step, waiver_findings = _waiver_step(root, waivers, applied, findings, diff_ran=result is not None)
    steps.append(waiver_step)
    findings += waiver_findings
    order = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    ordered = sorted(findings, key=lambda f: (order[f.severity], f.file or "", f.line or 0, f.rule, f.where))
    return CheckResult(_shown(root, root.path), policy, cfg.transitive, tuple(steps), tuple(ordered), result,
                       against, hidden, cfg.ruleset)


def _history(root: AbiRoot, ref: str | None, tmp: Path
             ) -> tuple[AbiRoot | None, str | None, Step, list[GateFinding]]:
    """With a base ref: the base's ABI (copied into ``tmp``), its description, and what the change did to
    the frozen history the base had."""
    if ref is None:
        return None, None, Step("history", SKIPPED, "no --against ref: frozen history is checked against one"), []
    from . import gitref

    top = gitref.repository_of(root.path)
    base = gitref.resolve(top, ref)
    against = base.describe()
    base_root = gitref.read_abi(top, base, root.path, tmp)
    violations = _at_base(lambda: protect(base_root, root, ref), against)
    found = [GateFinding(v.rule, ERROR, v.message, v.file, v.line, step="history") for v in violations]
    step = Step("history", FAILED if found else OK,
                f"{_n(len(found), 'change')} to frozen history since {against}" if found
                else f"frozen history is what {against} had")
    return base_root, against, step, found


def _waiver_step(root: AbiRoot, waivers: tuple[Waiver, ...], applied: Applied, findings: list[GateFinding],
                 diff_ran: bool) -> tuple[Step, list[GateFinding]]:
    """Expired waivers, and (when the diff ran, so that there was something to match) unused ones."""
    if not waivers:
        return Step("waivers", SKIPPED, f"no {_shown(root, root.path)}/waivers.yaml"), []
    unused = applied.unused if diff_ran else ()
    out = [GateFinding(WAIVER_EXPIRED, ERROR, f"the waiver of {w.describe()} expired on {w.expires}; fix the "
                       "finding, or renew the waiver with a new approval", w.file, w.line, step="waivers")
           for w in applied.expired]
    out += [GateFinding(WAIVER_UNUSED, ERROR, f"the waiver of {w.describe()} matches no finding; remove it",
                        w.file, w.line, step="waivers") for w in unused]
    used = sum(1 for f in findings if f.waiver is not None)
    detail = (f"{_n(len(waivers), 'waiver')}: {_n(used, 'finding')} waived, {len(applied.expired)} expired, "
              + (f"{len(unused)} unused" if diff_ran else "not matched (the diff did not run)"))
    return Step("waivers", FAILED if out else OK, detail), out


def _validate(project: Project) -> tuple[Abi, Config, tuple[Waiver, ...], VersionIndex]:
    """Everything the later steps read, loaded once; every problem of every file raised together."""
    root = project.root
    problems: list[InputError] = []
    loaded: dict[str, Any] = {}
    unwaivable = frozenset(GATE_RULES)
    waivable = frozenset(r.id for r in all_rules())
    for name, load_it in (("abi", lambda: project.load(WORKING)),
                          ("cfg", lambda: load_config(root.path, _shown(root, root.path / CONFIG_NAME))),
                          ("waivers", lambda: load_waivers(root, waivable, unwaivable)),
                          ("index", lambda: VersionIndex.read(root))):
        try:
            loaded[name] = load_it()
        except InputErrors as e:
            problems.extend(e.errors)
        except InputError as e:
            problems.append(e)
    if problems:
        raise InputErrors(problems)
    return loaded["abi"], loaded["cfg"], loaded["waivers"], loaded["index"]


def _at_base(run: Callable[[], Any], against: str) -> Any:
    """Run ``run`` on the base's files; a problem in them names the ref, not a file of this tree."""
    try:
        return run()
    except InputErrors as e:
        raise InputErrors([InputError(f"{x.message} (at {against})", x.file, x.line, x.field)
                           for x in e.errors]) from None
    except InputError as e:
        raise InputError(f"{e.message} (at {against})", e.file, e.line, e.field) from None


def _old_side(index: VersionIndex, base_root: AbiRoot | None) -> str | None:
    """The release the change is judged against: the base's newest frozen version when it is still here
    (so versions a pull request freezes are judged too), else the newest here."""
    if base_root is not None:
        try:
            base_versions = VersionIndex.read(base_root).versions
        except InputError:
            base_versions = ()
        if base_versions and any(v.name == base_versions[-1].name for v in index.versions):
            return base_versions[-1].name
    return index.versions[-1].name if index.versions else None


def _diff(project: Project, abi: Abi, index: VersionIndex, policy: Policy, cfg: Config,
          base_root: AbiRoot | None, tampered: bool) -> tuple[str, DiffResult | None, list[GateFinding]]:
    """The working layouts against the release they are judged by; when it cannot run, why not."""
    if tampered:
        return "frozen versions do not match their hashes: nothing to diff against", None, []
    old = _old_side(index, base_root)
    if old is None:
        return "no frozen version yet (pvabi freeze v1.0 starts the history)", None, []
    result = run_diff(project, old, WORKING, policy, cfg.transitive)
    olds = {r.old: project.load(r.old) for r in result.reports}
    out = []
    for report, shown in deduplicated(result):
        for f, others in shown:
            at = place(f, abi, olds.get(report.old))
            out.append(GateFinding(
                f.rule, f.worst(policy.directions), f.message, at[0] if at else None,
                at[1] if at else None, f.layout, f.path, f.arches,
                fails=report.is_violation(f) and any(r.declared_bump != "major" for r in (report, *others)),
                waivable=True, finding=f, step="diff", comparison=f"{report.old} -> {report.new}"))
    return "", result, out


def _diff_step(result: DiffResult, findings: list[GateFinding], transitive: bool) -> Step:
    asked = result.asked or ("?", WORKING)
    what = f"{asked[0]} -> {asked[1]}{' (and every earlier version)' if transitive else ''}"
    waived = sum(1 for f in findings if f.waiver is not None)
    status = FAILED if any(f.failing for f in findings if f.finding is not None) else OK
    return Step("diff", status, f"{what}: {_n(len(findings), 'finding')}" + (f", {waived} waived" if waived else ""))


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _base_identities(base_root: AbiRoot, policy: Policy, transitive: bool) -> set[Identity] | None:
    """The identities of what the base's own gate reported (its working layouts against its newest
    version); None when the base's layouts do not load."""
    try:
        index = VersionIndex.read(base_root)
        if not index.versions:
            return set()
        result = run_diff(base_root, index.versions[-1].name, WORKING, policy, transitive)
    except PvabiError:
        return None
    return {i for _, shown in deduplicated(result) for f, _ in shown for i in f.identities}


def _next_name(name: str, bump: str) -> str:
    major, minor = parse_name(name)
    return f"v{major + 1}.0" if bump == "major" else f"v{major}.{minor + 1}"


def _policy_step(result: DiffResult, findings: list[GateFinding], index: VersionIndex) -> Step:
    """The version policy, as ``pvabi diff`` judges it, with waived findings set aside."""
    asked = next(r for r in result.reports if result.asked == (r.old, r.new))
    newest = index.versions[-1].name
    failing = sum(1 for f in findings if f.failing and f.finding is not None)
    waived = sum(1 for f in findings if f.waiver is not None)
    if not asked.findings:
        return Step("policy", OK, f"no changes since {asked.old}: no new version needed")
    declared = asked.declared_bump
    if failing:
        declares = f"{newest} declares a {declared} bump" if declared else "the working tree declares none"
        return Step("policy", FAILED, f"{asked.old} -> {WORKING} needs a major version ({failing} breaking "
                                      f"change{'s' if failing != 1 else ''} not waived), and {declares}")
    required = asked.required_bump
    if declared is not None:
        return Step("policy", OK, f"{asked.old} -> {WORKING} needs a {required} bump; {newest} declares {declared}")
    note = f" ({waived} breaking change{'s' if waived != 1 else ''} waived)" if waived else ""
    return Step("policy", OK, f"{asked.old} -> {WORKING} needs a {required} version{note}: the next freeze is "
                              f"{_next_name(newest, required)}")


def _without(result: DiffResult, set_aside: set[tuple[object, ...]]) -> DiffResult:
    """The diff without what the gate set aside (waived, or at the base under --new-only), so the diff's
    own verdict lines agree with the gate's."""
    return replace(result, reports=tuple(replace(r, findings=tuple(f for f in r.findings
                                                                      if change_key(f) not in set_aside))
                                         for r in result.reports))


# --- generated headers ---------------------------------------------------------------------------------------

def _headers(project: Project) -> tuple[Step, list[GateFinding]]:
    """Committed C headers, found by their banner under the repository's include/, must be what
    ``pvabi gen c`` writes today with the options their banner records."""
    root = project.root
    from .codegen import outputs, read_source, stale
    from .codegen.c import COptions

    include = root.display_base / "include"
    dirs = _generated_dirs(include)
    if not dirs:
        return Step("headers", SKIPPED, "no headers generated by pvabi under include/ (pvabi gen c -o "
                                        "include/NAME writes them)"), []
    out = []
    for directory, command in sorted(dirs.items()):
        shown = _shown(root, directory)
        try:
            args = _gen_options(command)
        except ValueError:
            out.append(GateFinding(HEADERS_STALE, ERROR, f"the banner's command {command!r} is not one pvabi "
                                   "gen c wrote; regenerate the headers", shown, step="headers"))
            continue
        files = outputs("c", read_source(project, args.get("--abi-version", WORKING)),
                        COptions(types=args.get("--types", "stdint"), prefix=args.get("--prefix", ""),
                                 command=command), directory)
        if stale("c", files, directory, lambda p: _shown(root, p)):
            out.append(GateFinding(HEADERS_STALE, ERROR, f"{shown} is stale; regenerate with: {command}", shown,
                                   step="headers"))
    fresh = len(dirs) - len(out)
    return (Step("headers", FAILED if out else OK, f"{fresh} of {len(dirs)} generated header directories fresh "
                 f"({', '.join(_shown(root, d) for d in sorted(dirs))})"), out)


def _generated_dirs(include: Path) -> dict[Path, str]:
    """Directories under ``include`` holding pvabi's headers, with the regenerating command of their banner."""
    found: dict[Path, str] = {}
    if not include.is_dir():
        return found
    for count, path in enumerate(sorted(include.rglob("*.h"))):
        if count >= MAX_HEADER_FILES:
            break
        if path.parent in found or path.is_symlink() or not path.is_file():
            continue
        try:
            with path.open("rb") as f:
                head = f.read(1024).decode("utf-8", "replace")
        except OSError:
            continue
        if "generated by pvabi" not in head:
            continue
        command = next((line.split("Regenerate:", 1)[1].strip() for line in head.splitlines()
                        if "Regenerate:" in line), "")
        found[path.parent] = command
    return found


def _gen_options(command: str) -> dict[str, str]:
    words = shlex.split(command)
    if words[:3] != ["pvabi", "gen", "c"] or len(words[3:]) % 2:
        raise ValueError(command)
    pairs = dict(zip(words[3::2], words[4::2], strict=True))
    if not set(pairs) <= {"--abi-version", "--types", "--prefix", "-o", "--output"}:
        raise ValueError(command)
    return pairs


def _shown(root: AbiRoot, path: Path) -> str:
    try:
        return path.relative_to(root.display_base).as_posix()
    except ValueError:
        return str(path)


# --- words the report uses ---------------------------------------------------------------------------------------

def finding_line(f: GateFinding) -> str:
    """``FILE:LINE: RULE WHERE: VERDICT: MESSAGE``, one line (the report's entries carry the same words)."""
    where = f"{f.file}:{f.line}: " if f.file and f.line else f"{f.file}: " if f.file else ""
    what = f" {f.where}" if f.where else ""
    return f"{where}{f.rule}{what}: {verdict(f)}: {f.message}"


def verdict(f: GateFinding) -> str:
    """What the gate made of a finding: its severity, and whether it fails the gate, is waived, or was there
    already at the base."""
    if f.waiver is not None:
        w = f.waiver
        said = (f"{f.severity}, waived by {w.where} until {w.expires} (approved by {w.approved_by}: "
                   f"{w.reason})")
    elif f.fails and f.partly_waived is not None:
        said = (f"{f.severity}, fails the gate ({f.partly_waived.where} waives it on {f.partly_waived.arch} "
                   "only; a finding is waived on every architecture it occurs on, or not at all)")
    elif f.fails:
        said = f"{f.severity}, fails the gate" + ("" if f.waivable else " (cannot be waived)")
    else:
        said = f.severity
    base = " [already at the base]" if f.at_base else ""
    return f"{said}{base}"


def summary_line(result: CheckResult) -> str:
    c = result.counts()
    counts = ", ".join(f"{n} {s}" for s, n in c.items())
    ran = sum(1 for s in result.steps if s.status != SKIPPED)
    hidden = (f"; {result.hidden_at_base} already at the base, not shown (--new-only)"
              if result.hidden_at_base else "")
    return (f"{'FAILED' if result.failed else 'passed'}: {counts}; {result.waived} waived{hidden} "
            f"({ran} of {len(result.steps)} steps ran)")


__all__ = ["GATE_RULES", "STEPS", "CheckOptions", "CheckResult", "GateFinding", "Step", "finding_line",
           "image_corpus_step", "place", "run_check", "summary_line", "verdict"]
