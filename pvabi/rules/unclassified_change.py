"""UNCLASSIFIED_CHANGE: the safety net for a change no other rule explains."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..bytesig import type_changes
from ..compare import RecordPair
from ..engine import ArrayType, Layout, Member, RecordType, RType
from ..findings import BREAKING, Category, Finding, severities
from ..slots import const_bytes
from .base import Rule

# Facts about a layout that a rule may judge. Documentation (doc, source, since)
# is deliberately absent: rewording a comment is not an ABI change.
_MEMBER_FACTS = ("offset", "size", "align", "type", "reserved", "const", "enum", "flags", "writer", "reader",
                 "feature")


def storage(t: RType) -> str:
    """A type by the bytes it describes, not by its spelling (an alias of u32 is u32; char is s8)."""
    if isinstance(t, ArrayType):
        return storage(t.leaf) + "".join(f"[{c}]" for c in t.dims)
    if isinstance(t, RecordType):
        return f"struct {t.layout.name}"
    sign = "s" if t.scalar.signed or t.scalar.char else "u"
    return f"{sign}{t.size * 8}{' big-endian' if t.endian == 'big' and t.size > 1 else ''}"


def facts(layout: Layout) -> dict[str, Any]:
    d = layout.definition
    return {
        "kind": layout.kind, "size": layout.size, "align": layout.align,
        "max_size": d.max_size.get_int(layout.arch) if d.max_size else None,
        "members": {m.name: {
            "offset": m.offset, "size": m.size, "align": m.align, "type": storage(m.rtype),
            "reserved": m.field.reserved, "const": const_bytes(m),
            "enum": m.field.enum, "flags": m.field.flags, "writer": m.field.writer, "reader": m.field.reader,
            "feature": m.field.feature,
        } for m in layout.members},
    }


class UnclassifiedChange(Rule):
    id = "UNCLASSIFIED_CHANGE"
    title = "Change no rule classifies"
    category = Category.WIRE  # a safety net every gate enforces
    doc = ("After every other rule has run, pvabi compares the two layouts' facts (kind, size, alignment, "
           "max_size, and each member's offset, size, alignment, type, reserved state, constant, enum, "
           "flags, writer, reader and feature; not documentation) with deepdiff. Any difference no "
           "finding on that layout and member accounts for is reported here, so a change is never "
           "silently passed because no rule knew it. Treat it as breaking until a reviewer has looked; "
           "then waive it, or teach pvabi a rule.")
    fix = "Review the change by hand; if it is safe, waive the finding with the reason, and report the gap."
    backward = "breaking (unknown until reviewed)"
    forward = "breaking (unknown until reviewed)"
    witness_doc = "No witness: pvabi does not know what this change does; that is why it is reported."

    def check_remaining(self, pair: RecordPair, found: list[Finding]) -> Iterable[Finding]:
        if pair.old is None or pair.new is None:
            return
        old, new = facts(pair.old), facts(pair.new)
        if old == new:
            return  # the common case, and deepdiff's walk is what costs
        explained = _explained(pair, found)
        changed_layouts = {f.layout for f in found if pair.arch in f.arches}
        context = _Context(pair)
        old, new = differing(old, new)
        paths = changed_paths(old, new)
        if paths is not None and all(_is_explained(context, _member_of(p), p, explained, changed_layouts)
                                     for p in paths):
            return  # every difference is some finding's: nothing for DeepDiff to find (nor to import it for)
        from deepdiff import DeepDiff  # imported for a change no rule classified, the rare case

        # threshold 0: always descend, so a member dict that changed a lot is still diffed member by member.
        diff = DeepDiff(old, new, view="tree", threshold_to_diff_deeper=0)
        seen: set[str] = set()
        for change in diff.values():
            for item in change:
                path = [str(p) for p in item.path(output_format="list")]
                member = _member_of(path)
                key = member if member is not None else path[0]
                if key in seen or _is_explained(context, member, path, explained, changed_layouts):
                    continue
                seen.add(key)
                what = ".".join(path[2:]) or ("member" if member else path[0])
                where = member or ""
                yield self.finding(pair, where, f"{what} changed: {_short(item.t1)} -> {_short(item.t2)}",
                                   severities(BREAKING, BREAKING), old=_short(item.t1), new=_short(item.t2),
                                   witness_note="no rule knows what this change does")


def _member_of(path: list[str]) -> str | None:
    return path[1] if len(path) > 1 and path[0] == "members" else None


def changed_paths(old: dict[str, Any], new: dict[str, Any]) -> list[list[str]] | None:
    """The paths at which DeepDiff would report a difference between two layouts' facts, or None when
    a value is a container whose inner paths only DeepDiff can tell.

    Facts are two levels of plain values (the layout's, then each member's), so a difference is a
    layout fact (``["size"]``), a member on one side only (``["members", name]``) or a member's fact
    (``["members", name, "offset"]``), exactly where DeepDiff's tree view puts it; ``tests/test_scale``
    holds the two to the same paths.
    """
    out: list[list[str]] = []
    for key in sorted(old.keys() | new.keys()):
        if key != "members" and not _same(old.get(key), new.get(key)):
            out.append([key])
    old_members, new_members = old["members"], new["members"]
    for name in [*old_members, *(n for n in new_members if n not in old_members)]:
        a, b = old_members.get(name), new_members.get(name)
        if a is None or b is None:
            out.append(["members", name])
            continue
        for fact in [*a, *(f for f in b if f not in a)]:
            x, y = a.get(fact), b.get(fact)
            if _same(x, y):
                continue
            if isinstance(x, (dict, list, tuple, set)) or isinstance(y, (dict, list, tuple, set)):
                return None
            out.append(["members", name, fact])
    return out


def _same(x: Any, y: Any) -> bool:
    return type(x) is type(y) and bool(x == y)


def differing(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two layouts' facts without the members that are the same on both sides.

    DeepDiff's walk costs per member, and one change in a large layout leaves most members as they
    were; members that are equal (same values of the same types, which is all DeepDiff would look
    at) report nothing, so leaving them out changes no finding. Order is kept, so DeepDiff reports
    what is left in the order it would have.
    """
    old_members, new_members = old["members"], new["members"]
    same = {name for name, facts_ in old_members.items() if _identical(facts_, new_members.get(name))}
    return ({**old, "members": {k: v for k, v in old_members.items() if k not in same}},
            {**new, "members": {k: v for k, v in new_members.items() if k not in same}})


