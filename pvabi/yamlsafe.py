"""Safe, bounded YAML loading that remembers where every value came from.

Layout files may come from an untrusted pull request, so they are data only: the
YAML is read as the parser's event stream (``yamlparse``; nothing is constructed
from tags), only the plain JSON-like tags are accepted, duplicate keys are errors instead of silent
overrides, and size, depth and node count are bounded before any of it is
turned into Python values. Each value's JSON path maps to its line, so schema
and semantic errors can name the line a reviewer has to look at.

Only regular files are read, never through a symlink, and the type is checked on
the opened descriptor, so a link to a secret, ``/dev/zero`` or a FIFO is refused
without being read. Messages quote file content only as a short escaped excerpt.

Plain scalars are resolved under the YAML 1.2 core schema, not PyYAML's YAML
1.1: integers are decimal, ``0x`` hexadecimal or ``0o`` octal (no sexagesimal
``1:30``, no ``0b``, no ``1_000``), and only ``true``/``false`` are booleans
(``yes``, ``on``, ``NO`` are strings). A decimal with a leading zero (``010``)
is refused: YAML 1.2 reads it as ten and C as eight.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from . import schemacheck
from .errors import InputError

MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_NODES = 200_000
MAX_SCALAR_CHARS = 16_384   # the longest scalar the schema allows is a 4096-byte constant; docs are shorter
MAX_INT_CHARS = 24          # enough for any 64-bit value in decimal, hex or octal, with a sign
EXCERPT_CHARS = 40

Path_ = tuple[str | int, ...]


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A short, escaped rendering of file content for a message (never the whole value)."""
    if isinstance(value, str):
        return repr(value[:limit]) + ("..." if len(value) > limit else "")
    if isinstance(value, dict):
        return f"a mapping of {len(value)} keys"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass(frozen=True)
class Document:
    """A loaded YAML document: plain data plus the line of every value."""

    file: str
    data: Any
    lines: dict[Path_, int]

    def line(self, path: Path_) -> int:
        """The line of the value at ``path``, or of its nearest ancestor."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def yaml_files(directory: Path, display: str) -> list[Path]:
    """The ``*.yaml`` entries of a directory, sorted; an unreadable directory is an error, not an empty ABI."""
    try:
        with os.scandir(directory) as it:
            names = [e.name for e in it if e.name.endswith(".yaml")]
    except OSError as e:
        raise InputError(f"cannot list the directory: {e.strerror}", display) from None
    return [directory / n for n in sorted(names)]


def read_regular(path: Path, display: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file, refusing symlinks, devices and FIFOs before reading anything.

    The file is opened without following a final symlink and without blocking (a FIFO
    would otherwise wait forever for a writer), and its type is checked on the open
    descriptor, so it cannot be swapped between the check and the read.
    """
    try:
        if path.is_symlink():
            raise InputError("cannot read: is a symbolic link (layout files must be regular files; "
                             "links are never followed)", display)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags)
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", display) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device"
            raise InputError(f"cannot read: is {kind}, not a regular file", display)
        if st.st_size > limit:
            raise InputError(f"file is {st.st_size} bytes, larger than the {limit}-byte limit", display)
        chunks = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise InputError(f"file is larger than the {limit}-byte limit", display)
        return b"".join(chunks)
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", display) from None
    finally:
        os.close(fd)


def load_file(path: Path, display: str | None = None) -> Document:
    name = display or str(path)
    return load_bytes(read_regular(path, name), name)


