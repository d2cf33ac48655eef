"""What a compiler recorded about types, independent of the debug format that carried it.

DWARF (``dwarf``) and BTF (``btf``) readers produce these; ``builder`` turns them
into layout definitions. Only facts a format records are here: offsets, sizes,
names, array bounds, enumerators. Who writes a field, and what reserved bytes
promise, no compiler knows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class CBase:
    """An integer (or char/bool) base type: ``unsigned int``, ``long int``, ``char``."""

    name: str
    size: int
    signed: bool
    char: bool = False


@dataclass(frozen=True)
class CPointer:
    size: int


@dataclass(frozen=True)
class CTypedef:
    name: str
    target: CType


@dataclass(frozen=True)
class CArray:
    elem: CType
    counts: tuple[int, ...]  # outermost first; 0 for a flexible array member


@dataclass(frozen=True)
class CEnum:
    name: str
    size: int
    signed: bool
    values: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class CMember:
    name: str
    offset: int
    type: CType
    bit_size: int | None = None
    bit_offset: int | None = None  # from the start of the record, in bits
    alignment: int | None = None  # an explicit aligned(N), when the format records it


@dataclass
class CRecord:
    """A struct or union; mutable only while a reader fills in its members."""

    kind: str
    name: str
    size: int
    members: list[CMember] = field(default_factory=list)
    alignment: int | None = None


@dataclass(frozen=True)
class COther:
    """A type no layout can hold (a function, a float, void): named for the error message."""

    what: str


CType = Union[CBase, CPointer, CTypedef, CArray, CEnum, CRecord, COther]


def strip_typedefs(t: CType) -> CType:
    while isinstance(t, CTypedef):
        t = t.target
    return t
