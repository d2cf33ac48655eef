"""Frozen versions: immutable, hash-locked snapshots of an ABI's layouts.

``abi/versions/index.json`` lists every version (``vMAJOR.MINOR``) in order,
with its date, a one-line summary and the SHA-256 of each frozen file.

Freezing has one commit point, a directory rename. The snapshot and its index
entry (``.pending.json``) are written and synced in a hidden staging directory,
which is renamed to ``versions/vX.Y``; only then is the index rewritten (by a
rename too) and the pending entry removed. A reader that finds a version
directory with a pending entry the index lacks (a freeze killed between the two
renames) counts that version as frozen, and the next freeze folds it into the
index. A kill before the commit leaves only a hidden ``.freeze-*`` directory,
which readers ignore and the next freeze removes. Every writer holds an
exclusive lock on the ABI root, so concurrent freezes run one after the other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .abiroot import WORKING, AbiRoot
from .errors import InputError
from .loader import load_abi
from .yamlsafe import excerpt, read_regular, yaml_files

INDEX_SCHEMA = "pvabi.versions/1"
VERSION_LIST_SCHEMA = "pvabi.version-list/1"  # `pvabi versions --json`: the index without the file hashes
PENDING = ".pending.json"
STAGING_PREFIX = ".freeze-"
MAX_SUMMARY = 300
LOCK_TIMEOUT = 60.0
# ASCII digits only (\d also matches other scripts' digits), no leading zeros (v03.0 would shadow v3.0).
_NUM = r"(0|[1-9][0-9]{0,3})"
_NAME = re.compile(rf"v{_NUM}\.{_NUM}", re.ASCII)
_MAJOR = re.compile(rf"v{_NUM}", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_SHA = re.compile(r"[0-9a-f]{64}", re.ASCII)


def parse_name(name: object) -> tuple[int, int]:
    m = _NAME.fullmatch(name) if isinstance(name, str) else None
    if not m:
        raise InputError(f"version {excerpt(name)} is not of the form vMAJOR.MINOR (e.g. v1.2, no leading zeros)")
    return int(m.group(1)), int(m.group(2))


def check_date(date: object) -> str:
    """A release date: YYYY-MM-DD, and a day that exists."""
    try:
        if not (isinstance(date, str) and _DATE.fullmatch(date)):
            raise ValueError
        dt.date.fromisoformat(str(date))
    except ValueError:
        raise InputError(f"date {excerpt(date)} is not a real day written YYYY-MM-DD") from None
    return str(date)


def check_summary(summary: object) -> str:
    """One line of plain text: it becomes a heading of the generated changelog."""
    if not isinstance(summary, str):
        raise InputError("the summary must be text")
    bad = next((c for c in summary if not c.isprintable()), None)
    if bad is not None:
        raise InputError(f"the summary must be one line of text (it holds {bad!r})")
    if len(summary) > MAX_SUMMARY:
        raise InputError(f"the summary has {len(summary)} characters, more than {MAX_SUMMARY}")
    return str(summary)


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
        shown = _shown(root, path)
        versions: list[Version] = []
        if path.exists() or path.is_symlink():
            try:
                data = json.loads(read_regular(path, shown, 16 << 20).decode("utf-8"))
                if not isinstance(data, dict) or data.get("schema") != INDEX_SCHEMA:
                    schema = data.get("schema") if isinstance(data, dict) else None
                    raise InputError(f"unknown index schema {excerpt(schema)}", shown)
                if not isinstance(data.get("versions"), list):
                    raise InputError("malformed version index: 'versions' is not a list", shown)
                versions = [_entry(v, shown) for v in data["versions"]]
            except (ValueError, RecursionError) as e:
                raise InputError(f"malformed version index: {excerpt(str(e), 80)}", shown) from None
        versions += _pending(root, {v.name for v in versions})
        keys = [v.key for v in versions]
        if keys != sorted(set(keys)):
            raise InputError("versions are not in increasing order", shown)
        return cls(root, tuple(versions))

    def resolve(self, name: str) -> Version:
        """A version by name; a bare major (``v1``) names its newest minor."""
        m = _MAJOR.fullmatch(name)
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
            try:
                present = {p.name for p in yaml_files(vdir, shown)} if vdir.is_dir() else set()
            except InputError as e:
                problems.append(e)
                continue
            for fname, digest in sorted(v.files.items()):
                if fname not in present:
                    problems.append(InputError(f"frozen file of {v.name} is missing", f"{shown}/{fname}"))
                    continue
                try:
                    actual = hashlib.sha256(read_regular(vdir / fname, f"{shown}/{fname}")).hexdigest()
                except InputError as e:
                    problems.append(e)
                    continue
                if actual != digest:
                    problems.append(InputError(f"frozen file of {v.name} was modified (SHA-256 no longer matches "
                                               "the index); history is immutable: freeze a new version instead",
                                               f"{shown}/{fname}"))
            for extra in sorted(present - set(v.files)):
                problems.append(InputError(f"file is not part of frozen {v.name}", f"{shown}/{extra}"))
        return problems

    def orphans(self) -> list[InputError]:
        """Directories in versions/ that are no version. Hidden ones (a killed freeze's staging) are not the ABI."""
        known = {v.name for v in self.versions}
        out = []
        if self.root.versions.is_dir():
            for p in sorted(self.root.versions.iterdir()):
                if p.is_dir() and p.name not in known and not p.name.startswith("."):
                    out.append(InputError("directory is not a version in index.json (an interrupted freeze?)",
                                          str(p.relative_to(self.root.display_base))))
        return out

    def to_json(self) -> dict[str, Any]:
        return {"schema": INDEX_SCHEMA, "versions": [_entry_json(v) for v in self.versions]}


def _shown(root: AbiRoot, path: Path) -> str:
    try:
        return str(path.relative_to(root.display_base))
    except ValueError:
        return str(path)


def _entry(v: Any, shown: str) -> Version:
    """One index entry, every field checked: the index is a file a pull request can edit."""
    if not isinstance(v, dict):
        raise InputError("malformed version index: an entry is not an object", shown)
    name, date, summary, files = v.get("name"), v.get("date"), v.get("summary", ""), v.get("files")
    try:
        parse_name(name)
        date = check_date(date)
        summary = check_summary(summary)
    except InputError as e:
        raise InputError(f"malformed version index: {e.message}", shown) from None
    if not (isinstance(files, dict) and all(isinstance(k, str) and k.endswith(".yaml") and "/" not in k
                                            and isinstance(d, str) and _SHA.fullmatch(d)
                                            for k, d in files.items())):
        raise InputError(f"malformed version index: {name}: files must map file names to SHA-256 digests", shown)
    return Version(str(name), date, summary, dict(files))


def _pending(root: AbiRoot, indexed: set[str]) -> list[Version]:
    """Versions committed by their directory rename whose index entry was never written (a killed freeze)."""
    out = []
    try:
        entries = sorted(root.versions.iterdir()) if root.versions.is_dir() else []
    except OSError as e:
        raise InputError(f"cannot list the versions: {e.strerror}", _shown(root, root.versions)) from None
    for vdir in entries:
        pending = vdir / PENDING
        if vdir.name in indexed or not _NAME.fullmatch(vdir.name) or not pending.is_file():
            continue
        shown = _shown(root, pending)
        try:
            entry = _entry(json.loads(read_regular(pending, shown).decode("utf-8")), shown)
        except (ValueError, RecursionError):
            raise InputError("malformed pending version entry", shown) from None
        if entry.name != vdir.name:
            raise InputError(f"pending entry names {entry.name}, not its directory", shown)
        out.append(entry)
    return out


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


@contextlib.contextmanager
def locked(root: AbiRoot, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the ABI root's writer lock (an advisory ``flock`` on the directory itself, so no lock file)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no concurrent-freeze protection to offer
        yield
        return
    try:
        fd = os.open(root.path, os.O_RDONLY)
    except OSError as e:
        raise InputError(f"cannot lock the ABI: {e.strerror}", str(root.path)) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise InputError(f"another pvabi has been writing this ABI for {timeout:.0f} s; "
                                     "try again when it is done", str(root.path)) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def freeze(root: AbiRoot, name: str, summary: str = "", date: str | None = None) -> Version:
    """Snapshot the working layouts as version ``name`` (greater than every existing one)."""
    with locked(root):
        return freeze_locked(root, name, summary, date)


def freeze_locked(root: AbiRoot, name: str, summary: str = "", date: str | None = None,
                  validated: bool = False) -> Version:
    """``freeze`` for a caller that already holds ``locked(root)`` (and may have checked more under it:
    ``validated`` when it loaded the working layouts under the lock, so they need no second load)."""
    check_summary(summary)
    date = check_date(date) if date is not None else dt.datetime.now(dt.UTC).date().isoformat()
    index = VersionIndex.read(root)
    check_new_name(index, name)
    if not validated:
        load_abi(root.layouts, WORKING, root.display_base)  # never freeze an ABI that does not validate
    sources = yaml_files(root.layouts, _shown(root, root.layouts))
    if not sources:
        raise InputError("no layout files to freeze", _shown(root, root.layouts))
    try:
        root.versions.mkdir(parents=True, exist_ok=True)
        _remove_stale_staging(root)
        _fold_pending(root, index)
        staging = Path(tempfile.mkdtemp(dir=root.versions, prefix=f"{STAGING_PREFIX}{name}-"))
    except OSError as e:
        raise InputError(f"cannot write the versions directory: {e.strerror}", _shown(root, root.versions)) from None
    try:
        files: dict[str, str] = {}
        for src in sources:
            data = read_regular(src, _shown(root, src))
            _write_synced(staging / src.name, data)
            files[src.name] = hashlib.sha256(data).hexdigest()
        version = Version(name, date, summary, files)
        _write_synced(staging / PENDING, (json.dumps(_entry_json(version), indent=2) + "\n").encode())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes 0700; a frozen version is as readable as the tree
        _sync_dir(staging)
        os.rename(staging, root.versions / name)  # the commit point
    except OSError as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise InputError(f"cannot write the frozen version: {e.strerror or e}", _shown(root, root.versions)) from e
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _sync_dir(root.versions)
    _write_index(VersionIndex(root, (*index.versions, version)))
    (root.versions / name / PENDING).unlink(missing_ok=True)
    return version


def check_new_name(index: VersionIndex, name: str) -> None:
    """``name`` may be frozen next: well formed, not taken, above every existing version."""
    key = parse_name(name)
    if any(v.name == name for v in index.versions) or (index.root.versions / name).exists():
        raise InputError(f"version {name} already exists; frozen versions are never overwritten")
    if index.versions and key <= index.versions[-1].key:
        raise InputError(f"version {name} is not greater than the last version {index.versions[-1].name}")


def working_digests(root: AbiRoot) -> dict[str, str]:
    """The SHA-256 of each working layout file, as a frozen version records them."""
    return {src.name: hashlib.sha256(read_regular(src, _shown(root, src))).hexdigest()
            for src in yaml_files(root.layouts, _shown(root, root.layouts))}


def _entry_json(v: Version) -> dict[str, Any]:
    return {"name": v.name, "date": v.date, "summary": v.summary, "files": dict(sorted(v.files.items()))}


def _write_index(index: VersionIndex) -> None:
    write_atomic(index.path, (json.dumps(index.to_json(), indent=2) + "\n").encode())


def _fold_pending(root: AbiRoot, index: VersionIndex) -> None:
    """Write the index entries of versions a killed freeze committed, and drop their pending files."""
    pending = [v for v in index.versions if (root.versions / v.name / PENDING).exists()]
    if not pending:
        return
    _write_index(index)
    for v in pending:
        (root.versions / v.name / PENDING).unlink(missing_ok=True)


def _remove_stale_staging(root: AbiRoot) -> None:
    """Staging directories of freezes killed before their commit (we hold the lock: none is live)."""
    for p in root.versions.iterdir():
        if p.name.startswith(STAGING_PREFIX) and p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _sync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (on POSIX a directory is synced through a descriptor)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
