"""The engine's proof target: one freestanding C translation unit per architecture, for the compiler to check.

Unlike the consumer headers (``c``), it declares every attribute exactly as the
layout states it (that is what the engine claims GCC does with them), needs no
libc headers for the target, and asserts every leaf path; the tests compile it
for every architecture and for hundreds of random layouts.


For one architecture this writes each struct and union as GCC would need it to
reproduce the engine's layout, then ``_Static_assert``s on ``sizeof``,
``_Alignof`` and ``offsetof`` of every member and every leaf path. Compiling the
result with ``-fsyntax-only`` is the engine's proof: a wrong offset is a
compile error naming the assertion.
"""

from __future__ import annotations

from ..arch import C_NAMES, KERNEL_TYPEDEFS
from ..engine import ArrayType, Layout, Member, RecordType, Resolver, RType, ScalarType, resolver_for
from ..model import Abi, AliasDef
from ..slots import Role, slots

# Freestanding: the compiler's own predefined macros instead of <stdint.h>, so the
# check needs no libc headers for the target (works with -m32 and clang --target).
FREESTANDING_PRELUDE = """\
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __INT8_TYPE__ int8_t;
typedef __INT16_TYPE__ int16_t;
typedef __INT32_TYPE__ int32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINTPTR_TYPE__ uintptr_t;
""" + "".join(f"typedef {c} {name};\n" for name, c in KERNEL_TYPEDEFS.items())


def c_type(t: RType) -> str:
    if isinstance(t, ScalarType):
        return C_NAMES.get(t.spelled, t.spelled)
    if isinstance(t, RecordType):
        if t.layout.definition.inline:
            return t.layout.kind  # declared in place: no tag of its own
        return f"{t.layout.kind} {t.layout.name}"
    return c_type(t.leaf)


def c_declarator(name: str, t: RType, m: Member | None = None) -> str:
    """``type name[dims]``, ``type name:bits`` or ``type name[]`` (a flexible array member)."""
    dims = [str(d) for d in t.dims] if isinstance(t, ArrayType) else []
    if m is not None and m.field.flexible:
        dims[0] = ""
    if m is not None and m.field.anonymous:
        return c_type(t)
    bits = f":{m.bitfield.width}" if m is not None and m.bitfield is not None else ""
    return f"{c_type(t)} {name}{''.join(f'[{d}]' for d in dims)}{bits}"


def c_path(path: str) -> str:
    """A leaf path as C spells it: an anonymous member's fields are reached without its name."""
    return ".".join(part for part in path.split(".") if not part.startswith("_anon"))


def _inline_of(m: Member) -> Layout | None:
    t = m.rtype.leaf if isinstance(m.rtype, ArrayType) else m.rtype
    return t.layout if isinstance(t, RecordType) and t.layout.definition.inline else None


def ordered_layouts(resolver: Resolver, names: list[str], inline: bool = False) -> list[Layout]:
    """Layouts in dependency order: every record after the records it contains.

    Records declared in place are left out unless ``inline``: C declares them where they are used,
    while a Python module needs each of them as a variable of its own.
    """
    done: dict[str, Layout] = {}

    def visit(layout: Layout) -> None:
        if layout.name in done:
            return
        for m in layout.members:
            t = m.rtype.leaf if isinstance(m.rtype, ArrayType) else m.rtype
            if isinstance(t, RecordType):
                visit(t.layout)
        if inline or not layout.definition.inline:
            done[layout.name] = layout

    for n in names:
        visit(resolver.layout(n))
    return list(done.values())


def declaration(layout: Layout) -> str:
    return "\n".join(_body(layout, f"{layout.kind} {layout.name}", "")) + ";"


