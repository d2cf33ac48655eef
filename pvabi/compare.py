"""The facts every compatibility rule reads: two ABIs laid out side by side.

A ``Comparison`` holds the old and the new ABI. For each layout (paired across
a rename, see ``identity``) and architecture it gives a ``RecordPair``: both
layouts, their direct members matched (by name, as a rename when an unmatched
old field and an unmatched new one hold the same bytes with the same contract,
or as a regrouping when several cover the same leaves under another nesting),
and what the old layout had at any byte range (a live field, reserved-zero or
reserved-any bytes, GCC padding, or nothing past its end). Members whose type
is itself a layout are compared as a whole here; their insides are that
layout's own pair, so a change is reported once, where it is made, and its
consequences where it is embedded.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, ClassVar

from . import arch as archmod
from . import witness as witnessmod
from .bytesig import leaf_set, same_bytes
from .engine import ArrayType, Layout, Member, RecordType, Resolver, RType, ScalarType, bits_of, resolver_for
from .findings import BREAKING, DIRECTIONS, Witness
from .flows import NEW_TO_OLD, OLD_TO_NEW, flow_parties
from .identity import renamed_layouts
from .lookup import no_type_in_either
from .model import Abi, EnumDef, FieldDef, FlagsDef, Loc, RecordDef
from .slots import const_bytes


def is_live(m: Member) -> bool:
    return m.field.reserved is None


def describe(t: RType) -> str:
    """A type as a reviewer reads it: ``xen_ulong_t[32] (u32)``, ``u16 big-endian``, ``struct x (8 bytes)``."""
    if isinstance(t, ArrayType):
        dims = "".join(f"[{c}]" for c in t.dims)
        leaf = t.leaf
        if isinstance(leaf, RecordType):
            return f"struct {leaf.layout.name}{dims} ({t.size} bytes)"
        assert isinstance(leaf, ScalarType)
        return _scalar_text(leaf, dims)
    if isinstance(t, RecordType):
        return f"struct {t.layout.name} ({t.size} bytes)"
    return _scalar_text(t, "")


def _scalar_text(t: ScalarType, dims: str) -> str:
    order = " big-endian" if t.endian == "big" and t.size > 1 else ""
    if t.spelled == t.scalar.name:
        return f"{t.spelled}{dims}{order}"
    return f"{t.spelled}{dims} ({t.scalar.name}{order})"


@dataclass(frozen=True)
class Match:
    old: Member
    new: Member
    renamed: bool


@dataclass(frozen=True)
class Regroup:
    """Old and new members that describe the same bytes with a different nesting or other names.

    ``struct w wc;`` against ``u32 wc_version, wc_sec, wc_nsec;`` at the same offsets, or a byte that
    moved into a named union: every live leaf keeps its offset, type and contract, so only C sources
    that name the members notice.
    """

    old: tuple[Member, ...]
    new: tuple[Member, ...]


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # "field", "zero", "any", "hole", "past_end"
    member: Member | None = None


@dataclass(frozen=True)
class Embedding:
    """Where a layout sits inside another one (in the old version)."""

    container: str
    member: str
    in_array: bool
    followers: tuple[str, ...]  # live members placed after it


class Comparison:
    def __init__(self, old: Abi, new: Abi, old_name: str, new_name: str,
                 arches: tuple[str, ...] | None = None, layouts: tuple[str, ...] | None = None) -> None:
        self.old, self.new = old, new
        self.old_name, self.new_name = old_name, new_name
        self.arches = arches or archmod.ARCH_NAMES
        self.layout_filter = layouts

    def resolver(self, side: str, arch: str) -> Resolver:
        """The side's own shared resolver: a version diffed against several others is laid out once."""
        return resolver_for(self.old if side == "old" else self.new, arch)

    def layout(self, side: str, name: str, arch: str) -> Layout | None:
        abi = self.old if side == "old" else self.new
        rec = abi.record(name)
        if rec is None:
            return self._inline_layout(side, name, arch) if "." in name else None
        if not rec.exists_on(arch):
            return None
        return self.resolver(side, arch).layout(name)

    def _inline_layout(self, side: str, name: str, arch: str) -> Layout | None:
        """A struct or union declared in place (``rec._anon1``, ``rec.u``), found inside its top layout."""
        top = self.layout(side, name.split(".", 1)[0], arch)
        todo = [top] if top is not None else []
        while todo:
            for m in todo.pop().members:
                t = m.rtype.leaf if isinstance(m.rtype, ArrayType) else m.rtype
                if isinstance(t, RecordType) and t.layout.definition.inline:
                    if t.layout.name == name:
                        return t.layout
                    todo.append(t.layout)
        return None

    def inline_names(self) -> list[str]:
        """Records declared in place inside the compared layouts, by their dotted names, in both versions.

        Rules judge the members of a layout and leave embedded layouts to their own pair; a record
        declared in place has no name of its own in the ABI, so it is paired here by its path.
        """
        found: set[str] = set()
        tops = set(self.record_names())

        def walk(fields: tuple[FieldDef, ...]) -> None:
            for f in fields:
                if f.inline is not None:
                    found.add(f.inline.name)
                    walk(f.inline.fields)

        for abi in (self.old, self.new):
            for rec in abi.records():
                if rec.name in tops:
                    walk(rec.fields)
        return sorted(found)

    def record_names(self) -> list[str]:
        names = {r.name for r in self.old.records()} | {r.name for r in self.new.records()}
        if self.layout_filter:
            known = set(self.old.types) | set(self.new.types)
            missing = [n for n in self.layout_filter if n not in known]
            if missing:
                raise no_type_in_either(missing[0], self.old_name, self.new_name)
            picked = set(self.selected)
            picked |= {new for new, old in self.renamed.items() if old in picked or new in picked}
            names &= picked | {old for new, old in self.renamed.items() if new in picked}
        return sorted(names)

    @cached_property
    def selected(self) -> set[str]:
        """The filtered names plus every layout they embed, at any depth, in either version.

        A change inside an embedded layout is reported on that layout, so filtering
        to its container must keep it.
        """
        todo = list(self.layout_filter or ())
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for abi in (self.old, self.new):
                rec = abi.record(name)
                todo.extend(f.type for f in (rec.fields if rec else ()) if abi.record(f.type) is not None)
        return seen

    @cached_property
    def renamed(self) -> dict[str, str]:
        """{new name: old name} of layouts that changed their name, not their identity (``identity``)."""
        return renamed_layouts(self)

    def old_name_of(self, new_name: str) -> str:
        return self.renamed.get(new_name, new_name)

    def same_layout(self, old_name: str, new_name: str) -> bool:
        """Do the two names denote one layout across the versions (the same name, or a rename)?"""
        return old_name == new_name or self.renamed.get(new_name) == old_name

    def record_pairs(self) -> Iterator[RecordPair]:
        olds = set(self.renamed.values())
        for name in self.record_names():
            if name in olds and self.new.record(name) is None:
                continue  # compared under its new name
            was = self.old_name_of(name)
            for a in self.arches:
                old, new = self.layout("old", was, a), self.layout("new", name, a)
                if old is not None or new is not None:
                    yield RecordPair(self, name, a, old, new, old_name=was)
        for name in self.inline_names():
            for a in self.arches:
                old, new = self.layout("old", name, a), self.layout("new", name, a)
                # Added or removed in-place records are the container's member changes, reported there.
                if old is not None and new is not None:
                    yield RecordPair(self, name, a, old, new, old_name=name)

    def enum_pairs(self) -> Iterator[tuple[EnumDef | None, EnumDef | None]]:
        for name in self._type_names(EnumDef):
            yield self.old.enum(name), self.new.enum(name)

    def flags_pairs(self) -> Iterator[tuple[FlagsDef | None, FlagsDef | None]]:
        for name in self._type_names(FlagsDef):
            yield self.old.flags(name), self.new.flags(name)

    def _type_names(self, kind: type) -> list[str]:
        names = {n for n, t in self.old.types.items() if isinstance(t, kind)}
        names |= {n for n, t in self.new.types.items() if isinstance(t, kind)}
        if self.layout_filter:
            used = {f.enum or f.flags for r in (*self.old.records(), *self.new.records())
                    if r.name in self.selected for f in r.fields}
            names &= used | set(self.layout_filter)
        return sorted(names)

    def type_locs(self, name: str) -> tuple[Loc | None, Loc | None]:
        """Where an enum or flags type is defined in the old and the new YAML (its values have no line)."""
        old, new = self.old.types.get(name), self.new.types.get(name)
        return (old.loc if old else None, new.loc if new else None)

    @cached_property
    def old_features(self) -> frozenset[str]:
        return frozenset(x for r in self.old.records() for f in r.fields for x in f.all_features)

    def users_of(self, side: str, type_name: str, attr: str) -> list[tuple[RecordDef, str]]:
        """(record, field name) of every field whose ``enum``/``flags`` is ``type_name``."""
        abi = self.old if side == "old" else self.new
        return [(r, f.name) for r in abi.records() for f in r.fields if getattr(f, attr) == type_name]

    def embeddings(self, side: str, name: str, arch: str) -> list[Embedding]:
        abi = self.old if side == "old" else self.new
        out = []
        for rec in abi.records():
            if rec.name == name or not rec.exists_on(arch):
                continue
            container = self.resolver(side, arch).layout(rec.name)
            for i, m in enumerate(container.members):
                t = m.rtype
                in_array = isinstance(t, ArrayType) and t.dims != (1,) and isinstance(t.leaf, RecordType)
                leaf = t.leaf if isinstance(t, ArrayType) else t
                if isinstance(leaf, RecordType) and leaf.layout.name == name:
                    followers = tuple(f.name for f in container.members[i + 1:]
                                      if is_live(f) and f.offset >= m.end and container.kind == "struct")
                    out.append(Embedding(rec.name, m.name, in_array, followers))
        return out


