"""The compiled schema check (pvabi/schemacheck.py) gives jsonschema's verdict on every document.

pvabi trusts a "valid" from the compiled check without asking jsonschema, so a disagreement
would let a bad layout through unexplained (or refuse a good one with no message). Truth here
is jsonschema itself, run with pvabi's ECMA ``pattern`` (``yamlsafe.strict_validator``): on the
shipped documents, on seeded random mutations of them, and on the corners where JSON Schema's
meaning differs from Python's.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pvabi import schemacheck, yamlsafe

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "pvabi" / "schemas"
INPUT_SCHEMAS = ("layout.schema.json", "image.schema.json", "waivers.schema.json", "config.schema.json")


def _truth(name: str, data: Any) -> bool:
    schema = json.loads((SCHEMAS / name).read_text("utf-8"))
    return bool(yamlsafe.strict_validator(schema).is_valid(data))


def _fast(name: str, data: Any) -> bool:
    return schemacheck.checker(name)(data)


def _layout_docs() -> list[Any]:
    files = sorted((ROOT / "abi").glob("layouts/*.yaml")) + sorted((ROOT / "abi").glob("versions/*/*.yaml"))
    return [yamlsafe.load_file(p, str(p)).data for p in files]


def _sidecars() -> list[Any]:
    return [json.loads(p.read_text("utf-8")) for p in sorted((ROOT / "abi" / "images").glob("*.json"))
            if p.name != "index.json"]


WAIVERS = {"waivers": [{"rule": "FIELD_OFFSET_CHANGED", "layout": "vcpu_info", "path": "time",
                        "arch": "x86_32", "reason": "guests of that release never read the field",
                        "approved_by": "maintainer@example.org",
                        "expires": "2027-01-31"}]}


def _documents() -> Iterator[tuple[str, Any]]:
    for doc in _layout_docs():
        yield "layout.schema.json", doc
    for doc in _sidecars():
        yield "image.schema.json", doc
    yield "config.schema.json", yamlsafe.load_file(ROOT / "abi" / "pvabi.yaml", "pvabi.yaml").data
    yield "waivers.schema.json", WAIVERS


def test_the_input_schemas_compile_and_the_shipped_documents_pass_both() -> None:
    seen = {name: 0 for name in INPUT_SCHEMAS}
    for name, doc in _documents():
        assert _truth(name, doc), name   # the premise: these documents are valid
        assert _fast(name, doc), name
        seen[name] += 1
    assert all(seen.values()), seen


# Values a mutation drops in: each one is wrong somewhere in every schema, right somewhere else.
ODD = [None, True, False, 0, 1, -1, 7, 1.0, 1.5, 2**70, "", "x", "u32", "a\n", "Name", "-", "x" * 5000,
       [], [1], ["a", "a"], [1, True], {}, {"name": "x"}, {"zz": 1}]


def _paths(node: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*here, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*here, i))


def _mutate(doc: Any, rng: random.Random) -> Any:
    out = copy.deepcopy(doc)
    path = rng.choice(list(_paths(out)))
    if not path:
        return rng.choice(ODD)
    parent = out
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    op = rng.randrange(6)
    if op == 0:
        parent[last] = rng.choice(ODD)
    elif op == 1:
        del parent[last]
    elif op == 2 and isinstance(parent, dict):
        parent[rng.choice(["zz", "Name", "name", "type", "reserved", "x-note", "a\n"])] = rng.choice(ODD)
    elif op == 3 and isinstance(parent, list):
        parent.insert(last, copy.deepcopy(parent[last]))  # a duplicate item
    elif op == 4 and isinstance(parent[last], str):
        parent[last] = rng.choice([parent[last] + "\n", parent[last].upper(), parent[last] * 40, " " + parent[last]])
    elif op == 5 and isinstance(parent[last], int) and not isinstance(parent[last], bool):
        parent[last] = rng.choice([parent[last] + 1, -parent[last] - 1, float(parent[last]), parent[last] * 4096,
                                   bool(parent[last] % 2)])
    else:
        parent[last] = rng.choice(ODD)
    return out


@pytest.mark.parametrize("name", INPUT_SCHEMAS)
def test_mutated_documents_get_jsonschemas_verdict(name: str) -> None:
    """Each verdict compared; both outcomes must occur, or the mutations would prove nothing."""
    rng = random.Random(f"schemacheck-{name}")
    bases = [doc for schema, doc in _documents() if schema == name]
    verdicts = {True: 0, False: 0}
    for i in range(600):
        doc = _mutate(rng.choice(bases), rng)
        if rng.random() < 0.3:
            doc = _mutate(doc, rng)
        truth = _truth(name, doc)
        assert _fast(name, doc) == truth, (i, json.dumps(doc, default=str)[:400])
        verdicts[truth] += 1
    assert verdicts[True] >= 30 and verdicts[False] >= 30, verdicts


CORNERS: list[tuple[dict[str, Any], Any]] = [
    ({"pattern": "^[a-z]+$"}, "name\n"),          # ECMA: $ is the end of the string, not of a line
    ({"pattern": "^[a-z]+$"}, "name"),
    ({"pattern": "a"}, 5),                          # pattern ignores non-strings
    ({"enum": [1, 2]}, True),                       # true is not 1
    ({"enum": [1, 2]}, 1.0),                        # but 1.0 is
    ({"const": False}, 0),
    ({"const": [1, {"a": True}]}, [1, {"a": True}]),
    ({"const": [1, {"a": True}]}, [1, {"a": 1}]),
    ({"type": "integer"}, 3.0),
    ({"type": "integer"}, 3.5),
    ({"type": "integer"}, True),
    ({"type": "number"}, False),
    ({"type": ["string", "null"]}, None),
    ({"uniqueItems": True}, [1, True]),
    ({"uniqueItems": True}, [1, 1.0]),
    ({"uniqueItems": True}, [{"a": [1]}, {"a": [1]}]),
    ({"uniqueItems": True}, [{"a": [1]}, {"a": [True]}]),
    ({"minimum": 0}, True),
    ({"maximum": 3}, "9"),
    ({"patternProperties": {"^x-$": {"type": "string"}}, "additionalProperties": False}, {"x-\n": 1}),
    ({"patternProperties": {"^x-$": {"type": "string"}}, "additionalProperties": False}, {"x-\n": "s"}),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"ab\n": 1}),
    ({"prefixItems": [{"type": "string"}], "items": {"type": "integer"}}, ["a", 1, 2]),
    ({"prefixItems": [{"type": "string"}], "items": {"type": "integer"}}, ["a", 1, "b"]),
    ({"prefixItems": [{"type": "string"}], "items": False}, ["a", 1]),
    ({"prefixItems": [{"type": "string"}]}, [1]),
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, 5),
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, -5),
    ({"if": {"required": ["a"]}, "then": {"required": ["b"]}, "else": {"required": ["c"]}}, {"a": 1}),
    ({"if": {"required": ["a"]}, "then": {"required": ["b"]}, "else": {"required": ["c"]}}, {"c": 1}),
    ({"not": {"type": "string"}}, "s"),
    ({"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"}, [[[]], [[1]]]),
    ({"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"}, [[[]], [[]]]),
    ({"minProperties": 1, "maxProperties": 1}, {}),
    ({"minLength": 2, "maxLength": 3}, "ab"),
    ({"minItems": 1, "maxItems": 1}, [1, 2]),
]


@pytest.mark.parametrize(("schema", "instance"), CORNERS)
def test_corners_where_json_schema_is_not_python(schema: dict[str, Any], instance: Any) -> None:
    truth = bool(yamlsafe.strict_validator(schema).is_valid(instance))
    assert schemacheck.compile_schema(schema)(instance) == truth


def test_both_verdicts_occur_among_the_corners() -> None:
    verdicts = {bool(yamlsafe.strict_validator(s).is_valid(i)) for s, i in CORNERS}
    assert verdicts == {True, False}


@pytest.mark.parametrize("schema", [{"format": "date"}, {"dependentRequired": {"a": ["b"]}},
                                    {"$ref": "other.schema.json#/x"}, {"unevaluatedProperties": False}])
def test_a_keyword_outside_the_subset_is_refused_rather_than_ignored(schema: dict[str, Any]) -> None:
    with pytest.raises(schemacheck.UnsupportedSchema):
        schemacheck.compile_schema(schema)


def test_invalid_documents_still_get_jsonschemas_messages() -> None:
    doc = copy.deepcopy(_layout_docs()[0])
    doc["meta"]["zz"] = 1
    errors = yamlsafe.schema_violations("layout.schema.json", doc)
    assert errors and errors[0].validator == "additionalProperties"
    assert yamlsafe.schema_violations("layout.schema.json", _layout_docs()[0]) == []
