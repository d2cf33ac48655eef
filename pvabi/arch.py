"""Architecture models: the one place that knows word sizes and alignments.

Every other module asks an ``Arch`` how big and how aligned a builtin scalar is,
the way pyelftools picks its word sizes once per ELF class. The numbers are the
System V psABIs as GCC implements them; tests check each against a compiler.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scalar:
    """A builtin integer type as one architecture lays it out."""

    name: str
    size: int
    align: int
    signed: bool
    char: bool = False


@dataclass(frozen=True)
class Arch:
    name: str
    endian: str
    long_size: int
    int64_align: int
    clang_target: str
    doc: str

    def scalar(self, name: str) -> Scalar | None:
        """The builtin scalar ``name`` on this architecture, or None if not builtin."""
        spec = _FIXED.get(name)
        if spec is not None:
            size, signed = spec
        elif name in _WORD:
            size, signed = self.long_size, _WORD[name]
        else:
            return None
        align = self.int64_align if size == 8 else size
        return Scalar(name, size, align, signed, char=name == "char")


_FIXED: dict[str, tuple[int, bool]] = {
    "char": (1, False),
    "u8": (1, False), "u16": (2, False), "u32": (4, False), "u64": (8, False),
    "s8": (1, True), "s16": (2, True), "s32": (4, True), "s64": (8, True),
}
# C long and pointers: 4 bytes on the ILP32 targets, 8 on the LP64 ones.
_WORD: dict[str, bool] = {"ulong": False, "slong": True, "uptr": False}

BUILTIN_SCALARS: tuple[str, ...] = tuple(_FIXED) + tuple(_WORD)

# C spellings used by generated code; char arrays stay `char` so they read as text.
C_NAMES: dict[str, str] = {
    "char": "char",
    "u8": "uint8_t", "u16": "uint16_t", "u32": "uint32_t", "u64": "uint64_t",
    "s8": "int8_t", "s16": "int16_t", "s32": "int32_t", "s64": "int64_t",
    "ulong": "unsigned long", "slong": "long", "uptr": "uintptr_t",
}

ARCHES: dict[str, Arch] = {
    a.name: a
    for a in (
        Arch("x86_32", "little", 4, 4, "i386-linux-gnu",
             "i386 System V: 8-byte integers are aligned to 4 inside structs."),
        Arch("x86_64", "little", 8, 8, "x86_64-linux-gnu", "x86-64 System V (LP64)."),
        Arch("arm32", "little", 4, 8, "armv7a-linux-gnueabihf",
             "ARM EABI (AAPCS): ILP32, but 8-byte integers are aligned to 8."),
        Arch("aarch64", "little", 8, 8, "aarch64-linux-gnu", "AArch64 AAPCS64 (LP64)."),
        Arch("ppc64", "big", 8, 8, "powerpc64-linux-gnu", "64-bit PowerPC, big-endian (LP64)."),
        Arch("s390x", "big", 8, 8, "s390x-linux-gnu", "IBM z/Architecture, big-endian (LP64)."),
    )
}
ALIASES: dict[str, str] = {"i386": "x86_32", "amd64": "x86_64", "arm": "arm32", "arm64": "aarch64"}
DEFAULT_ARCH = "x86_64"


def canonical(name: str) -> str:
    """The canonical name for an architecture name or alias; KeyError if unknown."""
    name = ALIASES.get(name, name)
    if name not in ARCHES:
        raise KeyError(name)
    return name


def get(name: str) -> Arch:
    return ARCHES[canonical(name)]


ARCH_NAMES: tuple[str, ...] = tuple(ARCHES)


def arch_order(name: str) -> int:
    """Position in ``ARCH_NAMES``, for sorting; unknown names go last."""
    return ARCH_NAMES.index(name) if name in ARCH_NAMES else len(ARCH_NAMES)
