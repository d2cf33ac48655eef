"""Types from BTF (a kernel's ``.BTF`` section, a raw blob like /sys/kernel/btf/vmlinux), as ``facts``.

The format's records are described in pvabi's own layout language
(``btf_layouts/btf.yaml``, from torvalds/linux include/uapi/linux/btf.h) and
parsed by the constructs pvabi compiles from it, on a little- or big-endian
architecture as the blob's magic says. BTF carries no typedef for ``long``
widths or pointer sizes; those come from the architecture.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..constructs import compiled_construct
from ..engine import Layout, layout_of
from ..errors import InputError
from ..loader import load_abi
from ..model import Abi
from .elf import BTF_MAGIC, Binary
from .facts import CArray, CBase, CEnum, CMember, COther, CPointer, CRecord, CType, CTypedef

INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT = range(1, 12)
FUNC, FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64 = range(12, 20)
QUALIFIERS = (VOLATILE, CONST, RESTRICT, TYPE_TAG)
# Trailing records per kind: (layout, how many: 1 or vlen)
TRAILERS = {INT: ("btf_int", False), ARRAY: ("btf_array", False), STRUCT: ("btf_member", True),
            UNION: ("btf_member", True), ENUM: ("btf_enum", True), FUNC_PROTO: ("btf_param", True),
            VAR: ("btf_var", False), DATASEC: ("btf_var_secinfo", True), DECL_TAG: ("btf_decl_tag", False),
            ENUM64: ("btf_enum64", True)}
MAX_TYPES = 1 << 20
MAX_DEPTH = 64


@cache
def btf_abi() -> Abi:
    """The BTF record layouts, loaded and checked like any layout file."""
    directory = Path(str(resources.files("pvabi").joinpath("binary/btf_layouts")))
    return load_abi(directory, "btf")


@cache
def btf_layout(name: str, endian: str) -> Layout:
    # Any architecture of the right byte order will do: every BTF field is a fixed-width integer.
    return layout_of(btf_abi(), name, "x86_64" if endian == "little" else "s390x")


class BtfTypes:
    def __init__(self, binary: Binary, blob: bytes) -> None:
        self.binary = binary
        self.path = binary.path
        self._types: list[tuple[int, Any, list[Any]]] = [(0, None, [])]  # (kind, btf_type, trailers) by id
        self._memo: dict[int, CType] = {}
        self.records_alignment = False  # BTF has no alignment attribute at all
        try:
            self._parse(blob)
        except InputError:
            raise
        except Exception as e:  # construct's StreamError on a short blob, UnicodeError on a bad name
            raise InputError(f"cannot read its BTF (truncated or corrupt?): {str(e).splitlines()[0][:200]}",
                             self.path) from None
        self._names: dict[str, int] = {}
        for tid, (kind, t, _) in enumerate(self._types):
            if kind in (STRUCT, UNION):
                self._names.setdefault(self._str(t.name_off), tid)
        for kind, t, _ in self._types:
            if kind == TYPEDEF:
                target = self._types[t.size_or_type] if t.size_or_type < len(self._types) else (0, None, [])
                if target[0] in (STRUCT, UNION) and not self._str(target[1].name_off):
                    self._names.setdefault(self._str(t.name_off), t.size_or_type)
        self._names.pop("", None)

    def _parse(self, blob: bytes) -> None:
        magic = int.from_bytes(blob[:2], "little")
        self.endian = "little" if magic == BTF_MAGIC else "big"
        header = compiled_construct(btf_layout("btf_header", self.endian)).parse(blob[:24])
        if header.hdr_len < 24 or header.hdr_len + header.str_off + header.str_len > len(blob) or \
                header.hdr_len + header.type_off + header.type_len > len(blob):
            raise InputError("BTF header describes sections past the end of the blob (truncated?)", self.path)
        start = header.hdr_len + header.type_off
        self._strings = blob[header.hdr_len + header.str_off:header.hdr_len + header.str_off + header.str_len]
        types = blob[start:start + header.type_len]
        pos = 0
        while pos < len(types):
            if len(self._types) > MAX_TYPES:
                raise InputError(f"more than {MAX_TYPES} BTF types", self.path)
            t = self._record("btf_type", types, pos)
            pos += 12
            kind = (t.info >> 24) & 0x1F
            vlen = t.info & 0xFFFF
            trailers = []
            if kind in TRAILERS:
                name, many = TRAILERS[kind]
                size = btf_layout(name, self.endian).size
                for _ in range(vlen if many else 1):
                    trailers.append(self._record(name, types, pos))
                    pos += size
            elif kind not in (PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG):
                raise InputError(f"unknown BTF kind {kind} at type {len(self._types)}", self.path)
            self._types.append((kind, t, trailers))

    def _record(self, name: str, data: bytes, pos: int) -> Any:
        layout = btf_layout(name, self.endian)
        if pos + layout.size > len(data):
            raise InputError("BTF type section ends inside a record (truncated?)", self.path)
        return compiled_construct(layout).parse(data[pos:pos + layout.size])

    def _str(self, off: int) -> str:
        end = self._strings.find(b"\0", off)
        return self._strings[off:end if end >= 0 else None].decode("utf-8", "replace")

    def names(self) -> list[str]:
        return sorted(self._names)

    def record(self, name: str) -> CRecord:
        tid = self._names.get(name)
        if tid is None:
            raise InputError(f"no struct or union named {name!r} in its BTF", self.path)
        t = self._type(tid, 0, name)
        assert isinstance(t, CRecord)
        return t

    def _type(self, tid: int, depth: int, typedef_name: str | None = None) -> CType:
        if depth > MAX_DEPTH:
            raise InputError(f"BTF types nested deeper than {MAX_DEPTH}", self.path)
        if tid == 0:
            return COther("void")
        if tid >= len(self._types):
            raise InputError(f"BTF type id {tid} out of range", self.path)
        found = self._memo.get(tid)
        if found is not None:
            return found
        kind, t, trailers = self._types[tid]
        name = self._str(t.name_off)
        out: CType
        if kind in QUALIFIERS:
            return self._type(t.size_or_type, depth + 1, typedef_name)
        if kind == INT:
            enc = (trailers[0].bits >> 24) & 0xF
            out = CBase(name, t.size_or_type, bool(enc & 1), char=bool(enc & 2) or name == "char")
        elif kind == PTR:
            out = CPointer(8 if self.binary.arch in ("x86_64", "aarch64", "ppc64", "s390x") else 4)
        elif kind == TYPEDEF:
            out = CTypedef(name, self._type(t.size_or_type, depth + 1, name))
        elif kind == ARRAY:
            a = trailers[0]
            elem = self._type(a.type, depth + 1)
            # BTF nests multi-dimensional arrays; pvabi counts them outermost first.
            out = CArray(elem.elem, (a.nelems, *elem.counts)) if isinstance(elem, CArray) else CArray(elem, (a.nelems,))
        elif kind in (ENUM, ENUM64):
            signed = bool(t.info >> 31)
            if kind == ENUM:
                values = tuple((self._str(e.name_off), e.val if signed else e.val & 0xFFFFFFFF) for e in trailers)
            else:
                values = tuple((self._str(e.name_off), _enum64(e, signed)) for e in trailers)
            out = CEnum(name or typedef_name or "", t.size_or_type, signed or any(v < 0 for _, v in values), values)
        elif kind in (STRUCT, UNION):
            rec = CRecord("struct" if kind == STRUCT else "union", name or typedef_name or "", t.size_or_type)
            self._memo[tid] = rec
            kflag = bool(t.info >> 31)
            for m in trailers:
                bits = m.offset & 0xFFFFFF if kflag else m.offset
                bit_size = (m.offset >> 24) if kflag else 0
                mtype = self._type(m.type, depth + 1)
                if not bit_size and bits % 8 == 0:
                    rec.members.append(CMember(self._str(m.name_off), bits // 8, mtype))
                else:
                    rec.members.append(CMember(self._str(m.name_off), bits // 8, mtype, bit_size or None, bits))
            return rec
        else:
            out = COther({FWD: "forward declaration", FUNC: "function", FUNC_PROTO: "function type", VAR: "variable",
                          DATASEC: "data section", FLOAT: "floating-point type", DECL_TAG: "tag"}.get(kind, "type"))
        self._memo[tid] = out
        return out


def _enum64(e: Any, signed: bool) -> int:
    v = int(e.val_hi32) << 32 | int(e.val_lo32)
    return v - (1 << 64) if signed and v >> 63 else v
