"""Every JSON document pvabi writes has a schema under pvabi/schemas/, and real output conforms to it.

The id of each document (``pvabi.show/1``, ...) is one constant in the module that writes it; this
test finds those constants in the source, so a new document without a schema fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import CODEC_LAYOUT, REPO, SHIPPED_ABI, run_in_process
from jsonschemas import SCHEMAS, schema_errors

from pvabi import arch as archmod
from pvabi.abiroot import find_root
from pvabi.diff import Policy
from pvabi.diffrun import run_diff
from pvabi.engine import Layout
from pvabi.findings import Witness
from pvabi.model import AliasDef, EnumDef, FlagsDef
from pvabi.show import to_json as show_json
from pvabi.witness import write_image
from pvabi.witnessdoc import WITNESS_SCHEMA, witness_json
from shipped import shipped_layouts, working

ID_CONSTANT = re.compile(r'^([A-Z][A-Z_]*) = "(pvabi\.[a-z-]+/\d+)"', re.M)
ID_LITERAL = re.compile(r'"(pvabi\.[a-z-]+/\d+)"')
LAYOUTS = shipped_layouts()


def id_constants() -> dict[str, str]:
    """Schema id -> ``module:CONSTANT`` for every id constant in pvabi's source."""
    found: dict[str, str] = {}
    for path in sorted((REPO / "pvabi").rglob("*.py")):
        for name, value in ID_CONSTANT.findall(path.read_text("utf-8")):
            assert value not in found, f"{value} is defined twice: {found[value]} and {path.name}:{name}"
            found[value] = f"{path.relative_to(REPO)}:{name}"
    return found


def schema_file(doc_id: str) -> Path:
    return SCHEMAS / f"{doc_id.removeprefix('pvabi.').split('/')[0]}.schema.json"


def consts_of(schema: Any) -> set[str]:
    """The values the schema's top-level ``schema`` key may take (through oneOf branches too)."""
    out = set()
    for branch in [schema, *schema.get("oneOf", [])]:
        const = branch.get("properties", {}).get("schema", {}).get("const")
        if const is not None:
            out.add(const)
    return out


def test_every_id_constant_has_its_schema_file() -> None:
    ids = id_constants()
    assert len(ids) >= 8, ids  # show, show-type, decode, rules, versions, version-list, witness, diff
    for doc_id, where in ids.items():
        path = schema_file(doc_id)
        assert path.is_file(), f"{doc_id} ({where}) has no schema {path.relative_to(REPO)}"
        schema = json.loads(path.read_text("utf-8"))
        assert consts_of(schema) == {doc_id}, f"{path.name} does not pin schema to {doc_id}"
        assert schema["$id"].endswith("/" + path.name), path.name


def test_ids_are_written_only_through_their_constants() -> None:
    """A literal id outside its one definition would drift from it."""
    for path in sorted((REPO / "pvabi").rglob("*.py")):
        text = ID_CONSTANT.sub("", path.read_text("utf-8"))
        assert not ID_LITERAL.findall(text), f"{path.relative_to(REPO)} spells an id instead of using its constant"


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_every_schema_is_valid_and_documented(path: Path) -> None:
    schema_errors(path.name.removesuffix(".schema.json"), {})  # compiles the schema (check_schema) and its refs
    docs = (REPO / "docs/json.md").read_text("utf-8")
    if path.name not in ("layout.schema.json", "config.schema.json"):  # inputs, documented in their own pages
        assert path.name in docs, f"docs/json.md does not mention {path.name}"


def assert_conforms(name: str, data: Any) -> None:
    errors = schema_errors(name, data)
    assert not errors, f"{name}: " + "\n".join(errors[:10])


# --- real output -------------------------------------------------------------------------------------------------


def cli_json(*args: object, root: bool = True) -> Any:
    run = run_in_process([*args, *(["--root", REPO] if root else [])])
    assert run.exit_code in (0, 1), run.output
    return json.loads(run.stdout)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: f"{lay.name}-{lay.arch}")
def test_show_json_of_every_shipped_layout(layout: Layout) -> None:
    assert_conforms("show", show_json(layout))


def test_show_json_through_the_cli_on_several_arches() -> None:
    for name, arch in (("vcpu_info", "x86_32"), ("shared_info", "arm32"), ("vrom_header", "i386"),
                       ("shared_info_page", "aarch64")):
        assert_conforms("show", cli_json("show", name, "--arch", arch, "--json"))


