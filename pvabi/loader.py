"""YAML layout files -> a validated, immutable ``model.Abi``.

Loading is three passes, each collecting every problem before reporting: the
JSON Schema per file, then the definitions (names, references, cycles,
expressions), then the layout engine on every architecture (asserted offsets
and sizes, bounds). Nothing here computes offsets itself.
"""

from __future__ import annotations

import contextlib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from . import arch as archmod
from . import expr
from .errors import InputError, InputErrors
from .model import Abi, AliasDef, EnumDef, FieldDef, FlagsDef, LayoutFile, Loc, PerArch, RecordDef, TypeDef
from .yamlsafe import Document, StrictValidator, load_file, schema_error_path, schema_message, yaml_files

MAX_FILES = 256
# Per-file bounds alone still let 256 files of 512 types cost minutes; the whole ABI is bounded too.
MAX_TYPES = 1024
MAX_ABI_BYTES = 4 << 20
RESERVED_NAMES = ("_raw",)
C_KEYWORDS = frozenset((
    # names the generated C uses or that GNU C / C23 reserve
    "uint8_t", "uint16_t", "uint32_t", "uint64_t", "int8_t", "int16_t", "int32_t", "int64_t", "uintptr_t",
    "bool", "true", "false", "alignof", "alignas", "static_assert", "nullptr", "typeof", "asm", "thread_local",
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
    "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
    "_Static_assert", "_Thread_local",
))


@cache
def layout_schema() -> dict[str, Any]:
    """The JSON Schema every layout file is validated against (shipped in the package)."""
    text = resources.files("pvabi").joinpath("schemas/layout.schema.json").read_text("utf-8")
    return dict(json.loads(text))


def load_abi(layouts_dir: Path, name: str = "working", display_root: Path | None = None) -> Abi:
    """Load and check every ``*.yaml`` in ``layouts_dir``; raise InputErrors listing all problems."""
    abi, errors = load_abi_collect(layouts_dir, name, display_root)
    if errors:
        raise InputErrors(errors)
    assert abi is not None
    return abi


