"""C spellings of layout names: tags, typedefs, macros; ``--prefix`` and clash checks.

A C programmer expects ``struct vcpu_time_info`` and ``PVCLOCK_TSC_STABLE_BIT``:
tags keep the layout's name, constants are upper case and start with what they
belong to. ``--prefix`` goes in front of every file-scope name, so two ABIs (or
an ABI and the consumer's own code) can share a translation unit. pvabi's own
macros (architecture, version, static assertion) start with the prefix, or with
``PVABI_`` when there is none.
"""

from __future__ import annotations

import re

from ..errors import InputError, InputErrors
from ..model import Abi, EnumDef, FlagsDef, RecordDef

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")


class CNames:
    def __init__(self, prefix: str = "") -> None:
        if prefix and not _IDENT.match(prefix):
            raise InputError(f"--prefix {prefix!r} must be a C identifier that starts with a letter "
                             "(names starting with _ are reserved in C)")
        self.prefix = prefix

    def tag(self, name: str) -> str:
        return self.prefix + name

    def macro(self, *parts: str) -> str:
        return (self.prefix + "_".join(parts)).upper()

    def tool(self, *parts: str) -> str:
        return ((self.prefix or "pvabi_") + "_".join(parts)).upper()

    def enum_value(self, enum: str, value: str) -> str:
        return self.macro(enum, value)

    def flag_bit(self, flags: str, bit: str) -> str:
        # pvclock_flags' TSC_STABLE is PVCLOCK_TSC_STABLE_BIT, as in Xen's and Linux's own headers.
        base = flags[: -len("_flags")] if flags.endswith("_flags") and len(flags) > len("_flags") else flags
        return self.macro(base, bit, "BIT")

    def const(self, record: str, field: str) -> str:
        return self.macro(record, field)

    def constant(self, name: str) -> str:
        # Named constants keep their spelling (XEN_LEGACY_MAX_VCPUS); only the prefix is added, upper case.
        return self.prefix.upper() + name

    def size(self, record: str) -> str:
        return self.macro(record, "SIZE")


def check_unique(abi: Abi, names: CNames) -> None:
    """Two layout names that would become one C name are an error, not a compile failure in a consumer."""
    seen: dict[str, str] = {}
    problems: list[InputError] = []

    def claim(c_name: str, what: str, file: str, line: int) -> None:
        other = seen.get(c_name)
        if other is not None and other != what:
            problems.append(InputError(f"{what} and {other} would both be {c_name} in C; rename one",
                                       file, line))
        seen.setdefault(c_name, what)

    for f in abi.files:
        claim(names.tool(f.id, "H"), f"the include guard of {f.id}.h", f.path, 1)
    for t in abi.types.values():
        loc = t.loc
        if isinstance(t, EnumDef):
            for k, _ in t.values:
                claim(names.enum_value(t.name, k), f"enum value {t.name}.{k}", loc.file, loc.line)
        elif isinstance(t, FlagsDef):
            for k, _ in t.bits:
                claim(names.flag_bit(t.name, k), f"flag {t.name}.{k}", loc.file, loc.line)
        elif isinstance(t, RecordDef):
            claim(names.size(t.name), f"the size of {t.name}", loc.file, loc.line)
            for fd in t.fields:
                if fd.const is not None:
                    claim(names.const(t.name, fd.name), f"constant {t.name}.{fd.name}", fd.loc.file, fd.loc.line)
    for c in abi.constants.values():
        claim(names.constant(c.name), f"constant {c.name}", c.loc.file, c.loc.line)
    if problems:
        raise InputErrors(problems)
