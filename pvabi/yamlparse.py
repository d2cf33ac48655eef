"""YAML text to a ``yamlsafe.Document``: the parser's event stream, checked while it is read.

Split from ``yamlsafe`` so that a command whose layout files all come from the
document cache (``doccache``) never imports PyYAML. Every bound and refusal
described in ``yamlsafe`` is enforced here: YAML 1.2 core-schema scalars, no
tags beyond the JSON-like ones, no duplicate keys, bounded depth, node count and
scalar length, aliases counted with their whole subtree.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import yaml

from .errors import InputError
from .yamlsafe import MAX_DEPTH, MAX_INT_CHARS, MAX_NODES, MAX_SCALAR_CHARS, Document, Path_, excerpt

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

_INT_RE = re.compile(r"[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")


class PurePythonLoader(yaml.SafeLoader):
    """SafeLoader whose implicit typing of plain scalars follows the YAML 1.2 core schema."""


PurePythonLoader.yaml_implicit_resolvers = {}
for _tag, _regex, _first in (
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_INT, r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$", "-+0123456789"),
    (_FLOAT, r"^(?:" + _FLOAT_RE.pattern + r")$", "-+0123456789."),
):
    PurePythonLoader.add_implicit_resolver(_tag, re.compile(_regex), list(_first))
# Not YAML 1.2, but an unquoted date is still refused by name rather than read as text.
for _first_char, _resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
    for _tag, _regex in _resolvers:
        if _tag == "tag:yaml.org,2002:timestamp":
            PurePythonLoader.add_implicit_resolver(_tag, _regex, [_first_char])

# libyaml scans and parses about ten times faster than PyYAML's pure-Python parser. Only its event
# stream is used (``_Builder`` below does the rest), so both parsers give the same data, lines and
# bounds; the pure-Python one remains for installations built without libyaml.
if getattr(yaml, "__with_libyaml__", False):
    class _CLoader(yaml.CSafeLoader):
        """The C parser with the same YAML 1.2 resolvers."""

    _CLoader.yaml_implicit_resolvers = PurePythonLoader.yaml_implicit_resolvers
    LOADER: type[Any] = _CLoader
else:  # pragma: no cover - every supported wheel of PyYAML ships libyaml
    LOADER = PurePythonLoader


def parse(text: str, name: str, loader_class: type[Any] | None = None) -> Document:
    """The document in ``text`` (named ``name`` in messages), by libyaml unless another parser is given."""
    loader = (loader_class or LOADER)(text)
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