class RecordPair:
    """One layout on one architecture, old and new (either may be missing)."""

    def __init__(self, cmp: Comparison, name: str, arch: str, old: Layout | None, new: Layout | None,
                 old_name: str | None = None) -> None:
        self.cmp, self.name, self.arch, self.old, self.new = cmp, name, arch, old, new
        self.old_name = old_name or name  # differs when the layout was renamed (``Comparison.renamed``)

    @cached_property
    def matches(self) -> list[Match]:
        if self.old is None or self.new is None:
            return []
        old_live = {m.name: m for m in self.old.members if is_live(m)}
        new_live = {m.name: m for m in self.new.members if is_live(m)}
        out = [Match(old_live[n], new_live[n], False) for n in old_live if n in new_live]
        taken_new = {m.new.name for m in out}
        for om in self.old.members:
            if not is_live(om) or om.name in new_live:
                continue
            same = self.new.member(om.name)
            if same is not None and not is_live(same) and same.offset == om.offset and same.size == om.size:
                out.append(Match(om, same, False))  # the field itself declared reserved: removed, not renamed
                taken_new.add(same.name)
                continue
            for nm in self.new.members:
                if nm.name in taken_new or nm.name in old_live:
                    continue
                if (nm.offset == om.offset and nm.size == om.size and same_bytes(om.rtype, nm.rtype)
                        and (not is_live(nm) or same_contract(om, nm))):
                    out.append(Match(om, nm, True))
                    taken_new.add(nm.name)
                    break
        return out

    @cached_property
    def regroups(self) -> list[Regroup]:
        """Unmatched old and new live members that overlap and hold the same live leaves (see ``Regroup``).

        Members are grouped by overlapping bytes; a group is a regrouping when the set of live leaves
        (absolute offset, byte meaning, contract) is the same on both sides. A union's views of one byte
        count once. Anything else stays a removal and an addition, judged by their own rules.
        """
        if self.old is None or self.new is None:
            return []
        matched_old = {m.old.name for m in self.matches}
        matched_new = {m.new.name for m in self.matches}
        olds = [m for m in self.old.members if is_live(m) and m.name not in matched_old and m.size > 0]
        news = [m for m in self.new.members if is_live(m) and m.name not in matched_new and m.size > 0]
        out = []
        for group_old, group_new in _overlap_groups(olds, news):
            if group_old and group_new and leaf_set(group_old) == leaf_set(group_new):
                out.append(Regroup(tuple(group_old), tuple(group_new)))
        return out

    def member_locs(self, path: str) -> tuple[Loc | None, Loc | None]:
        """Where the member ``path`` ("" for the layout itself) is defined in the old and the new YAML.

        A finding names a renamed or regrouped member by one side's name; the match gives the other.
        """
        if not path:
            return (self.old.definition.loc if self.old else None, self.new.definition.loc if self.new else None)
        old = self.old.member(path) if self.old else None
        new = self.new.member(path) if self.new else None
        if old is None or new is None:
            for mt in self.matches:
                if path in (mt.old.name, mt.new.name):
                    old, new = mt.old, mt.new
            for g in self.regroups:
                if any(m.name == path for m in (*g.old, *g.new)):
                    old, new = old or g.old[0], new or g.new[0]
        return (old.field.loc if old else None, new.field.loc if new else None)

    def _regrouped(self, side: str) -> set[str]:
        return {m.name for g in self.regroups for m in (g.old if side == "old" else g.new)}

    def removed(self) -> list[Member]:
        """Live old members with no counterpart (renames into reserved space count as matched)."""
        if self.old is None or self.new is None:
            return []
        matched = {m.old.name for m in self.matches} | self._regrouped("old")
        return [m for m in self.old.members if is_live(m) and m.name not in matched]

    def added(self) -> list[Member]:
        """Live new members with no counterpart."""
        if self.old is None or self.new is None:
            return []
        matched = {m.new.name for m in self.matches} | self._regrouped("new")
        return [m for m in self.new.members if is_live(m) and m.name not in matched]

    def old_spans(self, start: int, end: int) -> list[Span]:
        """What the old layout had over ``[start, end)``."""
        assert self.old is not None
        return spans(self.old, start, end)

    def new_spans(self, start: int, end: int) -> list[Span]:
        assert self.new is not None
        return spans(self.new, start, end)

    def match_witness(self, mt: Match, sev: tuple[tuple[str, str], ...], breaks: set[str] | frozenset[str]
                      ) -> Witness | None:
        """A witness for a matched member in a direction where it breaks; none unless breaking."""
        writers, readers = parties(mt.old, mt.new)
        return self.witness_for(sev, breaks, writers, readers, mt.old.name, mt.new.name)

    def witness_for(self, sev: tuple[tuple[str, str], ...], breaks: set[str] | frozenset[str],
                    writers: tuple[str, ...], readers: tuple[str, ...], old_path: str | None,
                    new_path: str | None, **kw: Any) -> Witness | None:
        """A witness of the flow the verdict comes from: for each direction judged breaking (backward first),
        each broken flow that occurs there between the declared writer and reader. The witness says the
        direction and which party wrote and which read the image."""
        verdict = dict(sev)
        for direction in DIRECTIONS:
            if verdict[direction] != BREAKING:
                continue
            for flow in (OLD_TO_NEW, NEW_TO_OLD):
                who = flow_parties(direction, flow, writers, readers) if flow in breaks else None
                if who is None:
                    continue
                found = self.witness(flow, old_path, new_path, **kw)
                if found is not None:
                    return replace(found, direction=direction, writer=who[0], reader=who[1])
        return None

    def witness(self, flow: str, old_path: str | None, new_path: str | None, *,
                zero_is_witness: bool = False, pick: dict[str, int] | None = None,
                old_layout: Layout | None = None, new_layout: Layout | None = None) -> Witness | None:
        old = old_layout or self.old
        new = new_layout or self.new
        if old is None or new is None:
            return None
        if flow == OLD_TO_NEW:
            return witnessmod.find(old, new, old_path, new_path, self.cmp.old_name, self.cmp.new_name,
                                   zero_is_witness=zero_is_witness, pick=pick)
        assert flow == NEW_TO_OLD
        return witnessmod.find(new, old, new_path, old_path, self.cmp.new_name, self.cmp.old_name,
                               zero_is_witness=zero_is_witness, pick=pick)


