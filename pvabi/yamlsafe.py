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

import copy
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from . import schemacheck
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

# libyaml scans and parses about ten times faster than PyYAML's pure-Python parser. Only its event
# stream is used (``_Builder`` below does the rest), so both parsers give the same data, lines and
# bounds; the pure-Python one remains for installations built without libyaml.
if getattr(yaml, "__with_libyaml__", False):
    class _Yaml12CLoader(yaml.CSafeLoader):
        """The C parser with the same YAML 1.2 resolvers."""

    _Yaml12CLoader.yaml_implicit_resolvers = _Yaml12Loader.yaml_implicit_resolvers
    _LOADER: type[Any] = _Yaml12CLoader
else:  # pragma: no cover - every supported wheel of PyYAML ships libyaml
    _LOADER = _Yaml12Loader

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
    return _load(text, name, _LOADER)


def _load(text: str, name: str, loader_class: type[Any]) -> Document:
    loader = loader_class(text)
    try:
        return _Builder(name, loader).run()
    except RecursionError:
        raise InputError(f"YAML nested too deeply (more than {MAX_DEPTH} levels are never needed)", name) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        if "nesting depth" in str(e.problem):  # libyaml's own bound, far above ours
            raise InputError(f"YAML nested too deeply (more than {MAX_DEPTH} levels are never needed)", name,
                             line) from None
        raise InputError(f"malformed YAML: {' '.join(str(e.problem or e.context).split())}", name, line) from None
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, max(e.position, 0)) + 1
        raise InputError(f"malformed YAML: character {e.character!r} is not allowed in YAML text", name,
                         line) from None
    except yaml.YAMLError as e:
        raise InputError(f"malformed YAML: {excerpt(' '.join(str(e).split()), 200)}", name) from None
    finally:
        loader.dispose()


@dataclass
class _Open:
    """A mapping or sequence whose end event has not arrived yet."""

    container: dict[str, Any] | list[Any]
    path: Path_
    depth: int
    anchor: str | None
    count_at_start: int
    log_at_start: int
    key: str | None = None       # a mapping's key whose value comes next
    key_line: int = 0


