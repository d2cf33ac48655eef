"""The C target: one header per layout file, for every architecture the file supports.

A consumer includes one header whatever it compiles for: declarations that
differ between architectures sit under ``#if`` on the compiler's predefined
macros (one block per group of architectures whose declaration is the same
text), an architecture the file does not support stops the build with
``#error``, and every size, alignment and member offset pvabi computed is a
static assertion for each architecture, so the compiler that builds the
consumer checks its own numbers. Per file rather than one header per ABI,
because a file is an interface (vmi_rom is i386-only, the pvclock record is
everywhere): including only what you use keeps the supported-architecture
check honest. Output is plain C89 plus GNU attributes; static assertions use
``_Static_assert`` under C11 and a negative-array typedef before.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from .. import arch as archmod
from ..engine import ArrayType, Layout, Member, RecordType, Resolver, RType, ScalarType, resolver_for
from ..errors import InputError
from ..model import Abi, AliasDef, EnumDef, FieldDef, FlagsDef, LayoutFile, PerArch, RecordDef
from .names import CNames, check_unique
from .source import Source

# What each architecture model means to a compiler: its predefined macros. ABIs we do not model
# (x32, ARM OABI or big-endian, AArch64 ILP32, ppc64le) must not match any of these.
ARCH_MACROS: dict[str, str] = {
    "x86_32": "defined(__i386__)",
    "x86_64": "defined(__x86_64__) && defined(__LP64__)",
    "arm32": "defined(__arm__) && defined(__ARM_EABI__) && defined(__ARMEL__)",
    "aarch64": "defined(__aarch64__) && defined(__LP64__) && defined(__AARCH64EL__)",
    "ppc64": "defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__",
    "s390x": "defined(__s390x__)",
}
TYPES = ("stdint", "linux")
COMMENT_COLUMN = 48
WIDTH = 100


@dataclass(frozen=True)
class COptions:
    types: str = "stdint"
    prefix: str = ""
    command: str = "pvabi gen c"  # how to regenerate, printed in the banner


def generate(src: Source, options: COptions) -> dict[str, bytes]:
    """``{file name: header bytes}``, one header per layout file that declares anything."""
    if options.types not in TYPES:
        raise InputError(f"unknown --types {options.types!r} (known: {', '.join(TYPES)})")
    names = CNames(options.prefix)
    abi = src.abi
    check_unique(abi, names)
    resolvers = {a: resolver_for(abi, a) for a in archmod.ARCH_NAMES}
    file_of = {t: f.id for f in abi.files for t in f.types}
    headers = [_Header(src, f, names, options, resolvers, file_of) for f in abi.files]
    _check_include_cycles(headers)
    return {f"{h.f.id}.h": h.render().encode("utf-8") for h in headers}


def _check_include_cycles(headers: list[_Header]) -> None:
    """Headers that include each other cannot both be complete first: refuse, naming the files."""
    deps = {h.f.id: h.file_deps(transitive=False) for h in headers}
    path_of = {h.f.id: h.f.path for h in headers}
    for start in deps:
        todo, seen = list(deps[start]), set()
        while todo:
            fid = todo.pop()
            if fid == start:
                raise InputError(f"layout file {start} uses types of files that use its own types (through "
                                 f"{', '.join(sorted(deps[start]))}); one C header per file cannot include "
                                 "its includer: move the shared types into one file", path_of[start])
            if fid not in seen:
                seen.add(fid)
                todo.extend(deps.get(fid, ()))


def _comment(text: str, indent: str = "") -> list[str]:
    """A block comment; text that would end or nest the comment (or form a trigraph) is defused."""
    safe = text.replace("*/", "* /").replace("/*", "/ *").replace("??", "? ?")
    paragraphs = [p for p in safe.split("\n\n")]
    body: list[str] = []
    for i, p in enumerate(paragraphs):
        if i:
            body.append("")
        body.extend(textwrap.wrap(" ".join(p.split()), WIDTH - len(indent) - 3) or [""])
    if len(body) == 1 and len(indent) + len(body[0]) + 6 <= WIDTH:
        return [f"{indent}/* {body[0]} */"]
    return [f"{indent}/*", *[f"{indent} * {b}".rstrip() for b in body], f"{indent} */"]


def _c_string(data: bytes) -> str:
    out = []
    for b in data:
        ch = chr(b)
        if ch in '"\\?' or not 0x20 <= b < 0x7F:
            out.append(f"\\{b:03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _c_int(value: int, unsigned: bool = True) -> str:
    """An integer literal any C89 compiler accepts without a pedantic warning."""
    if -(1 << 31) < value < (1 << 31) - 1:
        if value < 0:
            return f"({value})"
        return f"{value:#x}U" if unsigned and value > 9 else (f"{value}U" if unsigned else str(value))
    suffix = "ULL" if value >= 0 else "LL"
    return f"(__extension__ {value:#x}{suffix})" if value >= 0 else f"(__extension__ ({value + 1}LL - 1))"


class _Header:
    def __init__(self, src: Source, f: LayoutFile, names: CNames, options: COptions,
                 resolvers: dict[str, Resolver], file_of: dict[str, str]) -> None:
        self.src = src
        self.abi: Abi = src.abi
        self.f = f
        self.n = names
        self.options = options
        self.resolvers = resolvers
        self.file_of = file_of
        self.arches = [a for a in archmod.ARCH_NAMES if f.arches is None or a in f.arches]
        self.records = [t for t in (self.abi.types[n] for n in f.types) if isinstance(t, RecordDef)]
        self.asserts = 0

    # --- the whole file -------------------------------------------------------------------------------------

    def render(self) -> str:
        guard = self.n.tool(self.f.id, "H")
        parts: list[list[str]] = [self._banner(), [f"#ifndef {guard}", f"#define {guard}"], self._includes(),
                                  self._arch_check(), self._prelude()]
        parts.extend(self._enum(t) for t in self._of_type(EnumDef))
        parts.extend(self._flags(t) for t in self._of_type(FlagsDef))
        parts.append(self._constants())
        parts.append(self._aliases())
        for rec in self._ordered_records():
            parts.append(self._record(rec))
        parts.append(self._per_arch_facts())
        parts.append([f"#endif /* {guard} */"])
        blocks = ["\n".join(p) for p in parts if p]
        return "\n\n".join(blocks) + "\n"

    def _of_type(self, cls: type) -> list[object]:
        return [t for t in (self.abi.types[n] for n in self.f.types) if isinstance(t, cls)]

    def _banner(self) -> list[str]:
        src = self.src
        where = (f"ABI version {src.version}" if src.frozen
                 else f"the working layouts (not frozen; newest frozen version v{src.major}.{src.minor})")
        lines = [f"{self.f.id}.h: generated by pvabi from {where}. Do not edit.",
                 f"Regenerate: {self.options.command}", "", "Inputs (SHA-256):"]
        for fid in sorted(self.file_deps(transitive=True) | {self.f.id}):
            lines.append(f"  {fid}.yaml {src.hash_of(fid)}")
        lines += ["", *self.f.doc.strip().split("\n")]
        if self.f.source:
            lines += ["", f"Source: {self.f.source}"]
        return ["/*", *[f" * {x}".rstrip() for x in _rewrap(lines)], " */"]

    def _includes(self) -> list[str]:
        deps = [f'#include "{d}.h"' for d in sorted(self.file_deps(transitive=False))]
        std = "#include <linux/types.h>" if self.options.types == "linux" else "#include <stdint.h>"
        return [*deps, std, "#include <stddef.h>"]

    def file_deps(self, transitive: bool) -> set[str]:
        todo, seen = [self.f.id], set()
        while todo:
            fid = todo.pop()
            f = next(x for x in self.abi.files if x.id == fid)
            for name in f.types:
                for used in self._uses(self.abi.types[name]):
                    dep = self.file_of.get(used)
                    if dep and dep != self.f.id and dep not in seen:
                        seen.add(dep)
                        if transitive:
                            todo.append(dep)
        return seen

    def _uses(self, t: object) -> set[str]:
        """Names of the types a definition refers to, on any architecture."""
        out: set[str] = set()
        if isinstance(t, AliasDef):
            out.update(str(v) for _, v in t.targets.values)
        elif isinstance(t, RecordDef):
            for fd in _all_fields(t):
                out.add(fd.type)
                out.update(x for x in (fd.enum, fd.flags) if x)
                for d in fd.dims:
                    texts = [str(v) for _, v in d.values] if isinstance(d, PerArch) else [str(d)]
                    out.update(w for text in texts for w in _words(text) if w in self.abi.types)
        return out

    def _arch_check(self) -> list[str]:
        out = ["/* The architectures this header describes; any other is refused rather than guessed at. */"]
        for i, a in enumerate(self.arches):
            out.append(f"#{'if' if i == 0 else 'elif'} {ARCH_MACROS[a]}")
            out.append(f"#define {self._arch_macro(a)} 1")
        shown = ", ".join(self.arches)
        version = self.src.version if self.src.frozen else "working"
        out += ["#else",
                f'#error "{self.f.id}.h (pvabi ABI {version}) describes {shown} only; '
                'this compiler targets none of them"',
                "#endif"]
        return out

    def _arch_macro(self, a: str) -> str:
        return self.n.tool("ARCH", a)

    def _prelude(self) -> list[str]:
        sa, al = self.n.tool("STATIC_ASSERT"), self.n.tool("ALIGNOF")
        return [
            f"#define {self.n.tool('ABI_VERSION_MAJOR')} {self.src.major}",
            f"#define {self.n.tool('ABI_VERSION_MINOR')} {self.src.minor}",
            *([] if self.src.frozen else [f"#define {self.n.tool('ABI_UNFROZEN')} 1"]),
            "",
            "/* C11 checks layouts with _Static_assert; older C with an array whose size is -1 when false. */",
            "#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L",
            f"#define {sa}(id, cond, msg) _Static_assert(cond, msg)",
            f"#define {al}(type) _Alignof(type)",
            "#else",
            f"#define {sa}(id, cond, msg) typedef char {self.n.tool('assert').lower()}_##id[(cond) ? 1 : -1]",
            f"#define {al}(type) __alignof__(type)",
            "#endif",
        ]

    # --- constants ------------------------------------------------------------------------------------------

    def _enum(self, t: object) -> list[str]:
        assert isinstance(t, EnumDef)
        out = _comment(f"enum {self.n.tag(t.name)}: {t.doc}" + (f"\n\nSource: {t.source}" if t.source else ""))
        fits_int = all(-(1 << 31) <= v < (1 << 31) for _, v in t.values)
        if fits_int and t.values:
            out.append(f"enum {self.n.tag(t.name)} {{")
            items = [f"    {self.n.enum_value(t.name, k)} = {v}" for k, v in t.values]
            out.append(",\n".join(items))
            out.append("};")
        else:  # C enumerators must fit an int: wider values are macros
            out += [f"#define {self.n.enum_value(t.name, k)} {_c_int(v)}" for k, v in t.values]
        return out

    def _flags(self, t: object) -> list[str]:
        assert isinstance(t, FlagsDef)
        reserved = "must be zero" if t.reserved_bits == "zero" else "may be anything"
        out = _comment(f"{t.name}: {t.doc} Undefined bits {reserved}."
                       + (f"\n\nSource: {t.source}" if t.source else ""))
        for k, bit in t.bits:
            value = f"(1U << {bit})" if bit < 32 else f"(__extension__ 1ULL << {bit})"
            out.append(f"#define {self.n.flag_bit(t.name, k)} {value}")
        return out

    def _constants(self) -> list[str]:
        """The file's named constants (``constants:``), one value per architecture group."""
        mine = [c for c in self.abi.constants.values() if c.loc.file == self.f.path]
        if not mine:
            return []
        texts: dict[str, str] = {}
        for a in self.arches:
            lines = [f"#define {self.n.constant(c.name)} {_c_int(v, unsigned=False)}"
                     for c in mine if isinstance(v := c.values.get(a), int)]
            if lines:
                texts[a] = "\n".join(lines)
        return ["/* Named constants. */", *self._by_arch(texts)] if texts else []

    def _const_macros(self, rec: RecordDef) -> list[str]:
        out = []
        for fd in rec.fields:
            if fd.const is None:
                continue
            name = self.n.const(rec.name, fd.name)
            if isinstance(fd.const, int):
                value = _c_int(fd.const)
            elif isinstance(fd.const, bytes):
                value = _c_string(fd.const)
            else:
                value = "{ " + ", ".join(f"{b:#04x}" for b in fd.const) + " }"
            out.append(f"#define {name} {value}")
        return out

    # --- types ----------------------------------------------------------------------------------------------

    def _aliases(self) -> list[str]:
        variants: dict[str, dict[str, str]] = {}
        docs: list[str] = []
        for t in self._of_type(AliasDef):
            assert isinstance(t, AliasDef)
            docs += _comment(f"{self.n.tag(t.name)}: {t.doc}")
            for a in self.arches:
                try:
                    rt = self.resolvers[a].named_type(t.name, "native", 0, None)
                except InputError:
                    continue  # no type on this architecture: not declared there
                base = (self._scalar(rt, "native") if isinstance(rt, ScalarType)
                        else self._c_type(rt, "native"))
                variants.setdefault(a, {})[t.name] = f"typedef {base} {self.n.tag(t.name)};"
        if not variants:
            return []
        texts = {a: "\n".join(v.values()) for a, v in variants.items()}
        return docs + self._by_arch(texts)

    def _ordered_records(self) -> list[RecordDef]:
        mine = {r.name: r for r in self.records}
        done: dict[str, RecordDef] = {}

        def visit(rec: RecordDef) -> None:
            if rec.name in done:
                return
            done[rec.name] = rec  # acyclic: the loader rejects cycles
            for fd in _all_fields(rec):
                for behind in self._records_behind(fd.type):
                    if behind in mine:
                        visit(mine[behind])
            done.pop(rec.name)
            done[rec.name] = rec

        for rec in self.records:
            visit(rec)
        return list(done.values())

    def _records_behind(self, name: str) -> set[str]:
        """The name itself and every type an alias stands for on some architecture."""
        out: set[str] = set()
        todo = [name]
        while todo and len(out) < 256:
            n = todo.pop()
            if n in out:
                continue
            out.add(n)
            t = self.abi.types.get(n)
            if isinstance(t, AliasDef):
                todo.extend(str(v) for _, v in t.targets.values)
        return out

    def _record(self, rec: RecordDef) -> list[str]:
        tag = f"{rec.kind} {self.n.tag(rec.name)}"
        doc = rec.doc.strip()
        if rec.writer or rec.reader:
            doc += f" Written by {_party(rec.writer or 'both')}, read by {_party(rec.reader or 'both')}."
        doc += f"\n\nSource: {rec.source}" if rec.source else ""
        out = [*_comment(f"{tag}: {doc}"), *self._const_macros(rec)]
        texts = {a: self._declaration(self.resolvers[a].layout(rec.name))
                 for a in self.arches if rec.exists_on(a)}
        return out + self._by_arch(texts)

    def _by_arch(self, texts: dict[str, str]) -> list[str]:
        """One text if every architecture agrees, else ``#if`` blocks per group of equal texts."""
        groups: dict[str, list[str]] = {}
        for a, text in texts.items():
            groups.setdefault(text, []).append(a)
        if len(groups) == 1 and len(texts) == len(self.arches):
            return [next(iter(groups))]
        out = []
        for i, (text, arches) in enumerate(groups.items()):
            cond = " || ".join(f"defined({self._arch_macro(a)})" for a in arches)
            out += [f"#{'if' if i == 0 else 'elif'} {cond}", text]
        out.append("#endif")
        return out

    def _declaration(self, lay: Layout) -> str:
        head = f"{'__extension__ ' if _needs_extension(lay) else ''}{lay.kind} {self.n.tag(lay.name)}"
        lines, attrs = self._body(lay, head, "")
        lines[-1] += attrs + ";"
        if _packed_needed(lay) and any(_record_align(m.rtype) > 1 for m in lay.members):
            # GCC 8+ warns (-Wall) when a packed record holds a record type declared aligned, at an offset or
            # with an alignment below that type's; that is the layout this record declares, so the warning
            # is silenced for this declaration only.
            lines = [*_GCC_PRAGMA_PUSH, *lines, *_GCC_PRAGMA_POP]
        return "\n".join(lines)

    def _body(self, lay: Layout, head: str, indent: str) -> tuple[list[str], str]:
        """``head {`` members ``}`` and the attributes that follow the brace; inline records nest."""
        packed = _packed_needed(lay)
        inner = indent + "    "
        lines = [f"{indent}{head} {{"]
        holes = {h.offset: h for h in lay.holes if not h.tail}
        for m in lay.members:
            hole = next((h for off, h in holes.items() if off + h.size == m.offset), None)
            if hole is not None and lay.kind == "struct":
                lines.append(f"{inner}/* XXX {hole.size}-byte hole */")
            lines += self._member(lay, m, packed, inner)
        tail = next((h for h in lay.holes if h.tail), None)
        if tail is not None:
            lines.append(f"{inner}/* XXX {tail.size} bytes of tail padding */")
        lines.append(f"{inner}/* size: {lay.size}, members: {len(lay.members)} */")
        attrs = ["packed"] if packed else []
        natural = max([1, *(_member_align(m, packed) for m in lay.members)])
        if lay.align > natural:
            attrs.append(f"aligned({lay.align})")
        lines.append(f"{indent}}}")
        return lines, (f" __attribute__(({', '.join(attrs)}))" if attrs else "")

    def _member(self, lay: Layout, m: Member, packed: bool, indent: str = "    ") -> list[str]:
        fd = m.field
        notes = []
        if fd.reserved == "zero":
            notes.append("Reserved: writers store zeros.")
        elif fd.reserved == "any":
            notes.append("Reserved: contents undefined.")
        if fd.const is not None:
            notes.append(f"Always {self.n.const(lay.name, fd.name)}.")
        if m.enum is not None:
            notes.append(f"Values: enum {self.n.tag(m.enum.name)} ({self.n.macro(m.enum.name)}_*).")
        if m.flags is not None:
            notes.append(f"Bits: {', '.join(self.n.flag_bit(m.flags.name, k) for k, _ in m.flags.bits)}.")
        leaf = self._leaf_scalar(m.rtype)
        endian = (leaf.scalar.endian if leaf is not None else None) or fd.endian or lay.definition.endian
        if endian != "native" and leaf is not None and not self._endian_spelled(m, endian):
            notes.append(f"Stored {endian}-endian.")
        if fd.flexible:
            notes.append("Flexible array member: its elements follow the struct.")
        rec = lay.definition
        if fd.reserved is None and fd.inline is None and (fd.writer, fd.reader) != (rec.writer or "both",
                                                                                    rec.reader or "both"):
            notes.append(f"Written by {_party(fd.writer)}, read by {_party(fd.reader)}.")
        text = " ".join(x for x in (fd.doc.strip(), *notes) if x)
        out = _comment(text, indent) if text else []
        dims = [str(d) for d in m.rtype.dims] if isinstance(m.rtype, ArrayType) else []
        if fd.flexible:
            dims[0] = ""
        attr = ""
        if m.align > _member_align(m, packed, own=False):
            attr = f" __attribute__((aligned({m.align})))"
        name = "" if fd.anonymous else f" {m.name}{''.join(f'[{d}]' for d in dims)}"
        if m.bitfield is not None:
            name += f":{m.bitfield.width}"
            where = f"/* {m.offset:6} {m.size:6}  bit {m.bitfield.pos - m.offset * 8}, {m.bitfield.width} wide */"
        else:
            where = f"/* {m.offset:6} {m.size:6} */"
        inline = _inline_layout(m.rtype)
        if fd.inline is not None and inline is not None:
            ext = "__extension__ " if fd.anonymous else ""  # anonymous members are C11; gnu89 needs the marker
            body, attrs = self._body(inline, f"{ext}{inline.kind}", indent)
            body[-1] += f"{attrs}{name}{attr};"
            body[-1] = f"{body[-1]:<{COMMENT_COLUMN}} {where}"
            return out + body
        decl = f"{indent}{self._c_type(m.rtype, endian)}{name}{attr};"
        out.append(f"{decl:<{COMMENT_COLUMN}} {where}")
        return out

    def _leaf_scalar(self, t: RType) -> ScalarType | None:
        leaf = t.leaf if isinstance(t, ArrayType) else t
        return leaf if isinstance(leaf, ScalarType) and leaf.size > 1 else None

    def _endian_spelled(self, m: Member, endian: str) -> bool:
        """Whether the C type itself says the byte order (Linux __le32/__be32)."""
        return self._c_type(m.rtype, endian).startswith(("__le", "__be"))

    def _c_type(self, t: RType, endian: str) -> str:
        if isinstance(t, ArrayType):
            return self._c_type(t.leaf, endian)
        if isinstance(t, RecordType):
            return f"{t.layout.kind} {self.n.tag(t.layout.name)}"
        if t.spelled != t.scalar.name:
            return self.n.tag(t.spelled)  # an alias: its typedef
        return self._scalar(t, endian)

    def _scalar(self, t: ScalarType, endian: str) -> str:
        s = t.scalar
        if s.char:
            return "char"
        if self.options.types == "stdint":
            return archmod.KERNEL_TYPEDEFS.get(s.name, archmod.C_NAMES.get(s.name, s.name))
        if s.name in ("ulong", "uptr"):
            return "unsigned long"
        if s.name == "slong":
            return "long"
        bits = s.size * 8
        endian = s.endian or endian
        if endian in ("little", "big") and not s.signed and s.size > 1:
            return f"__{endian[0]}e{bits}"
        return f"__{'s' if s.signed else 'u'}{bits}"

    # --- per-architecture sizes and the proof -----------------------------------------------------------------

    def _per_arch_facts(self) -> list[str]:
        if not self.records:
            return []
        texts: dict[str, str] = {}
        for a in self.arches:
            body = []
            for rec in self._ordered_records():
                if rec.exists_on(a):
                    body += self._facts(self.resolvers[a].layout(rec.name))
            if body:
                texts[a] = "\n".join(body)
        groups: dict[str, list[str]] = {}
        for a, text in texts.items():
            groups.setdefault(text, []).append(a)
        out = ["/* Sizes, and what the compiler must agree with, on each architecture. */"]
        for text, arches in groups.items():
            cond = " || ".join(f"defined({self._arch_macro(a)})" for a in arches)
            out += [f"#if {cond}", *self._numbered(text), "#endif"]
        return out

    def _numbered(self, text: str) -> list[str]:
        """Each assertion gets an id unique in this header (the pre-C11 typedef is named after it)."""
        out = []
        for line in text.split("\n"):
            if "(@, " in line:
                self.asserts += 1
                line = line.replace("(@, ", f"({self.f.id}_{self.asserts}, ", 1)
            out.append(line)
        return out

    def _facts(self, lay: Layout) -> list[str]:
        tag = f"{lay.kind} {self.n.tag(lay.name)}"
        sa = self.n.tool("STATIC_ASSERT")
        out = [f"#define {self.n.size(lay.name)} {lay.size}"]

        def check(cond: str, msg: str) -> None:
            out.append(f'{sa}(@, {cond}, "{msg}");')

        check(f"sizeof({tag}) == {lay.size}", f"{lay.name}: size {lay.size}")
        check(f"{self.n.tool('ALIGNOF')}({tag}) == {lay.align}", f"{lay.name}: align {lay.align}")
        for path, m, offset in _asserted_members(lay):
            # C cannot take offsetof or sizeof of a bitfield (the images prove those), nor sizeof of a
            # flexible array member.
            check(f"offsetof({tag}, {path}) == {offset}", f"{lay.name}.{path}: offset {offset}")
            if not m.field.flexible:
                check(f"sizeof((({tag} *)0)->{path}) == {m.size}", f"{lay.name}.{path}: size {m.size}")
        return out