def _overlap_groups(olds: list[Member], news: list[Member]) -> list[tuple[list[Member], list[Member]]]:
    """Old and new members joined into groups whose byte ranges overlap, transitively."""
    items = [("old", m) for m in olds] + [("new", m) for m in news]
    items.sort(key=lambda it: (it[1].offset, it[1].end))
    groups: list[tuple[list[Member], list[Member], int]] = []
    for side, m in items:
        if groups and m.offset < groups[-1][2]:
            o, n, end = groups[-1]
            groups[-1] = (o, n, max(end, m.end))
        else:
            groups.append(([], [], m.end))
        (groups[-1][0] if side == "old" else groups[-1][1]).append(m)
    return [(o, n) for o, n, _ in groups]


def spans(layout: Layout, start: int, end: int) -> list[Span]:
    """What a layout has over ``[start, end)``: live fields, reserved bytes, padding, or nothing."""
    out: list[Span] = []
    for m in _ByOffset.of(layout).members_over(start, end):
        lo, hi = max(start, m.offset), min(end, m.end)
        if lo < hi:
            out.append(Span(lo, hi, "field" if is_live(m) else str(m.field.reserved), m))
    for h in layout.holes:
        lo, hi = max(start, h.offset), min(end, h.offset + h.size)
        if lo < hi:
            out.append(Span(lo, hi, "hole"))
    if end > layout.size:
        out.append(Span(max(start, layout.size), end, "past_end"))
    return sorted(out, key=lambda s: (s.start, s.end))


