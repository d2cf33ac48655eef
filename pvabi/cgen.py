"""C declarations of resolved layouts, with static assertions of every number.

For one architecture this writes each struct and union as GCC would need it to
reproduce the engine's layout, then ``_Static_assert``s on ``sizeof``,
``_Alignof`` and ``offsetof`` of every member and every leaf path. Compiling the
result with ``-fsyntax-only`` is the engine's proof: a wrong offset is a
compile error naming the assertion.
"""

from __future__ import annotations

from .arch import C_NAMES
from .engine import ArrayType, Layout, RecordType, Resolver, RType, ScalarType, leaves
from .model import Abi, AliasDef

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
"""


def c_type(t: RType) -> str:
    if isinstance(t, ScalarType):
        return C_NAMES.get(t.spelled, t.spelled)
    if isinstance(t, RecordType):
        return f"{t.layout.kind} {t.layout.name}"
    return c_type(t.leaf)


def c_declarator(name: str, t: RType) -> str:
    dims = "".join(f"[{d}]" for d in t.dims) if isinstance(t, ArrayType) else ""
    return f"{c_type(t)} {name}{dims}"


def ordered_layouts(resolver: Resolver, names: list[str]) -> list[Layout]:
    """Layouts in dependency order: every record after the records it contains."""
    done: dict[str, Layout] = {}

    def visit(layout: Layout) -> None:
        if layout.name in done:
            return
        for m in layout.members:
            t = m.rtype.leaf if isinstance(m.rtype, ArrayType) else m.rtype
            if isinstance(t, RecordType):
                visit(t.layout)
        done[layout.name] = layout

    for n in names:
        visit(resolver.layout(n))
    return list(done.values())


def declaration(layout: Layout) -> str:
    d = layout.definition
    lines = [f"{layout.kind} {layout.name} {{"]
    for m in layout.members:
        attr = f" __attribute__((aligned({m.field.aligned})))" if m.field.aligned else ""
        lines.append(f"    {c_declarator(m.name, m.rtype)}{attr};")
    attrs = [a for a in ("packed" if d.packed else "", f"aligned({d.aligned})" if d.aligned else "") if a]
    tail = f" __attribute__(({', '.join(attrs)}))" if attrs else ""
    lines.append(f"}}{tail};")
    return "\n".join(lines)


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
    for m in layout.members:
        out.append(f'_Static_assert(__builtin_offsetof({tag}, {m.name}) == {m.offset}, '
                   f'"{layout.name}.{m.name}: offset {m.offset}");')
        out.append(f'_Static_assert(sizeof((({tag} *)0)->{m.name}) == {m.size}, '
                   f'"{layout.name}.{m.name}: size {m.size}");')
    for leaf in leaves(layout):
        if "." in leaf.path or "[" in leaf.path:
            out.append(f'_Static_assert(__builtin_offsetof({tag}, {leaf.path}) == {leaf.offset}, '
                       f'"{layout.name}.{leaf.path}: offset {leaf.offset}");')
    return out


def c_check_source(abi: Abi, arch: str, names: list[str] | None = None) -> str:
    """A C translation unit that compiles only if GCC agrees with the engine on ``arch``."""
    resolver = Resolver(abi, arch)
    wanted = names if names is not None else [r.name for r in abi.records() if r.exists_on(resolver.arch.name)]
    layouts = ordered_layouts(resolver, wanted)
    parts = [f"/* pvabi layout check for {resolver.arch.name} */", FREESTANDING_PRELUDE]
    parts.extend(alias_typedefs(abi, resolver))
    for layout in layouts:
        parts.append(declaration(layout))
        parts.extend(assertions(layout))
    return "\n".join(parts) + "\n"
