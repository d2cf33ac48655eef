"""Frozen history, protected against a base: released versions stay byte for byte what they were.

``VersionIndex.verify`` catches a frozen file edited behind the index's back, but
a pull request can edit the file and its recorded hash together, and then every
check of the tree alone passes. Against the base the pull request started from,
each version frozen there must still be here with the same index entry and the
same bytes, and a version frozen by the pull request may only come after the
base's newest. Each departure is a finding with its own ID; none can be waived.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .abiroot import AbiRoot
from .versions import Version, VersionIndex
from .yamlsafe import read_regular

FROZEN_VERSION_CHANGED = "FROZEN_VERSION_CHANGED"
FROZEN_VERSION_REMOVED = "FROZEN_VERSION_REMOVED"
FROZEN_HASH_EDITED = "FROZEN_HASH_EDITED"
FROZEN_VERSION_INSERTED = "FROZEN_VERSION_INSERTED"
HISTORY_RULES = (FROZEN_VERSION_CHANGED, FROZEN_VERSION_REMOVED, FROZEN_HASH_EDITED, FROZEN_VERSION_INSERTED)


@dataclass(frozen=True)
class HistoryViolation:
    rule: str
    message: str
    file: str
    line: int | None = None


def protect(base: AbiRoot, here: AbiRoot, base_name: str) -> list[HistoryViolation]:
    """Every way ``here``'s frozen history departs from ``base``'s (``base_name`` says which ref that was)."""
    old, new = VersionIndex.read(base), VersionIndex.read(here)
    index_file = _shown(here, new.path)
    index_lines = _lines(new.path)
    found: list[HistoryViolation] = []
    now = {v.name: v for v in new.versions}
    old_names = {v.name for v in old.versions}
    for v in old.versions:
        mine = now.get(v.name)
        if mine is None:
            renamed = next((n.name for n in new.versions if n.files == v.files and n.name not in old_names), None)
            also = f" (it is frozen again as {renamed}: a frozen version is never renamed)" if renamed else ""
            found.append(HistoryViolation(FROZEN_VERSION_REMOVED, f"{v.name}, frozen at {base_name}, was removed"
                                          f"{also}; history is immutable", index_file))
            continue
        found += _entry_changes(v, mine, base_name, index_file, index_lines)
        found += _file_changes(base, here, v.name, base_name)
    if old.versions:
        newest = old.versions[-1]
        for v in new.versions:
            if v.name not in old_names and v.key < newest.key:
                found.append(HistoryViolation(
                    FROZEN_VERSION_INSERTED, f"{v.name} is a new frozen version older than {newest.name}, the "
                    f"newest at {base_name}; new versions may only be appended after it", index_file,
                    _line_of(index_lines, f'"{v.name}"')))
    return found


def _entry_changes(old: Version, new: Version, base_name: str, index_file: str,
                   lines: list[str]) -> list[HistoryViolation]:
    out = []
    entry = _line_of(lines, f'"{old.name}"')
    for fname in sorted(set(old.files) | set(new.files)):
        was, now = old.files.get(fname), new.files.get(fname)
        if was == now:
            continue
        what = ("added to" if was is None else "dropped from" if now is None
                else f"changed from {was[:12]}... to {now[:12]}... in")
        out.append(HistoryViolation(FROZEN_HASH_EDITED, f"the recorded SHA-256 of {old.name}/{fname} was {what} "
                                    f"the index since {base_name}; recorded hashes of frozen versions never change",
                                    index_file, _line_of(lines, f'"{fname}"', entry) or entry))
    if (old.date, old.summary) != (new.date, new.summary):
        out.append(HistoryViolation(FROZEN_VERSION_CHANGED, f"the index entry of {old.name} (date or summary) was "
                                    f"edited since {base_name}; a frozen version's entry never changes",
                                    index_file, entry))
    return out


def _file_changes(base: AbiRoot, here: AbiRoot, name: str, base_name: str) -> list[HistoryViolation]:
    old_dir, new_dir = base.versions / name, here.versions / name
    old_files, new_files = _listing(old_dir), _listing(new_dir)
    out = []
    for fname in sorted(old_files | new_files):
        shown = _shown(here, new_dir / fname)
        if fname not in new_files:
            out.append(HistoryViolation(FROZEN_VERSION_CHANGED, f"frozen file of {name} was deleted since "
                                        f"{base_name}", shown))
        elif fname not in old_files:
            out.append(HistoryViolation(FROZEN_VERSION_CHANGED, f"file was added to frozen {name} since "
                                        f"{base_name}", shown))
        else:
            was = read_regular(old_dir / fname, f"{base_name}:{shown}")
            now = read_regular(new_dir / fname, shown)
            if was != now:
                out.append(HistoryViolation(FROZEN_VERSION_CHANGED, f"frozen file of {name} differs from "
                                            f"{base_name}; history is immutable: freeze a new version instead",
                                            shown, _first_difference(was, now)))
    return out


def _listing(directory: Path) -> set[str]:
    """The files of a version directory; hidden ones (a freeze's pending entry) are bookkeeping, not history."""
    try:
        with os.scandir(directory) as it:
            return {e.name for e in it if not e.name.startswith(".") and not e.is_dir(follow_symlinks=False)}
    except FileNotFoundError:
        return set()


def _first_difference(a: bytes, b: bytes) -> int:
    """The 1-based line of ``b`` where it first departs from ``a``."""
    for i, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False)):
        if x != y:
            return i + 1
    return min(len(a.splitlines()), len(b.splitlines())) + 1


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text("utf-8", "replace").splitlines()
    except OSError:
        return []


def _line_of(lines: list[str], needle: str, after: int | None = None) -> int | None:
    """The first line holding ``needle``, from line ``after`` on (a file name recurs in every version's entry)."""
    start = after or 1
    return next((i + 1 for i, line in enumerate(lines) if i + 1 >= start and needle in line), None)


def _shown(root: AbiRoot, path: Path) -> str:
    try:
        return str(path.relative_to(root.display_base))
    except ValueError:
        return str(path)


__all__ = ["FROZEN_HASH_EDITED", "FROZEN_VERSION_CHANGED", "FROZEN_VERSION_INSERTED", "FROZEN_VERSION_REMOVED",
           "HISTORY_RULES", "HistoryViolation", "protect"]
