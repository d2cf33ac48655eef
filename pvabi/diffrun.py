"""``pvabi diff`` as a library call: name two sides, get a ``DiffResult``.

A side is a frozen version of the ABI (``v1.2``, or ``v1`` for the newest
v1.x), ``working`` (its layouts/ directory), or another ABI root on disk (a
directory holding abi/, or abi/ itself), whose working layouts are used. With
``transitive`` the new side is checked against every frozen version older than
it, as Schema Registry's transitive modes do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import arch as archmod
from .abiroot import WORKING, AbiRoot, find_root, load
from .diff import DiffResult, Policy, declared_bump, diff_abis
from .errors import InputError, InputErrors
from .findings import CATEGORIES, MODES
from .model import Abi
from .versions import VersionIndex
from .witnessdoc import save_witnesses


@dataclass(frozen=True)
class Side:
    name: str
    abi: Abi
    key: tuple[int, int] | None  # (major, minor) of a frozen version of this root


def resolve_side(root: AbiRoot | None, spec: str, label: str = "") -> Side:
    """A side by name; errors say which side (``label``: "old side", "new side") they concern."""
    try:
        if root is not None and spec == WORKING:
            return Side(WORKING, load(root, WORKING), None)
        if root is not None:
            try:
                v = VersionIndex.read(root).resolve(spec)
            except InputError:
                if not Path(spec).is_dir():
                    raise
            else:
                return Side(v.name, load(root, v.name), v.key)
        if Path(spec).is_dir():
            return Side(spec, load(find_root(spec), WORKING), None)
        raise InputError(f"{spec!r} is not an ABI directory, and no ABI root was found to look it up in as a "
                         "version (run inside a repository with abi/, or pass --root)")
    except InputErrors as e:
        raise InputErrors([_labelled(x, label) for x in e.errors]) from None
    except InputError as e:
        raise _labelled(e, label) from None


def _labelled(e: InputError, label: str) -> InputError:
    if not label:
        return e
    return InputError(f"{e.message} ({label})", e.file, e.line, e.field)


def run_diff(root: AbiRoot | None, old_spec: str, new_spec: str, policy: Policy, transitive: bool = False,
             arches: tuple[str, ...] | None = None, layouts: tuple[str, ...] | None = None) -> DiffResult:
    if policy.mode not in MODES:
        raise InputError(f"unknown mode {policy.mode!r} (known: {', '.join(MODES)})")
    if policy.category not in CATEGORIES:
        raise InputError(f"unknown category {policy.category!r} (known: {', '.join(CATEGORIES)})")
    canon = tuple(_arch(a) for a in arches) if arches else None
    new = resolve_side(root, new_spec, "new side")
    named_old = resolve_side(root, old_spec, "old side")
    _check_names(layouts, named_old, new)
    if canon:
        _check_arches(canon, named_old, new, layouts)
    index = VersionIndex.read(root) if root is not None else VersionIndex(AbiRoot(Path(".")), ())
    olds = [named_old]
    if transitive:
        earlier = [v.name for v in index.versions if new.key is None or v.key < new.key]
        olds = [resolve_side(root, name, f"transitive side {name}")
                for name in earlier if name != named_old.name] + olds
        olds.sort(key=lambda s: s.key or (1 << 30, 0))
    newest = index.versions[-1].name if new.name == WORKING and index.versions else None
    reports = tuple(diff_abis(o.abi, new.abi, o.name, new.name, policy, canon, layouts,
                              _declared_for_working(o, newest)) for o in olds)
    return DiffResult(reports, policy, transitive, asked=(named_old.name, new.name))


def _declared_for_working(old: Side, newest: str | None) -> str | None:
    """The working tree is the next version after the newest frozen one: against an older version it
    carries the bump that the newest one already declared (against the newest itself, none yet)."""
    if newest is None or old.key is None or old.name == newest:
        return None
    return declared_bump(old.name, newest)


def _check_names(layouts: tuple[str, ...] | None, old: Side, new: Side) -> None:
    """Name filters are checked against the two sides the user named, whatever transitivity adds."""
    for name in layouts or ():
        if name not in old.abi.types and name not in new.abi.types:
            raise InputError(f"no layout, enum or flags type named {name!r} in {old.name} or {new.name}")


def _check_arches(arches: tuple[str, ...], old: Side, new: Side, layouts: tuple[str, ...] | None) -> None:
    """An architecture no selected layout exists on would give a silent "no changes": say so instead."""
    recs = [r for side in (old, new) for r in side.abi.records() if not layouts or r.name in layouts]
    have = {a for r in recs for a in (r.arches or archmod.ARCH_NAMES)}
    for a in arches:
        if a not in have:
            known = ", ".join(sorted(have, key=archmod.arch_order))
            what = f"layout {', '.join(layouts)}" if layouts else "layout"
            raise InputError(f"no {what} of {old.name} or {new.name} exists on {a} (they exist on: {known})")


def _arch(name: str) -> str:
    try:
        return archmod.canonical(name)
    except KeyError:
        raise InputError(f"unknown architecture {name!r} (known: {', '.join(archmod.ARCH_NAMES)}; "
                         f"aliases: {', '.join(archmod.ALIASES)})") from None


__all__ = ["Side", "resolve_side", "run_diff", "save_witnesses"]
