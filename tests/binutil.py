"""Objects compiled with debug info, for the tests of pvabi/binary/.

Each shipped version's records are written as C (declarations only, from
``pvabi.codegen.check``) and compiled with ``-g`` into a relocatable object: gcc for
x86_64 and i386 (``-m32``), clang ``--target`` for the other architectures.
``pahole -J`` (Debian ``dwarves``) adds the BTF encoding of the same object.
Nothing is linked, so no libc for the target is needed. A missing tool fails
under CI and skips elsewhere, as in test_engine_vs_compiler.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

from pvabi import arch as archmod
from pvabi.codegen.check import FREESTANDING_PRELUDE, alias_typedefs, declaration, ordered_layouts
from pvabi.engine import ArrayType, Layout, RecordType, Resolver, ScalarType
from pvabi.model import Abi
from pvabi.project import load
from pvabi.versions import VersionIndex
from shipped import ROOT

GCC_ARCHES = ("x86_64", "x86_32")


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name!r} is not on PATH: binaries cannot be built for this test"
        if os.environ.get("CI"):
            pytest.fail(f"{message}, and CI must install it (CI is set)", pytrace=False)
        pytest.skip(f"{message} (under CI this is a failure)")
    return path


def compile_object(source: str, arch: str, out: Path, extra: tuple[str, ...] = ()) -> Path:
    """``source`` compiled with -g into ``out`` for ``arch``."""
    src = out.with_suffix(".c")
    src.write_text(source, encoding="utf-8")
    if arch in GCC_ARCHES:
        cmd = [tool("gcc"), "-m32" if arch == "x86_32" else "-m64"]
    else:
        cmd = [tool("clang"), f"--target={archmod.ARCHES[arch].clang_target}"]
    cmd += ["-g", "-c", "-ffreestanding", "-fno-eliminate-unused-debug-types", *extra, "-o", str(out), str(src)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stderr}\n{source}"
    return out


def add_btf(obj: Path, out: Path, strip: bool = True) -> Path:
    """A copy of ``obj`` with the .BTF that pahole encodes from its DWARF (and the DWARF stripped)."""
    shutil.copyfile(obj, out)
    done = subprocess.run([tool("pahole"), "-J", str(out)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    if strip:  # the host's binutils know the host's ELF only: strip x86 objects, read the others' blob
        subprocess.run([tool("objcopy"), "--strip-debug", str(out)], check=True, timeout=60)
    return out


def raw_btf(obj: Path, out: Path) -> Path:
    """The .BTF section of ``obj`` alone, as /sys/kernel/btf/vmlinux is."""
    from elftools.elf.elffile import ELFFile

    with obj.open("rb") as f:
        section = ELFFile(f).get_section_by_name(".BTF")
        assert section is not None, f"pahole wrote no .BTF into {obj}"
        out.write_bytes(section.data())
    return out


def declarations(abi: Abi, arch: str, names: list[str] | None = None) -> str:
    """The C declarations of ``abi``'s records on ``arch`` (no assertions, so variants can be planted)."""
    resolver = Resolver(abi, arch)
    wanted = names or [r.name for r in abi.records() if r.exists_on(arch)]
    parts = [FREESTANDING_PRELUDE, *alias_typedefs(abi, resolver)]
    parts += [declaration(layout) for layout in ordered_layouts(resolver, wanted)]
    return "\n".join(parts) + "\n"


@cache
def versions() -> tuple[str, ...]:
    return tuple(v.name for v in VersionIndex.read(ROOT).versions)


@cache
def version_abi(name: str) -> Abi:
    return load(ROOT, name)


def type_fact(t: object) -> object:
    """A member's type as the comparison sees it: scalar spelling and size, record name, array dims."""
    if isinstance(t, ScalarType):
        return (t.spelled, t.size, t.scalar.signed)
    if isinstance(t, RecordType):
        return ("record", t.layout.name, t.size)
    assert isinstance(t, ArrayType)
    return ("array", t.dims, type_fact(t.leaf))


def facts(layout: Layout) -> tuple[object, ...]:
    """Everything the issue asks to be identical: size, and offset, size and type per member."""
    return (layout.name, layout.kind, layout.size,
            tuple((m.name, m.offset, m.size, type_fact(m.rtype)) for m in layout.members))
