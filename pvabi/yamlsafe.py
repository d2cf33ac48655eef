"""Safe, bounded YAML loading that remembers where every value came from.

Layout files may come from an untrusted pull request, so they are data only: the
YAML is composed into nodes (nothing is constructed from tags), only the plain
JSON-like tags are accepted, duplicate keys are errors instead of silent
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
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import InputError

MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_NODES = 200_000
MAX_SCALAR_CHARS = 16_384   # the longest scalar the schema allows is a 4096-byte constant; docs are shorter
MAX_INT_CHARS = 24          # enough for any 64-bit value in decimal, hex or octal, with a sign
EXCERPT_CHARS = 40

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

_INT_RE = re.compile(r"[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader whose implicit typing of plain scalars follows the YAML 1.2 core schema."""


_Yaml12Loader.yaml_implicit_resolvers = {}
for _tag, _regex, _first in (
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_INT, r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$", "-+0123456789"),
    (_FLOAT, r"^(?:" + _FLOAT_RE.pattern + r")$", "-+0123456789."),
):
    _Yaml12Loader.add_implicit_resolver(_tag, re.compile(_regex), list(_first))
# Not YAML 1.2, but an unquoted date is still refused by name rather than read as text.
for _first_char, _resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
    for _tag, _regex in _resolvers:
        if _tag == "tag:yaml.org,2002:timestamp":
            _Yaml12Loader.add_implicit_resolver(_tag, _regex, [_first_char])

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
    try:
        text = read_regular(path, name).decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (byte {e.start})", name) from None
    return load_text(text, name)


def load_text(text: str, name: str) -> Document:
    if len(text) > MAX_FILE_BYTES:
        raise InputError(f"text is larger than the {MAX_FILE_BYTES}-byte limit", name)
    try:
        node = yaml.compose(text, Loader=_Yaml12Loader)
    except RecursionError:
        # PyYAML's parser recurses per nesting level; it gives up before our own depth check can.
        raise InputError(f"YAML nested too deeply (more than {MAX_DEPTH} levels are never needed)", name) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(f"malformed YAML: {' '.join(str(e.problem or e.context).split())}", name, line) from None
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, max(e.position, 0)) + 1
        raise InputError(f"malformed YAML: character {e.character!r} is not allowed in YAML text", name,
                         line) from None
    except yaml.YAMLError as e:
        raise InputError(f"malformed YAML: {excerpt(' '.join(str(e).split()), 200)}", name) from None
    if node is None:
        return Document(name, None, {(): 1})
    builder = _Builder(name)
    data = builder.build(node, (), 0)
    return Document(name, data, builder.lines)


class _Builder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: dict[Path_, int] = {}
        self.count = 0

    def fail(self, message: str, node: yaml.Node, path: Path_) -> InputError:
        field = _dotted(path) or None
        return InputError(message, self.name, node.start_mark.line + 1, field)

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(f"more than {MAX_NODES} YAML nodes (aliases included)", node, path)
        if depth > MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH} levels", node, path)
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise self.fail(f"YAML tag {node.tag!r} is not allowed (layouts are plain data)", node, path)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    raise self.fail("mapping keys must be plain strings (no merge keys)", key_node, path)
                key = self.scalar(key_node, path)
                if not isinstance(key, str):
                    key = str(key)
                if any(c < " " or c == "\x7f" for c in key):
                    raise self.fail(f"key {excerpt(key)} holds a control character (a newline?)", key_node, path)
                if key in out:
                    raise self.fail(f"duplicate key {excerpt(key)}", key_node, path + (key,))
                out[key] = self.build(value_node, path + (key,), depth + 1)
                # A reviewer looks for the key, not where its value starts.
                self.lines[path + (key,)] = key_node.start_mark.line + 1
            return out
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise self.fail(f"YAML tag {node.tag!r} is not allowed (layouts are plain data)", node, path)
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self.scalar(node, path)

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        value = node.value
        if len(value) > MAX_SCALAR_CHARS:
            raise self.fail(f"a scalar of {len(value)} characters (more than {MAX_SCALAR_CHARS})", node, path)
        if node.tag == _STR:
            return value
        if node.tag == _INT:
            return self.integer(node, path)
        if node.tag == _BOOL and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if node.tag == _NULL and value in ("", "~", "null", "Null", "NULL"):
            return None
        if node.tag == _FLOAT:
            raise self.fail(f"{excerpt(value)} is a floating-point number; only integers are allowed", node, path)
        raise self.fail(f"YAML tag {node.tag!r} is not allowed (use strings, integers, booleans)", node, path)


    def integer(self, node: yaml.ScalarNode, path: Path_) -> int:
        text = node.value
        if len(text) > MAX_INT_CHARS:
            raise self.fail(f"integer of {len(text)} characters (at most {MAX_INT_CHARS}: 64-bit values)",
                            node, path)
        if not _INT_RE.fullmatch(text):
            raise self.fail(f"{excerpt(text)} is not an integer (decimal, 0x hex or 0o octal)", node, path)
        digits = text.lstrip("+-")
        if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
            raise self.fail(f"{text} has a leading zero: YAML 1.2 reads it as decimal, C as octal; "
                            "write it without the zero (or as 0o...)", node, path)
        if text.startswith(("0x", "0o")):
            return int(text[2:], 16 if text[1] == "x" else 8)
        return int(text, 10)


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def schema_error_path(err: Any) -> tuple[Any, ...]:
    """Where a jsonschema error points: for an unknown key, the key itself rather than its mapping."""
    path = tuple(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        extra = [k for k in err.instance if k not in known]
        if extra:
            return (*path, extra[0])
    return path


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    """JSON Schema ``pattern`` with ECMA-262 anchors: ``$`` is the end of the string.

    Python's ``$`` also matches before a final newline, so ``"name\\n"`` would pass
    ``^[a-z]+$`` under the stock validator.
    """
    if not validator.is_type(instance, "string"):
        return
    anchored = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
    if not re.search(anchored, instance):
        yield jsonschema.ValidationError(f"{excerpt(instance)} does not match {pattern!r}")


StrictValidator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator, {"pattern": _pattern})


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
