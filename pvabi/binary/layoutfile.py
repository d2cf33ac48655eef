"""Layout definitions -> the text of one layout file, and back through pvabi's own loader.

The text is what a reviewer commits, so it reads like a hand-written file: meta
first, the root layout next, then the types it uses; a header comment lists
what no compiler knows. Loading it back with ``loader.load_abi`` is how callers
get a model that went through the same schema and checks as any layout file.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .. import arch as archmod
from ..loader import load_abi
from ..model import Abi, AliasDef, EnumDef, FieldDef, FlagsDef, PerArch, TypeDef

NOT_INFERRED = (
    "# What no compiler records, so review and add before committing:",
    "#   writer/reader of each record or field (host, guest, both, none; default both),",
    "#   reserved: zero|any on padding and spare members, flags types for bit fields,",
    "#   max_size, feature and since, and docs that say what each field means.",
)
_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_YAML_WORDS = frozenset(("y", "n", "yes", "no", "on", "off", "true", "false", "null"))


def render(file_id: str, doc: str, source: str, types: Mapping[str, TypeDef], order: list[str],
           arches: tuple[str, ...] | None, header: tuple[str, ...] = ()) -> str:
    lines = [*header, *NOT_INFERRED, "meta:", f"  id: {file_id}", f"  doc: {_str(doc)}", f"  source: {_str(source)}"]
    if arches and set(arches) != set(archmod.ARCH_NAMES):
        lines.append(f"  arches: [{', '.join(sorted(arches, key=archmod.arch_order))}]")
    lines.append("types:")
    for name in order:
        lines.extend(_type(types[name]))
    return "\n".join(lines) + "\n"


def _type(t: TypeDef) -> list[str]:
    out = [f"  {_str(t.name)}:"]
    if isinstance(t, EnumDef):
        out += ["    kind: enum", f"    doc: {_str(t.doc)}", "    values:"]
        out += [f"      {_str(n)}: {v}" for n, v in t.values]
    elif isinstance(t, FlagsDef):
        out += ["    kind: flags", f"    doc: {_str(t.doc)}", "    bits:"]
        out += [f"      {_str(n)}: {b}" for n, b in t.bits]
    elif isinstance(t, AliasDef):
        out += ["    kind: alias", f"    doc: {_str(t.doc)}"]
        single = _single(t.targets)
        out.append(f"    type: {single}" if single is not None else f"    arch: {_map(t.targets)}")
    else:
        out += [f"    kind: {t.kind}", f"    doc: {_str(t.doc)}"]
        if t.packed:
            out.append("    packed: true")
        if t.aligned:
            out.append(f"    aligned: {t.aligned}")
        if t.size is not None:
            out.append(f"    size: {_per_arch(t.size)}")
        out.append("    fields:" if t.fields else "    fields: []")
        for f in t.fields:
            out.extend(_field(f))
    return out


def _field(f: FieldDef, pad: str = "      ") -> list[str]:
    inner = pad + "  "
    if f.inline is not None:
        rec = f.inline
        out = [f"{pad}- name: {_str(f.name)}", f"{inner}kind: {rec.kind}"] if not f.anonymous else \
            [f"{pad}- kind: {rec.kind}"]
    else:
        out = [f"{pad}- name: {_str(f.name)}", f"{inner}type: {_str(f.type)}"]
    if f.bits is not None:
        out.append(f"{inner}bits: {f.bits}")
    if f.flexible:
        out.append(f"{inner}flexible: true")
    if f.dims:
        out.append(f"{inner}count: {f.dims[0] if len(f.dims) == 1 else '[' + ', '.join(map(str, f.dims)) + ']'}")
    if f.offset is not None:
        out.append(f"{inner}offset: {_per_arch(f.offset)}")
    if f.aligned:
        out.append(f"{inner}aligned: {f.aligned}")
    if f.enum:
        out.append(f"{inner}enum: {f.enum}")
    if f.only_arch is not None:
        out.append(f"{inner}only_arch: [{', '.join(sorted(f.only_arch, key=archmod.arch_order))}]")
    if f.doc:
        out.append(f"{inner}doc: {_str(f.doc)}")
    if f.inline is not None:
        if f.inline.packed:
            out.append(f"{inner}packed: true")
        if f.inline.aligned:
            out.append(f"{inner}aligned: {f.inline.aligned}")
        out.append(f"{inner}fields:")
        for sub in f.inline.fields:
            out.extend(_field(sub, inner + "  "))
    return out


def _single(v: PerArch) -> object | None:
    values = {x for _, x in v.values}
    return next(iter(values)) if len(values) == 1 and len(v.values) == 1 else None


def _per_arch(v: PerArch) -> str:
    single = _single(v)
    return str(single) if single is not None else _map(v)


def _map(v: PerArch) -> str:
    items = sorted(v.values, key=lambda kv: archmod.arch_order(kv[0]))
    return "{" + ", ".join(f"{k}: {x}" for k, x in items) + "}"


def _str(text: str) -> str:
    # YAML 1.1 reads a bare ON, off, yes, No, null, ~ as a boolean or null: an enumerator named OFF must stay a name
    plain = _BARE.match(text) and text.lower() not in _YAML_WORDS
    return text if plain else json.dumps(text)


def load_text(file_id: str, text: str) -> Abi:
    """The model of one rendered layout file, through the loader every layout file goes through."""
    with tempfile.TemporaryDirectory(prefix="pvabi-extract-") as tmp:
        path = Path(tmp) / f"{file_id}.yaml"
        path.write_text(text, encoding="utf-8")
        return load_abi(Path(tmp), f"extracted:{file_id}", display_root=Path(tmp))
