"""Frozen versions: immutable, hash-locked snapshots of an ABI's layouts.

``abi/versions/index.json`` lists every version (``vMAJOR.MINOR``) in order,
with its date, a one-line summary and the SHA-256 of each frozen file. Freezing
writes the snapshot into a temporary directory, renames it into place, then
replaces the index atomically; a crash leaves at worst an orphan temporary
directory that ``validate`` reports, never a half-written version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .abiroot import WORKING, AbiRoot
from .errors import InputError
from .loader import load_abi

INDEX_SCHEMA = "pvabi.versions/1"
_NAME = re.compile(r"^v(\d{1,4})\.(\d{1,4})$")
_MAJOR = re.compile(r"^v(\d{1,4})$")


def parse_name(name: str) -> tuple[int, int]:
    m = _NAME.match(name)
    if not m:
        raise InputError(f"version {name!r} is not of the form vMAJOR.MINOR (e.g. v1.2)")
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True)
class Version:
    name: str
    date: str
    summary: str
    files: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, int]:
        return parse_name(self.name)


@dataclass(frozen=True)
class VersionIndex:
    root: AbiRoot
    versions: tuple[Version, ...]

    @property
    def path(self) -> Path:
        return self.root.versions / "index.json"

    @classmethod
    def read(cls, root: AbiRoot) -> VersionIndex:
        path = root.versions / "index.json"
        if not path.exists():
            return cls(root, ())
        shown = str(path.relative_to(root.display_base))
        try:
            data = json.loads(path.read_text("utf-8"))
            if data.get("schema") != INDEX_SCHEMA:
                raise InputError(f"unknown index schema {data.get('schema')!r}", shown)
            versions = tuple(Version(v["name"], v["date"], v.get("summary", ""), dict(v["files"]))
                             for v in data["versions"])
        except OSError as e:
            raise InputError(f"cannot read version index: {e.strerror}", shown) from None
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
            raise InputError(f"malformed version index: {e}", shown) from None
        for v in versions:
            parse_name(v.name)
        keys = [v.key for v in versions]
        if keys != sorted(set(keys)):
            raise InputError("versions are not in increasing order", shown)
        return cls(root, versions)

    def resolve(self, name: str) -> Version:
        """A version by name; a bare major (``v1``) names its newest minor."""
        m = _MAJOR.match(name)
        if m:
            same = [v for v in self.versions if v.key[0] == int(m.group(1))]
            if same:
                return same[-1]
        for v in self.versions:
            if v.name == name:
                return v
        known = ", ".join([WORKING] + [v.name for v in self.versions])
        raise InputError(f"unknown version {name!r} (known: {known})")

    def verify(self, name: str | None = None) -> list[InputError]:
        """Frozen files whose bytes no longer match their recorded hash (or that were added or removed)."""
        problems: list[InputError] = []
        for v in self.versions:
            if name is not None and v.name != name:
                continue
            vdir = self.root.versions / v.name
            shown = f"{vdir.relative_to(self.root.display_base)}"
            present = {p.name for p in vdir.glob("*.yaml")} if vdir.is_dir() else set()
            for fname, digest in sorted(v.files.items()):
                if fname not in present:
                    problems.append(InputError(f"frozen file of {v.name} is missing", f"{shown}/{fname}"))
                elif sha256(vdir / fname) != digest:
                    problems.append(InputError(f"frozen file of {v.name} was modified (SHA-256 no longer matches "
                                               "the index); history is immutable: freeze a new version instead",
                                               f"{shown}/{fname}"))
            for extra in sorted(present - set(v.files)):
                problems.append(InputError(f"file is not part of frozen {v.name}", f"{shown}/{extra}"))
        return problems

    def orphans(self) -> list[InputError]:
        known = {v.name for v in self.versions}
        out = []
        if self.root.versions.is_dir():
            for p in sorted(self.root.versions.iterdir()):
                if p.is_dir() and p.name not in known:
                    out.append(InputError("directory is not a version in index.json (an interrupted freeze?)",
                                          str(p.relative_to(self.root.display_base))))
        return out

    def to_json(self) -> dict[str, Any]:
        return {"schema": INDEX_SCHEMA,
                "versions": [{"name": v.name, "date": v.date, "summary": v.summary,
                              "files": dict(sorted(v.files.items()))} for v in self.versions]}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a mix.

    The file is replaced by a rename, so a symlink or a device at ``path`` would be
    replaced rather than written through (as root, ``-o /dev/stdout`` would replace
    /dev/stdout): those are refused.
    """
    if path.is_symlink() or (path.exists() and not path.is_file()):
        kind = "a symbolic link" if path.is_symlink() else "not a regular file"
        raise InputError(f"is {kind}; pvabi writes files by replacing them, so it writes only to a regular "
                         "file or a new path", str(path))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates 0600; give the file the mode an ordinary open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def freeze(root: AbiRoot, name: str, summary: str = "", date: str | None = None) -> Version:
    """Snapshot the working layouts as version ``name`` (greater than every existing one)."""
    key = parse_name(name)
    index = VersionIndex.read(root)
    if any(v.name == name for v in index.versions) or (root.versions / name).exists():
        raise InputError(f"version {name} already exists; frozen versions are never overwritten")
    if index.versions and key <= index.versions[-1].key:
        raise InputError(f"version {name} is not greater than the last version {index.versions[-1].name}")
    load_abi(root.layouts, WORKING, root.display_base)  # never freeze an ABI that does not validate
    root.versions.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root.versions, prefix=f".freeze-{name}-"))
    try:
        files: dict[str, str] = {}
        for src in sorted(root.layouts.glob("*.yaml")):
            data = src.read_bytes()
            with open(staging / src.name, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            files[src.name] = hashlib.sha256(data).hexdigest()
        os.rename(staging, root.versions / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    version = Version(name, date or dt.datetime.now(dt.UTC).date().isoformat(), summary, files)
    new_index = VersionIndex(root, (*index.versions, version))
    write_atomic(new_index.path, (json.dumps(new_index.to_json(), indent=2) + "\n").encode())
    return version
