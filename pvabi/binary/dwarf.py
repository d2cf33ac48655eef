"""Types from DWARF debug info (pyelftools), as ``facts``.

A struct is looked up by its tag name, or by the typedef name of an anonymous
struct (``typedef struct { ... } foo_t;``). The first complete definition wins:
a C program has one layout per tag, and declarations (``struct foo;``) carry
no members. Offsets come from ``DW_AT_data_member_location``; bitfields from
``DW_AT_data_bit_offset`` (DWARF 4+) or the older big-endian-relative
``DW_AT_bit_offset``.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from .elf import Binary, guarded
from .facts import CArray, CBase, CEnum, CMember, COther, CPointer, CRecord, CType, CTypedef

RECORD_TAGS = {"DW_TAG_structure_type": "struct", "DW_TAG_union_type": "union"}
QUALIFIERS = ("DW_TAG_const_type", "DW_TAG_volatile_type", "DW_TAG_restrict_type", "DW_TAG_atomic_type",
              "DW_TAG_immutable_type")
SIGNED = ("DW_ATE_signed", "DW_ATE_signed_char")
MAX_DEPTH = 64


def has_dwarf(binary: Binary) -> bool:
    return binary.elf is not None and bool(guarded(binary.path, lambda: binary.elf.get_section_by_name(".debug_info")))


class DwarfTypes:
    """Every named struct and union of one binary's DWARF, converted on demand."""

    def __init__(self, binary: Binary) -> None:
        self.binary = binary
        self._names: dict[str, Any] = {}
        self._memo: dict[int, CType] = {}
        # DWARF 5 records explicit alignment (DW_AT_alignment); before it, absence says nothing
        self.records_alignment = True
        guarded(binary.path, self._index)

    def _index(self) -> None:
        info = self.binary.elf.get_dwarf_info()
        for cu in info.iter_CUs():
            self.records_alignment &= cu["version"] >= 5
            for die in cu.iter_DIEs():
                if die.tag in RECORD_TAGS and "DW_AT_declaration" not in die.attributes:
                    name = _name(die)
                    if name and name not in self._names:
                        self._names[name] = die
                elif die.tag == "DW_TAG_typedef" and "DW_AT_type" in die.attributes:
                    target = die.get_DIE_from_attribute("DW_AT_type")
                    name = _name(die)
                    if target.tag in RECORD_TAGS and not _name(target) and name and name not in self._names:
                        self._names[name] = target

    def names(self) -> list[str]:
        return sorted(self._names)

    def record(self, name: str) -> CRecord:
        die = self._names.get(name)
        if die is None:
            raise InputError(f"no struct or union named {name!r} in its DWARF", self.binary.path)
        t = guarded(self.binary.path, lambda: self._type(die, 0, name))
        assert isinstance(t, CRecord)
        return t

    def _type(self, die: Any, depth: int, typedef_name: str | None = None) -> CType:
        if depth > MAX_DEPTH:
            raise InputError(f"types nested deeper than {MAX_DEPTH}", self.binary.path)
        found = self._memo.get(die.offset)
        if found is not None:
            return found
        tag = die.tag
        attrs = die.attributes
        if tag in QUALIFIERS:
            return self._target(die, depth)
        if tag == "DW_TAG_typedef":
            t: CType = CTypedef(_name(die) or "", self._target(die, depth))
        elif tag == "DW_TAG_base_type":
            enc = _attr(die, "DW_AT_encoding")
            encoding = _ENCODINGS.get(enc, "") if isinstance(enc, int) else ""
            if encoding not in ("DW_ATE_signed", "DW_ATE_unsigned", "DW_ATE_signed_char",
                                "DW_ATE_unsigned_char", "DW_ATE_boolean"):
                t = COther(f"base type {_name(die)!r} ({encoding or 'unknown encoding'})")
            else:
                t = CBase(_name(die) or "", int(_attr(die, "DW_AT_byte_size") or 0), encoding in SIGNED,
                          char=encoding in ("DW_ATE_signed_char", "DW_ATE_unsigned_char"))
        elif tag == "DW_TAG_pointer_type":
            t = CPointer(int(_attr(die, "DW_AT_byte_size") or self.binary.elf.elfclass // 8))
        elif tag == "DW_TAG_array_type":
            counts = []
            for sub in die.iter_children():
                if sub.tag != "DW_TAG_subrange_type":
                    continue
                if "DW_AT_count" in sub.attributes:
                    counts.append(int(sub.attributes["DW_AT_count"].value))
                elif "DW_AT_upper_bound" in sub.attributes:
                    counts.append(int(sub.attributes["DW_AT_upper_bound"].value) + 1)
                else:
                    counts.append(0)  # a flexible array member: no bound
            t = CArray(self._target(die, depth), tuple(counts) or (0,))
        elif tag == "DW_TAG_enumeration_type":
            values = tuple((_name(c) or "", int(c.attributes["DW_AT_const_value"].value))
                           for c in die.iter_children() if c.tag == "DW_TAG_enumerator")
            under = self._target(die, depth) if "DW_AT_type" in attrs else None
            signed = under.signed if isinstance(under, CBase) else any(v < 0 for _, v in values)
            t = CEnum(_name(die) or typedef_name or "", int(_attr(die, "DW_AT_byte_size") or 4), signed, values)
        elif tag in RECORD_TAGS:
            rec = CRecord(RECORD_TAGS[tag], _name(die) or typedef_name or "", int(_attr(die, "DW_AT_byte_size") or 0),
                          alignment=_attr(die, "DW_AT_alignment"))
            self._memo[die.offset] = rec  # before the members: a member may point back here
            for m in die.iter_children():
                if m.tag == "DW_TAG_member":
                    rec.members.append(self._member(m, depth, rec.kind))
            return rec
        else:
            t = COther(tag.replace("DW_TAG_", "").replace("_", " "))
        self._memo[die.offset] = t
        return t

    def _target(self, die: Any, depth: int) -> CType:
        if "DW_AT_type" not in die.attributes:
            return COther("void")
        target = die.get_DIE_from_attribute("DW_AT_type")
        name = _name(die) if die.tag == "DW_TAG_typedef" else None
        return self._type(target, depth + 1, name)

    def _member(self, m: Any, depth: int, kind: str) -> CMember:
        attrs = m.attributes
        t = self._target(m, depth)
        offset = _location(attrs["DW_AT_data_member_location"]) if "DW_AT_data_member_location" in attrs else 0
        bit_size = _attr(m, "DW_AT_bit_size")
        bit_offset = None
        if bit_size is not None:
            if "DW_AT_data_bit_offset" in attrs:
                bit_offset = int(attrs["DW_AT_data_bit_offset"].value)
            else:
                # DWARF 2/3: bits from the most significant end of a storage unit at `offset`
                storage = int(_attr(m, "DW_AT_byte_size") or 0)
                old = int(_attr(m, "DW_AT_bit_offset") or 0)
                if self.binary.elf.little_endian:
                    bit_offset = offset * 8 + storage * 8 - old - int(bit_size)
                else:
                    bit_offset = offset * 8 + old
            offset = bit_offset // 8
        return CMember(_name(m) or "", offset, t, bit_size, bit_offset, _attr(m, "DW_AT_alignment"))


def _location(attr: Any) -> int:
    value = attr.value
    if isinstance(value, int):
        return value
    # DWARF 2/3 form: an expression, in practice DW_OP_plus_uconst N (0x23, then ULEB128 N)
    if isinstance(value, list) and value and value[0] == 0x23:
        n, shift = 0, 0
        for b in value[1:]:
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        return n
    raise InputError(f"member location {value!r} is not a constant offset")


def _name(die: Any) -> str | None:
    attr = die.attributes.get("DW_AT_name")
    if attr is None:
        return None
    v = attr.value
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def _attr(die: Any, name: str) -> Any:
    attr = die.attributes.get(name)
    return None if attr is None else attr.value


# DWARF 5, section 7.8, Table 7.11 (base type encodings)
_ENCODINGS = {0x02: "DW_ATE_boolean", 0x04: "DW_ATE_float", 0x05: "DW_ATE_signed", 0x06: "DW_ATE_signed_char",
              0x07: "DW_ATE_unsigned", 0x08: "DW_ATE_unsigned_char"}
