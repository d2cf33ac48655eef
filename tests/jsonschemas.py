"""Validators for pvabi's JSON Schemas (pvabi/schemas/), with every schema registered so ``$ref``s between
files (diff -> witness) resolve locally, never over the network."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parents[1] / "pvabi" / "schemas"


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        doc = json.loads(path.read_text("utf-8"))
        resources.append((doc["$id"], Resource.from_contents(doc)))
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    """The validator of ``pvabi/schemas/<name>.schema.json``."""
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=_registry())


def schema_errors(name: str, data: Any) -> list[str]:
    """Every way ``data`` fails the schema, as ``path: message`` lines (empty when it conforms)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:300]}"
            for e in validator(name).iter_errors(data)]
