"""JSON Schema compiled to closures: a fast yes/no for the documents pvabi reads on every run.

Nearly every layout file, sidecar, waiver list and config a command reads is valid, and
for a valid document the only answer needed is "yes". jsonschema gives that answer in
about 2 ms per layout file, after a 115 ms import; the closures built here give it in
a fraction of that and need no import. jsonschema stays the judge of *why* a document
is invalid: callers ask :func:`checker` first and run jsonschema only on a "no", so the
messages users see are unchanged (``yamlsafe.schema_violations``).

Only the keywords pvabi's own input schemas use are implemented, with jsonschema's
Draft 2020-12 meaning, including its quirks (``true`` is not ``1`` in ``enum``,
``1.0`` is an integer) and pvabi's ECMA-262 ``pattern`` anchoring. A keyword not
listed here makes :func:`compile_schema` raise, so a schema edit that reaches past
this subset fails ``tests/test_schemacheck.py`` instead of being silently ignored;
that test also runs both validators over mutated documents and requires the same
verdict on each.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

Check = Callable[[Any], bool]

# Keywords that only describe: they never change a verdict.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default", "examples",
                          "deprecated", "readOnly", "writeOnly", "$defs", "definitions"})


class UnsupportedSchema(ValueError):
    """The schema uses a keyword (or a ``$ref``) this compiler does not implement."""


@cache
def schema(name: str) -> dict[str, Any]:
    """``pvabi/schemas/<name>``, read once per process (jsonschema's explaining validator reads it here too)."""
    return dict(json.loads(resources.files("pvabi").joinpath("schemas", name).read_text("utf-8")))


@cache
def checker(name: str) -> Check:
    """The compiled check of ``pvabi/schemas/<name>``, built once per process."""
    return compile_schema(schema(name))


def compile_schema(schema: Any) -> Check:
    """``schema`` (a whole document, its ``$ref``s local) as one function: instance -> valid?"""
    return _Compiler(schema).node(schema)


def _unbool(value: Any) -> Any:
    # jsonschema keeps booleans apart from the numbers Python equates them with.
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    return value


_TRUE, _FALSE = object(), object()


def equal(one: Any, two: Any) -> bool:
    """Equality as JSON Schema means it: ``true != 1``, ``1 == 1.0``, containers compared deeply."""
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(equal(one[k], two[k]) for k in one)
    return bool(_unbool(one) == _unbool(two))


def _canonical(value: Any) -> Any:
    """A hashable stand-in under which two values collide exactly when :func:`equal` holds."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, list):
        return ("list", tuple(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((k, _canonical(v)) for k, v in value.items()))
    return ("other", value)


def _is_integer(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or (isinstance(v, float) and v.is_integer())


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_TYPES: dict[str, Check] = {
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "integer": _is_integer,
    "null": lambda v: v is None,
    "number": _is_number,
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
}


def ecma_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` as ECMA-262 reads it: a final ``$`` is the end of the string, not of its last line."""
    anchored = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
    return re.compile(anchored)


def _all_of(checks: list[Check]) -> Check:
    """One check that passes when each of ``checks`` does; small counts unrolled (no generator per call)."""
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        a, b = checks
        return lambda v: a(v) and b(v)
    if len(checks) == 3:
        a, b, c = checks
        return lambda v: a(v) and b(v) and c(v)
    first, rest = checks[0], _all_of(checks[1:])
    return lambda v: first(v) and rest(v)


class _Compiler:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def node(self, schema: Any) -> Check:
        if schema is True:
            return lambda v: True
        if schema is False:
            return lambda v: False
        if not isinstance(schema, dict):
            raise UnsupportedSchema(f"a schema must be an object or a boolean, not {schema!r}")
        checks: list[Check] = []
        for key, value in schema.items():
            if key in _ANNOTATIONS or key in ("then", "else", "prefixItems"):
                continue  # read by "if" and "items"
            build = getattr(self, "k_" + key.lstrip("$"), None)
            if build is None:
                raise UnsupportedSchema(f"keyword {key!r} is not implemented by pvabi.schemacheck")
            checks.append(build(value, schema))
        if "prefixItems" in schema and "items" not in schema:
            checks.append(self.k_items(True, schema))
        return _all_of(checks)

    # -- references ------------------------------------------------------------------------------
    def k_ref(self, ref: str, schema: Any) -> Check:
        if not ref.startswith("#"):
            raise UnsupportedSchema(f"$ref {ref!r} leaves the document")
        found = self.refs.get(ref)
        if found is not None:
            return found
        box: list[Check] = []
        self.refs[ref] = lambda v: box[0](v)  # a recursive reference sees the box, filled below
        target = self.root
        for part in (p for p in ref[1:].split("/") if p):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        box.append(self.node(target))
        return self.refs[ref]

    # -- any type ---------------------------------------------------------------------------------
    def k_type(self, kinds: Any, schema: Any) -> Check:
        tests = [_TYPES[k] for k in ([kinds] if isinstance(kinds, str) else kinds)]
        if len(tests) == 1:
            return tests[0]
        return lambda v: any(t(v) for t in tests)

    def k_enum(self, options: list[Any], schema: Any) -> Check:
        if all(isinstance(o, str) for o in options):
            strings = frozenset(options)
            return lambda v: isinstance(v, str) and v in strings
        return lambda v: any(equal(o, v) for o in options)

    def k_const(self, const: Any, schema: Any) -> Check:
        return lambda v: equal(v, const)

    def k_allOf(self, subs: list[Any], schema: Any) -> Check:
        return _all_of([self.node(s) for s in subs])

    def k_anyOf(self, subs: list[Any], schema: Any) -> Check:
        checks = [self.node(s) for s in subs]
        return lambda v: any(c(v) for c in checks)

    def k_oneOf(self, subs: list[Any], schema: Any) -> Check:
        checks = [self.node(s) for s in subs]
        return lambda v: sum(1 for c in checks if c(v)) == 1

    def k_not(self, sub: Any, schema: Any) -> Check:
        check = self.node(sub)
        return lambda v: not check(v)

    def k_if(self, sub: Any, schema: Any) -> Check:
        cond = self.node(sub)
        then = self.node(schema.get("then", True))
        other = self.node(schema.get("else", True))
        return lambda v: then(v) if cond(v) else other(v)

    # -- numbers ----------------------------------------------------------------------------------
    def k_minimum(self, limit: Any, schema: Any) -> Check:
        return lambda v: not _is_number(v) or v >= limit

    def k_maximum(self, limit: Any, schema: Any) -> Check:
        return lambda v: not _is_number(v) or v <= limit

    # -- strings ----------------------------------------------------------------------------------
    def k_minLength(self, limit: int, schema: Any) -> Check:
        return lambda v: not isinstance(v, str) or len(v) >= limit

    def k_maxLength(self, limit: int, schema: Any) -> Check:
        return lambda v: not isinstance(v, str) or len(v) <= limit

    def k_pattern(self, pattern: str, schema: Any) -> Check:
        search = ecma_pattern(pattern).search
        return lambda v: not isinstance(v, str) or search(v) is not None

    # -- arrays -----------------------------------------------------------------------------------
    def k_minItems(self, limit: int, schema: Any) -> Check:
        return lambda v: not isinstance(v, list) or len(v) >= limit

    def k_maxItems(self, limit: int, schema: Any) -> Check:
        return lambda v: not isinstance(v, list) or len(v) <= limit

    def k_uniqueItems(self, unique: bool, schema: Any) -> Check:
        if not unique:
            return lambda v: True
        return lambda v: not isinstance(v, list) or len({_canonical(x) for x in v}) == len(v)

    def k_items(self, items: Any, schema: Any) -> Check:
        prefix = [self.node(s) for s in schema.get("prefixItems", ())]
        rest = self.node(items)
        n = len(prefix)

        def check(v: Any) -> bool:
            if not isinstance(v, list):
                return True
            return all(c(x) for c, x in zip(prefix, v, strict=False)) and all(rest(x) for x in v[n:])
        return check

    # -- objects ----------------------------------------------------------------------------------
    def k_required(self, names: list[str], schema: Any) -> Check:
        return lambda v: not isinstance(v, dict) or all(n in v for n in names)

    def k_minProperties(self, limit: int, schema: Any) -> Check:
        return lambda v: not isinstance(v, dict) or len(v) >= limit

    def k_maxProperties(self, limit: int, schema: Any) -> Check:
        return lambda v: not isinstance(v, dict) or len(v) <= limit

    def k_properties(self, props: dict[str, Any], schema: Any) -> Check:
        checks = {name: self.node(s) for name, s in props.items()}

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            return all(c(v[name]) for name, c in checks.items() if name in v)
        return check

    def k_patternProperties(self, props: dict[str, Any], schema: Any) -> Check:
        # jsonschema searches key patterns with Python's own ``re`` semantics (only "pattern" is ECMA here).
        checks = [(re.compile(p).search, self.node(s)) for p, s in props.items()]

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            return all(c(value) for key, value in v.items() for search, c in checks if search(key))
        return check

    def k_additionalProperties(self, extra: Any, schema: Any) -> Check:
        known = frozenset(schema.get("properties", ()))
        patterns = [re.compile(p).search for p in schema.get("patternProperties", ())]
        check = self.node(extra)

        def extras_ok(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            return all(check(value) for key, value in v.items()
                       if key not in known and not any(search(key) for search in patterns))
        return extras_ok

    def k_propertyNames(self, sub: Any, schema: Any) -> Check:
        check = self.node(sub)
        return lambda v: not isinstance(v, dict) or all(map(check, v))