def _body(layout: Layout, head: str, indent: str) -> list[str]:
    """``head { members } attributes`` (without the final semicolon); inline records nest."""
    d = layout.definition
    lines = [f"{indent}{head} {{"]
    for m in layout.members:
        attr = f" __attribute__((aligned({m.field.aligned})))" if m.field.aligned else ""
        inner = _inline_of(m)
        if inner is not None:
            nested = _body(inner, inner.kind, indent + "    ")
            name = "" if m.field.anonymous else " " + c_declarator(m.name, m.rtype, m).split(" ", 1)[1]
            nested[-1] += f"{name}{attr};"
            lines.extend(nested)
        else:
            lines.append(f"{indent}    {c_declarator(m.name, m.rtype, m)}{attr};")
    attrs = [a for a in ("packed" if d.packed else "", f"aligned({d.aligned})" if d.aligned else "") if a]
    tail = f" __attribute__(({', '.join(attrs)}))" if attrs else ""
    lines.append(f"{indent}}}{tail}")
    return lines


def alias_typedefs(abi: Abi, resolver: Resolver) -> list[str]:
    out = []
    for t in abi.types.values():
        if not isinstance(t, AliasDef):
            continue
        try:
            rt = resolver.named_type(t.name, "native", 0, None)
        except Exception:  # an alias with no type on this arch is simply absent here
            continue
        if isinstance(rt, ScalarType):
            out.append(f"typedef {C_NAMES[rt.scalar.name]} {t.name};")
    return out


def assertions(layout: Layout) -> list[str]:
    tag = f"{layout.kind} {layout.name}"
    out = [
        f'_Static_assert(sizeof({tag}) == {layout.size}, "{layout.name}: size {layout.size}");',
        f'_Static_assert(_Alignof({tag}) == {layout.align}, "{layout.name}: align {layout.align}");',
    ]
    # offsetof and sizeof do not apply to bitfields (their bits are proven on images) nor to an anonymous
    # member as a whole (its fields are asserted as leaves); a flexible array member has no sizeof.
    for m in layout.members:
        if m.bitfield is not None or m.field.anonymous:
            continue
        out.append(f'_Static_assert(__builtin_offsetof({tag}, {m.name}) == {m.offset}, '
                   f'"{layout.name}.{m.name}: offset {m.offset}");')
        if not m.field.flexible:
            out.append(f'_Static_assert(sizeof((({tag} *)0)->{m.name}) == {m.size}, '
                       f'"{layout.name}.{m.name}: size {m.size}");')
    for leaf in slots(layout):
        path = c_path(leaf.path)
        if leaf.role is not Role.HOLE and ("." in leaf.path or "[" in leaf.path) and leaf.bitfield is None:
            out.append(f'_Static_assert(__builtin_offsetof({tag}, {path}) == {leaf.offset}, '
                       f'"{layout.name}.{leaf.path}: offset {leaf.offset}");')
    return out


def constant_defines(abi: Abi, resolver: Resolver) -> list[str]:
    """The named constants as ``#define``s with their value on this architecture."""
    out = []
    for name in sorted(abi.constants):
        value = abi.constants[name].values.get(resolver.arch.name)
        if isinstance(value, int):
            out.append(f"#define {name} ({value}{'ULL' if value >= 1 << 31 else 'LL' if value < -(1 << 31) else ''})")
    return out


def c_check_source(abi: Abi, arch: str, names: list[str] | None = None) -> str:
    """A C translation unit that compiles only if GCC agrees with the engine on ``arch``."""
    resolver = resolver_for(abi, arch)
    wanted = names if names is not None else [r.name for r in abi.records() if r.exists_on(resolver.arch.name)]
    layouts = ordered_layouts(resolver, wanted)
    signed = int(resolver.arch.char_signed)
    parts = [f"/* pvabi layout check for {resolver.arch.name} */", FREESTANDING_PRELUDE,
             f'_Static_assert(((char)-1 < 0) == {signed}, "plain char signed: {signed}");']
    parts.extend(constant_defines(abi, resolver))
    parts.extend(alias_typedefs(abi, resolver))
    for layout in layouts:
        parts.append(declaration(layout))
        parts.extend(assertions(layout))
    return "\n".join(parts) + "\n"
