"""Opening a binary: ELF (object, shared object, executable, kernel module) or a raw BTF blob.

The ELF header's machine, class and data encoding name the architecture, the one
place that mapping lives. Anything pyelftools cannot read (a truncated file, a
corrupt section table) becomes one InputError naming the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .. import arch as archmod
from ..errors import InputError
from ..lookup import canonical_arch

MAX_BINARY_BYTES = 1 << 30
BTF_MAGIC = 0xEB9F

# (e_machine, ELF class, byte order) -> pvabi architecture
MACHINES: dict[tuple[str, int, str], str] = {
    ("EM_386", 32, "little"): "x86_32",
    ("EM_X86_64", 64, "little"): "x86_64",
    ("EM_ARM", 32, "little"): "arm32",
    ("EM_AARCH64", 64, "little"): "aarch64",
    ("EM_PPC64", 64, "big"): "ppc64",
    ("EM_S390", 64, "big"): "s390x",
}

T = TypeVar("T")


@dataclass
class Binary:
    path: str
    data: bytes
    elf: Any  # elftools ELFFile, or None for a raw BTF blob
    arch: str | None

    def section(self, name: str) -> bytes | None:
        if self.elf is None:
            return None
        sec = guarded(self.path, lambda: self.elf.get_section_by_name(name))
        return None if sec is None else bytes(guarded(self.path, sec.data))


def guarded(path: str, fn: Callable[[], T]) -> T:
    """Run a pyelftools call; its many exception types become one readable line."""
    try:
        return fn()
    except InputError:
        raise
    except Exception as e:  # pyelftools raises ELFError, construct errors, struct.error, IndexError...
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputError(f"cannot read the ELF file (truncated or corrupt?): {detail[:200]}", path) from None


def open_binary(path: str | Path, arch: str | None = None) -> Binary:
    shown = str(path)
    try:
        p = Path(path)
        if p.stat().st_size > MAX_BINARY_BYTES:
            raise InputError(f"larger than {MAX_BINARY_BYTES >> 20} MiB", shown)
        data = p.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", shown) from None
    wanted = canonical_arch(arch) if arch else None
    if data[:4] == b"\x7fELF":
        import io

        from elftools.elf.elffile import ELFFile

        elf = guarded(shown, lambda: ELFFile(io.BytesIO(data)))
        found = _elf_arch(shown, elf)
        if wanted and wanted != found:
            raise InputError(f"--arch {wanted} given, but the ELF header says {found}", shown)
        return Binary(shown, data, elf, found)
    if len(data) >= 2 and int.from_bytes(data[:2], "little") in (BTF_MAGIC, 0x9FEB):
        return Binary(shown, data, None, wanted)
    raise InputError("not an ELF file or a raw BTF blob", shown)


def _elf_arch(path: str, elf: Any) -> str:
    machine = guarded(path, lambda: elf.header["e_machine"])
    key = (machine, elf.elfclass, "little" if elf.little_endian else "big")
    found = MACHINES.get(key)
    if found is None:
        raise InputError(f"unsupported ELF: {machine}, {key[1]}-bit, {key[2]}-endian (pvabi knows "
                         f"{', '.join(archmod.ARCH_NAMES)})", path)
    return found
