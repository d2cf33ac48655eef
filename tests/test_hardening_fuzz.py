"""Seeded hypothesis suite (issue 17): hostile layout text, expressions and images.

Thousands of cases, derandomized (the same cases on every run and in CI), a few
minutes at most. What must hold: loading reports problems only as one-line
InputErrors (never another exception); the expression evaluator agrees with Python
on + - * and parentheses (C and Python agree there) and otherwise raises ExprError;
``decode --json`` of any image of any valid layout re-encodes byte for byte. A
sample also runs through the command line, where the exit code must be 0, 1 or 2.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from conftest import run_in_process
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_roundtrip import random_image

from pvabi import arch as archmod
from pvabi import expr
from pvabi.codec import ConstructCodec, encode_values
from pvabi.engine import Resolver
from pvabi.errors import DecodeError, InputError, PvabiError
from pvabi.loader import load_abi, load_abi_collect
from pvabi.values import to_json
from shipped import shipped_layouts
from strategies import abi_files, write_layouts

SEEDED = settings(derandomize=True, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.filter_too_much])


def seeded(examples: int) -> settings:
    return settings(SEEDED, max_examples=examples)

# Things an attacker (or a careless hand) puts into a YAML file.
HOSTILE_SCALARS = [
    "1" + "0" * 5000, "1:2:3:4:5", "0b101", "0o777", "0x", "010", "1_000", "-0", "+7", "1e3", ".inf", ".nan",
    "~", "null", "yes", "NO", "on", "2024-01-01", "'a\\nb'", '"x\\n"', '"\\u202e"', "!!python/object:os.system",
    "!!binary aGVsbG8=", "!!set {a}", "&a [*a, *a]", "*undefined", "<<: {a: 1}", "[[[[[[[[[[]]]]]]]]]]",
    "{a: {b: {c: {d: {}}}}}", "16777217", "-1", "18446744073709551616", "sizeof(", "sizeof(x) * 99999999",
    "4096 - sizeof(a_rec)", "\t", "", "'", '"', "- - -", "? a", "%YAML 1.1", "---", "...",
]
TOKENS = ["meta:", "types:", "kind: struct", "kind: union", "fields:", "- name: x", "type: u8", "count: ",
          "offset: ", "doc: d", "reserved: zero", "const: ", "enum: e", "values:", "bits:", "\n", "  ", ": ", "-"]


def _mutate(draw: st.DrawFn, text: str) -> str:
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(st.sampled_from(HOSTILE_SCALARS), st.sampled_from(TOKENS),
                               st.text(max_size=12)))
        cut = draw(st.integers(0, 8))
        text = text[:at] + piece + text[at + cut:]
    return text


@st.composite
def hostile_abis(draw: st.DrawFn) -> dict[str, str]:
    files = draw(abi_files(max_files=2, max_types=4))
    out = {fid: yaml.safe_dump(doc, sort_keys=False) for fid, doc in files.items()}
    fid = draw(st.sampled_from(sorted(out)))
    out[fid] = _mutate(draw, out[fid])
    return out


def _write(directory: Path, files: dict[str, str]) -> None:
    for old in directory.glob("*.yaml"):
        old.unlink()
    for fid, text in files.items():
        (directory / f"{fid}.yaml").write_text(text, "utf-8")


@seeded(600)
@given(files=hostile_abis())
def test_loader_reports_hostile_text_as_one_line_errors(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        layouts = Path(tmp) / "layouts"
        layouts.mkdir()
        _write(layouts, files)
        abi, errors = load_abi_collect(layouts, "working", Path(tmp))
    assert (abi is None) == bool(errors)
    for e in errors:
        assert isinstance(e, InputError)
        text = str(e)
        assert "\n" not in text and len(text) < 600, text
        assert "1" + "0" * 100 not in text  # never echoes a long scalar


@seeded(100)
@given(files=hostile_abis())
def test_validate_exit_codes_on_hostile_text(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _write_root = Path(tmp) / "abi" / "layouts"
        _write_root.mkdir(parents=True)
        _write(_write_root, files)
        run = run_in_process(["validate", str(Path(tmp) / "abi")])  # an escaping exception fails the test
    assert run.exit_code in (0, 2), run
    assert "Traceback" not in run.output


EXPR_ATOMS = ["0", "1", "7", "0x10", "4096", "999999999999", "sizeof(a)", "alignof(b)", "sizeof(c)", "x", "1.5",
              "010", "0b1", "1_0", "a.b", "__import__('os')", "()", "[]", "'s'", "**", "<<", "//", "=="]
EXPR_OPS = [" + ", " - ", " * ", " / ", " % ", "+", "-", "*", "(", ")", " "]


@st.composite
def expressions(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(EXPR_ATOMS), st.sampled_from(EXPR_OPS)), min_size=1,
                          max_size=24))
    return "".join(parts)


@seeded(3000)
@given(text=expressions(), sizes=st.tuples(st.integers(0, 1 << 20), st.integers(1, 64), st.integers(0, 4096)))
def test_expressions_parse_and_evaluate_or_say_why(text: str, sizes: tuple[int, int, int]) -> None:
    table = {"a": sizes[0], "c": sizes[2]}
    try:
        tree = expr.parse(text)
        value = expr.evaluate(tree, lambda n: table.get(n, 4), lambda n: sizes[1])
    except expr.ExprError as e:
        assert "\n" not in str(e)
        return
    assert isinstance(value, int)
    if not any(op in text for op in ("/", "%", "sizeof", "alignof")):
        # C and Python agree on integer + - * and parentheses: Python is the independent truth here.
        assert value == eval(text, {"__builtins__": {}}, {})


# --- decode --json, then encode ------------------------------------------------------------------------


def _round_trip(layout: Any, image: bytes) -> None:
    codec = ConstructCodec(layout)
    try:
        values = codec.parse(image)
    except DecodeError:
        return  # an image without the layout's constant: decode refuses it, nothing to re-encode
    printed = json.loads(json.dumps(to_json(layout, values)))
    rebuilt, _ = encode_values(layout, printed, allow_reserved=True)
    assert rebuilt == image


@seeded(300)
@given(files=abi_files(max_files=2, max_types=5), arch=st.sampled_from(sorted(archmod.ARCHES)),
       data=st.data())
def test_decode_json_re_encodes_random_layouts(files: dict[str, Any], arch: str, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_layouts(files, Path(tmp) / "layouts")
        abi = load_abi(Path(tmp) / "layouts")
    records = [r for r in abi.records() if r.exists_on(arch)]
    assume(records)
    layout = Resolver(abi, arch).layout(data.draw(st.sampled_from([r.name for r in records])))
    fill = data.draw(st.sampled_from(["random", "zero", "ones"]))
    if fill == "random":
        image = data.draw(st.binary(min_size=layout.size, max_size=layout.size))
    else:
        image = bytes([0 if fill == "zero" else 0xFF]) * layout.size
    _round_trip(layout, image)


SHIPPED = shipped_layouts()


@seeded(600)
@given(index=st.integers(0, len(SHIPPED) - 1), data=st.data())
def test_decode_json_re_encodes_shipped_layouts(index: int, data: st.DataObject) -> None:
    layout = SHIPPED[index]
    image = bytearray(data.draw(st.binary(min_size=layout.size, max_size=layout.size)))
    if data.draw(st.booleans()):
        image = bytearray(layout.size)  # all-zero images print no _raw for unions
    try:
        ConstructCodec(layout).parse(bytes(image))
    except PvabiError:
        # Put the layout's constants in (the VMI ROM's signature), as a real image carries them.
        image = bytearray(random_image(layout, bytes(image)))
    _round_trip(layout, bytes(image))
