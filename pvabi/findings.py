"""What a compatibility rule reports: findings, their severity per direction, witnesses.

Two directions matter for a shared page (the names follow Schema Registry):

- **backward**: an old guest (built against the old layout) on a new host;
- **forward**: a new guest on an old host.

In each direction a finding is ``breaking`` (a peer misreads bytes, or the
layout changed under a LAYOUT rule), ``source-only`` (C code that names the
thing stops compiling; the bytes mean the same) or ``compatible``.

Categories nest from strict to loose: a gate set to SOURCE enforces every rule,
LAYOUT enforces LAYOUT and WIRE rules, WIRE only the rules about bytes a reader
actually interprets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .model import Loc


class Direction(StrEnum):
    BACKWARD = "backward"  # an old guest on a new host
    FORWARD = "forward"  # a new guest on an old host


class Severity(StrEnum):
    """Worst first: ``SEVERITIES`` and ``Finding.worst`` rely on this order."""

    BREAKING = "breaking"
    SOURCE_ONLY = "source-only"
    COMPATIBLE = "compatible"


class Category(StrEnum):
    """Strict to loose: ``enforced`` relies on this order."""

    SOURCE = "SOURCE"
    LAYOUT = "LAYOUT"
    WIRE = "WIRE"


class Mode(StrEnum):
    BACKWARD = "backward"
    FORWARD = "forward"
    FULL = "full"


DIRECTIONS = tuple(Direction)
DIRECTION_TEXT: dict[str, str] = {
    Direction.BACKWARD: "old guest on new host",
    Direction.FORWARD: "new guest on old host",
}
# The bare names predate the enums; rules, flows and tests still import them.
BREAKING, SOURCE_ONLY, COMPATIBLE = Severity.BREAKING, Severity.SOURCE_ONLY, Severity.COMPATIBLE
SEVERITIES = tuple(Severity)
CATEGORIES = tuple(Category)
MODES: dict[str, tuple[Direction, ...]] = {Mode.BACKWARD: (Direction.BACKWARD,), Mode.FORWARD: (Direction.FORWARD,),
         Mode.FULL: (Direction.BACKWARD, Direction.FORWARD)}


def enforced(rule_category: str, gate: str) -> bool:
    """A gate enforces its own category and every looser one."""
    return CATEGORIES.index(rule_category) >= CATEGORIES.index(gate)


@dataclass(frozen=True)
class Witness:
    """An image one side writes whose decode by the other side gives a different value.

    ``written_under`` and ``read_under`` name versions; ``image`` is the whole
    image the writer produced (padded with what was already in memory when the
    reader's layout is longer). ``field``/``offset``/``size`` locate the bytes
    that differ in meaning; ``writer_value`` is what the writer meant there and
    ``reader_value`` what the reader decodes (``None``: absent in that version).
    ``offset`` is where the reader looks; ``writer_offset`` where the writer put
    its value, when that differs (a moved field).

    Values are the decoder's typed values (int, bytes, ``EnumValue``,
    ``FlagsValue``, lists), never display text: the formats word them.
    ``required`` is set when the reader refuses the image because a constant it
    requires is not there (the value it requires; ``reader_value`` is what the
    image holds). ``writer_field`` names the writer's own field in those bytes
    when the writer has no ``field`` (``writer_value`` is then that field's).
    """

    layout: str
    arch: str
    written_under: str
    read_under: str
    field: str
    offset: int
    size: int
    image: bytes
    writer_value: Any
    reader_value: Any
    note: str = ""
    writer_offset: int | None = None  # where the writer put the value, when not at ``offset``
    # The direction whose breaking verdict this image proves, and which party writes it and which reads
    # it there ("host"/"guest"); empty when the witness is about an embedding or a bound, not a party.
    direction: str = ""
    writer: str = ""
    reader: str = ""
    # Array witnesses: how many elements decode differently (``field`` names the first of them), and the
    # first few as (path, writer's value, reader's value).
    elements_differing: int = 0
    differing: tuple[tuple[str, Any, Any], ...] = ()
    required: Any = None
    writer_field: str = ""

    @property
    def bytes_at(self) -> bytes:
        return self.image[self.offset:self.offset + self.size]


@dataclass(frozen=True, order=True)
class Identity:
    """What a finding is about, stable across runs and wording: what a waiver names.

    ``path`` is a member path inside the layout ("" for the layout itself), or a value's name in an enum
    or flags type; never a display run.
    """

    rule: str
    layout: str
    path: str
    arch: str

    def __str__(self) -> str:
        return f"{self.rule} {self.layout}{'.' + self.path if self.path else ''} on {self.arch}"


@dataclass(frozen=True)
class Finding:
    """One change, found by one rule, on one or more architectures."""

    rule: str
    layout: str
    path: str
    arches: tuple[str, ...]
    message: str
    severity: tuple[tuple[str, str], ...]  # (direction, severity) for both directions
    old: str = ""
    new: str = ""
    old_range: tuple[int, int] | None = None  # [start, end) in the old layout
    new_range: tuple[int, int] | None = None
    witness: Witness | None = None
    witness_note: str = ""  # why there is none, when there is none
    old_version: str = ""
    new_version: str = ""
    details: tuple[str, ...] = field(default=())
    covers: tuple[str, ...] = field(default=())  # members the finding accounts for, beyond ``path``
    run_end: str = ""  # the last member of a folded run of adjacent members starting at ``path``
    # The YAML definition of the member (or the layout, or the enum/flags type) on each side; None where
    # it does not exist. Filled in by ``diff.run_rules``, not by the rules.
    old_loc: Loc | None = None
    new_loc: Loc | None = None

    def __post_init__(self) -> None:
        # Rules build severities from plain words too; the finding holds them typed.
        object.__setattr__(self, "severity", tuple((Direction(d), Severity(s)) for d, s in self.severity))

    def severity_in(self, direction: str) -> Severity:
        found: dict[str, Severity] = dict(self.severity)  # type: ignore[arg-type]  # typed by __post_init__
        return found[direction]

    def worst(self, directions: tuple[str, ...]) -> Severity:
        found = {self.severity_in(d) for d in directions}
        return next(s for s in SEVERITIES if s in found or s == COMPATIBLE)

    @property
    def shown_path(self) -> str:
        """``path``, or ``first .. last`` for a folded run: for people, never for identity."""
        return f"{self.path} .. {self.run_end}" if self.run_end else self.path

    def identity(self, arch: str) -> Identity:
        return Identity(self.rule, self.layout, self.path, arch)

    @property
    def identities(self) -> tuple[Identity, ...]:
        return tuple(self.identity(a) for a in self.arches)

    def merge_key(self) -> tuple[Any, ...]:
        return (self.rule, self.layout, self.path, self.message, self.severity, self.old, self.new,
                self.old_range, self.new_range, self.old_version, self.new_version)


def severities(backward: str, forward: str) -> tuple[tuple[str, str], ...]:
    return ((Direction.BACKWARD, Severity(backward)), (Direction.FORWARD, Severity(forward)))
