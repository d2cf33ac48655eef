"""The layout model: immutable definitions as loaded from an ABI's layout files.

This is what the YAML means, validated, with every name resolved to a definition
and every definition knowing its file and line. It says nothing about offsets:
those depend on the architecture and are the layout engine's job (``engine``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Union


@dataclass(frozen=True)
class Loc:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class PerArch:
    """A value that may differ per architecture; ``default`` covers the rest."""

    values: tuple[tuple[str, object], ...]

    def get(self, arch: str) -> object | None:
        found = dict(self.values)
        return found.get(arch, found.get("default"))

    def get_int(self, arch: str) -> int | None:
        value = self.get(arch)
        return value if isinstance(value, int) else None


# One array dimension: a literal, an expression, or either per architecture.
Dim = Union[int, str, PerArch]


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    loc: Loc
    doc: str = ""
    dims: tuple[Dim, ...] = ()
    offset: PerArch | None = None
    aligned: int | None = None
    endian: str | None = None
    reserved: str | None = None
    const: int | bytes | tuple[int, ...] | None = None
    enum: str | None = None
    flags: str | None = None
    writer: str = "both"
    reader: str = "both"
    feature: str | None = None
    absent: int | None = None  # the value meaning "not provided": what a peer that lacks the field leaves
    # A field's ``since`` note (which release first had it) is for the YAML's readers only: the schema
    # accepts it, nothing in pvabi reads it, so the model does not carry it.
    only_arch: frozenset[str] | None = None
    except_arch: frozenset[str] | None = None
    bits: int | None = None  # a bitfield's width
    flexible: bool = False  # a flexible array member: `type name[]`, size 0
    inline: RecordDef | None = None  # a struct or union declared in place (``type`` names it)
    anonymous: bool = False  # an inline record without a member name (C11): its fields are the parent's
    # (writer, reader, feature) where they differ per architecture; ``for_arch`` applies them.
    by_arch: PerArch | None = None

    def present_on(self, arch: str) -> bool:
        if self.only_arch is not None:
            return arch in self.only_arch
        if self.except_arch is not None:
            return arch not in self.except_arch
        return True

    @property
    def all_features(self) -> frozenset[str]:
        """Every feature that gates this field on some architecture."""
        found = {self.feature} | {v[2] for _, v in (self.by_arch.values if self.by_arch else ())
                                  if isinstance(v, tuple)}
        return frozenset(f for f in found if f)

    def for_arch(self, arch: str) -> FieldDef:
        """This field as it is on ``arch``: its per-architecture writer, reader and feature applied."""
        if self.by_arch is None:
            return self
        found = self.by_arch.get(arch)
        assert isinstance(found, tuple)
        writer, reader, feature = found
        return replace(self, writer=writer, reader=reader, feature=feature, by_arch=None)


@dataclass(frozen=True)
class MemoryDef:
    """The initial content of the memory a layout lives in, who puts it there, and when."""

    initial: str  # zero | any
    cleared_by: str
    when: str


@dataclass(frozen=True)
class RecordDef:
    """A struct or union: a layout."""

    name: str
    kind: str
    doc: str
    loc: Loc
    file_id: str
    endian: str
    fields: tuple[FieldDef, ...]
    source: str | None = None
    packed: bool = False
    aligned: int | None = None
    size: PerArch | None = None
    max_size: PerArch | None = None
    writer: str | None = None
    reader: str | None = None
    arches: frozenset[str] | None = None
    renamed_from: tuple[str, ...] = ()
    placement: str = "embedded"  # embedded | page | fixed: where the layout lives (docs/layout-language.md)
    memory: MemoryDef | None = None
    size_field: str | None = None  # member path holding the record's own size (self-sized records)
    inline: bool = False  # declared in place inside another record; it has no C tag of its own

    @property
    def zero_filled(self) -> bool:
        """Does the memory it lives in start zeroed, so bytes nobody writes read as zero?"""
        return self.memory is not None and self.memory.initial == "zero"

    def exists_on(self, arch: str) -> bool:
        return self.arches is None or arch in self.arches

    def field(self, name: str) -> FieldDef | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class EnumDef:
    name: str
    doc: str
    loc: Loc
    values: tuple[tuple[str, int], ...]
    source: str | None = None

    def name_of(self, value: int) -> str | None:
        return next((n for n, v in self.values if v == value), None)

    def value_of(self, name: str) -> int | None:
        return dict(self.values).get(name)


@dataclass(frozen=True)
class FlagsDef:
    name: str
    doc: str
    loc: Loc
    bits: tuple[tuple[str, int], ...]
    reserved_bits: str = "zero"
    source: str | None = None

    @property
    def mask(self) -> int:
        m = 0
        for _, bit in self.bits:
            m |= 1 << bit
        return m

    def names_of(self, value: int) -> tuple[str, ...]:
        return tuple(n for n, bit in self.bits if value >> bit & 1)


@dataclass(frozen=True)
class AliasDef:
    """A typedef, possibly a different type per architecture (``xen_ulong_t``)."""

    name: str
    doc: str
    loc: Loc
    targets: PerArch
    source: str | None = None


TypeDef = Union[RecordDef, EnumDef, FlagsDef, AliasDef]


@dataclass(frozen=True)
class ConstDef:
    """A named integer constant (a header's ``#define``), possibly one per architecture."""

    name: str
    loc: Loc
    values: PerArch


@dataclass(frozen=True)
class LayoutFile:
    id: str
    path: str
    doc: str
    endian: str
    types: tuple[str, ...]
    source: str | None = None
    arches: frozenset[str] | None = None


@dataclass(frozen=True)
class Abi:
    """A whole ABI: every layout file of one version (or the working tree)."""

    name: str
    files: tuple[LayoutFile, ...]
    types: Mapping[str, TypeDef] = field(default_factory=dict)
    constants: Mapping[str, ConstDef] = field(default_factory=dict)
    # architecture -> the one engine.Resolver of this Abi there (engine.resolver_for fills it). Not an
    # input (init=False): ``replace`` gives a changed Abi an empty cache, since its layouts may differ.
    _resolvers: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "types", MappingProxyType(dict(self.types)))
        object.__setattr__(self, "constants", MappingProxyType(dict(self.constants)))

    def records(self) -> list[RecordDef]:
        return [t for t in self.types.values() if isinstance(t, RecordDef)]

    def record(self, name: str) -> RecordDef | None:
        t = self.types.get(name)
        return t if isinstance(t, RecordDef) else None

    def enum(self, name: str | None) -> EnumDef | None:
        t = self.types.get(name) if name else None
        return t if isinstance(t, EnumDef) else None

    def flags(self, name: str | None) -> FlagsDef | None:
        t = self.types.get(name) if name else None
        return t if isinstance(t, FlagsDef) else None
