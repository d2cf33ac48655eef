"""Hypothesis strategies that write random, valid pvabi layout files.

``abi_files()`` draws a whole ABI: one to three layout files (as the plain
dicts a reviewer would write in YAML), whose types reference only types drawn
before them, so the result is acyclic and loads with ``load_abi``. It covers the
layout language that decides offsets: every builtin scalar, one- and
multi-dimensional arrays (zero-length included), nested structs and arrays of
them, unions, ``packed``, ``aligned`` on records and on fields, empty records,
per-architecture aliases, count expressions over ``sizeof``/``alignof``,
reserved fields, plus enums/flags/endianness/per-arch fields that must not move
anything. It never writes ``offset:`` or ``size:`` assertions: the engine
computes those numbers and the compiler checks them.

Every drawn type carries an upper bound on its size, alignment and number of
leaf paths over all architectures, so each record stays within ``TYPE_BUDGET``
bytes and the generated C stays small enough to compile in a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

# Upper bounds on every architecture: (size, alignment). Word types are 8 on LP64.
SCALARS: dict[str, tuple[int, int]] = {
    "u8": (1, 1), "u16": (2, 2), "u32": (4, 4), "u64": (8, 8),
    "s8": (1, 1), "s16": (2, 2), "s32": (4, 4), "s64": (8, 8),
    "char": (1, 1), "ulong": (8, 8), "slong": (8, 8), "uptr": (8, 8),
    # kernel spellings (the explicit-endian ones keep their byte order on every architecture)
    "__u8": (1, 1), "__s16": (2, 2), "uint32_t": (4, 4), "int64_t": (8, 8), "__le16": (2, 2), "__be32": (4, 4),
    "__be64": (8, 8),
}
FIXED_ENDIAN = ("__le16", "__be32", "__be64")
INTEGER_SCALARS = tuple(n for n in SCALARS if n != "char")
# Bitfield types and their widest width on every architecture (a long has 32 bits on the ILP32 ones).
BIT_WIDTHS = {"u8": 8, "u16": 16, "u32": 32, "u64": 64, "s8": 8, "s16": 16, "s32": 32, "s64": 64, "char": 8,
              "ulong": 32, "slong": 32, "__u8": 8, "__s16": 16, "uint32_t": 32, "int64_t": 64}
ARCH_KEYS = ("x86_32", "x86_64", "arm32", "aarch64", "ppc64", "s390x")
POW2_FIELD = (1, 2, 4, 8, 16, 32, 64, 128)
POW2_RECORD = (1, 2, 4, 8, 16, 32, 64, 128, 256)

TYPE_BUDGET = 1024  # bytes: upper bound of any one record's size on any architecture
LEAF_BUDGET = 96  # leaf paths (offsetof assertions) per record
MAX_DIM = 6  # elements per array dimension
MAX_ELEMS = 48  # elements per array field, all dimensions together


@dataclass(frozen=True)
class TypeInfo:
    """What a later type needs to know about an earlier one, bounded over all architectures."""

    name: str
    kind: str  # scalar, struct, union, alias, enum, flags
    size: int  # upper bound of sizeof
    align: int  # upper bound of alignment
    leaves: int  # upper bound of leaf paths the engine reports inside it
    record_like: bool = False  # a record, or an alias that is a record on some architecture
    flexible: bool = False  # ends in a flexible array member: never embedded

    @property
    def storage(self) -> bool:
        return self.kind not in ("enum", "flags") and not self.flexible


SCALAR_INFOS = tuple(TypeInfo(n, "scalar", s, a, 1) for n, (s, a) in SCALARS.items())


class _Ctx:
    """The types drawn so far, in order; later types may use any of them."""

    def __init__(self) -> None:
        self.types: list[TypeInfo] = []
        self.counter = 0
        self.constants: dict[str, int] = {}  # name -> its largest value on any architecture
        self.native = True  # the current file keeps the architectures' byte order (bitfields need it)

    def fresh(self, kind: str) -> str:
        self.counter += 1
        return f"T{self.counter}_{kind}"

    def storage(self) -> list[TypeInfo]:
        return [t for t in self.types if t.storage]

    def of_kind(self, kind: str) -> list[TypeInfo]:
        return [t for t in self.types if t.kind == kind]


def _pick_type(draw: st.DrawFn, ctx: _Ctx, room: int, leaf_room: int) -> TypeInfo:
    """A builtin scalar or an earlier storage type that fits in ``room`` bytes."""
    named = [t for t in ctx.storage() if t.size + t.align <= room and t.leaves <= leaf_room]
    use_named: bool = draw(st.booleans())
    if named and use_named:
        return draw(st.sampled_from(named))
    return draw(st.sampled_from(SCALAR_INFOS))


def _small_types(ctx: _Ctx, limit: int) -> list[TypeInfo]:
    return [*SCALAR_INFOS, *(t for t in ctx.storage() if t.size <= limit)]


def _count(draw: st.DrawFn, ctx: _Ctx, cap: int) -> tuple[int | str | dict[str, int | str], int]:
    """One array dimension: a literal or an expression, with an upper bound of its value (<= cap)."""
    if cap <= 0:
        return 0, 0
    if draw(st.integers(0, 3)) != 0:  # three in four: a literal
        n = draw(st.integers(0, cap))
        return n, n
    shape = draw(st.sampled_from(("sizeof_mul", "alignof_add", "size_per_align", "mod", "literal_text",
                                  "constant", "per_arch")))
    if shape == "constant":
        usable = sorted(n for n, v in ctx.constants.items() if v <= cap)
        if usable:
            name = draw(st.sampled_from(usable))
            return draw(st.sampled_from((name, f"{name} + 0", f"({name})"))), ctx.constants[name]
        shape = "literal_text"
    if shape == "per_arch":
        keys = draw(st.lists(st.sampled_from(ARCH_KEYS), min_size=1, max_size=3, unique=True))
        per: dict[str, int | str] = {k: draw(st.integers(0, cap)) for k in keys}
        per["default"] = f"{draw(st.integers(0, cap))} + 0"
        return per, cap
    if shape == "literal_text":
        n = draw(st.integers(0, cap))
        return f"({n})", n
    if shape == "mod":
        m = draw(st.integers(1, cap))
        t = draw(st.sampled_from(_small_types(ctx, 1 << 20)))
        return f"(sizeof({t.name}) + {draw(st.integers(0, 9))}) % {m}", m - 1
    if shape == "alignof_add":
        options = [t for t in _small_types(ctx, 1 << 20) if t.align <= cap]
        if options:
            t = draw(st.sampled_from(options))
            k = draw(st.integers(0, cap - t.align))
            return f"alignof({t.name}) + {k}", t.align + k
        return 0, 0
    t = draw(st.sampled_from([t for t in _small_types(ctx, cap) if t.size <= cap]))
    if shape == "size_per_align":
        return f"sizeof({t.name}) / alignof({t.name})", t.size
    k = draw(st.integers(1, max(1, cap // max(t.size, 1))))
    spelled = draw(st.sampled_from((f"sizeof({t.name}) * {k}", f"{k} * sizeof({t.name})",
                                    f"sizeof({t.name})*{k}")))
    return spelled, t.size * k


def _field(draw: st.DrawFn, ctx: _Ctx, index: int, packed: bool, room: int,
           leaf_room: int) -> tuple[dict[str, Any], TypeInfo, int, int, int]:
    """One field dict, plus (its type, its element count, its member alignment bound, its leaves)."""
    t = _pick_type(draw, ctx, room, leaf_room)
    aligned = draw(st.sampled_from(POW2_FIELD)) if draw(st.integers(0, 4)) == 0 else None
    member_align = max(1 if packed else t.align, aligned or 1)
    # Room left for the elements once the worst-case padding before the field is paid.
    elem_room = room - (member_align - 1)
    max_elems = min(MAX_ELEMS, elem_room // t.size if t.size else MAX_ELEMS)
    if t.record_like and t.leaves:
        max_elems = min(max_elems, leaf_room // t.leaves)
    field: dict[str, Any] = {"name": f"f{index}", "type": t.name}
    if ctx.native and t.name in BIT_WIDTHS and draw(st.integers(0, 4)) == 0:
        field["bits"] = draw(st.integers(1, BIT_WIDTHS[t.name]))
        field["doc"] = f"Bitfield {index}."
        if draw(st.integers(0, 5)) == 0:
            field["reserved"] = "zero"
        return field, t, 1, max(1 if packed else t.align, 1), 1
    dims: list[int | str | dict[str, int | str]] = []
    elems = 1
    shape = draw(st.sampled_from(("one", "one", "one", "array", "array", "multi")))
    if shape != "one":
        ndims = 1 if shape == "array" else draw(st.integers(2, 3))
        for _ in range(ndims):
            count, bound = _count(draw, ctx, min(MAX_DIM, max_elems // max(elems, 1)))
            dims.append(count)
            elems *= bound
        if len(dims) == 1 and draw(st.booleans()):
            field["count"] = dims[0]
        else:
            field["count"] = dims
    leaves = elems * t.leaves if t.record_like else 1
    reserved = draw(st.sampled_from((None, None, None, None, None, None, "zero", "any")))
    if reserved:
        field["reserved"] = reserved
        if draw(st.booleans()):
            field["doc"] = "Reserved."
    else:
        field["doc"] = f"Field {index} of type {t.name}."
    if aligned:
        field["aligned"] = aligned
    # Attributes that must not move anything.
    if t.name in INTEGER_SCALARS and not reserved:
        extra = draw(st.sampled_from(("", "", "", "", "enum", "flags", "endian", "contract")))
        if extra in ("enum", "flags") and ctx.of_kind(extra):
            field[extra] = draw(st.sampled_from(ctx.of_kind(extra))).name
        elif extra == "endian" and t.name not in FIXED_ENDIAN:
            field["endian"] = draw(st.sampled_from(("little", "big")))
        elif extra == "contract":
            key = draw(st.sampled_from(ARCH_KEYS))
            field[draw(st.sampled_from(("writer", "reader")))] = {key: "host", "default": "guest"}
            field["feature"] = {key: "F_" + key.upper()}
    return field, t, elems, member_align, leaves


def _inline(draw: st.DrawFn, index: int, packed: bool) -> tuple[dict[str, Any], int, int, int]:
    """An inline struct or union of a few scalars, anonymous or named: (field, size bound, align bound, leaves)."""
    kind = draw(st.sampled_from(("struct", "union")))
    inner = draw(st.lists(st.sampled_from(SCALAR_INFOS), min_size=1, max_size=3))
    body: dict[str, Any] = {"kind": kind}
    if draw(st.booleans()):
        body["name"] = f"f{index}"
        body["doc"] = f"Inline {kind} {index}."
    body["fields"] = [{"name": f"f{index}_{j}", "type": t.name, "doc": "Inline member."} for j, t in enumerate(inner)]
    align = 1 if packed else max(t.align for t in inner)
    size = sum(t.size + t.align - 1 for t in inner) + align
    return body, size, align, len(inner)


@st.composite
def _record(draw: st.DrawFn, ctx: _Ctx, kind: str) -> tuple[str, dict[str, Any]]:
    name = ctx.fresh(kind)
    packed = draw(st.integers(0, 3)) == 0
    aligned = draw(st.sampled_from(POW2_RECORD)) if draw(st.integers(0, 3)) == 0 else None
    body: dict[str, Any] = {"kind": kind, "doc": f"Random {kind} {name}."}
    if packed:
        body["packed"] = True
    if aligned:
        body["aligned"] = aligned
    budget = TYPE_BUDGET - (aligned or 1) - 127  # less the worst tail padding
    size = 0  # upper bound of the unpadded size so far
    align = aligned or 1
    leaves = 0
    fields: list[dict[str, Any]] = []
    n = draw(st.integers(0, 10))
    for i in range(n):
        room = budget - (size if kind == "struct" else 0)
        if room < 16 or leaves >= LEAF_BUDGET:
            break
        if room > 64 and draw(st.integers(0, 9)) == 0:
            body_, fsize, member_align, field_leaves = _inline(draw, i, packed)
            size = size + member_align - 1 + fsize if kind == "struct" else max(size, fsize)
            align = max(align, member_align)
            leaves += field_leaves
            fields.append(body_)
            continue
        field, t, elems, member_align, field_leaves = _field(draw, ctx, i, packed, room, LEAF_BUDGET - leaves)
        fsize = t.size * elems
        if kind == "struct":
            size += member_align - 1 + fsize
        else:
            size = max(size, fsize)
        align = max(align, member_align)
        leaves += field_leaves
        choice = draw(st.integers(0, 11))  # now and then a field present on some architectures only
        if choice == 0:
            field["only_arch"] = draw(st.lists(st.sampled_from(ARCH_KEYS), min_size=1, max_size=3, unique=True))
        elif choice == 1:
            field["except_arch"] = draw(st.lists(st.sampled_from(ARCH_KEYS), min_size=1, max_size=3, unique=True))
        fields.append(field)
    flexible = False
    if (kind == "struct" and fields and not {"only_arch", "except_arch"} & set(fields[0])
            and draw(st.integers(0, 9)) == 0):
        t = draw(st.sampled_from(SCALAR_INFOS))
        fields.append({"name": f"f{len(fields)}", "type": t.name, "flexible": True, "doc": "Flexible array."})
        size += t.align - 1
        align = max(align, 1 if packed else t.align)
        flexible = True
    body["fields"] = fields
    ctx.types.append(TypeInfo(name, kind, size + align - 1, align, max(leaves, 0), record_like=True,
                              flexible=flexible))
    return name, body


@st.composite
def _alias(draw: st.DrawFn, ctx: _Ctx) -> tuple[str, dict[str, Any]]:
    name = ctx.fresh("alias")
    pool = [*SCALAR_INFOS, *(t for t in ctx.storage() if t.size <= TYPE_BUDGET // 2)]
    body: dict[str, Any] = {"kind": "alias"}
    if draw(st.booleans()):  # a typedef's doc is optional
        body["doc"] = f"Alias {name}."
    if draw(st.integers(0, 2)) == 0:
        targets = [draw(st.sampled_from(pool))]
        body["type"] = targets[0].name
    else:
        keys = draw(st.lists(st.sampled_from(ARCH_KEYS), min_size=1, max_size=len(ARCH_KEYS), unique=True))
        if "x86_32" in keys and draw(st.booleans()):
            keys[keys.index("x86_32")] = "i386"  # the alias spelling of the same architecture
        if len(keys) < len(ARCH_KEYS) or draw(st.booleans()):
            keys.append("default")
        per = {k: draw(st.sampled_from(pool)) for k in keys}
        body["arch"] = {k: t.name for k, t in per.items()}
        targets = list(per.values())
    ctx.types.append(TypeInfo(
        name, "alias", max(t.size for t in targets), max(t.align for t in targets),
        max(t.leaves for t in targets), record_like=any(t.record_like for t in targets),
        flexible=any(t.flexible for t in targets),
    ))
    return name, body


@st.composite
def _enum(draw: st.DrawFn, ctx: _Ctx) -> tuple[str, dict[str, Any]]:
    name = ctx.fresh("enum")
    values = draw(st.lists(st.integers(0, 127), min_size=1, max_size=4))
    ctx.types.append(TypeInfo(name, "enum", 0, 1, 0))
    return name, {"kind": "enum", "doc": f"Enum {name}.", "values": {f"V{i}": v for i, v in enumerate(values)}}


@st.composite
def _flags(draw: st.DrawFn, ctx: _Ctx) -> tuple[str, dict[str, Any]]:
    name = ctx.fresh("flags")
    bits = draw(st.lists(st.integers(0, 7), min_size=1, max_size=4, unique=True))
    body: dict[str, Any] = {"kind": "flags", "doc": f"Flags {name}.", "bits": {f"B{b}": b for b in bits}}
    if draw(st.booleans()):
        body["reserved_bits"] = draw(st.sampled_from(("zero", "any")))
    ctx.types.append(TypeInfo(name, "flags", 0, 1, 0))
    return name, body


@st.composite
def abi_files(draw: st.DrawFn, max_files: int = 3, max_types: int = 8) -> dict[str, dict[str, Any]]:
    """A whole random ABI: {file id: layout document}. Types only reference earlier types."""
    ctx = _Ctx()
    files: dict[str, dict[str, Any]] = {}
    for i in range(draw(st.integers(1, max_files))):
        fid = f"layout{i}"
        meta: dict[str, Any] = {"id": fid, "doc": f"Random layout file {i}."}
        endian = draw(st.sampled_from((None, None, "native", "little", "big")))
        if endian:
            meta["endian"] = endian
        ctx.native = endian in (None, "native")
        doc: dict[str, Any] = {"meta": meta}
        if draw(st.integers(0, 2)) == 0:
            constants: dict[str, Any] = {}
            for _ in range(draw(st.integers(1, 3))):
                cname = f"C{len(ctx.constants) + 1}"
                if draw(st.booleans()):
                    constants[cname] = draw(st.integers(0, MAX_DIM))
                    ctx.constants[cname] = constants[cname]
                else:
                    keys = draw(st.lists(st.sampled_from(ARCH_KEYS), min_size=1, max_size=6, unique=True))
                    per = {k: draw(st.integers(0, MAX_DIM)) for k in keys}
                    if len(keys) < len(ARCH_KEYS):
                        per["default"] = draw(st.integers(0, MAX_DIM))
                    constants[cname] = per
                    ctx.constants[cname] = max(per.values())
            doc["constants"] = constants
        types: dict[str, Any] = {}
        for _ in range(draw(st.integers(1, max_types))):
            kind = draw(st.sampled_from(("struct", "struct", "struct", "union", "alias", "alias", "enum", "flags")))
            if kind in ("struct", "union"):
                name, body = draw(_record(ctx, kind))
            elif kind == "alias":
                name, body = draw(_alias(ctx))
            elif kind == "enum":
                name, body = draw(_enum(ctx))
            else:
                name, body = draw(_flags(ctx))
            types[name] = body
        doc["types"] = types
        files[fid] = doc
    return files


def write_layouts(files: dict[str, dict[str, Any]], layouts_dir: Path) -> None:
    """Dump each document as ``<id>.yaml`` with yaml.safe_dump, the way a reviewer would read it."""
    layouts_dir.mkdir(parents=True, exist_ok=True)
    for fid, doc in files.items():
        (layouts_dir / f"{fid}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")


def dump_all(files: dict[str, dict[str, Any]]) -> str:
    """All files as one text, for failure messages."""
    return "\n".join(f"# --- {fid}.yaml\n{yaml.safe_dump(doc, sort_keys=False)}" for fid, doc in files.items())


def features(files: dict[str, dict[str, Any]]) -> set[str]:
    """The language features a drawn ABI uses (to check the strategy covers the language)."""
    seen: set[str] = set()
    for doc in files.values():
        for body in doc["types"].values():
            kind = body["kind"]
            seen.add(f"kind:{kind}")
            if kind == "alias" and "doc" not in body:
                seen.add("alias:no_doc")
            if kind == "alias":
                seen.add("alias:per_arch" if "arch" in body else "alias:single")
                if "default" in body.get("arch", {}):
                    seen.add("alias:default")
                continue
            if kind not in ("struct", "union"):
                continue
            if not body["fields"]:
                seen.add(f"{kind}:empty")
            if body.get("packed"):
                seen.add(f"{kind}:packed")
            if body.get("aligned"):
                seen.add(f"{kind}:aligned")
            if body.get("packed") and body.get("aligned"):
                seen.add(f"{kind}:packed+aligned")
            for f in body["fields"]:
                if "kind" in f:
                    seen.add("member:named_inline" if "name" in f else "member:anonymous")
                    continue
                seen.add(f"type:{f['type']}" if f["type"] in SCALARS else "type:named")
                count = f.get("count")
                dims = count if isinstance(count, list) else ([] if count is None else [count])
                if len(dims) > 1:
                    seen.add("array:multi")
                elif dims:
                    seen.add("array:one")
                if 0 in dims:
                    seen.add("array:zero")
                if any(isinstance(d, dict) for d in dims):
                    seen.add("count:per_arch")
                if any(isinstance(d, str) and d.strip("()").split(" ")[0].startswith("C") for d in dims):
                    seen.add("count:constant")
                if isinstance(f.get("writer", f.get("reader")), dict):
                    seen.add("field:per_arch_contract")
                if any(isinstance(d, str) and "sizeof" in d for d in dims):
                    seen.add("count:sizeof")
                if any(isinstance(d, str) and "alignof" in d for d in dims):
                    seen.add("count:alignof")
                if dims and f["type"] not in SCALARS:
                    seen.add("array:named")
                for key in ("aligned", "reserved", "only_arch", "except_arch", "enum", "flags", "endian", "bits",
                            "flexible"):
                    if key in f:
                        seen.add(f"field:{key}")
    return seen