class _ByOffset:
    """A layout's members indexed by offset, so rules that ask about one range per member (reserved
    space, widened fields) do not scan the whole record each time: quadratic in a large record."""

    _cache: ClassVar[dict[int, tuple[Layout, _ByOffset]]] = {}  # by identity; the entry keeps the layout alive

    def __init__(self, layout: Layout) -> None:
        self.members = layout.members
        self.offsets = [m.offset for m in self.members]
        self.sorted = all(a <= b for a, b in zip(self.offsets, self.offsets[1:], strict=False))
        self.reach: list[int] = []  # [k]: the furthest end among members 0..k
        for m in self.members:
            self.reach.append(max(m.end, self.reach[-1]) if self.reach else m.end)

    @classmethod
    def of(cls, layout: Layout) -> _ByOffset:
        found = cls._cache.get(id(layout))
        if found is None or found[0] is not layout:
            if len(cls._cache) >= 4096:
                cls._cache.clear()
            found = cls._cache[id(layout)] = (layout, cls(layout))
        return found[1]

    def members_over(self, start: int, end: int) -> list[Member]:
        """Members that may overlap ``[start, end)``, in member order (a superset is fine: callers clip)."""
        if not self.sorted:
            return list(self.members)
        k = bisect_left(self.offsets, end) - 1
        found = []
        while k >= 0 and self.reach[k] > start:
            found.append(self.members[k])
            k -= 1
        found.reverse()
        return found


