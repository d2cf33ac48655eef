"""Running the rules: from two ABIs to a verdict under a mode, a gate category and a version policy.

``diff_abis`` runs every registered rule over every layout and architecture
and merges findings that are identical on several architectures. ``PairReport``
judges them: which are violations under the chosen mode (backward, forward,
full) and gate category, which version bump they require, and whether the bump
declared by the version names allows it. ``DiffResult`` holds one report, or
one per earlier version with ``--transitive``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from . import arch as archmod
from .compare import Comparison
from .findings import BREAKING, CATEGORIES, MODES, SOURCE_ONLY, Category, Finding, Mode, Severity, enforced
from .model import Abi, EnumDef, FlagsDef, Loc
from .rules import RULESET_VERSION, Rule, all_rules

BUMPS = ("none", "minor", "major")


def run_rules(cmp: Comparison, rules: Iterable[Rule] | None = None) -> list[Finding]:
    rules = list(rules) if rules is not None else all_rules()
    raw: list[Finding] = []
    pairs = list(cmp.record_pairs())
    enums = list(cmp.enum_pairs())
    flags = list(cmp.flags_pairs())
    for rule in rules:
        for pair in pairs:
            raw.extend(_located(rule.check_record(pair), pair.member_locs))
        for old_e, new_e in enums:
            raw.extend(_typed_at(rule.check_enum(cmp, old_e, new_e), cmp.type_locs(_name(old_e, new_e))))
        for old_f, new_f in flags:
            raw.extend(_typed_at(rule.check_flags(cmp, old_f, new_f), cmp.type_locs(_name(old_f, new_f))))
    for pair in pairs:
        for rule in rules:
            raw.extend(_located(rule.check_remaining(pair, raw), pair.member_locs))
    order = {r.id: i for i, r in enumerate(rules)}
    return sorted(merge_arches(raw), key=lambda f: (f.layout, order[f.rule], f.new_range or f.old_range or (0, 0),
                                                    f.path, archmod.arch_order(f.arches[0])))


def _located(found: Iterable[Finding], locs: Callable[[str], tuple[Loc | None, Loc | None]]) -> list[Finding]:
    """The findings with the YAML file and line of what they concern on each side: the one place they are
    filled in, so no rule has to."""
    out = []
    for f in found:
        old_loc, new_loc = locs(f.path)
        out.append(replace(f, old_loc=old_loc, new_loc=new_loc))
    return out


def _typed_at(found: Iterable[Finding], locs: tuple[Loc | None, Loc | None]) -> list[Finding]:
    """Findings about an enum or flags type point at the type (its values have no line of their own)."""
    return _located(found, lambda _: locs)


def _name(old: EnumDef | FlagsDef | None, new: EnumDef | FlagsDef | None) -> str:
    defined = new or old
    assert defined is not None
    return defined.name


def merge_arches(findings: list[Finding]) -> list[Finding]:
    """One finding per distinct change, listing every architecture it occurs on."""
    groups: dict[tuple[object, ...], list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.merge_key(), []).append(f)
    out = []
    for group in groups.values():
        arches = sorted({a for f in group for a in f.arches}, key=archmod.arch_order)
        witness = next((f.witness for f in group if f.witness is not None), None)
        first = group[0]
        out.append(replace(first, arches=tuple(arches), witness=witness))
    return out


def declared_bump(old: str, new: str) -> str | None:
    """The bump two version names declare; None when either is not a frozen version name."""
    from .versions import parse_name

    try:
        (a, b), (c, d) = parse_name(old), parse_name(new)
    except Exception:
        return None
    if (c, d) < (a, b):
        return None  # a downgrade declares nothing: every break counts
    if a != c:
        return "major"
    return "minor" if b != d else "none"


@dataclass(frozen=True)
class Policy:
    mode: str = Mode.BACKWARD
    category: str = Category.LAYOUT

    def __post_init__(self) -> None:
        # Known names become typed; an unknown one is kept so that run_diff can refuse it with the list
        # of known names (a ValueError here would reach the user as a traceback).
        if self.mode in MODES:
            object.__setattr__(self, "mode", Mode(self.mode))
        if self.category in CATEGORIES:
            object.__setattr__(self, "category", Category(self.category))

    @property
    def directions(self) -> tuple[str, ...]:
        return MODES[self.mode]


@dataclass(frozen=True)
class PairReport:
    old: str
    new: str
    findings: tuple[Finding, ...]
    policy: Policy
    rules: tuple[Rule, ...]
    # The bump the sides declare, when not derivable from their names: the working tree builds on the
    # newest frozen version, so against an older one it carries the bump that version declared.
    declared: str | None = None

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def is_violation(self, f: Finding) -> bool:
        """Enforced by the gate category and not compatible in a direction the mode checks."""
        category = self.rule(f.rule).category
        if not enforced(category, self.policy.category):
            return False
        worst = f.worst(self.policy.directions)
        return worst == BREAKING or (worst == SOURCE_ONLY and self.policy.category == Category.SOURCE)

    @cached_property
    def violations(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if self.is_violation(f))

    @property
    def required_bump(self) -> str:
        if self.violations:
            return "major"
        return "minor" if self.findings else "none"

    @property
    def declared_bump(self) -> str | None:
        return self.declared or declared_bump(self.old, self.new)

    @property
    def bump_ok(self) -> bool:
        declared = self.declared_bump
        if declared is None:
            return self.required_bump != "major"
        return BUMPS.index(declared) >= BUMPS.index(self.required_bump)

    @property
    def failed(self) -> bool:
        """Breaking findings the declared bump does not allow (a working tree declares none)."""
        return bool(self.violations) and self.declared_bump != "major"

    def counts(self) -> dict[str, int]:
        """Findings by their worst severity over the mode's directions."""
        out: dict[str, int] = dict.fromkeys(Severity, 0)
        for f in self.findings:
            out[f.worst(self.policy.directions)] += 1
        return out


@dataclass(frozen=True)
class DiffResult:
    reports: tuple[PairReport, ...]
    policy: Policy
    transitive: bool
    ruleset: int = RULESET_VERSION
    asked: tuple[str, str] | None = None  # the (old, new) pair the user named; transitive runs add others
    # The loaded sides by name, for formats that draw the layouts (html); not part of the result's value.
    models: Mapping[str, Abi] = field(default_factory=dict, compare=False, repr=False)

    @property
    def failed(self) -> bool:
        return any(r.failed for r in self.reports)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def diff_abis(old: Abi, new: Abi, old_name: str, new_name: str, policy: Policy,
              arches: tuple[str, ...] | None = None, layouts: tuple[str, ...] | None = None,
              declared: str | None = None) -> PairReport:
    cmp = Comparison(old, new, old_name, new_name, arches, layouts)
    rules = all_rules()
    return PairReport(old_name, new_name, tuple(run_rules(cmp, rules)), policy, tuple(rules), declared)
