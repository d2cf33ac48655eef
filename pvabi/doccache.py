"""A cache of validated layout documents, keyed by their bytes: a file that did not change parses once.

Reading a layout file costs YAML parsing and the schema check, several times
what rebuilding the model from the parsed document costs. The cache is
content-addressed: an entry's key is the SHA-256 of the file's exact bytes
together with this pvabi's version and the layout schema's text, so a changed
file, schema or pvabi never meets an old entry, and a hit gives precisely what
parsing and validating those bytes would give. That holds for an edited working
file (it misses) as much as for a frozen one (whose hash ``Project.load``
verifies first). An entry is plain JSON (the document's data and the line of
every value), read back only when its recorded key matches: nothing in it is
executed, a damaged entry is a miss, and the directory is safe to delete at any
time. It lives outside the repository (``$PVABI_CACHE_DIR``, else
``$XDG_CACHE_HOME/pvabi``, else ``~/.cache/pvabi``), so git never sees it;
``PVABI_CACHE_DIR=off`` turns it off. Only documents that passed are stored,
and the oldest entries go once there are more than ``MAX_ENTRIES``, since every
saved edit of a working file adds one. Rules, layout engine and model building
still run on every load: only the reading and the schema check are skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .yamlsafe import Document

ENTRY_SCHEMA = "pvabi.doc-cache/1"
MAX_ENTRIES = 2000   # a few times the files of a long history; each entry is the size of its YAML or so
KEEP_ENTRIES = 1500  # pruning goes down to this many, so it runs once per several hundred misses


def directory() -> Path | None:
    """Where entries go, or None when caching is off."""
    configured = os.environ.get("PVABI_CACHE_DIR")
    if configured is not None:
        return None if configured in ("", "off", "0") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pvabi"


@cache
def _salt() -> bytes:
    """What else a validated document depends on: the schema it passed and the code that read it."""
    from . import __version__

    schema = resources.files("pvabi").joinpath("schemas/layout.schema.json").read_bytes()
    return f"{ENTRY_SCHEMA}\0{__version__}\0".encode() + hashlib.sha256(schema).digest()


def key(content: bytes) -> str:
    return hashlib.sha256(_salt() + hashlib.sha256(content).digest()).hexdigest()


def get(content: bytes, shown: str) -> Document | None:
    """The validated document of a file with these bytes, named ``shown``; None on any miss."""
    where = directory()
    if where is None:
        return None
    k = key(content)
    try:
        entry = json.loads((where / "docs" / f"{k}.json").read_text("utf-8"))
        if entry.get("schema") != ENTRY_SCHEMA or entry.get("key") != k:
            return None
        lines = {tuple(path): int(line) for path, line in entry["lines"]}
        return Document(shown, entry["data"], lines)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def put(content: bytes, doc: Document) -> None:
    """Remember a document that passed the schema; a cache that cannot be written is no error."""
    where = directory()
    if where is None:
        return
    from .versions import write_atomic

    k = key(content)
    entry: dict[str, Any] = {"schema": ENTRY_SCHEMA, "key": k, "data": doc.data,
                             "lines": [[list(path), line] for path, line in doc.lines.items()]}
    try:
        (where / "docs").mkdir(parents=True, exist_ok=True)
        write_atomic(where / "docs" / f"{k}.json", json.dumps(entry, separators=(",", ":")).encode())
        _prune(where / "docs")
    except OSError:
        pass


def _prune(docs: Path) -> None:
    """Drop the oldest entries once there are more than MAX_ENTRIES (a miss costs only a re-parse)."""
    entries = list(docs.glob("*.json"))
    if len(entries) <= MAX_ENTRIES:
        return
    by_age = sorted(entries, key=lambda p: (p.stat().st_mtime_ns, p.name))
    for old in by_age[:len(entries) - KEEP_ENTRIES]:
        old.unlink(missing_ok=True)


__all__ = ["directory", "get", "key", "put"]
