"""Finding a layout or an architecture by the name a user typed, with one message for each miss.

Every command that takes ``--arch`` or a layout name goes through here, so
"unknown architecture" and "no layout named" read the same wherever they come
from and always list what would have worked.
"""

from __future__ import annotations

from . import arch as archmod
from .errors import InputError
from .model import Abi, RecordDef


def unknown_arch(name: str) -> InputError:
    return InputError(f"unknown architecture {name!r} (known: {', '.join(archmod.ARCH_NAMES)}; "
                      f"aliases: {', '.join(archmod.ALIASES)})")


def canonical_arch(name: str) -> str:
    """The canonical name of an architecture or alias (``i386`` -> ``x86_32``)."""
    try:
        return archmod.canonical(name)
    except KeyError:
        raise unknown_arch(name) from None


def no_layout(abi: Abi, name: str) -> InputError:
    known = ", ".join(sorted(r.name for r in abi.records())) or "none"
    return InputError(f"no layout named {name!r} in {abi.name} (layouts: {known})")


def no_type_in_either(name: str, old: str, new: str) -> InputError:
    """A name filter (``diff --layout``) that neither side of a comparison defines."""
    return InputError(f"no layout, enum or flags type named {name!r} in {old} or {new}")


def record(abi: Abi, name: str) -> RecordDef:
    rec = abi.record(name)
    if rec is None:
        raise no_layout(abi, name)
    return rec


def arch_for(rec: RecordDef, arch: str | None = None) -> str:
    """The canonical architecture to show ``rec`` on: ``arch`` (a name or alias) if it exists there, else
    by default x86_64, or the layout's first architecture when it does not exist on x86_64."""
    if arch is None:
        if rec.exists_on(archmod.DEFAULT_ARCH):
            return archmod.DEFAULT_ARCH
        return sorted(rec.arches or (), key=archmod.arch_order)[0]
    canonical = canonical_arch(arch)
    if not rec.exists_on(canonical):
        have = ", ".join(sorted(rec.arches or (), key=archmod.arch_order))
        raise InputError(f"layout {rec.name!r} does not exist on {canonical} (it exists on: {have})",
                         rec.loc.file, rec.loc.line, rec.name)
    return canonical