class _Builder:
    """Plain data from the parser's event stream, without composing a node tree first.

    Working on events keeps the depth in our own stack (libyaml's composer would
    recurse in C), lets the C parser do the scanning, and checks every bound while
    reading. Aliases are expanded like the composer expands them, and count
    towards the node bound with their whole subtree, so a "billion laughs" file
    stops at the bound.
    """

    def __init__(self, name: str, loader: Any) -> None:
        self.name = name
        self.loader = loader
        self.lines: dict[Path_, int] = {}
        self.log: list[tuple[Path_, int]] = []   # every line recorded, in order: an anchor's share is a slice
        self.count = 0
        self.anchors: dict[str, tuple[Any, int, list[tuple[Path_, int]], Path_]] = {}
        self.stack: list[_Open] = []
        self.root: Any = None
        self.done = False

    def fail(self, message: str, mark: Any, path: Path_) -> InputError:
        return InputError(message, self.name, mark.line + 1, _dotted(path) or None)

    def run(self) -> Document:
        documents = 0
        loader = self.loader
        while loader.check_event():
            ev = loader.get_event()
            if isinstance(ev, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.fail("expected a single document in the stream, found another one",
                                    ev.start_mark, ())
            elif isinstance(ev, (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent,
                                 yaml.SequenceStartEvent)):
                self.node(ev)
            elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                self.close()
        if documents == 0:
            return Document(self.name, None, {(): 1})
        return Document(self.name, self.root, self.lines)

    def where(self) -> tuple[Path_, int]:
        """The path and depth of the node that comes next."""
        if not self.stack:
            return (), 0
        top = self.stack[-1]
        if isinstance(top.container, list):
            return top.path + (len(top.container),), top.depth + 1
        return top.path + (top.key,) if top.key is not None else top.path, top.depth + 1

    def awaiting_key(self) -> bool:
        return bool(self.stack) and isinstance(self.stack[-1].container, dict) and self.stack[-1].key is None

    def node(self, ev: Any) -> None:
        if self.awaiting_key():
            self.key(ev)
            return
        path, depth = self.where()
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(f"more than {MAX_NODES} YAML nodes (aliases included)", ev.start_mark, path)
        if depth > MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH} levels", ev.start_mark, path)
        if isinstance(ev, yaml.AliasEvent):
            self.alias(ev, path)
            return
        start = len(self.log)
        self.record(path, ev.start_mark.line + 1)
        if isinstance(ev, yaml.ScalarEvent):
            value = self.scalar(ev, self.tag(ev, yaml.ScalarNode), path)
            self.remember(ev.anchor, value, self.count - 1, start, path)
            self.put(value)
            return
        container: dict[str, Any] | list[Any] = {} if isinstance(ev, yaml.MappingStartEvent) else []
        kind = yaml.MappingNode if isinstance(container, dict) else yaml.SequenceNode
        tag = self.tag(ev, kind)
        if tag not in ("unresolved", _MAP if kind is yaml.MappingNode else _SEQ):
            raise self.fail(f"YAML tag {tag!r} is not allowed (layouts are plain data)", ev.start_mark, path)
        self.stack.append(_Open(container, path, depth, ev.anchor, self.count - 1, start))

    def close(self) -> None:
        top = self.stack.pop()
        self.remember(top.anchor, top.container, top.count_at_start, top.log_at_start, top.path)
        self.put(top.container)

    def key(self, ev: Any) -> None:
        top = self.stack[-1]
        mark = ev.start_mark
        if not isinstance(ev, yaml.ScalarEvent) or self.tag(ev, yaml.ScalarNode) == "tag:yaml.org,2002:merge":
            raise self.fail("mapping keys must be plain strings (no merge keys)", mark, top.path)
        key = self.scalar(ev, self.tag(ev, yaml.ScalarNode), top.path)
        if not isinstance(key, str):
            key = str(key)
        if any(c < " " or c == "\x7f" for c in key):
            raise self.fail(f"key {excerpt(key)} holds a control character (a newline?)", mark, top.path)
        assert isinstance(top.container, dict)
        if key in top.container:
            raise self.fail(f"duplicate key {excerpt(key)}", mark, top.path + (key,))
        top.key, top.key_line = key, mark.line + 1

    def put(self, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if isinstance(top.container, list):
            top.container.append(value)
            return
        assert top.key is not None
        top.container[top.key] = value
        # A reviewer looks for the key, not where its value starts.
        self.record(top.path + (top.key,), top.key_line)
        top.key = None

    def record(self, path: Path_, line: int) -> None:
        self.lines[path] = line
        self.log.append((path, line))

    def remember(self, anchor: str | None, value: Any, count_at_start: int, log_at_start: int, path: Path_) -> None:
        if anchor is not None:
            self.anchors[anchor] = (value, self.count - count_at_start, self.log[log_at_start:], path)

    def alias(self, ev: Any, path: Path_) -> None:
        if ev.anchor not in self.anchors:
            raise self.fail(f"found undefined alias {excerpt(ev.anchor)}", ev.start_mark, path)
        value, count, log, base = self.anchors[ev.anchor]
        self.count += count - 1
        if self.count > MAX_NODES:
            raise self.fail(f"more than {MAX_NODES} YAML nodes (aliases included)", ev.start_mark, path)
        if self.where()[1] + _depth(value) > MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH} levels", ev.start_mark, path)
        for p, line in log:
            self.record(path + p[len(base):], line)
        self.put(copy.deepcopy(value))

    @staticmethod
    def tag(ev: Any, kind: type[Any]) -> str:
        return str(ev.tag) if ev.tag not in (None, "!") else "unresolved"

    def scalar(self, ev: Any, tag: str, path: Path_) -> Any:
        value = ev.value
        if tag == "unresolved":
            tag = self.loader.resolve(yaml.ScalarNode, value, ev.implicit)
        if len(value) > MAX_SCALAR_CHARS:
            raise self.fail(f"a scalar of {len(value)} characters (more than {MAX_SCALAR_CHARS})", ev.start_mark, path)
        if tag == _STR:
            return value
        if tag == _INT:
            return self.integer(value, ev.start_mark, path)
        if tag == _BOOL and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if tag == _NULL and value in ("", "~", "null", "Null", "NULL"):
            return None
        if tag == _FLOAT:
            raise self.fail(f"{excerpt(value)} is a floating-point number; only integers are allowed",
                            ev.start_mark, path)
        raise self.fail(f"YAML tag {tag!r} is not allowed (use strings, integers, booleans)", ev.start_mark, path)

    def integer(self, text: str, mark: Any, path: Path_) -> int:
        if len(text) > MAX_INT_CHARS:
            raise self.fail(f"integer of {len(text)} characters (at most {MAX_INT_CHARS}: 64-bit values)",
                            mark, path)
        if not _INT_RE.fullmatch(text):
            raise self.fail(f"{excerpt(text)} is not an integer (decimal, 0x hex or 0o octal)", mark, path)
        digits = text.lstrip("+-")
        if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
            raise self.fail(f"{text} has a leading zero: YAML 1.2 reads it as decimal, C as octal; "
                            "write it without the zero (or as 0o...)", mark, path)
        if text.startswith(("0x", "0o")):
            return int(text[2:], 16 if text[1] == "x" else 8)
        return int(text, 10)


def _depth(value: Any) -> int:
    """Nesting levels below a value (an alias adds them where it is used)."""
    depth, level = 0, [value]
    while level:
        level = [x for v in level for x in (v.values() if isinstance(v, dict) else v if isinstance(v, list) else ())]
        depth += 1 if level else 0
    return depth


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


@cache
def _schema(name: str) -> dict[str, Any]:
    return dict(json.loads(resources.files("pvabi").joinpath("schemas", name).read_text("utf-8")))


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
    return strict_validator(_schema(name))


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
