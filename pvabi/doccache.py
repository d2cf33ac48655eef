"""A cache of validated layout documents, for frozen versions: their files never change, so parse once.

Reading a frozen version's files costs YAML parsing and, mostly, JSON Schema
validation (about 60 ms a file in pure Python). A frozen file's bytes are locked
by the hash recorded in abi/versions/index.json, which ``Project.load`` verifies
before loading; the cache is keyed by the SHA-256 of those bytes together with
this pvabi's version and the layout schema's text, so a changed file, schema or
pvabi never meets an old entry. An entry is plain JSON (the document's data and
the line of every value), read back only when its recorded key matches: nothing
in it is executed, a damaged entry is a miss, and the directory is safe to
delete at any time. It lives outside the repository (``$PVABI_CACHE_DIR``, else
``$XDG_CACHE_HOME/pvabi``, else ``~/.cache/pvabi``), so git never sees it;
``PVABI_CACHE_DIR=off`` turns it off. Rules, layout engine and model building
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
    except OSError:
        pass


__all__ = ["directory", "get", "key", "put"]