_GCC8 = "#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8"
_GCC_PRAGMA_PUSH = [_GCC8, "#pragma GCC diagnostic push", '#pragma GCC diagnostic ignored "-Wpacked-not-aligned"',
                    "#endif"]
_GCC_PRAGMA_POP = [_GCC8, "#pragma GCC diagnostic pop", "#endif"]


def _record_align(t: RType) -> int:
    leaf = t.leaf if isinstance(t, ArrayType) else t
    return leaf.align if isinstance(leaf, RecordType) else 0


def _inline_layout(t: RType) -> Layout | None:
    leaf = t.leaf if isinstance(t, ArrayType) else t
    return leaf.layout if isinstance(leaf, RecordType) and leaf.layout.definition.inline else None


def _all_fields(rec: RecordDef) -> list[FieldDef]:
    """The record's fields and those of the records declared inside it."""
    out = []
    for fd in rec.fields:
        out.append(fd)
        if fd.inline is not None:
            out += _all_fields(fd.inline)
    return out


def _asserted_members(lay: Layout, prefix: str = "", base: int = 0) -> list[tuple[str, Member, int]]:
    """(C member designator, member, offset) for every member C can take offsetof of, inline records' too."""
    out = []
    for m in lay.members:
        if m.bitfield is not None:
            continue
        path = prefix if m.field.anonymous else f"{prefix}{m.name}"
        if not m.field.anonymous:
            out.append((path, m, base + m.offset))
        inline = _inline_layout(m.rtype)
        if inline is not None:
            sep = "" if m.field.anonymous else ("[0]." if isinstance(m.rtype, ArrayType) else ".")
            out += _asserted_members(inline, path + sep, base + m.offset)
    return out


