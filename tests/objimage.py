"""Images of initialised C objects, as a compiler lays them out in an object file.

Programs for arm32, aarch64, ppc64 and s390x cannot run here, but the compiler
still writes the bytes of ``struct X obj = {...};`` into the ``.data`` section of
the object file it produces. Reading those bytes back gives an image whose every
bit the compiler placed: an independent truth for bitfields, which ``offsetof``
cannot reach. The ELF reader below knows only what it needs (ELF32/ELF64, both
byte orders, the section header table; see the System V gABI, "Sections").
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

from pvabi.arch import ARCHES


def data_section(obj: bytes) -> bytes:
    """The contents of the ``.data`` section of an ELF relocatable object."""
    if obj[:4] != b"\x7fELF":
        raise ValueError("not an ELF file")
    wide, order = obj[4] == 2, "<" if obj[5] == 1 else ">"
    if wide:
        shoff, = struct.unpack_from(order + "Q", obj, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", obj, 0x3A)
    else:
        shoff, = struct.unpack_from(order + "I", obj, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", obj, 0x2E)

    def section(i: int) -> tuple[int, int, int]:
        at = shoff + i * shentsize
        if wide:
            name, _, _, _, offset, size = struct.unpack_from(order + "IIQQQQ", obj, at)
        else:
            name, _, _, _, offset, size = struct.unpack_from(order + "IIIIII", obj, at)
        return name, offset, size

    _, str_off, _ = section(shstrndx)
    for i in range(shnum):
        name, offset, size = section(i)
        end = obj.index(b"\0", str_off + name)
        if obj[str_off + name:end] == b".data":
            return obj[offset:offset + size]
    raise ValueError("no .data section")


def compile_command(arch: str, source: Path, out: Path) -> list[str]:
    """gcc for the x86 targets (``-m32`` for i386), clang ``--target`` for the others; no libc needed."""
    if arch in ("x86_64", "x86_32"):
        return ["gcc", "-m32" if arch == "x86_32" else "-m64", "-ffreestanding", "-c", "-o", str(out), str(source)]
    return ["clang", f"--target={ARCHES[arch].clang_target}", "-ffreestanding", "-c", "-o", str(out), str(source)]


def object_image(arch: str, source: str, tmp: Path) -> bytes:
    """Compile ``source`` (which defines exactly one initialised object) for ``arch``; its bytes."""
    c, o = tmp / f"obj-{arch}.c", tmp / f"obj-{arch}.o"
    c.write_text(source)
    proc = subprocess.run(compile_command(arch, c, o), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + "\n" + source
    return data_section(o.read_bytes())
