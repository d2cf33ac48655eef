"""The layout engine: offsets, sizes and alignment exactly as GCC computes them.

For one architecture it turns each ``RecordDef`` into a ``Layout``: members with
offsets, holes, tail padding, size and alignment. The rules are GCC's for C:
a member goes at the next multiple of its alignment; ``packed`` drops member
alignment to 1 and an ``aligned(N)`` attribute raises it again; a struct's
alignment is its largest member alignment (raised by ``aligned``) and its size
is rounded up to that; a union's members all start at 0. The tests hold every
number here against GCC's own ``offsetof``/``sizeof``/``_Alignof``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, Union

from . import arch as archmod
from . import expr, lookup
from .arch import Arch, Scalar
from .errors import InputError
from .model import Abi, AliasDef, Dim, EnumDef, FieldDef, FlagsDef, PerArch, RecordDef

MAX_LAYOUT_BYTES = 16 << 20
MAX_NESTING = 64
# Bytes do not bound work: a zero-byte array of 16M empty lists, or a DAG of types doubling at each
# level, is small yet decodes into millions of values. Every layout is bounded by the number of
# values a decode builds (members, array elements, holes), which also bounds show, diff and encode.
MAX_VALUES = 65_536


@dataclass(frozen=True)
class ScalarType:
    scalar: Scalar
    endian: str
    spelled: str  # the name as written: a builtin or an alias such as xen_ulong_t

    @property
    def size(self) -> int:
        return self.scalar.size

    @property
    def align(self) -> int:
        return self.scalar.align


@dataclass(frozen=True)
class ArrayType:
    elem: RType
    count: int

    @property
    def size(self) -> int:
        return self.elem.size * self.count

    @property
    def align(self) -> int:
        return self.elem.align

    @property
    def leaf(self) -> RType:
        t: RType = self
        while isinstance(t, ArrayType):
            t = t.elem
        return t

    @property
    def dims(self) -> tuple[int, ...]:
        out = []
        t: RType = self
        while isinstance(t, ArrayType):
            out.append(t.count)
            t = t.elem
        return tuple(out)


@dataclass(frozen=True)
class RecordType:
    layout: Layout

    @property
    def size(self) -> int:
        return self.layout.size

    @property
    def align(self) -> int:
        return self.layout.align


RType = Union[ScalarType, ArrayType, RecordType]


@dataclass(frozen=True)
class BitField:
    """Where a bitfield's bits are: ``pos`` counts bits from the start of its record in GCC's order
    (from the least significant bit of byte 0 on little-endian targets, from the most significant
    on big-endian ones), so the field lives in bytes ``pos // 8`` to ``(pos + width - 1) // 8``."""

    pos: int
    width: int
    big_endian: bool

    @property
    def span(self) -> int:
        return (self.pos + self.width - 1) // 8 - self.pos // 8 + 1

    @property
    def order(self) -> Literal["little", "big"]:
        return "big" if self.big_endian else "little"

    @property
    def shift(self) -> int:
        """The right shift that brings the field down to bit 0 of the integer its bytes form."""
        if self.big_endian:
            return (self.pos // 8 + self.span) * 8 - (self.pos + self.width)
        return self.pos % 8


@dataclass(frozen=True)
class Member:
    name: str
    offset: int
    align: int
    rtype: RType
    field: FieldDef
    enum: EnumDef | None = None
    flags: FlagsDef | None = None
    bitfield: BitField | None = None  # a bitfield: ``offset`` and ``size`` are the bytes its bits touch

    @property
    def size(self) -> int:
        return self.bitfield.span if self.bitfield is not None else self.rtype.size

    @property
    def end(self) -> int:
        return self.offset + self.size


def bits_of(m: Member) -> BitField:
    """The bits a member holds, numbered as GCC numbers bitfields; an ordinary member holds all of its bytes'."""
    if m.bitfield is not None:
        return m.bitfield
    return BitField(m.offset * 8, m.size * 8, False)


@dataclass(frozen=True)
class Hole:
    """Bytes no member covers: padding GCC inserts (``tail`` for the end of a struct)."""

    offset: int
    size: int
    after: str | None
    tail: bool = False


@dataclass(frozen=True)
class Layout:
    name: str
    arch: str
    kind: str
    size: int
    align: int
    members: tuple[Member, ...]
    holes: tuple[Hole, ...]
    definition: RecordDef
    values: int = 1  # how many values a decode builds (see MAX_VALUES)

    def __hash__(self) -> int:
        # Layouts key caches (slots, constructs, decoders); the generated hash would walk the whole
        # tree of members and definitions on every lookup, so it is computed once per layout.
        found: int | None = self.__dict__.get("_hash")
        if found is None:
            found = hash((self.name, self.arch, self.kind, self.size, self.align, self.members, self.holes,
                          self.definition, self.values))
            object.__setattr__(self, "_hash", found)
        return found

    def __getstate__(self) -> dict[str, Any]:
        # A string's hash differs between processes (PYTHONHASHSEED): a pickled layout hashes afresh.
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    def member(self, name: str) -> Member | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, Member]:
        """The first member of each name (rules look members up by name, member by member)."""
        out: dict[str, Member] = {}
        for m in self.members:
            out.setdefault(m.name, m)
        return out

    @cached_property
    def bit_runs(self) -> tuple[BitRun, ...]:
        """Its bitfields grouped into runs of shared bytes (computed once: codecs ask on every image)."""
        return tuple(bit_runs(self))

    @property
    def flexible(self) -> bool:
        """Ends in a flexible array member (its elements follow the struct, outside its size)."""
        return bool(self.members) and self.members[-1].field.flexible


