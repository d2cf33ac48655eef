"""Waivers, ``abi/waivers.yaml``: findings a reviewer accepted, each with a reason, an approver and an expiry.

A waiver names one finding by its identity (rule, layout, member path,
architecture) exactly; only the architecture may be ``*``, meaning every
architecture the finding occurs on. There are no patterns: a waiver is a
decision about one change, never a rule switched off for the whole ABI. A
waiver past its date stops waiving (``WAIVER_EXPIRED``) and a waiver that
matches nothing is stale (``WAIVER_UNUSED``); both are findings, so the file
cannot quietly accumulate permissions. Frozen-history findings are not
waivable at all: the file may not name them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from . import yamlsafe
from .abiroot import AbiRoot
from .errors import InputError, InputErrors
from .findings import Identity

WAIVERS_NAME = "waivers.yaml"
WAIVERS_SCHEMA = "waivers.schema.json"
ANY_ARCH = "*"
WAIVER_EXPIRED, WAIVER_UNUSED = "WAIVER_EXPIRED", "WAIVER_UNUSED"



@dataclass(frozen=True)
class Waiver:
    rule: str
    layout: str
    path: str
    arch: str
    reason: str
    approved_by: str
    expires: dt.date
    file: str
    line: int

    def matches(self, ident: Identity) -> bool:
        return ((ident.rule, ident.layout, ident.path) == (self.rule, self.layout, self.path)
                and self.arch in (ANY_ARCH, ident.arch))

    def expired(self, today: dt.date) -> bool:
        """A waiver holds through its expiry day."""
        return today > self.expires

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def describe(self) -> str:
        path = f"{self.layout}.{self.path}" if self.path else self.layout
        return f"{self.rule} {path} on {'every architecture' if self.arch == ANY_ARCH else self.arch}"


def load_waivers(root: AbiRoot, waivable: frozenset[str], unwaivable: frozenset[str]) -> tuple[Waiver, ...]:
    """The waivers of ``root`` (none without the file), every problem reported at once.

    ``waivable`` are the rule IDs a waiver may name; ``unwaivable`` the gate's own IDs that it may not
    (frozen history, the waivers' own findings), named in the message so the refusal is explained.
    """
    path = root.path / WAIVERS_NAME
    if not (path.exists() or path.is_symlink()):
        return ()
    shown = _shown(root, path)
    try:
        doc = yamlsafe.load_file(path, shown)
    except InputError as e:
        if "timestamp" in e.message:  # an unquoted date: say how to write it rather than name a YAML tag
            raise InputError("write the date quoted, as text: expires: \"YYYY-MM-DD\"", e.file, e.line,
                             e.field) from None
        raise
    errors = [InputError(yamlsafe.schema_message(err), shown, doc.line(yamlsafe.schema_error_path(err)),
                         ".".join(str(p) for p in err.absolute_path) or None)
              for err in sorted(yamlsafe.schema_violations(WAIVERS_SCHEMA, doc.data),
                                 key=lambda e: list(e.absolute_path))]
    if errors:
        raise InputErrors(errors)
    out: list[Waiver] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for i, item in enumerate(doc.data["waivers"]):
        line = doc.line(("waivers", i))
        field = f"waivers[{i}]"
        try:
            expires = dt.date.fromisoformat(item["expires"])
        except ValueError:
            errors.append(InputError(f"expires {yamlsafe.excerpt(item['expires'])} is not a real day",
                                     shown, doc.line(("waivers", i, "expires")), f"{field}.expires"))
            continue
        rule = item["rule"]
        if rule in unwaivable:
            errors.append(InputError(f"{rule} cannot be waived: frozen history and the waivers' own findings "
                                     "are fixed, not accepted", shown, doc.line(("waivers", i, "rule")),
                                     f"{field}.rule"))
            continue
        if rule not in waivable:
            errors.append(InputError(f"unknown rule {rule!r} (pvabi rules lists them)", shown,
                                     doc.line(("waivers", i, "rule")), f"{field}.rule"))
            continue
        key = (rule, item["layout"], item["path"], item["arch"])
        if key in seen:
            errors.append(InputError(f"waives the same finding as the waiver on line {seen[key]}", shown, line,
                                     field))
            continue
        seen[key] = line
        out.append(Waiver(rule, item["layout"], item["path"], item["arch"], item["reason"].strip(),
                          item["approved_by"].strip(), expires, shown, line))
    if errors:
        raise InputErrors(errors)
    return tuple(out)


def _shown(root: AbiRoot, path: Path) -> str:
    try:
        return str(path.relative_to(root.display_base))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Applied:
    """What the waivers did to a set of findings."""

    waived: dict[int, Waiver]      # finding index -> the waiver that covers it (every architecture of it)
    partly: dict[int, Waiver]      # finding index -> a waiver that covers some of its architectures only
    expired: tuple[Waiver, ...]    # past their date (they waive nothing)
    unused: tuple[Waiver, ...]     # in force, but matching no finding


def apply(waivers: tuple[Waiver, ...], findings: list[tuple[Identity, ...]], today: dt.date) -> Applied:
    """Match each finding (given as its identities, one per architecture) against the waivers in force.

    A finding is waived only when every one of its architectures is; a waiver that covers some of
    them is used, but the finding still counts.
    """
    live = [w for w in waivers if not w.expired(today)]
    used: set[int] = set()
    waived: dict[int, Waiver] = {}
    partly: dict[int, Waiver] = {}
    for fi, idents in enumerate(findings):
        covering = []
        for ident in idents:
            hit = next((wi for wi, w in enumerate(live) if w.matches(ident)), None)
            covering.append(hit)
            if hit is not None:
                used.add(hit)
        hits = [h for h in covering if h is not None]
        if hits and len(hits) == len(covering):
            waived[fi] = live[hits[0]]
        elif hits:
            partly[fi] = live[hits[0]]
    expired = tuple(w for w in waivers if w.expired(today))
    unused = tuple(w for wi, w in enumerate(live) if wi not in used)
    return Applied(waived, partly, expired, unused)


__all__ = ["ANY_ARCH", "WAIVERS_NAME", "WAIVER_EXPIRED", "WAIVER_UNUSED", "Applied", "Waiver", "apply",
           "load_waivers"]
