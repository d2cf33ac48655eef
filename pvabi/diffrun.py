"""``pvabi diff`` as a library call: name two sides, get a ``DiffResult``.

A side is a frozen version of the ABI (``v1.2``, or ``v1`` for the newest
v1.x), ``working`` (its layouts/ directory), or another ABI root on disk (a
directory holding abi/, or abi/ itself), whose working layouts are used. With
``transitive`` the new side is checked against every frozen version older than
it, as Schema Registry's transitive modes do.
"""

from __future__ import annotations

from pathlib import Path

from . import arch as archmod
from .abiroot import WORKING, AbiRoot
from .config import Config
from .diff import DiffResult, Policy, declared_bump, diff_abis
from .errors import InputError
from .findings import CATEGORIES, MODES
from .lookup import canonical_arch, no_type_in_either
from .project import Project, Side
from .project import resolve_side as resolve_in
from .witnessdoc import save_witnesses


def open_for_diff(root: str | Path | None, old: str, new: str) -> tuple[Project | None, Config]:
    """The project a diff of ``old`` and ``new`` runs in, and the config its defaults come from.

    Two ABI directories compare without an ABI root of their own (version names need one): then
    there is no project, and the new side's config applies.
    """
    both_dirs = root is None and all(Path(s).is_dir() and s != WORKING for s in (old, new))
    project = None if both_dirs else Project.find(root)
    return project, (project or Project.find(new)).config


def resolve_side(root: AbiRoot | Project | None, spec: str, label: str = "") -> Side:
    """A side by name; errors say which side (``label``: "old side", "new side") they concern."""
    return resolve_in(Project.of(root) if root is not None else None, spec, label)


def run_diff(root: AbiRoot | Project | None, old_spec: str, new_spec: str, policy: Policy,
             transitive: bool = False, arches: tuple[str, ...] | None = None,
             layouts: tuple[str, ...] | None = None) -> DiffResult:
    """Compare two sides (and, ``transitive``, every frozen version older than the new one) under ``policy``.

    Pass a ``Project`` to share its loads with other calls (a changelog diffs each release once).
    """
    if policy.mode not in MODES:
        raise InputError(f"unknown mode {policy.mode!r} (known: {', '.join(MODES)})")
    if policy.category not in CATEGORIES:
        raise InputError(f"unknown category {policy.category!r} (known: {', '.join(CATEGORIES)})")
    canon = tuple(canonical_arch(a) for a in arches) if arches else None
    project = Project.of(root) if root is not None else None
    new = resolve_in(project, new_spec, "new side")
    named_old = resolve_in(project, old_spec, "old side")
    _check_names(layouts, named_old, new)
    if canon:
        _check_arches(canon, named_old, new, layouts)
    frozen = project.versions if project is not None else ()
    olds = [named_old]
    if transitive:
        earlier = [v.name for v in frozen if new.key is None or v.key < new.key]
        olds = [resolve_in(project, name, f"transitive side {name}")
                for name in earlier if name != named_old.name] + olds
        olds.sort(key=lambda s: s.key or (1 << 30, 0))
    newest = frozen[-1].name if new.name == WORKING and frozen else None
    reports = tuple(diff_abis(o.abi, new.abi, o.name, new.name, policy, canon, layouts,
                              _declared_for_working(o, newest)) for o in olds)
    return DiffResult(reports, policy, transitive, asked=(named_old.name, new.name),
                      models={s.name: s.abi for s in (*olds, new)})


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
            raise no_type_in_either(name, old.name, new.name)


def _check_arches(arches: tuple[str, ...], old: Side, new: Side, layouts: tuple[str, ...] | None) -> None:
    """An architecture no selected layout exists on would give a silent "no changes": say so instead."""
    recs = [r for side in (old, new) for r in side.abi.records() if not layouts or r.name in layouts]
    have = {a for r in recs for a in (r.arches or archmod.ARCH_NAMES)}
    for a in arches:
        if a not in have:
            known = ", ".join(sorted(have, key=archmod.arch_order))
            what = f"layout {', '.join(layouts)}" if layouts else "layout"
            raise InputError(f"no {what} of {old.name} or {new.name} exists on {a} (they exist on: {known})")


__all__ = ["Side", "open_for_diff", "resolve_side", "run_diff", "save_witnesses"]