@dataclass(frozen=True)
class BitRun:
    """Consecutive bitfields of a struct that share bytes: they are read and written as one unit."""

    offset: int
    size: int
    members: tuple[Member, ...]

    @property
    def order(self) -> Literal["little", "big"]:
        first = self.members[0].bitfield
        return first.order if first is not None else "little"

    def shift(self, m: Member) -> int:
        """Where ``m``'s bits sit in the integer the run's bytes form in the target's byte order."""
        assert m.bitfield is not None
        rel = m.bitfield.pos - self.offset * 8
        return self.size * 8 - rel - m.bitfield.width if m.bitfield.big_endian else rel

    @property
    def covered(self) -> int:
        """The bits of that integer some member holds (the rest is bit padding)."""
        mask = 0
        for m in self.members:
            assert m.bitfield is not None
            mask |= ((1 << m.bitfield.width) - 1) << self.shift(m)
        return mask


def bit_runs(layout: Layout) -> list[BitRun]:
    """The struct's bitfields grouped into runs of shared bytes (a union's bitfields each start at 0)."""
    runs: list[BitRun] = []
    if layout.kind != "struct":
        return runs
    prev: Member | None = None
    for m in layout.members:
        if m.bitfield is None:
            prev = m
            continue
        last = runs[-1] if runs else None
        if last is not None and last.members[-1] is prev and m.offset < last.offset + last.size:
            end = max(last.offset + last.size, m.end)
            runs[-1] = BitRun(last.offset, end - last.offset, (*last.members, m))
        else:
            runs.append(BitRun(m.offset, m.size, (m,)))
        prev = m
    return runs