def load_abi_collect(layouts_dir: Path, name: str = "working",
                     display_root: Path | None = None) -> tuple[Abi | None, list[InputError]]:
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
    errors: list[InputError] = []
    types = 0
    for path in paths:
        shown = _display(path, display_root)
        try:
            doc = load_file(path, shown)
        except InputError as e:
            errors.append(e)
            continue
        schema_errors = _schema_errors(doc)
        if schema_errors:
            errors.extend(schema_errors)
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
    if def_errors:
        return None, errors
    # Offsets and sizes are only known per architecture: run the engine on all of them.
    from .engine import check_all

    errors.extend(check_all(abi))
    return (None if errors else abi), errors


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def _schema_errors(doc: Document) -> list[InputError]:
    validator = StrictValidator(layout_schema())
    out = []
    for err in validator.iter_errors(doc.data):
        best = jsonschema.exceptions.best_match([err]) if err.context else err
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
    files = []
    for doc in docs:
        meta = doc.data["meta"]
        endian = meta.get("endian", "native")
        names = []
        for tname, t in doc.data["types"].items():
            loc = Loc(doc.file, doc.line(("types", tname)))
            if tname in types:
                other = types[tname].loc
                errors.append(InputError(f"type {tname!r} is already defined at {other}", loc.file, loc.line,
                                         f"types.{tname}"))
                continue
            if archmod.ARCHES.get(tname) or tname in archmod.BUILTIN_SCALARS or tname in C_KEYWORDS:
                errors.append(InputError(f"type name {tname!r} is reserved", loc.file, loc.line, f"types.{tname}"))
                continue
            types[tname] = _typedef(doc, tname, t, loc, meta["id"], endian, errors, _arch_set(meta.get("arches")))
            names.append(tname)
        files.append(LayoutFile(meta["id"], doc.file, meta["doc"], endian, tuple(names), meta.get("source"),
                                _arch_set(meta.get("arches"))))
    abi = Abi(abi_name, tuple(files), types)
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
        return AliasDef(name, t["doc"], loc, targets, t.get("source"))
    _check_arch_keys(t.get("size"), doc, ("types", name, "size"), f"{name}.size", errors)
    fields = []
    seen_names: dict[str, tuple[int, set[str]]] = {}
    for i, f in enumerate(t["fields"]):
        floc = Loc(doc.file, doc.line(("types", name, "fields", i)))
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
        if fname in RESERVED_NAMES or fname.startswith("_hole_") or fname in C_KEYWORDS:
            errors.append(InputError(f"field name {fname!r} is reserved", floc.file, floc.line, where))
        _check_arch_keys(f.get("offset"), doc, ("types", name, "fields", i, "offset"), f"{where}.offset", errors)
        dims = f.get("count", ())
        dims = tuple(dims) if isinstance(dims, list) else ((dims,) if dims != () else ())
        for d in dims:
            if isinstance(d, str):
                try:
                    expr.parse(d)
                except expr.ExprError as e:
                    errors.append(InputError(str(e), floc.file, doc.line(("types", name, "fields", i, "count")),
                                             f"{where}.count"))
        fields.append(FieldDef(
            name=fname, type=f["type"], loc=floc, doc=f.get("doc", ""), dims=dims,
            offset=_per_arch(f.get("offset")), aligned=f.get("aligned"), endian=f.get("endian"),
            reserved=f.get("reserved"), const=_const(f.get("const")), enum=f.get("enum"), flags=f.get("flags"),
            writer=_party(f, t, "writer"), reader=_party(f, t, "reader"),
            feature=f.get("feature"), since=f.get("since"),
            only_arch=only, except_arch=excl,
        ))
    return RecordDef(
        name=name, kind=kind, doc=t["doc"], loc=loc, file_id=file_id, endian=endian, fields=tuple(fields),
        source=t.get("source"), packed=t.get("packed", False), aligned=t.get("aligned"),
        size=_per_arch(t.get("size")), max_size=_per_arch(t.get("max_size")),
        writer=t.get("writer"), reader=t.get("reader"), arches=arches,
    )


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


def _party(f: dict[str, Any], record: dict[str, Any], key: str) -> str:
    """Who writes (reads) a field: its own word, else its record's, else both (none if reserved)."""
    own = f.get(key) or record.get(key)
    return str(own) if own else ("none" if "reserved" in f else "both")


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
        for f in t.fields:
            where = f"{t.name}.{f.name}"
            if not known(f.type):
                errors.append(InputError(f"unknown type {f.type!r}", f.loc.file, f.loc.line, where))
            elif isinstance(abi.types.get(f.type, None), (EnumDef, FlagsDef)):
                errors.append(InputError(f"{f.type!r} is an {type(abi.types[f.type]).__name__[:-3].lower()}; "
                                         f"give an integer type and `enum:`/`flags:` {f.type}",
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
                if isinstance(d, str):
                    try:
                        used = expr.names(expr.parse(d))
                    except expr.ExprError:
                        continue
                    for n in sorted(used - set(archmod.BUILTIN_SCALARS) - set(abi.types)):
                        errors.append(InputError(f"unknown type {n!r} in count", f.loc.file, f.loc.line, where))
    errors.extend(_cycles(abi))
    return errors


def _cycles(abi: Abi) -> list[InputError]:
    """Records and aliases that contain themselves (directly, or through sizeof in a count)."""
    edges: dict[str, list[str]] = {}
    for t in abi.types.values():
        if isinstance(t, AliasDef):
            edges[t.name] = [str(v) for _, v in t.targets.values]
        elif isinstance(t, RecordDef):
            deps = []
            for f in t.fields:
                deps.append(f.type)
                for d in f.dims:
                    if isinstance(d, str):
                        with contextlib.suppress(expr.ExprError):
                            deps.extend(sorted(expr.names(expr.parse(d))))
            edges[t.name] = deps
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
