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
    endian: str | None = None  # fixed byte order of __le16/__be32...; None follows the field or file


@dataclass(frozen=True)
class Arch:
    name: str
    endian: str
    long_size: int
    int64_align: int
    clang_target: str
    doc: str
    char_signed: bool = False  # plain char: signed on x86, unsigned on ARM, POWER and z (their psABIs)

    def scalar(self, name: str) -> Scalar | None:
        """The builtin scalar ``name`` on this architecture, or None if not builtin."""
        spec = _FIXED.get(name)
        if name == "char":
            size, signed = 1, self.char_signed
        elif spec is not None:
            size, signed = spec
        elif name in _WORD:
            size, signed = self.long_size, _WORD[name]
        else:
            return None
        align = self.int64_align if size == 8 else size
        return Scalar(name, size, align, signed, char=name == "char", endian=_FIXED_ENDIAN.get(name))


_FIXED: dict[str, tuple[int, bool]] = {
    "char": (1, False),  # size only: its signedness is the architecture's (char_signed)
    "u8": (1, False), "u16": (2, False), "u32": (4, False), "u64": (8, False),
    "s8": (1, True), "s16": (2, True), "s32": (4, True), "s64": (8, True),
}
# The spellings kernel and hypervisor headers use, built in so a header transcribes as written:
# Linux include/uapi/asm-generic/int-ll64.h (__u8..__s64), include/uapi/linux/types.h
# (__le16..__be64, a __u16..__u64 whose byte order is fixed) and C99 <stdint.h>.
_KERNEL: dict[str, str] = {
    **{f"__{k}{n}": f"{k}{n}" for k in "us" for n in (8, 16, 32, 64)},
    **{f"uint{n}_t": f"u{n}" for n in (8, 16, 32, 64)},
    **{f"int{n}_t": f"s{n}" for n in (8, 16, 32, 64)},
    **{f"__{e}{n}": f"u{n}" for e in ("le", "be") for n in (16, 32, 64)},
}
_FIXED.update({name: _FIXED[base] for name, base in _KERNEL.items()})
_FIXED_ENDIAN: dict[str, str] = {f"__{e}{n}": {"le": "little", "be": "big"}[e]
                                 for e in ("le", "be") for n in (16, 32, 64)}
# C long and pointers: 4 bytes on the ILP32 targets, 8 on the LP64 ones.
_WORD: dict[str, bool] = {"ulong": False, "slong": True, "uptr": False}

BUILTIN_SCALARS: tuple[str, ...] = tuple(_FIXED) + tuple(_WORD)

# C spellings used by generated code; char arrays stay `char` so they read as text.
C_NAMES: dict[str, str] = {
    "char": "char",
    "u8": "uint8_t", "u16": "uint16_t", "u32": "uint32_t", "u64": "uint64_t",
    "s8": "int8_t", "s16": "int16_t", "s32": "int32_t", "s64": "int64_t",
    "ulong": "unsigned long", "slong": "long", "uptr": "uintptr_t",
    **{name: name for name in _KERNEL},  # kept as written; the C prelude typedefs them
}
# The C type each kernel spelling stands for (for the prelude of generated C).
KERNEL_TYPEDEFS: dict[str, str] = {name: C_NAMES[base] for name, base in _KERNEL.items() if name != C_NAMES[base]}

ARCHES: dict[str, Arch] = {
    a.name: a
    for a in (
        Arch("x86_32", "little", 4, 4, "i386-linux-gnu",
             "i386 System V: 8-byte integers are aligned to 4 inside structs.", char_signed=True),
        Arch("x86_64", "little", 8, 8, "x86_64-linux-gnu", "x86-64 System V (LP64).", char_signed=True),
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
