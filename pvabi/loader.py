"""YAML layout files -> a validated, immutable ``model.Abi``.

Loading is three passes, each collecting every problem before reporting: the
JSON Schema per file, then the definitions (names, references, cycles,
expressions), then the layout engine on every architecture (asserted offsets
and sizes, bounds). Nothing here computes offsets itself.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

from . import arch as archmod
from . import expr
from .errors import InputError, InputErrors
from .model import (
    Abi,
    AliasDef,
    ConstDef,
    Dim,
    EnumDef,
    FieldDef,
    FlagsDef,
    LayoutFile,
    Loc,
    MemoryDef,
    PerArch,
    RecordDef,
    TypeDef,
)
from .yamlsafe import (
    Document,
    load_file,
    schema_error_path,
    schema_message,
    schema_violations,
    yaml_files,
)

MAX_FILES = 256
# Per-file bounds alone still let 256 files of 512 types cost minutes; the whole ABI is bounded too.
MAX_TYPES = 1024
MAX_ABI_BYTES = 4 << 20
RESERVED_NAMES = ("_raw",)
RESERVED_PREFIXES = ("_hole_", "_anon", "_bits_")  # keys the codec's values use for padding and anonymous members
C_KEYWORDS = frozenset((
    # names the generated C uses or that GNU C / C23 reserve
    "uint8_t", "uint16_t", "uint32_t", "uint64_t", "int8_t", "int16_t", "int32_t", "int64_t", "uintptr_t",
    "bool", "true", "false", "alignof", "alignas", "static_assert", "nullptr", "typeof", "asm", "thread_local",
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
    "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
    "_Static_assert", "_Thread_local", "constexpr", "typeof_unqual",
))
# Generated C (pvabi gen c) must compile whatever a layout is called: C reserves _X and __x everywhere
# and _x at file scope (C11 7.1.3), the headers take names from <stdint.h> and <stddef.h>, and GCC's
# GNU modes predefine linux, unix and i386 as macros.
_C_RESERVED = re.compile(r"^(__|_[A-Z]|u?int\w*_t$|U?INT\w*_(MAX|MIN|C)$)")
_KERNEL_MEMBER = re.compile(r"^__[a-z][a-z0-9_]*$")
_C_TAKEN = frozenset(("size_t", "ptrdiff_t", "wchar_t", "max_align_t", "offsetof", "NULL", "linux", "unix", "i386"))


def c_reserved(name: str, file_scope: bool) -> bool:
    """Whether ``name`` cannot be a C identifier in a generated header (a type at file scope, or a member).

    C reserves ``__x`` everywhere, but kernel and hypervisor headers name members ``__pad`` and
    ``__reserved`` throughout (Linux UAPI, Xen's public headers); a layout must transcribe them as
    written, so a member may start with ``__`` and a lower-case letter. Types may not.
    """
    if not file_scope and _KERNEL_MEMBER.match(name):
        return name in C_KEYWORDS
    return (name in C_KEYWORDS or name in _C_TAKEN or bool(_C_RESERVED.match(name))
            or (file_scope and name.startswith("_")))


LAYOUT_SCHEMA = "layout.schema.json"  # every layout file is validated against it (shipped in the package)


def _best_match(err: Any) -> Any:
    import jsonschema  # only for a file that failed the schema: see yamlsafe.schema_violations

    return jsonschema.exceptions.best_match([err])


def load_abi(layouts_dir: Path, name: str = "working", display_root: Path | None = None,
             cached: bool = False) -> Abi:
    """Load and check every ``*.yaml`` in ``layouts_dir``; raise InputErrors listing all problems.

    ``cached``: documents whose exact bytes passed the schema before are taken from ``doccache``
    instead of being parsed and validated again (``Project`` always asks; a library call opts in).
    """
    abi, errors = load_abi_collect(layouts_dir, name, display_root, cached)
    if errors:
        raise InputErrors(errors)
    assert abi is not None
    return abi


def load_abi_collect(layouts_dir: Path, name: str = "working", display_root: Path | None = None,
                     cached: bool = False) -> tuple[Abi | None, list[InputError]]:
    if not layouts_dir.is_dir():
        return None, [InputError("no layouts directory", str(layouts_dir))]
    try:
        paths = yaml_files(layouts_dir, _display(layouts_dir, display_root))
    except InputError as e:
        return None, [e]
    if len(paths) > MAX_FILES:
        return None, [InputError(f"more than {MAX_FILES} layout files", str(layouts_dir))]
    total = sum(p.lstat().st_size for p in paths if p.is_file() and not p.is_symlink())
    if total > MAX_ABI_BYTES:
        return None, [InputError(f"layout files hold {total} bytes, more than the {MAX_ABI_BYTES}-byte limit "
                                 "for a whole ABI", _display(layouts_dir, display_root))]
    docs: list[Document] = []
    invalid: list[Document] = []  # schema errors: not built, but still read for unknown type names
    errors: list[InputError] = []
    types = 0
    for path in paths:
        shown = _display(path, display_root)
        try:
            doc, schema_errors = _read(path, shown, cached)
        except InputError as e:
            errors.append(e)
            continue
        if schema_errors:
            errors.extend(schema_errors)
            invalid.append(doc)
            continue
        if doc.data["meta"]["id"] != path.stem:
            errors.append(InputError(f"meta.id {doc.data['meta']['id']!r} must equal the file name {path.stem!r}",
                                     shown, doc.line(("meta", "id")), "meta.id"))
        docs.append(doc)
        types += len(doc.data["types"])
        if types > MAX_TYPES:
            errors.append(InputError(f"more than {MAX_TYPES} types in one ABI (stopped reading here)", shown))
            return None, errors
    abi, def_errors = _build(docs, name)
    errors.extend(def_errors)
    errors.extend(_unknown_types(invalid, docs))
    if def_errors:
        return None, errors
    # Offsets and sizes are only known per architecture: run the engine on all of them.
    from .engine import check_all

    errors.extend(check_all(abi))
    return (None if errors else abi), errors


def _read(path: Path, shown: str, cached: bool) -> tuple[Document, list[InputError]]:
    """A file's document and its schema errors, from the cache when ``cached`` and it has them."""
    if not cached:
        doc = load_file(path, shown)
        return doc, _schema_errors(doc)
    from . import doccache

    return doccache.load_checked(path, shown, LAYOUT_SCHEMA, _schema_errors)


def _unknown_types(invalid: list[Document], valid: list[Document]) -> list[InputError]:
    """Unknown field types in files that failed the schema, so one run reports both kinds of problem.

    Such a file is not built into definitions; this reads only ``types.*.fields[*].type`` strings,
    defensively, since the rest of the file's shape is unknown.
    """
    defined = {name for doc in (*invalid, *valid) if isinstance(doc.data, dict)
               for name in (doc.data.get("types") or {}) if isinstance(doc.data.get("types"), dict)}
    out = []
    for doc in invalid:
        types = doc.data.get("types") if isinstance(doc.data, dict) else None
        for tname, t in (types.items() if isinstance(types, dict) else ()):
            fields = t.get("fields") if isinstance(t, dict) else None
            for i, f in enumerate(fields if isinstance(fields, list) else ()):
                ftype = f.get("type") if isinstance(f, dict) else None
                if isinstance(ftype, str) and ftype not in archmod.BUILTIN_SCALARS and ftype not in defined:
                    out.append(InputError(f"unknown type {ftype!r}", doc.file,
                                          doc.line(("types", tname, "fields", i, "type")),
                                          f"{tname}.{f.get('name', i)}"))
    return out


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def _schema_errors(doc: Document) -> list[InputError]:
    out = []
    for err in schema_violations(LAYOUT_SCHEMA, doc.data):
        best = _best_match(err) if err.context else err
        path = tuple(best.absolute_path)
        line = doc.line(schema_error_path(best))
        out.append(InputError(schema_message(best), doc.file, line, _field_path(doc.data, path)))
    return out


def _field_path(data: Any, path: tuple[Any, ...]) -> str | None:
    """A reviewer-friendly path: ``types.vcpu_info.fields[2](time).count``."""
    out = ""
    node = data
    for part in path:
        if isinstance(part, int):
            name = node[part].get("name") if isinstance(node, list) and isinstance(node[part], dict) else None
            shown = name if isinstance(name, str) and name.isprintable() and len(name) <= 64 else None
            out += f"[{part}]" + (f"({shown})" if shown else "")
        else:
            out += ("." if out else "") + str(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return out or None


def _per_arch(value: Any) -> PerArch | None:
    """A scalar (the same everywhere) or an architecture map, with architecture aliases resolved."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return PerArch((("default", value),))
    return PerArch(tuple(sorted((k if k == "default" else archmod.canonical(k), v) for k, v in value.items())))


def _arch_set(value: list[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(archmod.canonical(a) for a in value)


def _const(value: Any) -> int | bytes | tuple[int, ...] | None:
    if isinstance(value, str):
        return value.encode("latin-1", errors="replace")
    if isinstance(value, list):
        return tuple(value)
    return value  # type: ignore[no-any-return]


def _build(docs: list[Document], abi_name: str) -> tuple[Abi, list[InputError]]:
    errors: list[InputError] = []
    types: dict[str, TypeDef] = {}
    constants: dict[str, ConstDef] = {}
    files = []
    for doc in docs:
        meta = doc.data["meta"]
        endian = meta.get("endian", "native")
        names = []
        for cname, value in doc.data.get("constants", {}).items():
            loc = Loc(doc.file, doc.line(("constants", cname)))
            if cname in constants:
                errors.append(InputError(f"constant {cname!r} is already defined at {constants[cname].loc}",
                                         loc.file, loc.line, f"constants.{cname}"))
                continue
            if c_reserved(cname, True):
                errors.append(InputError(f"constant name {cname!r} is reserved", loc.file, loc.line,
                                         f"constants.{cname}"))
                continue
            _check_arch_keys(value, doc, ("constants", cname), f"constants.{cname}", errors)
            values = _per_arch(value)
            assert values is not None
            constants[cname] = ConstDef(cname, loc, values)
        for tname, t in doc.data["types"].items():
            loc = Loc(doc.file, doc.line(("types", tname)))
            if tname in types:
                other = types[tname].loc
                errors.append(InputError(f"type {tname!r} is already defined at {other}", loc.file, loc.line,
                                         f"types.{tname}"))
                continue
            if archmod.ARCHES.get(tname) or tname in archmod.BUILTIN_SCALARS or c_reserved(tname, True):
                errors.append(InputError(f"type name {tname!r} is reserved", loc.file, loc.line, f"types.{tname}"))
                continue
            if tname in constants:
                errors.append(InputError(f"{tname!r} is already a constant (defined at {constants[tname].loc})",
                                         loc.file, loc.line, f"types.{tname}"))
                continue
            types[tname] = _typedef(doc, tname, t, loc, meta["id"], endian, errors, _arch_set(meta.get("arches")))
            names.append(tname)
        files.append(LayoutFile(meta["id"], doc.file, meta["doc"], endian, tuple(names), meta.get("source"),
                                _arch_set(meta.get("arches"))))
    for cname, c in constants.items():
        if cname in types and c.loc.file != types[cname].loc.file:
            errors.append(InputError(f"{cname!r} is also a type (defined at {types[cname].loc})",
                                     c.loc.file, c.loc.line, f"constants.{cname}"))
    abi = Abi(abi_name, tuple(files), types, constants)
    errors.extend(_check_references(abi))
    return abi, errors


def _typedef(doc: Document, name: str, t: dict[str, Any], loc: Loc, file_id: str, endian: str,
             errors: list[InputError], arches: frozenset[str] | None) -> TypeDef:
    kind = t["kind"]
    if kind == "enum":
        return EnumDef(name, t["doc"], loc, tuple(t["values"].items()), t.get("source"))
    if kind == "flags":
        bits = tuple(t["bits"].items())
        seen: dict[int, str] = {}
        for bname, bit in bits:
            if bit in seen:
                errors.append(InputError(f"bit {bit} is already named {seen[bit]!r}", loc.file,
                                         doc.line(("types", name, "bits", bname)), f"{name}.{bname}"))
            seen[bit] = bname
        return FlagsDef(name, t["doc"], loc, bits, t.get("reserved_bits", "zero"), t.get("source"))
    if kind == "alias":
        _check_arch_keys(t.get("arch"), doc, ("types", name, "arch"), name, errors)
        targets = _per_arch(t["type"] if "type" in t else t["arch"])
        assert targets is not None
        return AliasDef(name, t.get("doc", ""), loc, targets, t.get("source"))
    _check_arch_keys(t.get("size"), doc, ("types", name, "size"), f"{name}.size", errors)
    fields = _fields(doc, ("types", name), name, t, file_id, endian, arches, errors)
    return RecordDef(
        name=name, kind=kind, doc=t["doc"], loc=loc, file_id=file_id, endian=endian, fields=fields,
        source=t.get("source"), packed=t.get("packed", False), aligned=t.get("aligned"),
        size=_per_arch(t.get("size")), max_size=_per_arch(t.get("max_size")),
        writer=t.get("writer"), reader=t.get("reader"), arches=arches,
        renamed_from=_names(t.get("renamed_from")), placement=t.get("placement", "embedded"),
        memory=MemoryDef(**t["memory"]) if "memory" in t else None, size_field=t.get("size_field"),
    )


def _fields(doc: Document, path: tuple[str | int, ...], name: str, t: dict[str, Any], file_id: str, endian: str,
            arches: frozenset[str] | None, errors: list[InputError]) -> tuple[FieldDef, ...]:
    """The fields of the record ``name`` whose YAML is ``t`` at ``path`` (inline records recurse)."""
    fields = []
    seen_names: dict[str, tuple[int, set[str]]] = {}
    for i, f in enumerate(t["fields"]):
        fpath = (*path, "fields", i)
        floc = Loc(doc.file, doc.line(fpath))
        if "kind" in f:
            fields.append(_inline_field(doc, fpath, name, i, f, t, file_id, endian, arches, errors))
            continue
        fname = f["name"]
        where = f"{name}.{fname}"
        only, excl = _arch_set(f.get("only_arch")), _arch_set(f.get("except_arch"))
        present = {a for a in archmod.ARCHES if (only is None or a in only) and (excl is None or a not in excl)}
        # One name may appear once per architecture: Xen places some members differently per arch.
        clash = present & seen_names.get(fname, (0, set()))[1]
        if clash:
            first = seen_names[fname][0]
            errors.append(InputError(f"duplicate field name (first at line {first}) on {', '.join(sorted(clash))}",
                                     floc.file, floc.line, where))
        first_line, arches_seen = seen_names.get(fname, (floc.line, set()))
        seen_names[fname] = (first_line, arches_seen | present)
        if fname in RESERVED_NAMES or fname.startswith(RESERVED_PREFIXES) or c_reserved(fname, False):
            errors.append(InputError(f"field name {fname!r} is reserved", floc.file, floc.line, where))
        _check_arch_keys(f.get("offset"), doc, (*fpath, "offset"), f"{where}.offset", errors)
        raw_dims = f.get("count", ())
        raw_dims = tuple(raw_dims) if isinstance(raw_dims, list) else ((raw_dims,) if raw_dims != () else ())
        dims: list[Dim] = []
        for d in raw_dims:
            _check_arch_keys(d, doc, (*fpath, "count"), f"{where}.count", errors)
            for text in (d.values() if isinstance(d, dict) else (d,)):
                if isinstance(text, str):
                    try:
                        expr.parse(text)
                    except expr.ExprError as e:
                        errors.append(InputError(str(e), floc.file, doc.line((*fpath, "count")), f"{where}.count"))
            per = _per_arch(d) if isinstance(d, dict) else None
            dims.append(per if per is not None else d)
        _check_bitfield(f, floc, where, errors)
        writer, reader, feature, by_arch = _contract(f, t, doc, fpath, where, errors)
        fields.append(FieldDef(
            name=fname, type=f["type"], loc=floc, doc=f.get("doc", ""), dims=tuple(dims),
            offset=_per_arch(f.get("offset")), aligned=f.get("aligned"), endian=f.get("endian"),
            reserved=f.get("reserved"), const=_const(f.get("const")), enum=f.get("enum"), flags=f.get("flags"),
            writer=writer, reader=reader, feature=feature, absent=f.get("absent"),
            only_arch=only, except_arch=excl, bits=f.get("bits"), flexible=f.get("flexible", False),
            by_arch=by_arch,
        ))
    return tuple(fields)


def _inline_field(doc: Document, fpath: tuple[str | int, ...], parent: str, index: int, f: dict[str, Any],
                  t: dict[str, Any], file_id: str, endian: str, arches: frozenset[str] | None,
                  errors: list[InputError]) -> FieldDef:
    """A struct or union declared in place; without a name it is anonymous and its fields are the parent's."""
    floc = Loc(doc.file, doc.line(fpath))
    named = "name" in f
    fname = f["name"] if named else f"_anon{index}"
    where = f"{parent}.{fname}"
    if named and (fname in RESERVED_NAMES or fname.startswith(RESERVED_PREFIXES) or c_reserved(fname, False)):
        errors.append(InputError(f"field name {fname!r} is reserved", floc.file, floc.line, where))
    _check_arch_keys(f.get("offset"), doc, (*fpath, "offset"), f"{where}.offset", errors)
    # Inline members inherit the enclosing record's default writer and reader unless they set their own.
    body = {**f, "writer": f.get("writer") or t.get("writer"), "reader": f.get("reader") or t.get("reader")}
    rec = RecordDef(
        name=where, kind=f["kind"], doc=f.get("doc", ""), loc=floc, file_id=file_id, endian=endian,
        fields=_fields(doc, fpath, where, body, file_id, endian, arches, errors),
        packed=f.get("packed", False), aligned=f.get("aligned"), writer=body["writer"], reader=body["reader"],
        arches=arches, inline=True,
    )
    return FieldDef(name=fname, type=where, loc=floc, doc=f.get("doc", ""), offset=_per_arch(f.get("offset")),
                    only_arch=_arch_set(f.get("only_arch")), except_arch=_arch_set(f.get("except_arch")),
                    inline=rec, anonymous=not named)


def _check_bitfield(f: dict[str, Any], loc: Loc, where: str, errors: list[InputError]) -> None:
    """A bitfield is one integer of ``bits`` bits: no arrays, asserted offsets, alignment or constants."""
    if "bits" not in f:
        return
    for key, why in (("count", "a bitfield cannot be an array"), ("flexible", "a bitfield cannot be an array"),
                     ("offset", "a bitfield has no byte offset to assert"),
                     ("aligned", "pvabi does not support aligned bitfields"),
                     ("const", "a bitfield cannot be a constant")):
        if key in f:
            errors.append(InputError(f"{why} ({key!r} with 'bits')", loc.file, loc.line, where))


def _contract(f: dict[str, Any], t: dict[str, Any], doc: Document, fpath: tuple[str | int, ...], where: str,
              errors: list[InputError]) -> tuple[str, str, str | None, PerArch | None]:
    """Writer, reader and feature of a field (its own word, else its record's); per architecture if given so."""
    for key in ("writer", "reader", "feature"):
        _check_arch_keys(f.get(key), doc, (*fpath, key), f"{where}.{key}", errors)
    if not any(isinstance(f.get(key), dict) for key in ("writer", "reader", "feature")):
        # The common case: one word for every architecture, so nothing to compare per architecture.
        return _party(f, t, "writer"), _party(f, t, "reader"), _feature(f, "default"), None
    per = {a: (_party(f, t, "writer", a), _party(f, t, "reader", a), _feature(f, a))
           for a in ("default", *archmod.ARCHES)}
    default = per.pop("default")
    by_arch = None
    if any(v != default for v in per.values()):
        by_arch = PerArch(tuple(sorted(per.items())))
    return (*default, by_arch)


def _feature(f: dict[str, Any], arch: str) -> str | None:
    value = f.get("feature")
    if isinstance(value, dict):
        value = _per_arch(value).get(arch) if value else None  # type: ignore[union-attr]
    return str(value) if value is not None else None


def _names(value: Any) -> tuple[str, ...]:
    """One name or a list of names, as a tuple."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _check_arch_keys(value: Any, doc: Document, path: tuple[str | int, ...], where: str,
                     errors: list[InputError]) -> None:
    """``i386`` and ``x86_32`` name one architecture: a map may not give both."""
    if not isinstance(value, dict):
        return
    seen: dict[str, str] = {}
    for key in value:
        canon = key if key == "default" else archmod.canonical(key)
        if canon in seen:
            errors.append(InputError(f"{key!r} and {seen[canon]!r} name the same architecture",
                                     doc.file, doc.line((*path, key)), where))
        seen[canon] = key


def _party(f: dict[str, Any], record: dict[str, Any], key: str, arch: str = "default") -> str:
    """Who writes (reads) a field on ``arch``: its own word, else its record's, else both (none if reserved)."""
    own = f.get(key)
    if isinstance(own, dict):
        own = _per_arch(own).get(arch)  # type: ignore[union-attr]
    own = own or record.get(key)  # the schema allows host, guest, both and none only
    return str(own) if own else ("none" if "reserved" in f else "both")


def _is_integer_path(abi: Abi, rec: RecordDef, path: str) -> bool:
    """Does a dotted path name a scalar (not array) integer member, through nested records?"""
    *inner, last = path.split(".")
    for name in inner:
        f = rec.field(name)
        nested = abi.record(f.type) if f is not None and not f.dims else None
        if nested is None:
            return False
        rec = nested
    f = rec.field(last)
    return f is not None and not f.dims and _is_integer_type(abi, f.type, 0)


def _is_integer_type(abi: Abi, name: str, depth: int) -> bool:
    """A builtin scalar, or an alias whose every target is one (alias cycles are reported elsewhere)."""
    t = abi.types.get(name)
    if isinstance(t, AliasDef):
        targets = [v for _, v in t.targets.values]
        return depth < 16 and all(isinstance(v, str) and _is_integer_type(abi, v, depth + 1) for v in targets)
    return t is None and name in archmod.BUILTIN_SCALARS


def _check_references(abi: Abi) -> list[InputError]:
    errors: list[InputError] = []

    def known(tname: str) -> bool:
        return tname in archmod.BUILTIN_SCALARS or tname in abi.types

    for t in abi.types.values():
        if isinstance(t, AliasDef):
            for a, target in t.targets.values:
                if not isinstance(target, str) or not known(target):
                    errors.append(InputError(f"unknown type {target!r}" + (f" for {a}" if a != "default" else ""),
                                             t.loc.file, t.loc.line, t.name))
                elif isinstance(abi.types.get(target), (EnumDef, FlagsDef)):
                    errors.append(InputError(f"{target!r} is not a storage type", t.loc.file, t.loc.line, t.name))
        if not isinstance(t, RecordDef):
            continue
        if t.size_field is not None and not _is_integer_path(abi, t, t.size_field):
            errors.append(InputError(f"size_field {t.size_field!r} does not name an integer member of {t.name}",
                                     t.loc.file, t.loc.line, f"{t.name}.size_field"))
        for was in t.renamed_from:
            # A layout cannot have been renamed from a layout this version still defines.
            if was == t.name or abi.record(was) is not None:
                errors.append(InputError(f"renamed_from names {was!r}, a layout this version still defines",
                                         t.loc.file, t.loc.line, f"{t.name}.renamed_from"))
        _check_record(abi, t, errors)
    errors.extend(_cycles(abi))
    return errors


def dim_texts(d: Dim) -> list[int | str]:
    """The literal or expression forms of one dimension (every architecture's, if it differs)."""
    return [v for _, v in d.values if isinstance(v, (int, str))] if isinstance(d, PerArch) else [d]


def _check_record(abi: Abi, t: RecordDef, errors: list[InputError]) -> None:
    def known(tname: str) -> bool:
        return tname in archmod.BUILTIN_SCALARS or tname in abi.types

    for f in t.fields:
        where = f"{t.name}.{f.name}"
        if f.inline is not None:
            _check_record(abi, f.inline, errors)
            continue
        if not known(f.type):
            errors.append(InputError(f"unknown type {f.type!r}", f.loc.file, f.loc.line, where))
        elif isinstance(abi.types.get(f.type, None), (EnumDef, FlagsDef)):
            errors.append(InputError(f"{f.type!r} is an {type(abi.types[f.type]).__name__[:-3].lower()}; "
                                     f"give an integer type and `enum:`/`flags:` {f.type}",
                                     f.loc.file, f.loc.line, where))
        fixed = _fixed_endian(f.type)
        if fixed is not None and f.endian is not None and f.endian != fixed:
            errors.append(InputError(f"{f.type} is {fixed}-endian; endian: {f.endian} contradicts it",
                                     f.loc.file, f.loc.line, where))
        for attr, want in (("enum", EnumDef), ("flags", FlagsDef)):
            ref = getattr(f, attr)
            if ref is not None and not isinstance(abi.types.get(ref), want):
                errors.append(InputError(f"unknown {attr} {ref!r}", f.loc.file, f.loc.line, where))
        if f.enum and f.flags:
            errors.append(InputError("a field is an enum or flags, not both", f.loc.file, f.loc.line, where))
        if f.const is not None and f.reserved:
            errors.append(InputError("a constant cannot also be reserved", f.loc.file, f.loc.line, where))
        for d in f.dims:
            for text in dim_texts(d):
                if not isinstance(text, str):
                    continue
                try:
                    tree = expr.parse(text)
                except expr.ExprError:
                    continue
                # Membership tests, not set differences: a copy of every type name per count would make
                # checking an ABI quadratic in its size.
                for n in sorted(n for n in expr.names(tree) if n not in archmod.BUILTIN_SCALARS
                                and n not in abi.types):
                    errors.append(InputError(f"unknown type {n!r} in count", f.loc.file, f.loc.line, where))
                for n in sorted(n for n in expr.constants(tree) if n not in abi.constants):
                    errors.append(InputError(f"unknown constant {n!r} in count", f.loc.file, f.loc.line, where))
    _check_member_names(t, errors)


def member_names(rec: RecordDef) -> list[tuple[str, FieldDef]]:
    """The names C sees in ``rec``: its fields', with an anonymous member's fields in its place."""
    out: list[tuple[str, FieldDef]] = []
    for f in rec.fields:
        if f.anonymous and f.inline is not None:
            out.extend(member_names(f.inline))
        else:
            out.append((f.name, f))
    return out


def _check_member_names(rec: RecordDef, errors: list[InputError]) -> None:
    """An anonymous member's fields share the enclosing record's names, as in C."""
    if not any(f.anonymous for f in rec.fields):
        return
    direct = {id(f) for f in rec.fields}
    seen: dict[str, FieldDef] = {}
    for name, f in member_names(rec):
        other = seen.get(name)
        if other is not None and not (id(f) in direct and id(other) in direct) and any(
                f.present_on(a) and other.present_on(a) for a in archmod.ARCHES):
            errors.append(InputError(f"duplicate member name {name!r} (first at line {other.loc.line}); "
                                     "an anonymous member's fields belong to the enclosing record",
                                     f.loc.file, f.loc.line, f"{rec.name}.{name}"))
        seen.setdefault(name, f)


def _fixed_endian(tname: str) -> str | None:
    scalar = archmod.get(archmod.DEFAULT_ARCH).scalar(tname)
    return scalar.endian if scalar is not None else None


def _record_deps(rec: RecordDef) -> list[str]:
    """The types a record needs laid out first: its fields' (through inline records) and sizeof() in counts."""
    deps = []
    for f in rec.fields:
        if f.inline is not None:
            deps.extend(_record_deps(f.inline))
            continue
        deps.append(f.type)
        for d in f.dims:
            for text in dim_texts(d):
                if isinstance(text, str):
                    with contextlib.suppress(expr.ExprError):
                        deps.extend(sorted(expr.names(expr.parse(text))))
    return deps


def _cycles(abi: Abi) -> list[InputError]:
    """Records and aliases that contain themselves (directly, or through sizeof in a count)."""
    edges: dict[str, list[str]] = {}
    for t in abi.types.values():
        if isinstance(t, AliasDef):
            edges[t.name] = [str(v) for _, v in t.targets.values]
        elif isinstance(t, RecordDef):
            edges[t.name] = _record_deps(t)
    errors = []
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()
    # Iterative depth-first search: a hostile file may chain thousands of types.
    for root in sorted(edges):
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:
            node, i = stack[-1]
            deps = edges.get(node, [])
            if i == len(deps):
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            stack[-1] = (node, i + 1)
            nxt = deps[i]
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    loc = abi.types[nxt].loc
                    errors.append(InputError("reference cycle: " + " -> ".join(cycle), loc.file, loc.line, nxt))
            elif nxt in edges and nxt not in state:
                state[nxt] = 1
                stack.append((nxt, 0))
                path.append(nxt)
    return errors
