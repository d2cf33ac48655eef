"""What every compatibility rule is: an ID, a title, a category, a doc, and checks.

A rule looks at one ``RecordPair`` (a layout on one architecture, old and new),
or at one pair of enum or flags definitions, and yields findings. It decides the
severity per direction from the fields' writers and readers (``flows``) and,
for every breaking finding in the WIRE or LAYOUT category, attaches a witness
image or says in ``witness_doc`` why none can exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from ..compare import Comparison, RecordPair
from ..findings import Category, Finding, Witness
from ..model import EnumDef, FlagsDef


class Rule:
    id: ClassVar[str]
    title: ClassVar[str]
    category: ClassVar[Category]
    doc: ClassVar[str]  # one paragraph: what it detects and why it matters
    fix: ClassVar[str]  # one line: how to fix
    backward: ClassVar[str]  # severity in the backward direction, in words
    forward: ClassVar[str]
    witness_doc: ClassVar[str]  # how the witness is built, or why there is none

    def check_record(self, pair: RecordPair) -> Iterable[Finding]:
        return ()

    def check_enum(self, cmp: Comparison, old: EnumDef | None, new: EnumDef | None) -> Iterable[Finding]:
        return ()

    def check_flags(self, cmp: Comparison, old: FlagsDef | None, new: FlagsDef | None) -> Iterable[Finding]:
        return ()

    def check_remaining(self, pair: RecordPair, found: list[Finding]) -> Iterable[Finding]:
        """Runs after every rule's other checks, with all findings so far (the safety net uses it)."""
        return ()

    def finding(self, pair: RecordPair, path: str, message: str, severity: tuple[tuple[str, str], ...],
                witness: Witness | None = None, **kw: Any) -> Finding:
        return Finding(rule=self.id, layout=pair.name, path=path, arches=(pair.arch,), message=message,
                       severity=severity, witness=witness, old_version=pair.cmp.old_name,
                       new_version=pair.cmp.new_name, **kw)

    def type_finding(self, cmp: Comparison, layout: str, path: str, message: str,
                     severity: tuple[tuple[str, str], ...], witness: Witness | None = None,
                     **kw: Any) -> Finding:
        """A finding about an enum or flags type, which has no architecture of its own."""
        from ._typeusers import type_arches

        return Finding(rule=self.id, layout=layout, path=path, arches=type_arches(cmp, layout), message=message,
                       severity=severity, witness=witness, old_version=cmp.old_name,
                       new_version=cmp.new_name, **kw)