class Resolver:
    """Lays out the records of one ABI on one architecture, memoised."""

    def __init__(self, abi: Abi, arch: Arch | str) -> None:
        self.abi = abi
        self.arch = arch if isinstance(arch, Arch) else archmod.get(arch)
        self._layouts: dict[str, Layout] = {}

    def layout(self, name: str, depth: int = 0) -> Layout:
        found = self._layouts.get(name)
        if found is not None:
            return found
        rec = lookup.record(self.abi, name)
        if not rec.exists_on(self.arch.name):
            raise InputError(f"layout {name!r} does not exist on {self.arch.name} "
                             f"(its file lists {', '.join(sorted(rec.arches or ()))})",
                             rec.loc.file, rec.loc.line, name)
        if depth > MAX_NESTING:
            raise InputError(f"nested deeper than {MAX_NESTING} levels", rec.loc.file, rec.loc.line, name)
        layout = self._lay_out(rec, depth)
        self._layouts[name] = layout
        return layout

    def sizeof(self, name: str) -> int:
        return self.named_type(name, "native", 0, None).size

    def alignof(self, name: str) -> int:
        return self.named_type(name, "native", 0, None).align

    def named_type(self, name: str, endian: str, depth: int, where: FieldDef | None) -> RType:
        spelled = name
        for _ in range(MAX_NESTING):
            scalar = self.arch.scalar(name)
            if scalar is not None:
                end = scalar.endian or (self.arch.endian if endian == "native" else endian)
                return ScalarType(scalar, end, spelled)
            t = self.abi.types.get(name)
            if isinstance(t, AliasDef):
                target = t.targets.get(self.arch.name)
                if target is None:
                    raise InputError(f"alias {name!r} has no type for {self.arch.name}", t.loc.file, t.loc.line, name)
                name = str(target)
                continue
            if isinstance(t, RecordDef):
                return RecordType(self.layout(name, depth + 1))
            loc = where.loc if where else (t.loc if t else None)
            raise InputError(f"{name!r} is not a storage type", loc.file if loc else None, loc.line if loc else None)
        raise InputError(f"alias chain from {spelled!r} is longer than {MAX_NESTING}")

    def _inline(self, rec: RecordDef, depth: int) -> Layout:
        found = self._layouts.get(rec.name)
        if found is None:
            if depth > MAX_NESTING:
                raise InputError(f"nested deeper than {MAX_NESTING} levels", rec.loc.file, rec.loc.line, rec.name)
            found = self._layouts[rec.name] = self._lay_out(rec, depth + 1)
        return found

    def _field_type(self, rec: RecordDef, f: FieldDef, depth: int) -> RType:
        t: RType
        if f.inline is not None:
            t = RecordType(self._inline(f.inline, depth))
        else:
            t = self.named_type(f.type, f.endian or rec.endian, depth, f)
        if isinstance(t, RecordType) and t.layout.flexible:
            raise self._err(rec, f, f"{t.layout.name} ends in a flexible array member; pvabi does not embed it")
        counts = [self._count(rec, f, d) for d in f.dims]
        if f.flexible:
            counts.insert(0, 0)
        total = t.size
        for c in counts:
            total *= c
        if total > MAX_LAYOUT_BYTES:
            raise self._err(rec, f, f"array of {total} bytes exceeds the {MAX_LAYOUT_BYTES}-byte bound")
        for c in reversed(counts):
            t = ArrayType(t, c)
        if f.reserved is None and value_count(t) > MAX_VALUES:
            raise self._err(rec, f, f"decodes into more than {MAX_VALUES} values (array elements and "
                                    "members); the bound is on work, not only on bytes")
        return t

    def constant(self, name: str) -> int:
        c = self.abi.constants.get(name)
        value = c.values.get(self.arch.name) if c else None
        if not isinstance(value, int):
            raise expr.ExprError(f"constant {name!r} has no value on {self.arch.name}")
        return value

    def _count(self, rec: RecordDef, f: FieldDef, dim: Dim) -> int:
        d = dim.get(self.arch.name) if isinstance(dim, PerArch) else dim
        if d is None:
            raise self._err(rec, f, f"the count has no value on {self.arch.name}")
        if isinstance(d, int):
            value = d
        else:
            try:
                value = expr.evaluate(expr.parse(str(d)), self.sizeof, self.alignof, self.constant)
            except expr.ExprError as e:
                raise self._err(rec, f, f"count {d!r}: {e}") from None
        if value < 0:
            raise self._err(rec, f, f"count {d!r} is {value} on {self.arch.name}; counts cannot be negative")
        if value > MAX_LAYOUT_BYTES:
            raise self._err(rec, f, f"count {d!r} is {value}, beyond the {MAX_LAYOUT_BYTES}-byte bound")
        return value

    def _err(self, rec: RecordDef, f: FieldDef, message: str) -> InputError:
        return InputError(message, f.loc.file, f.loc.line, f"{rec.name}.{f.name}")

    def _lay_out(self, rec: RecordDef, depth: int) -> Layout:
        arch = self.arch.name
        members: list[Member] = []
        holes: list[Hole] = []
        bitpos = 0  # the next free bit: bitfields start inside bytes, every other member at a byte
        size = 0
        align = 1
        prev: Member | None = None
        values = 1
        present = [f.for_arch(arch) for f in rec.fields if f.present_on(arch)]
        for i, f in enumerate(present):
            t = self._field_type(rec, f, depth)
            if f.flexible and (rec.kind == "union" or i != len(present) - 1 or i == 0):
                raise self._err(rec, f, "a flexible array member must be the last member of a struct "
                                        f"with other members on {arch}")
            offset = -(-bitpos // 8)
            if f.bits is not None:
                m, a = self._bitfield(rec, f, t, 0 if rec.kind == "union" else bitpos)
                bitpos = m.bitfield.pos + f.bits if m.bitfield and rec.kind == "struct" else bitpos
                at = m.offset
            else:
                a = 1 if rec.packed else t.align
                if f.aligned:
                    a = max(a, f.aligned)
                at = 0 if rec.kind == "union" else _round_up(offset, a)
                declared = f.offset.get_int(arch) if f.offset else None
                if declared is not None and declared != at:
                    if prev is not None and declared < prev.end and rec.kind == "struct":
                        raise self._err(rec, f, f"declared offset {declared} overlaps field {prev.name!r} "
                                                f"(bytes {prev.offset}..{prev.end - 1}) on {arch}")
                    raise self._err(rec, f, f"declared offset {declared}, but GCC places it at {at} on {arch}")
                m = Member(f.name, at, a, t, f, self.abi.enum(f.enum), self.abi.flags(f.flags))
                if rec.kind == "struct":
                    bitpos = m.end * 8
            if at > offset and rec.kind == "struct":
                holes.append(Hole(offset, at - offset, prev.name if prev else None))
            values += 1 if f.reserved is not None else value_count(t)
            if values > MAX_VALUES:
                raise self._err(rec, f, f"the layout decodes into more than {MAX_VALUES} values (array elements "
                                        "and members); the bound is on work, not only on bytes")
            self._check_values(rec, f, t)
            members.append(m)
            prev = m
            align = max(align, a)
            size = max(size, m.end) if rec.kind == "union" else -(-bitpos // 8)
            if size > MAX_LAYOUT_BYTES:
                raise self._err(rec, f, f"layout grows past the {MAX_LAYOUT_BYTES}-byte bound")
        if rec.aligned:
            align = max(align, rec.aligned)
        total = _round_up(size, align)
        if total > size:
            holes.append(Hole(size, total - size, prev.name if prev else None, tail=True))
        declared_size = rec.size.get_int(arch) if rec.size else None
        if declared_size is not None and declared_size != total:
            raise InputError(f"declared size {declared_size}, but GCC lays it out in {total} bytes on {arch}",
                             rec.loc.file, rec.loc.line, f"{rec.name}.size")
        bound = rec.max_size.get_int(arch) if rec.max_size else None
        if bound is not None and total > bound:
            raise InputError(f"lays out in {total} bytes on {arch}, more than its max_size of {bound}",
                             rec.loc.file, rec.loc.line, f"{rec.name}.max_size")
        return Layout(rec.name, arch, rec.kind, total, align, tuple(members), tuple(holes), rec,
                      values + len(holes))

    def _bitfield(self, rec: RecordDef, f: FieldDef, t: RType, bitpos: int) -> tuple[Member, int]:
        """Place a bitfield as GCC does on targets where the declared type matters (all of ours).

        GCC (stor-layout.cc, ``excess_unit_span``): a bitfield may not span more units of its type's
        alignment than the type itself has; if it would, it starts at the next multiple of that
        alignment. So on x86_64 ``u64 a:40; u64 b:40`` puts ``b`` at bit 64, but on i386, where
        ``u64`` is 4-aligned in structs, at bit 40. In a packed struct bits follow each other with
        no such rule. A named bitfield aligns its struct like its type (unless packed).
        """
        assert f.bits is not None
        if not isinstance(t, ScalarType):
            raise self._err(rec, f, "a bitfield needs an integer type")
        if t.endian != self.arch.endian:
            raise self._err(rec, f, f"a bitfield's bits are in the architecture's byte order, but {t.spelled} "
                                    f"is {t.endian}-endian on {self.arch.name}")
        if f.bits > t.size * 8:
            raise self._err(rec, f, f"a bitfield of {f.bits} bits does not fit {t.spelled} ({t.size * 8} bits)")
        unit = t.align * 8
        a = 1 if rec.packed else t.align
        if not rec.packed:
            within = bitpos % unit
            if (within + f.bits + unit - 1) // unit > t.size * 8 // unit:
                bitpos = _round_up(bitpos, unit)
        bf = BitField(bitpos, f.bits, self.arch.endian == "big")
        return Member(f.name, bitpos // 8, a, t, f, self.abi.enum(f.enum), self.abi.flags(f.flags), bf), a

    def _check_values(self, rec: RecordDef, f: FieldDef, t: RType) -> None:
        """Enums, flags and constants must fit the storage they describe."""
        leaf = t.leaf if isinstance(t, ArrayType) else t
        if f.enum or f.flags:
            if not isinstance(leaf, ScalarType) or leaf.scalar.char:
                raise self._err(rec, f, "enum and flags need an integer type")
            lo, hi = int_range(leaf.scalar)
            enum = self.abi.enum(f.enum)
            for name, value in enum.values if enum else ():
                if not lo <= value <= hi:
                    raise self._err(rec, f, f"enum value {name}={value} does not fit {leaf.spelled} "
                                            f"on {self.arch.name}")
            flags = self.abi.flags(f.flags)
            for name, bit in flags.bits if flags else ():
                if bit >= leaf.size * 8:
                    raise self._err(rec, f, f"flag {name} (bit {bit}) does not fit {leaf.spelled} on {self.arch.name}")
        if f.const is None:
            return
        if isinstance(f.const, int):
            if not isinstance(t, ScalarType):
                raise self._err(rec, f, "an integer constant needs a scalar field")
            lo, hi = int_range(t.scalar)
            if not lo <= f.const <= hi:
                raise self._err(rec, f, f"constant {f.const:#x} does not fit {t.spelled}")
            return
        if not (isinstance(t, ArrayType) and isinstance(t.elem, ScalarType) and t.elem.size == 1):
            raise self._err(rec, f, "a text or byte-list constant needs a one-dimensional byte array")
        if len(f.const) > t.count:
            raise self._err(rec, f, f"constant of {len(f.const)} bytes does not fit {t.count}")
        lo, hi = int_range(t.elem.scalar)
        if isinstance(f.const, tuple) and any(not lo <= v <= hi and not 0 <= v <= 255 for v in f.const):
            raise self._err(rec, f, "constant bytes must be 0..255")


def value_count(t: RType) -> int:
    """How many values a decode of ``t`` builds: one per scalar, char array, list and record member."""
    if isinstance(t, RecordType):
        return t.layout.values
    if isinstance(t, ArrayType):
        elem = t.elem
        if isinstance(elem, ScalarType) and elem.scalar.char:
            return 1
        return 1 + t.count * value_count(elem)
    return 1


def int_range(s: Scalar, width: int | None = None) -> tuple[int, int]:
    """The values ``s`` holds (in ``width`` bits, for a bitfield)."""
    bits = width or s.size * 8
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if s.signed else (0, (1 << bits) - 1)


def _round_up(value: int, align: int) -> int:
    return -(-value // align) * align


def resolver_for(abi: Abi, arch: Arch | str) -> Resolver:
    """The one Resolver of ``abi`` on ``arch``: each layout laid out once, shared by every reader.

    Loading fills it (``check_all`` lays out every record to validate it), so what ``show``, the
    diff, the codecs and the generators read is what was validated, computed once. Build a private
    ``Resolver`` only for a probe ABI that is thrown away.
    """
    name = arch.name if isinstance(arch, Arch) else archmod.canonical(arch)
    cache: dict[str, Resolver] = abi._resolvers
    found = cache.get(name)
    if found is None:
        found = cache[name] = Resolver(abi, archmod.ARCHES[name])
    return found


def layout_of(abi: Abi, name: str, arch: str) -> Layout:
    return resolver_for(abi, arch).layout(name)


def find_layout(abi: Abi, name: str, arch: str | None = None) -> Layout:
    """Layout ``name`` as a user names it: ``arch`` may be an alias or None (``lookup.arch_for``), and a
    miss says what exists."""
    rec = lookup.record(abi, name)
    return layout_of(abi, name, lookup.arch_for(rec, arch))


def check_all(abi: Abi) -> list[InputError]:
    """Lay out every record on every architecture it exists on; collect every problem.

    The layouts stay in ``abi``'s shared resolvers (``resolver_for``) for every later reader.
    A problem that recurs on several architectures is reported once, naming them.
    """
    found: dict[tuple[str | None, int | None, str | None, str], list[str]] = {}
    for a in archmod.ARCHES:
        r = resolver_for(abi, a)
        for rec in abi.records():
            if not rec.exists_on(a):
                continue
            try:
                r.layout(rec.name)
            except InputError as e:
                key = (e.file, e.line, e.field, e.message.replace(f" on {a}", " on {arches}"))
                found.setdefault(key, []).append(a)
    errors = []
    for (file, line, field, message), arches in found.items():
        where = ", ".join(arches) if len(arches) < len(archmod.ARCHES) else "every architecture"
        errors.append(InputError(message.replace("{arches}", where), file, line, field))
    return errors