def _identical(a: dict[str, Any], b: dict[str, Any] | None) -> bool:
    return b is not None and a == b and all(type(v) is type(b[k]) for k, v in a.items())


class _Context:
    """What ``_is_explained`` asks of a pair for every unexplained item, computed once per pair."""

    def __init__(self, pair: RecordPair) -> None:
        self.pair = pair
        self.renamed = ({m.old.name for m in pair.matches if m.renamed}
                        | {m.new.name for m in pair.matches if m.renamed})
        # The first member of each name, as ``Layout.member`` finds it.
        self.old_members = _first_by_name(pair.old)
        self.new_members = _first_by_name(pair.new)


def _first_by_name(layout: Layout | None) -> dict[str, Member]:
    out: dict[str, Member] = {}
    for m in layout.members if layout is not None else ():
        out.setdefault(m.name, m)
    return out


def _short(value: Any) -> str:
    text = "absent" if type(value).__name__ == "NotPresent" else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _explained(pair: RecordPair, found: list[Finding]) -> set[str]:
    """Members (and "" for the layout itself) some finding on this layout and architecture covers."""
    out: set[str] = set()
    for f in found:
        if f.layout == pair.name and pair.arch in f.arches:
            out.add(f.path)
            out.update(f.covers)
    return out


def _record_name(m: Member | None) -> str | None:
    t = m.rtype.leaf if m is not None and isinstance(m.rtype, ArrayType) else (m.rtype if m is not None else None)
    return t.layout.name if isinstance(t, RecordType) else None


def _is_explained(context: _Context, member: str | None, path: list[str], explained: set[str],
                  changed_layouts: set[str]) -> bool:
    pair = context.pair
    if member is None:
        # Size and alignment follow from member changes; the layout-level rules report them.
        return "" in explained or (path[0] in ("size", "align") and bool(explained))
    if member in explained:
        return True
    if member in context.renamed:
        return True
    old_m = context.old_members.get(member)
    new_m = context.new_members.get(member)
    # A member's own alignment moves no byte while its offset stays (packed added or removed); what it
    # does to the layout's alignment is RECORD_ALIGNMENT_CHANGED's to judge.
    if path[2:] == ["align"] and old_m is not None and new_m is not None and old_m.offset == new_m.offset:
        return True
    # A type spelled differently for the same storage (an alias, char for int8) is not a change.
    if path[2:] == ["type"] and old_m is not None and new_m is not None and not type_changes(old_m.rtype, new_m.rtype):
        return True
    # An embedded layout that changed inside is reported on that layout, where the change was made.
    inner, inner_new = _record_name(old_m), _record_name(new_m)
    if inner is not None and inner_new is not None and pair.cmp.same_layout(inner, inner_new) and (
            inner_new in changed_layouts):
        return True
    # Reserved bytes are space, not fields: their names, types and lengths may change freely.
    reserved = [m for m in (old_m, new_m) if m is not None]
    if reserved and all(m.field.reserved is not None for m in reserved):
        return True
    # Zero-size members (empty structs) have no bytes to move.
    return all(m.size == 0 for m in reserved) and bool(reserved)
