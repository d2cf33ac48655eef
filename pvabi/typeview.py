"""``pvabi show`` for the named types that are not layouts: enums, flags sets and aliases.

Layouts get a byte map (``show``); these get what a header reader looks up:
an enum's values, a flags set's bits and the promise about the others, and
what an alias resolves to on each architecture it is defined for.
"""

from __future__ import annotations

import textwrap
from typing import Any

from . import arch as archmod
from .engine import Resolver
from .errors import InputError
from .model import Abi, AliasDef, EnumDef, FlagsDef

TYPE_SCHEMA = "pvabi.show-type/1"


def describe(abi: Abi, name: str, arch: str | None) -> dict[str, Any]:
    """The JSON view of an enum, flags or alias type (``arch`` narrows an alias to one architecture)."""
    t = abi.types.get(name)
    loc = {"file": t.loc.file, "line": t.loc.line} if t is not None else None
    if isinstance(t, EnumDef):
        return {"schema": TYPE_SCHEMA, "name": name, "kind": "enum", "doc": t.doc, "source": t.source, "loc": loc,
                "values": [{"name": n, "value": v} for n, v in t.values]}
    if isinstance(t, FlagsDef):
        return {"schema": TYPE_SCHEMA, "name": name, "kind": "flags", "doc": t.doc, "source": t.source, "loc": loc,
                "bits": [{"name": n, "bit": b, "mask": 1 << b} for n, b in t.bits],
                "defined_mask": t.mask, "reserved_bits": t.reserved_bits}
    if isinstance(t, AliasDef):
        arches = [archmod.canonical(arch)] if arch else list(archmod.ARCH_NAMES)
        resolved = []
        for a in arches:
            target = t.targets.get(a)
            if target is None:
                continue
            rt = Resolver(abi, a).named_type(name, "native", 0, None)
            resolved.append({"arch": a, "type": str(target), "size": rt.size, "align": rt.align})
        if not resolved:
            raise InputError(f"alias {name!r} has no type on {arch}")
        return {"schema": TYPE_SCHEMA, "name": name, "kind": "alias", "doc": t.doc, "source": t.source, "loc": loc,
                "resolves": resolved}
    raise InputError(f"{name!r} is not an enum, flags or alias type")


def render_text(view: dict[str, Any]) -> str:
    kind, name = view["kind"], view["name"]
    lines = [f"{kind} {name}  /* {view['loc']['file']}:{view['loc']['line']} */"] if view.get("loc") else []
    if view.get("doc"):
        wrapped = textwrap.wrap(" ".join(view["doc"].split()), 92)
        lines += ["    /* " + wrapped[0], *(f"     * {w}" for w in wrapped[1:]), "     */"]
    if kind == "enum":
        width = max((len(v["name"]) for v in view["values"]), default=0)
        lines += [f"    {v['name']:<{width}} = {v['value']}" for v in view["values"]]
    elif kind == "flags":
        width = max((len(b["name"]) for b in view["bits"]), default=0)
        lines += [f"    {b['name']:<{width}}  bit {b['bit']:>2}  ({b['mask']:#x})" for b in view["bits"]]
        promise = {"zero": "must be zero (writers never set them)",
                   "any": "undefined (readers must ignore them)"}.get(view["reserved_bits"], view["reserved_bits"])
        lines += [f"    /* defined bits {view['defined_mask']:#x}; other bits {promise} */"]
    else:
        lines += [f"    {r['arch']:<8} {r['type']:<10} size {r['size']}, align {r['align']}" for r in view["resolves"]]
    return "\n".join(lines) + "\n"