def load_bytes(content: bytes, name: str) -> Document:
    """A file's bytes as read by ``read_regular``: UTF-8 text, then YAML."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (byte {e.start})", name) from None
    return load_text(text, name)


def load_text(text: str, name: str) -> Document:
    if len(text) > MAX_FILE_BYTES:
        raise InputError(f"text is larger than the {MAX_FILE_BYTES}-byte limit", name)
    from .yamlparse import parse  # PyYAML is imported only when a file is actually parsed

    return parse(text, name)


def schema_error_path(err: Any) -> tuple[Any, ...]:
    """Where a jsonschema error points: for an unknown key, the key itself rather than its mapping."""
    path = tuple(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        extra = [k for k in err.instance if k not in known]
        if extra:
            return (*path, extra[0])
    return path


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    """JSON Schema ``pattern`` with ECMA-262 anchors: ``$`` is the end of the string.

    Python's ``$`` also matches before a final newline, so ``"name\\n"`` would pass
    ``^[a-z]+$`` under the stock validator.
    """
    if not validator.is_type(instance, "string"):
        return
    if not schemacheck.ecma_pattern(pattern).search(instance):
        import jsonschema

        yield jsonschema.ValidationError(f"{excerpt(instance)} does not match {pattern!r}")


@cache
def _strict_class() -> Any:
    import jsonschema  # 115 ms: paid only to explain a document the fast check refused

    return jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        jsonschema.Draft202012Validator, {"pattern": _pattern})


def strict_validator(schema: dict[str, Any]) -> Any:
    """A jsonschema Draft 2020-12 validator of ``schema`` whose ``pattern`` reads ``$`` as ECMA-262 does."""
    return _strict_class()(schema)


def schema_violations(name: str, data: Any) -> list[Any]:
    """jsonschema's errors for ``data`` against ``pvabi/schemas/<name>``, in jsonschema's order.

    The compiled check (``schemacheck``) answers first; jsonschema runs only when it says no,
    so a valid document costs neither jsonschema's import nor its validation.
    """
    if schemacheck.checker(name)(data):
        return []
    return list(_strict_validator_of(name).iter_errors(data))


@cache
def _strict_validator_of(name: str) -> Any:
    return strict_validator(schemacheck.schema(name))


def schema_message(err: Any) -> str:
    """A jsonschema error as one complete sentence that quotes the file only in a short excerpt.

    jsonschema starts most messages with the whole offending value; a message cut to
    a readable length would then lose its reason (a 1025-field list printed as
    ``[{...`` and nothing else), and a value read from a hostile file would be echoed.
    """
    inst, limit, kind = err.instance, err.validator_value, err.validator
    if kind == "maxItems":
        return f"has {len(inst)} items, more than the {limit} allowed"
    if kind == "minItems":
        return f"has {len(inst)} items, fewer than the {limit} required"
    if kind == "maxProperties":
        return f"has {len(inst)} entries, more than the {limit} allowed"
    if kind == "minProperties":
        return f"has {len(inst)} entries, fewer than the {limit} required"
    if kind == "maxLength":
        return f"text of {len(inst)} characters, more than the {limit} allowed"
    if kind == "minLength":
        return f"text of {len(inst)} characters, fewer than the {limit} required"
    if kind == "maximum":
        return f"{excerpt(inst)} is more than the maximum {limit}"
    if kind == "minimum":
        return f"{excerpt(inst)} is less than the minimum {limit}"
    if kind == "type":
        want = " or ".join(limit) if isinstance(limit, list) else limit
        return f"expected {want}, got {_json_type(inst)} {excerpt(inst)}"
    if kind == "required":
        missing = [k for k in limit if isinstance(inst, dict) and k not in inst]
        return f"missing required key {missing[0]!r}" if missing else err.message
    if kind == "additionalProperties" and isinstance(inst, dict):
        known = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        patterns = err.schema.get("patternProperties", {}) if isinstance(err.schema, dict) else {}
        extra = [k for k in inst if k not in known and not any(re.search(p, k) for p in patterns)]
        if extra:
            return f"unknown key {excerpt(extra[0])}" + (f" (known: {', '.join(known)})" if known else "")
    if kind == "enum":
        return f"{excerpt(inst)} is not one of {', '.join(map(str, limit))}"
    if kind == "pattern":
        return f"{excerpt(inst)} does not match {limit!r}"
    message = " ".join(err.message.replace(repr(inst), excerpt(inst)).split())
    return message if len(message) <= 200 else message[:197] + "..."


def _json_type(value: Any) -> str:
    for name, kind in (("boolean", bool), ("integer", int), ("string", str), ("null", type(None)),
                       ("object", dict), ("array", list)):
        if isinstance(value, kind):
            return name
    return type(value).__name__
