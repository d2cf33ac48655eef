"""Compiler facts -> layout definitions: the one place that maps C types to pvabi's language.

Given a struct as one compiler laid it out on one architecture (``facts``), this
builds the ``model`` definitions of it and of every type it uses, then proves
them: the engine must lay each record out at exactly the compiler's offsets and
sizes. What DWARF does not record (GCC's ``packed``) is inferred by trying the
plain layout first and the packed one second; an attribute the language cannot
say is an error, never a silently different layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .. import arch as archmod
from ..engine import Resolver
from ..errors import InputError
from ..model import Abi, AliasDef, EnumDef, FieldDef, Loc, PerArch, RecordDef, TypeDef
from .facts import CArray, CBase, CEnum, CMember, COther, CPointer, CRecord, CType, CTypedef

# Typedefs the language spells as builtins: <stdint.h> and the compilers' own names.
STD_TYPEDEFS = {
    "uint8_t": "u8", "uint16_t": "u16", "uint32_t": "u32", "uint64_t": "u64",
    "int8_t": "s8", "int16_t": "s16", "int32_t": "s32", "int64_t": "s64",
    "uintptr_t": "uptr",
}
LONG_NAMES = {"long int": "slong", "long": "slong", "long signed int": "slong", "signed long": "slong",
              "long unsigned int": "ulong", "unsigned long": "ulong"}
MAX_TYPES = 512


@dataclass(frozen=True)
class FieldFacts:
    """A field as built, with the C declaration it came from (for docs and comments)."""

    c_decl: str
    notes: tuple[str, ...] = ()


@dataclass
class Built:
    """The definitions of one root struct and everything it uses, on one architecture."""

    arch: str
    root: str
    types: dict[str, TypeDef] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)  # type name -> what could not be inferred

    def abi(self) -> Abi:
        return Abi(f"compiled:{self.arch}", (), self.types)


class Builder:
    def __init__(self, arch: str, origin: str) -> None:
        self.arch = archmod.get(arch)
        self.origin = origin  # "DWARF of guest.o", shown in errors and docs
        self.built = Built(self.arch.name, "")
        self._records: dict[int, str] = {}

    def build(self, root: CRecord) -> Built:
        self.built.root = self.add(root)
        return self.built

    def add(self, rec: CRecord) -> str:
        """Another struct of the same binary: types both use are built once."""
        return self._record(rec, rec.name)

    # -- types -------------------------------------------------------------------------------------------

    def _record(self, rec: CRecord, name: str) -> str:
        key = id(rec)
        if key in self._records:
            return self._records[key]
        if len(self.built.types) >= MAX_TYPES:
            raise InputError(f"{self.origin}: more than {MAX_TYPES} types reachable from {self.built.root!r}")
        self._records[key] = name
        self.built.types[name] = self._definition(rec, name)
        return name

    def _definition(self, rec: CRecord, name: str, inline: bool = False) -> RecordDef:
        if not rec.members and rec.size:
            raise InputError(f"{self.origin}: {rec.kind} {name} has no members recorded")
        loc = Loc(self.origin, 0)
        fields = tuple(self._field(rec, name, i, m) for i, m in enumerate(rec.members))
        aligned = rec.alignment if rec.alignment and rec.alignment > 1 else None
        doc = f"{rec.kind} {name} as compiled ({self.origin})." if not inline else ""
        base = RecordDef(name, rec.kind, doc, loc, name, "native", fields, aligned=aligned,
                         size=None if inline else PerArch((("default", rec.size),)), inline=inline)
        return self._fit(base, rec)

    def _fit(self, base: RecordDef, rec: CRecord) -> RecordDef:
        """The plain layout if the engine reproduces the compiler's, else the packed one.

        A member the compiler placed later than its type's alignment explains gets ``aligned``
        (BTF, and DWARF before version 5, do not record the attribute): the largest power of two
        dividing its offset, tried member by member.
        """
        problem = ""
        for candidate in (base, replace(base, packed=True)):
            for _ in range(len(rec.members) + 2):
                types = dict(self.built.types)
                types[base.name] = candidate
                try:
                    layout = Resolver(Abi("probe", (), types), self.arch).layout(base.name)
                except InputError as e:
                    problem = e.message
                    fixed = self._realign(candidate, rec, e)
                    if fixed is None:
                        break
                    candidate = fixed
                    continue
                moved = [m.name for m, c in zip(layout.members, rec.members, strict=True)
                         if m.bitfield is not None and m.bitfield.pos != c.bit_offset]
                if layout.size == rec.size and not moved:
                    return candidate
                if moved:
                    problem = f"bits of {', '.join(moved)}"
                    break
                problem = f"size {layout.size}"
                if rec.size % (rec.size & -rec.size) == 0 and (rec.size & -rec.size) > layout.align:
                    candidate = replace(candidate, aligned=min(rec.size & -rec.size, 4096))
                    continue
                break
        raise InputError(f"{self.origin}: {rec.kind} {base.name} on {self.arch.name}: the layout language cannot "
                         f"reproduce the compiler's layout (size {rec.size}; {problem}); an attribute "
                         "such as a member's packed or aligned is probably at work")

    @staticmethod
    def _realign(candidate: RecordDef, rec: CRecord, e: InputError) -> RecordDef | None:
        """``candidate`` with ``aligned`` on the member the engine placed too early, if that explains it."""
        if e.field is None or "GCC places it at" not in e.message:
            return None
        name = e.field.rsplit(".", 1)[-1]
        fields = list(candidate.fields)
        for i, (f, m) in enumerate(zip(fields, rec.members, strict=True)):
            if f.name == name and m.offset and not f.aligned:
                fields[i] = replace(f, aligned=min(m.offset & -m.offset, 4096))
                return replace(candidate, fields=tuple(fields))
        return None

    def _field(self, rec: CRecord, owner: str, index: int, m: CMember) -> FieldDef:
        where = f"{owner}.{m.name or f'_anon{index}'}"
        offset = None if rec.kind == "union" else PerArch((("default", m.offset),))
        aligned = m.alignment if m.alignment and m.alignment > 1 else None
        if isinstance(m.type, CRecord) and not m.type.name:
            # a struct or union declared in place (C11 anonymous when it has no member name)
            inner = self._definition(m.type, where, inline=True)
            doc = f"{m.type.kind} {{...}} {m.name}" if m.name else ""
            return FieldDef(m.name or f"_anon{index}", where, Loc(self.origin, 0), doc=doc, offset=offset,
                            aligned=aligned, inline=inner, anonymous=not m.name)
        if not m.name:
            raise InputError(f"{self.origin}: {where}: an unnamed member that is not a struct or union "
                             "(an unnamed bitfield?) has no place in a layout")
        type_name, dims, enum, notes = self._use(m.type, f"{owner}_{m.name}", where)
        flexible = False
        if dims and dims[0] == 0 and rec.kind == "struct" and index == len(rec.members) - 1 and index > 0:
            flexible, dims = True, dims[1:]
            notes = [n for n in notes if not n.startswith("flexible or zero-length")]
        doc = f"{describe(m.type)} {m.name}" + ("[]" if flexible else "") + "".join(f"[{d}]" for d in dims)
        if m.bit_size is not None:
            doc += f":{m.bit_size}"
            offset = None  # a bitfield's place is its bits, which the engine derives as GCC does
        if notes:
            doc += " (" + "; ".join(notes) + ")"
        return FieldDef(m.name, type_name, Loc(self.origin, 0), doc=doc, dims=dims, offset=offset,
                        aligned=aligned, enum=enum, bits=m.bit_size, flexible=flexible)

    def _use(self, t: CType, anon_name: str, where: str) -> tuple[str, tuple[int | str, ...], str | None, list[str]]:
        """A member's type as (type name, array dims, enum name, notes)."""
        notes: list[str] = []
        dims: list[int | str] = []
        while True:
            if isinstance(t, CArray):
                dims.extend(t.counts)
                if 0 in t.counts:
                    notes.append("flexible or zero-length array: count 0")
                t = t.elem
            elif isinstance(t, CTypedef) and isinstance(_strip(t.target), CArray):
                notes.append(f"typedef {t.name} is an array, spelled out here")
                t = t.target
            else:
                break
        if isinstance(t, CTypedef):
            name, enum = self._typedef(t, where)
            return name, tuple(dims), enum, notes
        if isinstance(t, CEnum):
            return self._int_of(t.size, t.signed, where), tuple(dims), self._enum(t), notes
        if isinstance(t, CRecord):
            return self._record(t, t.name or anon_name), tuple(dims), None, notes
        if isinstance(t, CPointer):
            notes.append("a pointer in C")
        return self._scalar(t, where), tuple(dims), None, notes

    def _typedef(self, t: CTypedef, where: str) -> tuple[str, str | None]:
        target = t.target
        if t.name in STD_TYPEDEFS:
            return STD_TYPEDEFS[t.name], None
        if t.name in archmod.BUILTIN_SCALARS and t.name.startswith("__"):
            return t.name, None  # __u32, __le32: the language spells them as headers do
        if isinstance(target, CRecord) and target.name in ("", t.name):
            return self._record(target, t.name), None
        if isinstance(target, CEnum):
            return self._int_of(target.size, target.signed, where), self._enum(target)
        if isinstance(target, CTypedef):
            inner, enum = self._typedef(target, where)
        elif isinstance(target, CRecord):
            inner, enum = self._record(target, target.name), None
        else:
            inner, enum = self._scalar(target, where), None
        if t.name in archmod.BUILTIN_SCALARS:
            return inner, enum
        if enum is None and t.name not in self.built.types:
            self.built.types[t.name] = AliasDef(t.name, f"typedef {t.name} as compiled ({self.origin}).",
                                                Loc(self.origin, 0), PerArch((("default", inner),)))
        return (t.name if enum is None else inner), enum

    def _enum(self, e: CEnum) -> str | None:
        if not e.name:
            return None
        if e.name not in self.built.types:
            self.built.types[e.name] = EnumDef(e.name, f"enum {e.name} as compiled ({self.origin}).",
                                               Loc(self.origin, 0), e.values)
        return e.name

    def _scalar(self, t: CType, where: str) -> str:
        if isinstance(t, CBase):
            if t.name == "char" and t.size == 1:
                return "char"
            if t.name in LONG_NAMES and t.size == self.arch.long_size:
                return LONG_NAMES[t.name]
            return self._int_of(t.size, t.signed, where)
        if isinstance(t, CPointer):
            return "uptr"
        what = t.what if isinstance(t, COther) else type(t).__name__
        raise InputError(f"{self.origin}: {where}: a {what} cannot be part of a layout")

    def _int_of(self, size: int, signed: bool, where: str) -> str:
        if size not in (1, 2, 4, 8):
            raise InputError(f"{self.origin}: {where}: a {size}-byte integer has no builtin type")
        return ("s" if signed else "u") + str(size * 8)


def _strip(t: CType) -> CType:
    while isinstance(t, CTypedef):
        t = t.target
    return t


def describe(t: CType) -> str:
    """The C spelling of a type, for docs: ``uint32_t``, ``struct arch_vcpu_info``, ``enum vmi_call``."""
    if isinstance(t, CTypedef):
        return t.name
    if isinstance(t, CBase):
        return t.name
    if isinstance(t, CRecord):
        return f"{t.kind} {t.name}" if t.name else f"anonymous {t.kind}"
    if isinstance(t, CEnum):
        return f"enum {t.name}" if t.name else "anonymous enum"
    if isinstance(t, CPointer):
        return "pointer"
    if isinstance(t, CArray):
        return describe(t.elem)
    return t.what
