"""``pvabi import-c``: a C header's struct as layouts, by asking the real compiler.

A probe that includes the header is compiled with ``-g`` for each architecture
(gcc for x86, ``-m32`` for i386; clang ``--target`` for the others), so macros,
``#if``s and attributes mean what the compiler says; the DWARF is read back
(``dwarf``, ``builder``). The architectures' definitions are then merged: a
member present on some architectures only gets ``only_arch``, one placed or
typed differently appears once per architecture, offsets and sizes that differ
become per-architecture maps. The merged file is loaded back through pvabi's
loader, whose engine must reproduce every compiled offset on every architecture.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .. import arch as archmod
from ..errors import InputError
from ..lookup import canonical_arch
from ..model import AliasDef, EnumDef, FieldDef, PerArch, RecordDef, TypeDef
from . import layoutfile
from .builder import Built
from .elf import open_binary
from .extract import TypeSource

DEFAULT_ARCHES = ("x86_32", "x86_64")
COMPILE_TIMEOUT = 120


@dataclass(frozen=True)
class Imported:
    struct: str
    arches: tuple[str, ...]
    types: dict[str, TypeDef]
    order: list[str]
    text: str


def compiler_command(arch: str, source: Path, out: Path, includes: tuple[str, ...],
                     defines: tuple[str, ...]) -> list[str]:
    a = archmod.get(arch)
    if a.name in ("x86_32", "x86_64"):
        cmd = ["gcc", "-m32" if a.name == "x86_32" else "-m64"]
    else:
        cmd = ["clang", f"--target={a.clang_target}"]
    # -fno-eliminate-unused-debug-types: the header declares types nobody in the probe uses
    cmd += ["-g", "-c", "-ffreestanding", "-fno-eliminate-unused-debug-types", "-o", str(out)]
    cmd += [f"-I{d}" for d in includes] + [f"-D{d}" for d in defines]
    return [*cmd, str(source)]


def compile_probe(header: Path, arch: str, workdir: Path, includes: tuple[str, ...] = (),
                  defines: tuple[str, ...] = ()) -> Path:
    probe = workdir / f"probe_{arch}.c"
    probe.write_text(f'#include "{header.resolve()}"\n', encoding="utf-8")
    out = workdir / f"probe_{arch}.o"
    cmd = compiler_command(arch, probe, out, includes, defines)
    if shutil.which(cmd[0]) is None:
        raise InputError(f"{cmd[0]} is not installed; it is needed to compile for {arch}")
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise InputError(f"{arch}: the compiler took longer than {COMPILE_TIMEOUT} s", str(header)) from None
    if done.returncode != 0:
        errors = [ln for ln in done.stderr.splitlines() if "error" in ln] or done.stderr.splitlines() or ["?"]
        raise InputError(f"{arch}: {cmd[0]} failed: {errors[0].strip()[:300]}", str(header))
    return out


def import_c(header: str | Path, struct: str | tuple[str, ...], arches: tuple[str, ...] | None = None,
             includes: tuple[str, ...] = (), defines: tuple[str, ...] = ()) -> Imported:
    """One struct, or several (``struct`` a tuple: the file is named after the first), with the types they use."""
    structs = (struct,) if isinstance(struct, str) else struct
    if not structs:
        raise InputError("no struct named: give --struct")
    struct = structs[0]
    path = Path(header)
    if not path.is_file():
        raise InputError("no such header file", str(header))
    wanted = tuple(dict.fromkeys(canonical_arch(a) for a in (arches or DEFAULT_ARCHES)))
    builts: list[Built] = []
    with tempfile.TemporaryDirectory(prefix="pvabi-import-") as tmp:
        for a in wanted:
            obj = compile_probe(path, a, Path(tmp), includes, defines)
            src = TypeSource(open_binary(obj))
            try:
                builts.append(src.build(*structs))
            except InputError as e:
                raise InputError(f"{a}: {e.message.replace(str(obj), path.name)}", str(header), field=e.field) \
                    from None
    types, order = merge(builts)
    ordered = tuple(sorted(wanted, key=archmod.arch_order))
    text = layoutfile.render(
        struct, f"{struct} from {path.name}, as the compilers lay it out on {', '.join(ordered)}.",
        f"{path.name} (compiled with -g for {', '.join(ordered)})", types, order, ordered,
        header=(f"# Imported by pvabi from {path.name}: offsets and sizes are the compilers' "
                f"({', '.join(ordered)}).",))
    layoutfile.load_text(struct, text)  # the engine must agree with every compiler before anything is printed
    return Imported(struct, ordered, types, order, text)


def merge(builts: list[Built]) -> tuple[dict[str, TypeDef], list[str]]:
    """One set of definitions from one per architecture."""
    arches = [b.arch for b in builts]
    names: list[str] = [builts[0].root]
    for b in builts:
        names += [n for n in b.types if n not in names]
    out: dict[str, TypeDef] = {}
    for name in names:
        per = [(b.arch, b.types[name]) for b in builts if name in b.types]
        first = per[0][1]
        if isinstance(first, RecordDef):
            out[name] = _merge_record(name, [(a, t) for a, t in per if isinstance(t, RecordDef)], arches)
        elif isinstance(first, AliasDef):
            targets = [(a, t.targets.get(a) or t.targets.get("default")) for a, t in per if isinstance(t, AliasDef)]
            out[name] = replace(first, targets=_per_arch(targets, [a for a, _ in per]),
                                doc=f"typedef {name} as the compilers define it.")
        elif isinstance(first, EnumDef):
            for a, t in per:
                if not isinstance(t, EnumDef) or t.values != first.values:
                    raise InputError(f"enum {name} has different values on {per[0][0]} and {a}")
            out[name] = replace(first, doc=f"enum {name} as the compilers define it.")
        else:
            out[name] = first
    return out, names


def _merge_record(name: str, per: list[tuple[str, RecordDef]], all_arches: list[str]) -> RecordDef:
    first = per[0][1]
    for a, r in per:
        if r.kind != first.kind:
            raise InputError(f"{name} is a {first.kind} on {per[0][0]} but a {r.kind} on {a}")
    # (key, arches, offsets): one entry per distinct member, in an order every architecture's order follows
    merged: list[tuple[tuple[object, ...], FieldDef, list[str], list[tuple[str, int]]]] = []
    for a, r in per:
        last = -1
        for f in r.fields:
            key = _signature(f, a)
            at = next((i for i, m in enumerate(merged) if i > last and m[0] == key and a not in m[2]), None)
            if at is None:
                at = last + 1
                merged.insert(at, (key, f, [], []))
            merged[at][2].append(a)
            if f.offset is not None:
                merged[at][3].append((a, int(f.offset.get_int(a) or 0)))
            last = at
    fields = []
    for _, f, arches, offsets in merged:
        only = frozenset(arches) if set(arches) != set(all_arches) else None
        offset = _per_arch(offsets, arches) if offsets else None
        fields.append(replace(f, offset=offset, only_arch=only))
    sizes = [(a, int(r.size.get_int(a) or 0)) for a, r in per if r.size is not None]
    return replace(first, fields=tuple(fields), size=_per_arch(sizes, [a for a, _ in per]),
                   packed=any(r.packed for _, r in per), aligned=max((r.aligned or 0 for _, r in per)) or None,
                   doc=f"{first.kind} {name} as the compilers lay it out.")


def _signature(f: FieldDef, arch: str) -> tuple[object, ...]:
    """What makes two architectures' members one member: all but docs and (outside inline records) offsets."""
    inner = None
    if f.inline is not None:
        r = f.inline
        inner = (r.kind, r.packed, r.aligned, tuple((_signature(x, arch), x.offset.get_int(arch) if x.offset else None)
                                                  for x in r.fields))
    return (f.name, f.type, f.dims, f.aligned, f.enum, f.bits, f.flexible, f.anonymous, inner)


def _per_arch(values: Sequence[tuple[str, object]], arches: list[str]) -> PerArch:
    distinct = {v for _, v in values}
    if len(distinct) == 1 and len(values) == len(arches):
        return PerArch((("default", next(iter(distinct))),))
    return PerArch(tuple(sorted(values, key=lambda kv: archmod.arch_order(kv[0]))))