def same_contract(a: Member, b: Member) -> bool:
    """Everything but the name agrees: what makes same bytes under a new name a rename, not a reuse."""
    fa, fb = a.field, b.field
    contract = (fa.enum, fa.flags, fa.writer, fa.reader, fa.feature)
    return contract == (fb.enum, fb.flags, fb.writer, fb.reader, fb.feature) and (
        const_bytes(a) == const_bytes(b))


def parties(*members: Member | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Writers and readers declared for these members (old and new), for ``flows.judge``."""
    ms = [m for m in members if m is not None]
    return tuple(m.field.writer for m in ms), tuple(m.field.reader for m in ms)


def space_kind(spans: list[Span]) -> str:
    """Summarise what old bytes a new thing now occupies, worst first.

    ``field``: an old live field held some of them; ``past_end``: some lay past
    the old layout; ``undeclared``: padding or reserved-any bytes (old writers may
    leave anything there); ``zero``: all reserved-zero.
    """
    kinds = {s.kind for s in spans}
    if "field" in kinds:
        return "field"
    if "past_end" in kinds:
        return "past_end"
    if kinds & {"hole", "any"}:
        return "undeclared"
    return "zero"


def _bit_spans(old: Layout, m: Member) -> list[Span]:
    """What the old layout had at a new bitfield's bits (bytes it shares with other bitfields are not
    an old field's unless that field held these very bits); bits no one held are padding."""
    bf = bits_of(m)
    left = set(range(bf.pos, bf.pos + bf.width))
    out = []
    for om in old.members:
        ob = bits_of(om)
        held = left & set(range(ob.pos, ob.pos + ob.width))
        if held:
            out.append(Span(min(held) // 8, max(held) // 8 + 1, "field" if is_live(om) else str(om.field.reserved), om))
            left -= held
    if left:
        past = any(b >= old.size * 8 for b in left)
        out.append(Span(min(left) // 8, max(left) // 8 + 1, "past_end" if past else "hole"))
    return out


def added_space(pair: RecordPair, m: Member) -> str:
    spans = (_bit_spans(pair.old, m) if m.bitfield is not None and pair.old is not None
             else pair.old_spans(m.offset, m.end))
    if pair.new is not None and pair.new.kind == "union":
        # A union's members overlap by design: a new member is another view of bytes old writers filled
        # through some other member (undeclared for the new view), not a field placed over a live one.
        spans = [Span(s.start, s.end, "any") if s.kind == "field" else s for s in spans]
    return space_kind(spans)


PAGE_SIZE = 4096  # the smallest page of every supported architecture


def room(layout: Layout) -> int | None:
    """How many bytes from the layout's start are its own: its max_size, else a page for ``placement: page``.

    An embedded layout has no such room: bytes past its end belong to whatever follows it.
    """
    d = layout.definition
    bound = d.max_size.get_int(layout.arch) if d.max_size else None
    if bound is None and d.placement == "page":
        bound = PAGE_SIZE
    return bound if d.placement in ("page", "fixed") else None


def left_absent(pair: RecordPair, m: Member) -> bool:
    """Do an old peer's images hold the new field's absent value in its bytes?

    True when the old version declares that the memory starts zeroed (``memory: {initial: zero}``), the
    new field says zero means absent (``absent: 0``), and its bytes are ones no old writer fills: GCC
    padding or reserved space inside the old layout, or, for a layout that owns the room after it (a
    page or a fixed area), bytes past its old end within that room.
    """
    old = pair.old
    if old is None or not old.definition.zero_filled or m.field.absent != 0:
        return False
    if any(s.kind == "field" for s in pair.old_spans(m.offset, m.end)):
        return False
    if m.end > old.size:
        bound = room(old)
        return bound is not None and m.end <= bound
    return True


def gated(pair: RecordPair, m: Member) -> bool:
    """Is the field's use gated by a feature the old version's peers never negotiate?"""
    return m.field.feature is not None and m.field.feature not in pair.cmp.old_features