def _member_align(m: Member, packed: bool, own: bool = True) -> int:
    """The alignment ``m`` gets in C from its type (and, with ``own``, its attribute) under ``packed``."""
    base = 1 if packed else m.rtype.align
    return max(base, m.align) if own else base


def _packed_needed(lay: Layout) -> bool:
    """``packed`` changes something: a member sits off its natural alignment, or the record's alignment drops."""
    if not lay.definition.packed:
        return False
    if any(m.bitfield is not None for m in lay.members):
        return True  # bitfields pack by bits, not by member alignment: keep the record as declared
    natural = [max(m.rtype.align, m.field.aligned or 1) for m in lay.members]
    if any(m.offset % a for m, a in zip(lay.members, natural, strict=True)):
        return True
    return max([1, *natural]) > lay.align


def _needs_extension(lay: Layout) -> bool:
    """Empty records, zero-length arrays and non-int bitfields are GNU C, flexible arrays and anonymous members
    C99/C11; ``__extension__`` keeps -pedantic quiet about them in every language mode."""
    if not lay.members:
        return True
    for m in lay.members:
        if ((isinstance(m.rtype, ArrayType) and 0 in m.rtype.dims) or m.field.flexible or m.field.anonymous
                or m.bitfield is not None):  # C89 bitfields are int or unsigned int only
            return True
        inline = _inline_layout(m.rtype)
        if inline is not None and _needs_extension(inline):
            return True
    return False


def _party(p: str) -> str:
    return {"both": "both sides", "none": "no one", "host": "the host", "guest": "the guest"}.get(p, p)


def _words(text: str) -> list[str]:
    word, out = "", []
    for ch in text + " ":
        if ch.isalnum() or ch == "_":
            word += ch
        elif word:
            out.append(word)
            word = ""
    return out


def _rewrap(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        safe = line.replace("*/", "* /").replace("/*", "/ *").replace("??", "? ?")
        out.extend(textwrap.wrap(safe, WIDTH - 3, subsequent_indent="  " if safe.startswith("  ") else "")
                   or [""])
    return out
