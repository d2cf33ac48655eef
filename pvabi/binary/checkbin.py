"""``pvabi check-binary``: the layouts a built guest or host was compiled with, against a version.

The binary's debug info says where its compiler put every member; it does not
say who writes a field or what reserved bytes promise. So the binary's side of
the comparison is the version's own definitions with the compiler's members put
in: a member the version also has keeps its contract (writer, reader, reserved,
enum, flags, constant, feature), a member only the binary has gets its record's
defaults. Then the same rules as ``pvabi diff`` run on the binary's
architecture, the binary being the old side by default (a guest built years
ago, against today's host).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..abiroot import AbiRoot
from ..diff import DiffResult, Policy, diff_abis
from ..engine import Resolver, resolver_for
from ..errors import InputError
from ..findings import MODES
from ..lookup import record
from ..model import Abi, EnumDef, FieldDef, FlagsDef, RecordDef, TypeDef
from ..project import Project
from .builder import Builder
from .elf import open_binary
from .extract import TypeSource


@dataclass(frozen=True)
class BinaryCheck:
    binary: str
    arch: str
    form: str
    version: str
    checked: tuple[str, ...]  # layouts of the version found in the binary
    absent: tuple[str, ...]  # layouts of the version (on this arch) the binary does not define
    result: DiffResult
    users: dict[str, tuple[str, ...]]  # enum or flags type -> the checked layouts storing it

    @property
    def misread(self) -> tuple[str, ...]:
        """Layouts with a finding that breaks in a direction the mode checks (an enum's: its users')."""
        found = {f.layout for r in self.result.reports for f in r.violations}
        return tuple(sorted({u for name in found for u in self.users.get(name, (name,))}))


def check_binary(root: AbiRoot | Project, path: str | Path, policy: Policy, version: str | None = None,
                 layouts: tuple[str, ...] | None = None, arch: str | None = None,
                 binary_side: str = "old") -> BinaryCheck:
    if policy.mode not in MODES:
        raise InputError(f"unknown mode {policy.mode!r} (known: {', '.join(MODES)})")
    if binary_side not in ("old", "new"):
        raise InputError(f"--binary-side is old or new, not {binary_side!r}")
    project = Project.of(root)
    if version is None:
        frozen = project.versions
        if not frozen:
            raise InputError("no frozen version to check against: freeze one, or pass --abi-version working")
        version = frozen[-1].name
    side = project.resolve(version)
    src = TypeSource(open_binary(path, arch))
    present = set(src.names())
    wanted = [r.name for r in side.abi.records() if r.exists_on(src.arch)]
    for name in layouts or ():
        record(side.abi, name)
    selected = list(layouts) if layouts else wanted
    checked = [n for n in selected if n in present]
    if not checked:
        raise InputError(f"defines none of the layouts of {side.name} ({', '.join(selected)})", str(path))
    builder = Builder(src.arch, f"{src.form} of {Path(str(path)).name}")
    for name in checked:
        builder.add(src.record(name))
    compiled = overlay(builder.built.types, side.abi, src.arch, src.records_alignment)
    label = Path(str(path)).name
    old, new = (compiled, side.abi) if binary_side == "old" else (side.abi, compiled)
    names = (label, side.name) if binary_side == "old" else (side.name, label)
    report = diff_abis(old, new, names[0], names[1], policy, (src.arch,), tuple(checked))
    result = DiffResult((report,), policy, False, asked=names)
    absent = tuple(n for n in selected if n not in present)
    users: dict[str, list[str]] = {}
    for abi in (side.abi, compiled):
        for rec in abi.records():
            for f in rec.fields if rec.name in checked else ():
                for ref in (f.enum, f.flags):
                    if ref and rec.name not in users.setdefault(ref, []):
                        users[ref].append(rec.name)
    return BinaryCheck(str(path), src.arch, src.form, side.name, tuple(checked), absent, result,
                       {k: tuple(v) for k, v in users.items()})


def overlay(types: dict[str, TypeDef], version: Abi, arch: str, records_alignment: bool) -> Abi:
    """The binary's definitions, carrying the version's contract for every member both have."""
    out: dict[str, TypeDef] = dict(types)
    for name, t in types.items():
        vrec = version.record(name)
        if not isinstance(t, RecordDef) or vrec is None:
            continue
        placed = {m.offset: m.field for m in resolver_for(version, arch).layout(name).members} \
            if vrec.exists_on(arch) else {}
        fields = tuple(_with_contract(f, vrec, arch, placed) for f in t.fields)
        rec = replace(t, fields=fields, doc=vrec.doc, source=vrec.source, writer=vrec.writer,
                      reader=vrec.reader, max_size=vrec.max_size, arches=frozenset((arch,)))
        out[name] = _version_attributes(out, rec, vrec, arch, records_alignment)
        for f in fields:
            for ref in (f.enum, f.flags):
                vt = version.types.get(ref) if ref else None
                if ref and ref not in out and isinstance(vt, (EnumDef, FlagsDef)):
                    out[ref] = vt
    return Abi(f"compiled:{arch}", (), out)


def _version_attributes(types: dict[str, TypeDef], rec: RecordDef, vrec: RecordDef, arch: str,
                        records_alignment: bool) -> RecordDef:
    """The version's packed/aligned attributes, when they lay the binary's members out identically.

    Debug info records offsets and sizes, not GCC's attributes: a packed struct whose members are
    naturally aligned anyway compiles to the same DWARF as a plain one, and differs only in its
    alignment. Where the version's attributes reproduce every compiled offset and the size, the
    binary cannot contradict them, so they are taken instead of reported as a change. DWARF 5
    does record aligned(N): there, the binary's own alignment attributes stand.
    """
    candidate = replace(rec, packed=vrec.packed)
    if not records_alignment:
        aligned = {f.name: f.aligned for f in vrec.fields if f.present_on(arch) and f.aligned}
        fields = tuple(replace(f, aligned=aligned.get(f.name, f.aligned)) for f in rec.fields)
        candidate = replace(candidate, aligned=vrec.aligned, fields=fields)
    if candidate == rec:
        return rec
    try:
        before = Resolver(Abi("probe", (), types), arch).layout(rec.name)
        after = Resolver(Abi("probe", (), {**types, rec.name: candidate}), arch).layout(rec.name)
    except InputError:
        return rec
    same = after.size == before.size and [m.offset for m in after.members] == [m.offset for m in before.members]
    return candidate if same else rec


def _with_contract(f: FieldDef, vrec: RecordDef, arch: str, placed: dict[int, FieldDef]) -> FieldDef:
    vf = next((v for v in vrec.fields if v.name == f.name and v.present_on(arch)), None)
    if vf is None and f.offset is not None:
        # a new name over the same bytes and type as a version member: the same member renamed, so its
        # contract is the best guess (the rules then call it a rename, not a removal and an addition).
        # An anonymous member has no name to match: the version's anonymous member at its offset is it.
        same = placed.get(f.offset.get_int(arch) or 0)
        if same is not None and ((same.type, same.dims) == (f.type, f.dims) or (same.anonymous and f.anonymous)):
            vf = same
    if vf is None:
        default = "both"
        return replace(f, writer=vrec.writer or default, reader=vrec.reader or default)
    vf = vf.for_arch(arch)
    out = replace(f, doc=vf.doc, reserved=vf.reserved, const=vf.const, enum=f.enum or vf.enum, flags=vf.flags,
                  writer=vf.writer, reader=vf.reader, feature=vf.feature, endian=vf.endian)
    if f.inline is not None and vf.inline is not None:
        # the members of a struct declared in place carry their contracts too; an anonymous one is
        # named after its position, which C never sees, so it takes the version's name
        vin = vf.inline
        inner = replace(f.inline, name=vin.name, writer=vin.writer, reader=vin.reader, doc=vin.doc,
                        fields=tuple(_with_contract(x, vin, arch, {}) for x in f.inline.fields))
        out = replace(out, name=vf.name if f.anonymous else out.name, type=vin.name, inline=inner)
    return out
