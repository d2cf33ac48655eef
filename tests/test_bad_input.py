"""Bad input through the command line: one case per test.

The project standard: each problem is one line naming the file, the line and
the field; the exit code is 2; there is never a traceback; ``pvabi validate``
reports every problem at once; nothing on disk is left half-written. Every test
here runs the real command (in-process through CliRunner and as the installed
console script, which must agree) on a throw-away ABI under ``tmp_path``.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    CODEC_LAYOUT,
    REC_IMAGE,
    REC_VALUES,
    Run,
    assert_bad_input,
    assert_one_bad_input,
    layout_file,
    line_of,
    problem_lines,
    shown,
)
from typer.testing import CliRunner

from pvabi.cli import app

MakeAbi = Callable[..., Path]
RunBoth = Callable[..., Run]

# A record that is valid on its own; tests append to it or replace parts of it.
GOOD_RECORD = """\
a_rec:
  kind: struct
  doc: A record.
  fields:
    - name: x
      type: u32
      doc: A word.
"""


def validate(make_abi: MakeAbi, run_both: RunBoth, files: dict[str, str | bytes], timeout: float = 60) -> Run:
    root = make_abi(files)
    return run_both("validate", root, timeout=timeout)


# --- YAML --------------------------------------------------------------------------------------------


def test_malformed_yaml(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", """\
        a_rec:
          kind: struct: oops
          doc: A record.
          fields: []
        """)
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), line_of(text, "struct: oops"), "malformed YAML")


@pytest.mark.parametrize("tagged", [
    '!!python/object/apply:os.system ["touch {sentinel}"]',
    '!!python/object/new:os.system ["touch {sentinel}"]',
    '!!python/object/apply:subprocess.check_call [["touch", "{sentinel}"]]',
    "!!python/name:os.system",
], ids=["apply", "new", "subprocess", "name"])
def test_object_constructing_tag_is_rejected_and_not_executed(tmp_path: Path, make_abi: MakeAbi,
                                                              run_both: RunBoth, tagged: str) -> None:
    sentinel = tmp_path / "pwned"
    text = layout_file("a", GOOD_RECORD).replace("doc: Test layouts.",
                                                 "doc: " + tagged.format(sentinel=sentinel))
    run = validate(make_abi, run_both, {"a": text})
    assert not sentinel.exists(), "a YAML tag executed a command"
    assert_one_bad_input(run, shown("a"), line_of(text, "!!python"), "meta.doc", "not allowed")


@pytest.mark.parametrize(("value", "tag"), [
    ("8.0", "float"),
    ("!!float 8", "float"),
    (".inf", "float"),
    ("2024-01-01", "timestamp"),
    ("2001-12-14t21:59:43.10-05:00", "timestamp"),
])
def test_float_and_timestamp_tags_are_rejected(make_abi: MakeAbi, run_both: RunBoth, value: str, tag: str) -> None:
    text = layout_file("a", GOOD_RECORD.replace("  doc: A record.\n", f"  doc: A record.\n  size: {value}\n"))
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), line_of(text, "size:"), "types.a_rec.size", tag)


def test_duplicate_yaml_keys(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", """\
        a_rec:
          kind: struct
          doc: A record.
          kind: union
          fields: []
        """)
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), line_of(text, "kind: union"), "types.a_rec.kind", "duplicate key")


def test_duplicate_type_keys_in_one_file(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD + GOOD_RECORD)
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), line_of(text, "a_rec:", 2), "types.a_rec", "duplicate key")


def test_file_over_one_mib(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD) + ("# padding padding padding padding padding padding\n" * 22000)
    assert len(text.encode()) > 1 << 20
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), None, "larger than")


def test_not_utf8(make_abi: MakeAbi, run_both: RunBoth) -> None:
    run = validate(make_abi, run_both, {"a": b"meta:\n  id: a\n  doc: caf\xe9\n"})
    assert_one_bad_input(run, shown("a"), None, "UTF-8")


def test_deep_nesting_100_levels(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD).replace("doc: Test layouts.", "doc: " + "[" * 100 + "]" * 100)
    run = validate(make_abi, run_both, {"a": text}, timeout=30)
    assert_one_bad_input(run, shown("a"), line_of(text, "[[["), "meta.doc", "nested deeper")


@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_nesting_beyond_the_parser_recursion_limit(make_abi: MakeAbi, run_both: RunBoth, style: str) -> None:
    # 2,000 flow levels (4 KB) or 700 block levels (250 KB): well under the size limit, but PyYAML's
    # composer is recursive and raises RecursionError before pvabi's own depth check sees a node.
    if style == "flow":
        nested = "doc: " + "[" * 2000 + "]" * 2000
    else:
        nested = "doc:\n" + "".join(" " * (2 + i) + f"k{i}:\n" for i in range(700)) + " " * 702 + "v: 1"
    text = layout_file("a", GOOD_RECORD).replace("doc: Test layouts.", nested)
    assert len(text.encode()) < 1 << 20
    run = validate(make_abi, run_both, {"a": text}, timeout=30)
    assert_one_bad_input(run, shown("a"), ..., "nested")


def test_billion_laughs_alias_bomb(make_abi: MakeAbi, run_both: RunBoth) -> None:
    bomb = 'lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for i in range(1, 10):
        bomb += f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n"
    text = layout_file("a", GOOD_RECORD) + bomb
    run = validate(make_abi, run_both, {"a": text}, timeout=30)  # a hang fails by timeout
    assert_one_bad_input(run, shown("a"), ..., "YAML nodes")


# --- the JSON Schema -----------------------------------------------------------------------------------


def test_schema_unknown_key(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD.replace("  doc: A record.\n", "  doc: A record.\n  sise: 4\n"))
    run = validate(make_abi, run_both, {"a": text})
    # The line of the unknown key itself, not of the type that holds it.
    assert_one_bad_input(run, shown("a"), line_of(text, "sise:"), "types.a_rec", "'sise'")


def test_schema_unknown_key_in_a_field(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD + "      colour: red\n")
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), line_of(text, "colour:"), "types.a_rec.fields[0](x)", "'colour'")


def test_schema_wrong_type(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD.replace("  doc: A record.\n", '  doc: A record.\n  packed: "yes"\n'))
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), line_of(text, "packed:"), "types.a_rec.packed", "boolean")


def test_schema_bad_field_identifier(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD.replace("name: x", 'name: "9lives"'))
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), line_of(text, "9lives"), "types.a_rec.fields[0](9lives).name", "9lives")


def test_schema_bad_type_identifier(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD.replace("a_rec:", "a-rec:"))
    run = validate(make_abi, run_both, {"a": text})
    # The line of the bad name, or of the `types:` mapping that holds it.
    assert_one_bad_input(run, shown("a"), {line_of(text, "a-rec:"), line_of(text, "types:")}, "types", "'a-rec'")


def test_schema_missing_doc_on_a_field(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD + "    - name: pad\n      type: u32\n      reserved: any\n"
                       + "    - name: y\n      type: u32\n")
    run = validate(make_abi, run_both, {"a": text})
    # Only y: the reserved field needs no doc.
    assert_one_bad_input(run, shown("a"), line_of(text, "- name: y"), "types.a_rec.fields[2](y)", "'doc'")


def test_meta_id_is_not_the_file_name(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("b", GOOD_RECORD)
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), line_of(text, "id: b"), "meta.id", "'b'", "'a'")


# --- definitions ---------------------------------------------------------------------------------------


def test_unknown_type(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD.replace("type: u32", "type: u33"))
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), {line_of(text, "- name: x"), line_of(text, "u33")},
                         "a_rec.x", "unknown type 'u33'")


@pytest.mark.parametrize("kind", ["enum", "flags"])
def test_unknown_enum_or_flags_reference(make_abi: MakeAbi, run_both: RunBoth, kind: str) -> None:
    text = layout_file("a", GOOD_RECORD + f"      {kind}: no_such_{kind}\n")
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), {line_of(text, "- name: x"), line_of(text, f"no_such_{kind}")},
                         "a_rec.x", f"unknown {kind} 'no_such_{kind}'")


def test_enum_used_where_a_storage_type_belongs(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD.replace("type: u32", "type: st") + textwrap.dedent("""\
        st:
          kind: enum
          doc: A state.
          values: {A: 0}
        """))
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), {line_of(text, "- name: x"), line_of(text, "type: st")}, "a_rec.x", "enum")


def test_cycle_struct_contains_struct_contains_it(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", """\
        cyc_a:
          kind: struct
          doc: A holds a B.
          fields:
            - {name: b, type: cyc_b, doc: The B.}
        cyc_b:
          kind: struct
          doc: B holds an A.
          fields:
            - {name: a, type: cyc_a, doc: The A.}
        """)
    run = validate(make_abi, run_both, {"a": text})
    msg = assert_one_bad_input(run, shown("a"), {line_of(text, "cyc_a:"), line_of(text, "cyc_b:")}, "cycle")
    assert "cyc_a -> cyc_b -> cyc_a" in msg or "cyc_b -> cyc_a -> cyc_b" in msg


def test_cycle_of_aliases(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD + textwrap.dedent("""\
        al1:
          kind: alias
          doc: One.
          type: al2
        al2:
          kind: alias
          doc: Two.
          arch: {default: al1, x86_32: u32}
        """))
    run = validate(make_abi, run_both, {"a": text})
    msg = assert_one_bad_input(run, shown("a"), {line_of(text, "al1:"), line_of(text, "al2:")}, "cycle")
    assert "al1" in msg and "al2" in msg


def test_cycle_through_sizeof_in_a_count(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD + '      count: "sizeof(a_rec)"\n')
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), {line_of(text, "a_rec:"), line_of(text, "- name: x"),
                                           line_of(text, "count:")}, "a_rec", "cycle")


def test_duplicate_type_names_across_files(make_abi: MakeAbi, run_both: RunBoth) -> None:
    first = layout_file("a", GOOD_RECORD)
    second = layout_file("b", "other:\n  kind: alias\n  doc: Another.\n  type: u8\n" + GOOD_RECORD)
    run = validate(make_abi, run_both, {"a": first, "b": second})
    msg = assert_one_bad_input(run, shown("b"), line_of(second, "a_rec:"), "a_rec", "already defined")
    assert f"{shown('a')}:{line_of(first, 'a_rec:')}" in msg, msg


def test_duplicate_field_names(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD + "    - name: x\n      type: u8\n      doc: Again.\n")
    run = validate(make_abi, run_both, {"a": text})
    msg = assert_one_bad_input(run, shown("a"), line_of(text, "- name: x", 2), "a_rec.x", "duplicate field")
    assert f"line {line_of(text, '- name: x')}" in msg, msg


# --- the layout engine -----------------------------------------------------------------------------------


def _record(fields: str, extra: str = "") -> str:
    return "a_rec:\n  kind: struct\n  doc: A record.\n" + extra + "  fields:\n" + textwrap.indent(
        textwrap.dedent(fields), "    ")


def test_overlapping_explicit_offsets(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", _record("""\
        - {name: x, type: u32, offset: 0, doc: X.}
        - {name: y, type: u32, offset: 2, doc: Y overlaps X.}
        """))
    run = validate(make_abi, run_both, {"a": text})
    assert_bad_input(run, shown("a"), line_of(text, "name: y"), "a_rec.y", "overlaps", "'x'")


def test_explicit_offset_mismatch_shows_declared_and_computed(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", _record("""\
        - name: x
          type: u8
          offset: 0
          doc: X.
        - name: y
          type: u32
          offset: 1
          doc: GCC aligns this to 4.
        """))
    run = validate(make_abi, run_both, {"a": text})
    errors = assert_bad_input(run, shown("a"), {line_of(text, "- name: y"), line_of(text, "offset: 1")},
                              "a_rec.y", "declared offset 1", "at 4")
    assert any("x86_64" in e or "every architecture" in e for e in errors)


def test_explicit_size_mismatch(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", _record("- {name: x, type: u32, doc: X.}\n", extra="  size: 8\n"))
    run = validate(make_abi, run_both, {"a": text})
    assert_bad_input(run, shown("a"), {line_of(text, "a_rec:"), line_of(text, "size: 8")},
                     "a_rec.size", "declared size 8", "4 bytes")


def test_per_arch_offset_mismatch_names_that_arch_only(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", _record("""\
        - {name: x, type: u8, doc: X.}
        - {name: y, type: u64, offset: {x86_32: 8, default: 8}, doc: 4 on i386.}
        """))
    run = validate(make_abi, run_both, {"a": text})
    msg = assert_one_bad_input(run, shown("a"), line_of(text, "name: y"), "a_rec.y", "declared offset 8", "at 4")
    assert "x86_32" in msg


def test_problem_on_every_architecture_is_reported_once(make_abi: MakeAbi, run_both: RunBoth) -> None:
    # One wrong `offset: 1` is one problem: the standard is one line per problem, not one per architecture.
    text = layout_file("a", _record("""\
        - {name: x, type: u8, doc: X.}
        - {name: y, type: u32, offset: 1, doc: Y.}
        """))
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), line_of(text, "name: y"), "a_rec.y", "declared offset 1")


def test_negative_count(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD + '      count: "0 - 4"\n')
    run = validate(make_abi, run_both, {"a": text})
    assert_bad_input(run, shown("a"), {line_of(text, "- name: x"), line_of(text, "count:")}, "a_rec.x", "-4",
                     "negative")


@pytest.mark.parametrize("count", [
    "1099511627776",  # 2**40 as a YAML integer: the schema bound
    '"1099511627776"',  # the same as an expression
    '"sizeof(u64) * 100000000"',
    '"16777216 * 16777216 * 16777216 * 16777216 * 16777216"',
    "[16777216, 16777216, 16777216, 16777216]",
    '"2 ** 40"',  # power is not an operator of the language
], ids=["int-2**40", "expr-2**40", "sizeof-times-1e8", "product", "dims", "pow"])
def test_huge_count_is_rejected_without_allocating(make_abi: MakeAbi, run_both: RunBoth, count: str) -> None:
    text = layout_file("a", GOOD_RECORD + f"      count: {count}\n")
    run = validate(make_abi, run_both, {"a": text}, timeout=30)  # allocating 2**40 bytes would never finish
    assert_bad_input(run, shown("a"), {line_of(text, "- name: x"), line_of(text, "count:")}, "a_rec", "x")


@pytest.mark.parametrize("expr", [
    "\"__import__('os')\"",
    '"__import__(os)"',
    '"__import__(os).system"',
    '"sizeof(u8).__class__"',
    '"open(passwd)"',
    '"sizeof(u8)(u8)"',
    '"sizeof(u8, u16)"',
    '"lambda: 1"',
    '"[1][0]"',
    '"1 if 1 else 2"',
    '"1 << 40"',
], ids=["import-str", "import", "attribute", "dunder-attribute", "call", "call-call", "two-args", "lambda",
        "subscript", "ifexp", "shift"])
def test_malicious_or_foreign_count_expressions(make_abi: MakeAbi, run_both: RunBoth, expr: str) -> None:
    text = layout_file("a", GOOD_RECORD + f"      count: {expr}\n")
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), {line_of(text, "- name: x"), line_of(text, "count:")}, "a_rec", "count")


def test_unknown_type_in_a_count(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD + '      count: "sizeof(os)"\n')
    run = validate(make_abi, run_both, {"a": text})
    assert_one_bad_input(run, shown("a"), {line_of(text, "- name: x"), line_of(text, "count:")}, "a_rec.x",
                         "unknown type 'os'")


# --- several problems ------------------------------------------------------------------------------------


def test_validate_reports_every_problem_in_every_file(make_abi: MakeAbi, run_both: RunBoth) -> None:
    a = layout_file("a", GOOD_RECORD).replace("kind: struct", "kind: struct: oops")
    b = layout_file("b", GOOD_RECORD.replace("a_rec", "b_rec").replace("  doc: A record.\n",
                                                                      '  doc: A record.\n  packed: "no"\n'))
    c = layout_file("c", GOOD_RECORD.replace("a_rec", "c_rec").replace("type: u32", "type: nope")
                    + "    - name: z\n      type: u8\n      doc: Z.\n      flags: nope_flags\n")
    d = layout_file("wrong_id", GOOD_RECORD.replace("a_rec", "d_rec"))
    e = layout_file("e", GOOD_RECORD.replace("a_rec", "c_rec"))
    run = validate(make_abi, run_both, {"a": a, "b": b, "c": c, "d": d, "e": e})
    errors = assert_bad_input(run, None, None)
    expected = [
        (f"{shown('a')}:{line_of(a, 'oops')}:", "malformed YAML"),
        (f"{shown('b')}:{line_of(b, 'packed:')}:", "types.b_rec.packed"),
        (f"{shown('c')}:{line_of(c, '- name: x')}:", "unknown type 'nope'"),
        (f"{shown('c')}:{line_of(c, '- name: z')}:", "unknown flags 'nope_flags'"),
        (f"{shown('d')}:{line_of(d, 'id: wrong_id')}:", "meta.id"),
        (f"{shown('e')}:{line_of(e, 'c_rec:')}:", "already defined"),
    ]
    for where, what in expected:
        assert any(where in m and what in m for m in errors), f"{where} {what} not reported:\n{run.stderr}"
    assert len(errors) == len(expected), run.stderr


def test_validate_reports_layout_problems_alongside_schema_problems(make_abi: MakeAbi, run_both: RunBoth) -> None:
    # A schema error in one file must not hide an independent offset error in another one.
    a = layout_file("a", GOOD_RECORD.replace("  doc: A record.\n", '  doc: A record.\n  packed: "no"\n'))
    b = layout_file("b", _record("""\
        - {name: x, type: u8, doc: X.}
        - {name: y, type: u32, offset: 1, doc: Y.}
        """).replace("a_rec", "b_rec"))
    run = validate(make_abi, run_both, {"a": a, "b": b})
    errors = assert_bad_input(run, None, None)
    assert any(f"{shown('a')}:{line_of(a, 'packed:')}:" in m for m in errors), run.stderr
    assert any(f"{shown('b')}:{line_of(b, 'name: y')}:" in m and "declared offset 1" in m for m in errors), run.stderr


def test_broken_version_index(make_abi: MakeAbi, run_both: RunBoth) -> None:
    root = make_abi({"a": layout_file("a", GOOD_RECORD)})
    (root / "versions").mkdir()
    (root / "versions" / "index.json").write_text("{not json")
    run = run_both("validate", root)
    assert_one_bad_input(run, "abi/versions/index.json", None, "malformed version index")


def test_version_index_that_is_a_directory(make_abi: MakeAbi, run_both: RunBoth) -> None:
    root = make_abi({"a": layout_file("a", GOOD_RECORD)})
    (root / "versions" / "index.json").mkdir(parents=True)
    run = run_both("validate", root)
    assert_one_bad_input(run, "abi/versions/index.json", None)


def test_layout_path_that_is_a_directory(make_abi: MakeAbi, run_both: RunBoth) -> None:
    root = make_abi({"a": layout_file("a", GOOD_RECORD)})
    (root / "layouts" / "b.yaml").mkdir()
    run = run_both("validate", root)
    assert_one_bad_input(run, shown("b"), None, "cannot read")


def test_validate_of_a_directory_without_layouts(tmp_path: Path, run_both: RunBoth) -> None:
    run = run_both("validate", tmp_path)
    assert_one_bad_input(run, str(tmp_path), None, "not an ABI root")


# --- images ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "word"), [(10, "shorter"), (40, "longer"), (0, "shorter")])
def test_decode_image_of_the_wrong_length(tmp_path: Path, codec_abi: Path, run_both: RunBoth, length: int,
                                          word: str) -> None:
    image = tmp_path / "image.bin"
    image.write_bytes((REC_IMAGE * 2)[:length])
    run = run_both("decode", "rec", image, "--root", codec_abi)
    assert_one_bad_input(run, str(image), None, f"{length} bytes", word, "24 bytes")
    assert run.stdout == ""


def test_decode_huge_image_is_rejected_without_reading_it(tmp_path: Path, codec_abi: Path,
                                                          pvabi_proc: Callable[..., Run]) -> None:
    # A 4 GiB sparse file (no disk used) against a 24-byte layout. The child may use at most 1 GiB, so
    # reading the whole image before checking its length fails with MemoryError instead of a message.
    image = tmp_path / "huge.bin"
    with open(image, "wb") as f:
        f.truncate(4 << 30)
    run = pvabi_proc("decode", "rec", image, "--root", codec_abi, max_memory=1 << 30, timeout=60)
    assert_one_bad_input(run, str(image), None, "longer", "24 bytes")


def test_decode_missing_image(tmp_path: Path, codec_abi: Path, run_both: RunBoth) -> None:
    image = tmp_path / "nope.bin"
    run = run_both("decode", "rec", image, "--root", codec_abi)
    assert_one_bad_input(run, str(image), None, "cannot read")


def test_decode_image_that_is_a_directory(tmp_path: Path, codec_abi: Path, run_both: RunBoth) -> None:
    run = run_both("decode", "rec", tmp_path, "--root", codec_abi)
    assert_one_bad_input(run, str(tmp_path), None, "cannot read")


def test_decode_layout_that_does_not_exist(tmp_path: Path, codec_abi: Path, run_both: RunBoth) -> None:
    image = tmp_path / "image.bin"
    image.write_bytes(REC_IMAGE)
    run = run_both("decode", "no_such_layout", image, "--root", codec_abi)
    assert_one_bad_input(run, None, None, "no_such_layout")


# --- encode ----------------------------------------------------------------------------------------------


def _encode_bad(tmp_path: Path, root: Path, run_both: RunBoth, values: object | str, layout: str = "rec",
                pre_existing: bytes | None = None) -> tuple[Run, Path, Path]:
    vfile = tmp_path / "values.json"
    vfile.write_text(values if isinstance(values, str) else json.dumps(values))
    out_dir = tmp_path / "out"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / "image.bin"
    if pre_existing is not None:
        out.write_bytes(pre_existing)
    run = run_both("encode", layout, vfile, "-o", out, "--root", root)
    leftovers = [p.name for p in out_dir.iterdir() if p.name != "image.bin"]
    assert leftovers == [], f"temporary files left behind: {leftovers}"
    if pre_existing is None:
        assert not out.exists(), "a failed encode left an output file"
    else:
        assert out.read_bytes() == pre_existing, "a failed encode changed the existing output file"
    return run, vfile, out


def _with(**changes: object) -> dict[str, object]:
    values = json.loads(json.dumps(REC_VALUES))
    for key, value in changes.items():
        if "__" in key:
            outer, inner = key.split("__")
            values[outer][inner] = value
        else:
            values[key] = value
    return values


@pytest.mark.parametrize(("field", "value", "kind"), [
    ("a", 256, "u8"), ("a", -1, "u8"), ("b", -129, "s8"), ("b", 128, "s8"), ("c", 1 << 32, "u32"),
    ("in__p", 65536, "u16"),
])
def test_encode_value_out_of_range(tmp_path: Path, codec_abi: Path, run_both: RunBoth, field: str, value: int,
                                   kind: str) -> None:
    run, vfile, _ = _encode_bad(tmp_path, codec_abi, run_both, _with(**{field: value}))
    assert_one_bad_input(run, str(vfile), None, f"rec.{field.replace('__', '.')}", str(value), kind, "range")


@pytest.mark.parametrize(("field", "value"), [
    ("c", "twelve"), ("c", 3.5), ("c", True), ("c", None), ("c", {"x": 1}), ("c", [1]),
    ("arr", [1, "x"]), ("arr", [1]), ("arr", 7), ("in", 5), ("st", "MAYBE"), ("fl", ["C"]),
    ("fl", [["A"]]), ("label", "toolong"), ("label", "\u00e9t\u00e9"),
    ("in__rz", {"hex": "zz"}), ("in__rz", [300]),
], ids=lambda v: json.dumps(v) if not isinstance(v, str) else v)
def test_encode_value_of_the_wrong_type(tmp_path: Path, codec_abi: Path, run_both: RunBoth, field: str,
                                        value: object) -> None:
    run, vfile, _ = _encode_bad(tmp_path, codec_abi, run_both, _with(**{field: value}))
    assert_one_bad_input(run, str(vfile), None, f"rec.{field.replace('__', '.')}")


@pytest.mark.parametrize(("values", "path"), [
    ({**REC_VALUES, "zz": 1}, "rec.zz"),
    ({**REC_VALUES, "in": {"p": 1, "q": 2}}, "rec.in.q"),
    ({**REC_VALUES, "_hole_3": {"hex": "00"}}, "rec._hole_3"),
])
def test_encode_unknown_member(tmp_path: Path, codec_abi: Path, run_both: RunBoth, values: object,
                               path: str) -> None:
    run, vfile, _ = _encode_bad(tmp_path, codec_abi, run_both, values)
    assert_one_bad_input(run, str(vfile), None, path)


@pytest.mark.parametrize(("drop", "path"), [("c", "rec.c"), ("in__p", "rec.in.p")])
def test_encode_missing_member(tmp_path: Path, codec_abi: Path, run_both: RunBoth, drop: str, path: str) -> None:
    values = json.loads(json.dumps(REC_VALUES))
    if "__" in drop:
        outer, inner = drop.split("__")
        del values[outer][inner]
    else:
        del values[drop]
    run, vfile, _ = _encode_bad(tmp_path, codec_abi, run_both, values)
    assert_one_bad_input(run, str(vfile), None, path, "missing")


def test_encode_union_with_two_members(tmp_path: Path, codec_abi: Path, run_both: RunBoth) -> None:
    run, vfile, _ = _encode_bad(tmp_path, codec_abi, run_both, {"byte": 1, "word": 2}, layout="un")
    assert_one_bad_input(run, str(vfile), None, "un", "give one view of the union")


@pytest.mark.parametrize("text", ['{"a": 1,', "", "not json", "{'a': 1}", '{"a": 1} trailing'],
                         ids=["truncated", "empty", "word", "single-quotes", "trailing"])
def test_encode_malformed_json(tmp_path: Path, codec_abi: Path, run_both: RunBoth, text: str) -> None:
    run, vfile, _ = _encode_bad(tmp_path, codec_abi, run_both, text)
    assert_one_bad_input(run, str(vfile), None, "JSON")


def test_encode_deeply_nested_json(tmp_path: Path, codec_abi: Path, run_both: RunBoth) -> None:
    # 100,000 nested arrays: json.loads raises RecursionError, which is not a ValueError.
    run, vfile, _ = _encode_bad(tmp_path, codec_abi, run_both, "[" * 100_000 + "]" * 100_000)
    assert_one_bad_input(run, str(vfile), None)


def test_encode_values_not_an_object(tmp_path: Path, codec_abi: Path, run_both: RunBoth) -> None:
    run, vfile, _ = _encode_bad(tmp_path, codec_abi, run_both, [1, 2, 3])
    assert_one_bad_input(run, str(vfile), None, "rec", "object")


def test_encode_missing_values_file(tmp_path: Path, codec_abi: Path, run_both: RunBoth) -> None:
    out = tmp_path / "image.bin"
    run = run_both("encode", "rec", tmp_path / "nope.json", "-o", out, "--root", codec_abi)
    assert_one_bad_input(run, str(tmp_path / "nope.json"), None, "cannot read")
    assert not out.exists()


def test_failed_encode_leaves_an_existing_output_untouched(tmp_path: Path, codec_abi: Path,
                                                           run_both: RunBoth) -> None:
    run, vfile, _ = _encode_bad(tmp_path, codec_abi, run_both, _with(a=999), pre_existing=b"previous image")
    assert_one_bad_input(run, str(vfile), None, "rec.a")


@pytest.mark.parametrize("where", ["missing-dir", "is-a-dir"])
def test_encode_to_an_unwritable_output(tmp_path: Path, codec_abi: Path, run_both: RunBoth, where: str) -> None:
    vfile = tmp_path / "values.json"
    vfile.write_text(json.dumps(REC_VALUES))
    out = tmp_path / "no" / "such" / "dir" / "image.bin" if where == "missing-dir" else tmp_path / "adir"
    if where == "is-a-dir":
        out.mkdir()
    run = run_both("encode", "rec", vfile, "-o", out, "--root", codec_abi)
    assert_one_bad_input(run, str(out), None)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["abi", "values.json"]
                                                                + (["adir"] if where == "is-a-dir" else []))
    if where == "is-a-dir":
        assert list(out.iterdir()) == []


# --- usage -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["show", "decode", "encode"])
def test_unknown_arch(tmp_path: Path, codec_abi: Path, run_both: RunBoth, command: str) -> None:
    (tmp_path / "image.bin").write_bytes(REC_IMAGE)
    (tmp_path / "values.json").write_text(json.dumps(REC_VALUES))
    out = tmp_path / "out.bin"
    args = {"show": ["show", "rec"], "decode": ["decode", "rec", tmp_path / "image.bin"],
            "encode": ["encode", "rec", tmp_path / "values.json", "-o", out]}[command]
    run = run_both(*args, "--arch", "sparc", "--root", codec_abi)
    assert_one_bad_input(run, None, None, "unknown architecture 'sparc'")
    assert run.stdout == ""
    assert not out.exists()


@pytest.mark.parametrize("version", ["v9", "v9.9", "bogus", "v1"])
def test_unknown_version(codec_abi: Path, run_both: RunBoth, version: str) -> None:
    run = run_both("show", "rec", "--abi-version", version, "--root", codec_abi)
    assert_one_bad_input(run, None, None, f"unknown version {version!r}")


def test_layout_not_on_that_arch(make_abi: MakeAbi, run_both: RunBoth) -> None:
    root = make_abi({"a": layout_file("a", GOOD_RECORD, meta_extra="arches: [x86_32]")})
    run = run_both("show", "a_rec", "--arch", "ppc64", "--root", root)
    assert_one_bad_input(run, shown("a"), ..., "a_rec", "ppc64")


def test_show_on_a_broken_abi_lists_its_problems(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", GOOD_RECORD.replace("type: u32", "type: u33"))
    root = make_abi({"a": text, "codec": CODEC_LAYOUT})
    run = run_both("show", "rec", "--root", root)
    assert_one_bad_input(run, shown("a"), {line_of(text, "- name: x"), line_of(text, "u33")}, "u33")
    assert problem_lines(run) == run.error_lines


def test_two_spellings_of_one_architecture_are_rejected(tmp_path: Path) -> None:
    layouts = tmp_path / "abi" / "layouts"
    layouts.mkdir(parents=True)
    (layouts / "a.yaml").write_text(
        "meta: {id: a, doc: d}\ntypes:\n  w:\n    kind: alias\n    doc: d\n"
        "    arch: {i386: u64, x86_32: u16, default: u32}\n")
    result = CliRunner().invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "abi/layouts/a.yaml:6: w: 'x86_32' and 'i386' name the same architecture" in result.output
    assert "Traceback" not in result.output


def test_layout_larger_than_its_max_size(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", _record("- {name: x, type: ulong, count: 3, doc: X.}\n", extra="  max_size: 16\n"))
    run = validate(make_abi, run_both, {"a": text})
    # 12 bytes where ulong is 4 (i386, arm32) fits; 24 bytes on the 64-bit architectures does not.
    msg = assert_one_bad_input(run, shown("a"), line_of(text, "a_rec:"), "a_rec.max_size", "24 bytes",
                               "max_size of 16")
    assert "x86_32" not in msg and "arm32" not in msg
