"""Safe, bounded YAML loading that remembers where every value came from.

Layout files may come from an untrusted pull request, so they are data only: the
YAML is composed into nodes (nothing is constructed from tags), only the plain
JSON-like tags are accepted, duplicate keys are errors instead of silent
overrides, and size, depth and node count are bounded before any of it is
turned into Python values. Each value's JSON path maps to its line, so schema
and semantic errors can name the line a reviewer has to look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError

MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_NODES = 200_000

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

Path_ = tuple[str | int, ...]


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


def load_file(path: Path, display: str | None = None) -> Document:
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"file is {size} bytes, larger than the {MAX_FILE_BYTES}-byte limit", name)
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", name) from None
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (byte {e.start})", name) from None
    return load_text(text, name)


def load_text(text: str, name: str) -> Document:
    if len(text) > MAX_FILE_BYTES:
        raise InputError(f"text is larger than the {MAX_FILE_BYTES}-byte limit", name)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        # PyYAML's parser recurses per nesting level; it gives up before our own depth check can.
        raise InputError(f"YAML nested too deeply (more than {MAX_DEPTH} levels are never needed)", name) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(f"malformed YAML: {e.problem or e.context}", name, line) from None
    except yaml.YAMLError as e:
        raise InputError(f"malformed YAML: {e}", name) from None
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
        self._scalar = yaml.SafeLoader("")

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
                if key in out:
                    raise self.fail(f"duplicate key {key!r}", key_node, path + (key,))
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
        if node.tag == _STR:
            return node.value
        if node.tag in (_INT, _BOOL, _NULL):
            return self._scalar.construct_object(node)
        raise self.fail(f"YAML tag {node.tag!r} is not allowed (use strings, integers, booleans)", node, path)


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
