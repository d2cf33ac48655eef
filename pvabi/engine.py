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

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union

from . import arch as archmod
from . import expr
from .arch import Arch, Scalar
from .errors import InputError
from .model import Abi, AliasDef, EnumDef, FieldDef, FlagsDef, RecordDef

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
class Member:
    name: str
    offset: int
    align: int
    rtype: RType
    field: FieldDef
    enum: EnumDef | None = None
    flags: FlagsDef | None = None

    @property
    def size(self) -> int:
        return self.rtype.size

    @property
    def end(self) -> int:
        return self.offset + self.rtype.size


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

    def member(self, name: str) -> Member | None:
        return next((m for m in self.members if m.name == name), None)


@dataclass(frozen=True)
class Leaf:
    """A scalar or char array somewhere inside a layout, at an absolute offset."""

    path: str
    offset: int
    rtype: ScalarType | ArrayType
    member: Member


def leaves(layout: Layout, base: int = 0, prefix: str = "") -> Iterator[Leaf]:
    """Every scalar (and each scalar array or char array as a whole), depth first."""
    for m in layout.members:
        yield from _leaves_of(m, m.rtype, base + m.offset, prefix + m.name)


def _leaves_of(m: Member, t: RType, offset: int, path: str) -> Iterator[Leaf]:
    if isinstance(t, RecordType):
        yield from leaves(t.layout, offset, path + ".")
    elif isinstance(t, ArrayType) and isinstance(t.leaf, RecordType):
        for i in range(t.count):
            yield from _leaves_of(m, t.elem, offset + i * t.elem.size, f"{path}[{i}]")
    else:
        assert isinstance(t, (ScalarType, ArrayType))
        yield Leaf(path, offset, t, m)


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
        rec = self.abi.record(name)
        if rec is None:
            raise InputError(f"no layout named {name!r}")
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
                end = self.arch.endian if endian == "native" else endian
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

    def _field_type(self, rec: RecordDef, f: FieldDef, depth: int) -> RType:
        t = self.named_type(f.type, f.endian or rec.endian, depth, f)
        counts = [self._count(rec, f, d) for d in f.dims]
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

    def _count(self, rec: RecordDef, f: FieldDef, d: int | str) -> int:
        if isinstance(d, int):
            value = d
        else:
            try:
                value = expr.evaluate(expr.parse(d), self.sizeof, self.alignof)
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
        offset = 0
        size = 0
        align = 1
        prev: Member | None = None
        values = 1
        for f in rec.fields:
            if not f.present_on(arch):
                continue
            t = self._field_type(rec, f, depth)
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
            if at > offset:
                holes.append(Hole(offset, at - offset, prev.name if prev else None))
            m = Member(f.name, at, a, t, f, self.abi.enum(f.enum), self.abi.flags(f.flags))
            values += 1 if f.reserved is not None else value_count(t)
            if values > MAX_VALUES:
                raise self._err(rec, f, f"the layout decodes into more than {MAX_VALUES} values (array elements "
                                        "and members); the bound is on work, not only on bytes")
            self._check_values(rec, f, t)
            members.append(m)
            prev = m
            align = max(align, a)
            if rec.kind == "union":
                size = max(size, m.end)
            else:
                offset = size = m.end
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


def int_range(s: Scalar) -> tuple[int, int]:
    bits = s.size * 8
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if s.signed else (0, (1 << bits) - 1)


def _round_up(value: int, align: int) -> int:
    return -(-value // align) * align


def layout_of(abi: Abi, name: str, arch: str) -> Layout:
    return Resolver(abi, arch).layout(name)


def check_all(abi: Abi) -> list[InputError]:
    """Lay out every record on every architecture it exists on; collect every problem.

    A problem that recurs on several architectures is reported once, naming them.
    """
    found: dict[tuple[str | None, int | None, str | None, str], list[str]] = {}
    for a in archmod.ARCHES:
        r = Resolver(abi, a)
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
