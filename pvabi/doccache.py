"""A cache of validated YAML documents, keyed by their bytes: a file that did not change parses once.

Reading a layout file costs YAML parsing and the schema check, several times
what rebuilding the model from the parsed document costs. The cache is
content-addressed: an entry's key is the SHA-256 of the file's exact bytes
together with this pvabi's version and the text of the schema the document
passed (layout files; ``abi/pvabi.yaml`` has its own), so a changed
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
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import InputError
from .yamlsafe import Document, load_bytes, read_regular

ENTRY_SCHEMA = "pvabi.doc-cache/1"
LAYOUT = "layout.schema.json"  # the schema a document passed is part of its key (the config has its own)
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
def _salt(schema: str = LAYOUT) -> bytes:
    """What else a validated document depends on: the schema it passed and the code that read it."""
    from . import __version__

    text = resources.files("pvabi").joinpath("schemas", schema).read_bytes()
    return f"{ENTRY_SCHEMA}\0{__version__}\0{schema}\0".encode() + hashlib.sha256(text).digest()


def key(content: bytes, schema: str = LAYOUT) -> str:
    return hashlib.sha256(_salt(schema) + hashlib.sha256(content).digest()).hexdigest()


def load_checked(path: Path, shown: str, schema: str, check: Callable[[Document], list[InputError]]
                 ) -> tuple[Document, list[InputError]]:
    """The file's document and ``check``'s problems with it (``check`` validates against ``schema``).

    A hit skips reading the YAML and the check; a document is remembered only when the check passed.
    """
    content = read_regular(path, shown)
    remembered = get(content, shown, schema)
    if remembered is not None:
        return remembered, []
    doc = load_bytes(content, shown)
    problems = check(doc)
    if not problems:
        put(content, doc, schema)
    return doc, problems


def get(content: bytes, shown: str, schema: str = LAYOUT) -> Document | None:
    """The validated document of a file with these bytes, named ``shown``; None on any miss."""
    where = directory()
    if where is None:
        return None
    k = key(content, schema)
    try:
        entry = json.loads((where / "docs" / f"{k}.json").read_text("utf-8"))
        if entry.get("schema") != ENTRY_SCHEMA or entry.get("key") != k:
            return None
        lines = {tuple(path): int(line) for path, line in entry["lines"]}
        return Document(shown, entry["data"], lines)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def put(content: bytes, doc: Document, schema: str = LAYOUT) -> None:
    """Remember a document that passed the schema; a cache that cannot be written is no error."""
    where = directory()
    if where is None:
        return
    from .versions import write_atomic

    k = key(content, schema)
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


__all__ = ["LAYOUT", "directory", "get", "key", "load_checked", "put"]