def test_show_json_of_every_kind_of_member(make_abi: Any) -> None:
    """Bitfields, inline and anonymous records, flexible arrays, constants: the BTF layouts pvabi ships use them."""
    root = make_abi({"codec": CODEC_LAYOUT})
    for name in ("rec", "un", "inner"):
        run = run_in_process(["show", name, "--json", "--root", root])
        assert run.exit_code == 0, run.output
        assert_conforms("show", json.loads(run.stdout))


def test_show_type_json_of_every_enum_flags_and_alias() -> None:
    abi = working()
    kinds = set()
    for name, t in abi.types.items():
        if isinstance(t, (EnumDef, FlagsDef, AliasDef)):
            kinds.add(type(t).__name__)
            assert_conforms("show-type", cli_json("show", name, "--json"))
    assert kinds == {"EnumDef", "FlagsDef", "AliasDef"}


@pytest.mark.parametrize("layout", [x for x in LAYOUTS if x.arch in ("x86_32", "arm32", "ppc64")],
                         ids=lambda lay: f"{lay.name}-{lay.arch}")
def test_decode_json_of_legal_and_odd_images(layout: Layout, tmp_path: Path) -> None:
    image = tmp_path / "image.bin"
    for seed in (0, 1):
        image.write_bytes(write_image(layout, layout.size, seed))
        assert_conforms("decode", cli_json("decode", layout.name, image, "--arch", layout.arch, "--json"))


def test_decode_json_with_holes_flags_and_notes(make_abi: Any, tmp_path: Path) -> None:
    root = make_abi({"codec": CODEC_LAYOUT})
    image = tmp_path / "image.bin"
    # A non-zero hole, an undefined flag bit and non-zero reserved bytes: every optional shape at once.
    image.write_bytes(bytes.fromhex("01fe7700efbeadde0700" "0100ffff" "0700" "0101" "05" "61626300" "00"))
    run = run_in_process(["decode", "rec", image, "--json", "--root", root])
    data = json.loads(run.stdout)
    assert run.exit_code == 1 and data["notes"] and "_hole_2" in data["values"], run.output
    assert_conforms("decode", data)


def test_rules_json() -> None:
    assert_conforms("rules", cli_json("rules", "--json", root=False))
    assert_conforms("rules", cli_json("rules", "FIELD_OFFSET_CHANGED", "--json", root=False))


def test_versions_json_and_the_index_file() -> None:
    assert_conforms("version-list", cli_json("versions", "--json"))
    assert_conforms("versions", json.loads((SHIPPED_ABI / "versions/index.json").read_text("utf-8")))


def shipped_witnesses() -> list[tuple[str, Witness]]:
    root = find_root(SHIPPED_ABI)
    result = run_diff(root, "v1.0", "working", Policy("full", "SOURCE"), transitive=True)
    return [(f.rule, f.witness) for r in result.reports for f in r.findings if f.witness is not None]


def test_every_shipped_witness_conforms_and_holds_typed_values() -> None:
    witnesses = shipped_witnesses()
    assert len(witnesses) > 10
    kinds: set[str] = set()
    for rule, w in witnesses:
        doc = {"schema": WITNESS_SCHEMA, "rule": rule, "message": "m", "old": "a", "new": "b",
               "witness": witness_json(w, None)}
        assert_conforms("witness", doc)
        for v in (doc["witness"]["writer_value"], doc["witness"]["reader_value"]):
            kinds.add(type(v).__name__ if not isinstance(v, dict) else "/".join(sorted(v)))
    assert "int" in kinds, kinds  # enum, flags and bytes values: the rule cases (tests/witnesscheck.py)


def test_the_witness_schema_refuses_display_strings() -> None:
    """The schema asserts types: a value spelled as text (what witnesses held before) does not pass."""
    _, w = shipped_witnesses()[0]
    good = {"schema": WITNESS_SCHEMA, "rule": "R", "message": "m", "old": "a", "new": "b",
            "witness": witness_json(w, None)}
    assert_conforms("witness", good)
    for bad_value in ("BLOCKED (2)", "0x3 [TSC_STABLE]", {"value": 2}, {"bytes": "xyz"}):
        bad = json.loads(json.dumps(good))
        bad["witness"]["reader_value"] = bad_value
        assert schema_errors("witness", bad), bad_value


def test_architectures_in_show_schema_are_the_known_ones() -> None:
    schema = json.loads((SCHEMAS / "show.schema.json").read_text("utf-8"))
    assert schema["properties"]["arch"]["enum"] == list(archmod.ARCH_NAMES)
