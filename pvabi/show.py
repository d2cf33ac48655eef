"""``pvabi show``: a pahole-like map of one layout, as text or stable JSON.

The JSON form (schema id ``pvabi.show/1``) is documented in docs/json.md; its
keys and their order do not change within a schema version.
"""

from __future__ import annotations

from typing import Any

from .codegen.check import c_declarator, c_type
from .engine import ArrayType, Layout, Member, RecordType
from .slots import Role, slots

CACHELINE = 64
SHOW_SCHEMA = "pvabi.show/1"


def _type_text(m: Member) -> str:
    """The C type without the name: ``uint32_t[4]``, ``uint64_t:1``, ``uint8_t[]``, ``union``."""
    ctype = c_type(m.rtype)
    return ctype if m.field.anonymous else ctype + c_declarator("", m.rtype, m)[len(ctype) + 1:]


def _tags(m: Member) -> str:
    f = m.field
    tags = []
    if m.bitfield is not None:
        bf = m.bitfield
        tags.append(f"bits {bf.pos}..{bf.pos + bf.width - 1}")
    if f.flexible:
        tags.append("flexible array: its elements follow the struct")
    if f.reserved:
        tags.append(f"reserved:{f.reserved}")
    if f.const is not None:
        tags.append("const=" + (f"{f.const:#x}" if isinstance(f.const, int) else repr(bytes(f.const))))
    if m.enum:
        tags.append(f"enum {m.enum.name}")
    if m.flags:
        tags.append(f"flags {m.flags.name}")
    leaf = m.rtype.leaf if isinstance(m.rtype, ArrayType) else m.rtype
    if not f.reserved and not isinstance(leaf, RecordType):
        tags.append(f"w:{f.writer} r:{f.reader}")
    if f.feature:
        tags.append(f"gated by {f.feature}")
    if f.absent is not None:
        tags.append(f"absent={f.absent}")
    return ("  [" + ", ".join(tags) + "]") if tags else ""


def _where_it_lives(layout: Layout) -> list[str]:
    """The facts the diff rules read about the memory itself: placement, initial content, old names."""
    d = layout.definition
    facts = [f"placement: {d.placement}"]
    if d.memory is not None:
        facts.append(f"memory starts {d.memory.initial}, cleared by {d.memory.cleared_by} {d.memory.when}")
    if d.renamed_from:
        facts.append(f"renamed from {', '.join(d.renamed_from)}")
    if d.size_field:
        facts.append(f"size in {d.size_field}")
    return facts


def render_text(layout: Layout) -> str:
    lines = [f"{layout.kind} {layout.name} {{  /* {layout.arch}: size {layout.size}, align {layout.align} */",
             f"    /* {'; '.join(_where_it_lives(layout))} */",
             f"    /* {'offset':>6} {'size':>6}  type and name */"]
    _render(layout, 0, 1, lines, [0])
    holes = [h for h in layout.holes if not h.tail]
    tail = sum(h.size for h in layout.holes if h.tail)
    lines.append(f"    /* size: {layout.size}, cachelines: {-(-layout.size // CACHELINE)}, "
                 f"members: {len(layout.members)} */")
    lines.append(f"    /* holes: {len(holes)}, sum holes: {sum(h.size for h in holes)}, "
                 f"reserved: {_reserved_bytes(layout)}, tail padding: {tail} */")
    lines.append("};")
    return "\n".join(lines) + "\n"


def _render(layout: Layout, base: int, depth: int, lines: list[str], line_mark: list[int]) -> None:
    indent = "    " * depth
    events: list[tuple[int, int, Any]] = [(m.offset, 1, m) for m in layout.members]
    events += [(h.offset, 0 if not h.tail else 2, h) for h in layout.holes]
    for offset, _, item in sorted(events, key=lambda e: (e[0], e[1])):
        at = base + offset
        boundary = at // CACHELINE * CACHELINE
        if boundary > line_mark[0]:  # one mark per member, as pahole does, however many lines it spans
            line_mark[0] = boundary
            lines.append(f"{indent}/* --- cacheline {boundary // CACHELINE} boundary ({boundary} bytes) --- */")
        if not isinstance(item, Member):
            what = "padding at the end" if item.tail else "hole"
            lines.append(f"{indent}/* {at:>6} {item.size:>6}  XXX {item.size}-byte {what} */")
            continue
        m = item
        t = m.rtype.leaf if isinstance(m.rtype, ArrayType) else m.rtype
        if isinstance(t, RecordType) and t.layout.definition.inline:
            # Declared in place, as in C: the members between braces, the name (if any) after them.
            head = f"{t.layout.kind} {{" + ("  /* anonymous */" if m.field.anonymous else "")
            lines.append(f"{indent}/* {at:>6} {m.size:>6} */ {head}")
            _render(t.layout, at, depth + 1, lines, line_mark)
            name = "" if m.field.anonymous else " " + c_declarator(m.name, m.rtype, m).split(" ", 1)[1]
            lines.append(f"{indent}{' ' * 18}}}{name};{_tags(m)}")
            continue
        lines.append(f"{indent}/* {at:>6} {m.size:>6} */ {c_declarator(m.name, m.rtype, m)};{_tags(m)}")
        if isinstance(t, RecordType) and not isinstance(m.rtype, ArrayType) and t.layout.members:
            _render(t.layout, at, depth + 1, lines, line_mark)


def _reserved_bytes(layout: Layout) -> int:
    """Bytes in reserved regions at any depth, each array element's counted (a byte once, however many
    union views cover it)."""
    return len({i for s in slots(layout) if s.role in (Role.RESERVED_ZERO, Role.RESERVED_ANY)
                for i in range(s.offset, s.offset + s.size)})


def to_json(layout: Layout) -> dict[str, Any]:
    return {"schema": SHOW_SCHEMA, **_layout_json(layout)}


def _layout_json(layout: Layout) -> dict[str, Any]:
    d = layout.definition
    return {
        "name": layout.name,
        "kind": layout.kind,
        "arch": layout.arch,
        "size": layout.size,
        "align": layout.align,
        "packed": d.packed,
        "doc": d.doc,
        "source": d.source,
        "placement": d.placement,
        "memory": ({"initial": d.memory.initial, "cleared_by": d.memory.cleared_by, "when": d.memory.when}
                   if d.memory is not None else None),
        "renamed_from": list(d.renamed_from),
        "size_field": d.size_field,
        "members": [_member_json(m) for m in layout.members],
        "holes": [{"offset": h.offset, "size": h.size, "after": h.after, "tail": h.tail} for h in layout.holes],
    }


def _member_json(m: Member) -> dict[str, Any]:
    f = m.field
    t = m.rtype.leaf if isinstance(m.rtype, ArrayType) else m.rtype
    const: Any = f.const
    if isinstance(const, (bytes, tuple)):
        const = list(const)
    out: dict[str, Any] = {
        "name": m.name,
        "offset": m.offset,
        "size": m.size,
        "align": m.align,
        "type": _type_text(m),
        "dims": list(m.rtype.dims) if isinstance(m.rtype, ArrayType) else [],
        "reserved": f.reserved,
        "const": const,
        "enum": m.enum.name if m.enum else None,
        "flags": m.flags.name if m.flags else None,
        "writer": f.writer,
        "reader": f.reader,
        "feature": f.feature,
        "absent": f.absent,
        "doc": f.doc,
        "layout": _layout_json(t.layout) if isinstance(t, RecordType) else None,
        "bitfield": {"bit": m.bitfield.pos, "width": m.bitfield.width} if m.bitfield else None,
        "flexible": f.flexible,
        "anonymous": f.anonymous,
    }
    return out
