"""Running the rules: from two ABIs to a verdict under a mode, a gate category and a version policy.

``diff_abis`` runs every registered rule over every layout and architecture
and merges findings that are identical on several architectures. ``PairReport``
judges them: which are violations under the chosen mode (backward, forward,
full) and gate category, which version bump they require, and whether the bump
declared by the version names allows it. ``DiffResult`` holds one report, or
one per earlier version with ``--transitive``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property

from . import arch as archmod
from .compare import Comparison
from .findings import BREAKING, MODES, SOURCE_ONLY, Finding, enforced
from .model import Abi
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
            raw.extend(rule.check_record(pair))
        for old_e, new_e in enums:
            raw.extend(rule.check_enum(cmp, old_e, new_e))
        for old_f, new_f in flags:
            raw.extend(rule.check_flags(cmp, old_f, new_f))
    for pair in pairs:
        for rule in rules:
            raw.extend(rule.check_remaining(pair, raw))
    order = {r.id: i for i, r in enumerate(rules)}
    return sorted(merge_arches(raw), key=lambda f: (f.layout, order[f.rule], f.new_range or f.old_range or (0, 0),
                                                    f.path, archmod.arch_order(f.arches[0])))


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
    mode: str = "backward"
    category: str = "LAYOUT"

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
        return worst == BREAKING or (worst == SOURCE_ONLY and self.policy.category == "SOURCE")

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
        out = {"breaking": 0, "source-only": 0, "compatible": 0}
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
