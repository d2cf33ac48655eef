"""The report model: what a command found, in one shape every output format renders.

A ``Report`` is sections of entries plus a summary, an exit code and the run's
metadata. ``pvabi diff`` builds one section per comparison (``diffreport``);
the image checker and the gate add sections of their own kinds (validate,
frozen hashes, images, generated headers) without changing this shape: an
entry wraps a ``Finding`` (rule or check ID, layout, member path,
architectures, severities, YAML locations) with its verdict, and carries what
only its check knows (an image's file and bytes, both decoded values) in
``facts``.

Findings that no layout rule produced still need what a reader acts on (an ID,
a title, a doc, a fix): ``CheckInfo`` holds it, and ``register_check`` adds a
non-rule check to the registry ``check_info`` reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .findings import Category, Finding, Severity
from .model import Abi


@dataclass(frozen=True)
class CheckInfo:
    """What a reader needs to act on a finding: the rule's (or check's) ID, title, category, doc and fix."""

    id: str
    title: str
    category: Category | None  # None: not a layout rule, so no gate category applies
    doc: str
    fix: str


_CHECKS: dict[str, CheckInfo] = {}


def register_check(info: CheckInfo) -> CheckInfo:
    """Make a non-rule check's ID known (the image checker's, the gate's); IDs are unique across rules too."""
    from .rules import REGISTRY

    if info.id in _CHECKS or info.id in {r.id for r in REGISTRY}:
        raise ValueError(f"check ID {info.id} is already taken")
    _CHECKS[info.id] = info
    return info


def check_info(check_id: str) -> CheckInfo:
    """The info of a compatibility rule or a registered check."""
    from .rules import REGISTRY

    for rule in REGISTRY:
        if rule.id == check_id:
            return CheckInfo(rule.id, rule.title, Category(rule.category), rule.doc, rule.fix)
    return _CHECKS[check_id]


@dataclass(frozen=True)
class Entry:
    """One finding in a section, with the verdict the section's policy gave it."""

    finding: Finding
    info: CheckInfo
    worst: Severity  # over the directions the mode checks
    violation: bool  # enforced by the gate and not compatible in a checked direction
    label: str  # the verdict in words ("BREAKING (fails the gate)"), agreeing with the section's verdict
    # A violation the section's policy does not let through (a diff's declared major bump lets every
    # violation through) and no waiver covers: what a CI format marks as an error or a failed test.
    fails: bool = False
    waived: bool = False  # always False until waivers exist (issue 13)
    waiver: str = ""  # the waiver's justification, when waived
    # Human formats show each distinct finding once: False when another section shows it, or when it is
    # history an earlier release accepted. Machine formats list every entry.
    shown: bool = True
    also: str = ""  # the other sections it holds in, in words ("v1.0, v1.1 (fails the gate there)")
    witness_file: str | None = None  # where --witness-dir saved its witness image
    facts: tuple[tuple[str, Any], ...] = ()  # what only its check knows: JSON-ready (key, value) pairs


@dataclass(frozen=True)
class Section:
    """A titled group of entries: one comparison of a diff, or one check of a gate."""

    kind: str  # "diff"; the gate adds "validate", "frozen", "history", "policy", "headers", "images", "waivers"
    title: str  # "v1.3 -> v2.0"
    entries: tuple[Entry, ...]
    failed: bool
    verdict: str  # one line that agrees with the entries' labels
    counts: Mapping[Severity, int]
    facts: tuple[tuple[str, Any], ...] = ()  # section-level facts (a diff's sides and bumps), JSON-ready
    lead: bool = False  # what the user asked for (a transitive diff's named pair): human formats show it first

    def fact(self, key: str) -> Any:
        return dict(self.facts)[key]


@dataclass(frozen=True)
class Summary:
    counts: Mapping[Severity, int]  # entries by worst severity, summed over the sections
    violations: int
    waived: int
    failed: bool

    @property
    def verdict(self) -> str:
        return "failed" if self.failed else "passed"


@dataclass(frozen=True)
class Metadata:
    """How the run was asked for: enough to reproduce it."""

    ruleset: int
    mode: str
    category: str
    transitive: bool
    pvabi_version: str
    asked: tuple[str, str] | None = None  # the (old, new) pair the user named


@dataclass(frozen=True)
class Report:
    command: str  # "diff", "check"; later "check-images"
    schema: str  # the id of the JSON document this report renders as
    sections: tuple[Section, ...]
    metadata: Metadata
    exit_code: int
    # One closing line in words (the gate's "passed: 0 error, ...; 7 of 8 steps ran"); "" when the section
    # verdicts say it all, as a diff's do.
    conclusion: str = ""
    # The ABIs a section names (a diff's sides), for formats that draw layouts; not part of the report's value.
    models: Mapping[str, Abi] = field(default_factory=dict, compare=False, repr=False)
    summary: Summary = field(init=False)

    def __post_init__(self) -> None:
        counts = dict.fromkeys(Severity, 0)
        for s in self.sections:
            for sev, n in s.counts.items():
                counts[Severity(sev)] += n
        entries = [e for s in self.sections for e in s.entries]
        object.__setattr__(self, "summary", Summary(
            MappingProxyType(counts), sum(e.violation and not e.waived for e in entries),
            sum(e.waived for e in entries), any(s.failed for s in self.sections)))

    @property
    def failed(self) -> bool:
        return self.summary.failed

    def in_display_order(self) -> list[Section]:
        """The lead sections first, then the rest in their order."""
        return [s for s in self.sections if s.lead] + [s for s in self.sections if not s.lead]


def count(entries: tuple[Entry, ...]) -> Mapping[Severity, int]:
    """Entries by worst severity, every severity present."""
    out = dict.fromkeys(Severity, 0)
    for e in entries:
        out[e.worst] += 1
    return MappingProxyType(out)


__all__ = ["CheckInfo", "Entry", "Metadata", "Report", "Section", "Summary", "check_info", "count",
           "register_check"]
