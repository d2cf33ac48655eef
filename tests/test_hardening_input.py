"""Hostile layout files (issue 17): nothing leaks, nothing hangs, nothing is misread.

Each test is a regression case from the attack run: it ran the real console script on
a throw-away ABI and failed (a leak, a hang, a traceback or a silent misreading) before
the fix. Time-outs are generous; a hang shows up as ``subprocess.TimeoutExpired``.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import Run, assert_bad_input, assert_one_bad_input, layout_file, line_of, shown

from pvabi.yamlsafe import load_file
from shipped import REPO

MakeAbi = Callable[..., Path]
Proc = Callable[..., Run]

GOOD = layout_file("a", """\
    a_rec:
      kind: struct
      doc: A record.
      fields:
        - name: x
          type: u32
          doc: A word.
""")


# --- files that are not what they seem -----------------------------------------------------------------


def test_symlink_out_of_the_root_is_neither_followed_nor_echoed(make_abi: MakeAbi, pvabi_proc: Proc,
                                                                tmp_path: Path) -> None:
    secret = tmp_path / "git-credentials"
    secret.write_text("https://octocat:ghp_SECRETTOKEN1234567890@github.com\n")
    root = make_abi({"a": GOOD})
    (root / "layouts" / "x.yaml").symlink_to(secret)
    run = pvabi_proc("validate", root, timeout=30)
    assert_one_bad_input(run, shown("x"), None, "symbolic link")
    assert "SECRETTOKEN" not in run.output and "octocat" not in run.output


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/stdin"])
def test_symlink_to_a_device_is_not_read(make_abi: MakeAbi, pvabi_proc: Proc, target: str) -> None:
    root = make_abi({"a": GOOD})
    (root / "layouts" / "z.yaml").symlink_to(target)
    run = pvabi_proc("validate", root, timeout=30, max_memory=1 << 30)
    assert_one_bad_input(run, shown("z"), None, "symbolic link")


def test_fifo_does_not_block(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    root = make_abi({"a": GOOD})
    os.mkfifo(root / "layouts" / "f.yaml")
    run = pvabi_proc("validate", root, timeout=30)
    assert_one_bad_input(run, shown("f"), None, "FIFO")


def test_file_content_is_quoted_only_as_a_short_excerpt(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    token = "ghp_" + "S3CR3T" * 40
    root = make_abi({"a": GOOD, "b": f"https://octocat:{token}@github.com\n"})
    run = pvabi_proc("validate", root)
    msg = assert_one_bad_input(run, shown("b"), 1, "expected object")
    assert token not in run.output
    assert len(msg) < 200


def test_long_unknown_key_is_excerpted(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    key = "k" * 1000  # PyYAML allows implicit keys up to 1024 characters
    root = make_abi({"a": GOOD.replace("  a_rec:\n", f"  a_rec:\n    {key}: 1\n")})
    run = pvabi_proc("validate", root)
    msg = assert_one_bad_input(run, shown("a"), ..., "unknown key")
    assert key not in msg and len(msg) < 300


# --- integers and YAML 1.1 ---------------------------------------------------------------------------


def test_five_thousand_digit_integer(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    text = GOOD.replace("type: u32\n", "type: u32\n        offset: 1" + "0" * 5000 + "\n")
    run = pvabi_proc("validate", make_abi({"a": text}))
    assert_one_bad_input(run, shown("a"), line_of(text, "offset"), "integer of 5001 characters")


def test_huge_sexagesimal_scalar_is_refused_quickly(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    big = ":".join(["1"] * 400_000)  # 800 KB: under YAML 1.1 a minute of big-integer arithmetic
    text = GOOD.replace("type: u32\n", f"type: u32\n        count: {big}\n")
    run = pvabi_proc("validate", make_abi({"a": text}), timeout=30)
    assert_one_bad_input(run, shown("a"), line_of(text, "count"), "characters")


def test_sexagesimal_is_text_not_a_number(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    # YAML 1.1 reads 1:30 as 90, so this array silently had 90 elements.
    text = GOOD.replace("type: u32\n", "type: u32\n        count: 1:30\n")
    run = pvabi_proc("validate", make_abi({"a": text}))
    assert_bad_input(run, shown("a"), line_of(text, "count"))


@pytest.mark.parametrize("literal", ["0b100", "1_0", "010"])
def test_yaml_1_1_integer_spellings_are_not_numbers(make_abi: MakeAbi, pvabi_proc: Proc, literal: str) -> None:
    text = GOOD.replace("type: u32\n", f"type: u32\n        offset: {literal}\n")
    run = pvabi_proc("validate", make_abi({"a": text}))
    assert_bad_input(run, shown("a"), line_of(text, "offset"))


def test_yaml_1_1_booleans_are_names(make_abi: MakeAbi, pvabi_proc: Proc, tmp_path: Path) -> None:
    # YAML 1.1 turned the unquoted enum names ON/OFF into booleans, so the enum read True/False.
    text = layout_file("a", """\
        a_rec:
          kind: struct
          doc: A record.
          fields:
            - name: st
              type: u8
              enum: state
              doc: A state.
        state:
          kind: enum
          doc: A state.
          values:
            OFF: 0
            ON: 1
    """)
    root = make_abi({"a": text})
    image = tmp_path / "img.bin"
    image.write_bytes(b"\x01")
    run = pvabi_proc("decode", "a_rec", image, "--json", "--root", root)
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["values"]["st"] == {"value": 1, "name": "ON"}


def test_octal_and_hex_are_yaml_1_2_integers(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    text = GOOD.replace("type: u32\n", "type: u32\n        count: 0o10\n        offset: 0x0\n")
    run = pvabi_proc("show", "a_rec", "--json", "--root", make_abi({"a": text}))
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["size"] == 32


def _shipped_yaml() -> list[Path]:
    return sorted((REPO / "abi").rglob("*.yaml"))


@pytest.mark.parametrize("path", _shipped_yaml(), ids=lambda p: str(p.relative_to(REPO)))
def test_shipped_files_read_the_same_under_yaml_1_2(path: Path) -> None:
    """Changing the integer rules must not change what any shipped or frozen file says (PyYAML is the truth)."""
    assert load_file(path).data == yaml.safe_load(path.read_text("utf-8"))


def test_shipped_abi_still_validates_with_its_frozen_hashes(pvabi_proc: Proc) -> None:
    run = pvabi_proc("validate", REPO)
    assert run.exit_code == 0, run.output
    assert "5 frozen versions verified" in run.stdout


# --- names ------------------------------------------------------------------------------------------


def test_type_name_with_a_trailing_newline(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    text = GOOD.replace("  a_rec:\n", '  "a_rec\\n":\n')
    run = pvabi_proc("validate", make_abi({"a": text}))
    assert_one_bad_input(run, shown("a"), ..., "control character")


def test_field_name_with_a_trailing_newline(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    text = GOOD.replace("- name: x\n", '- name: "x\\n"\n')
    run = pvabi_proc("validate", make_abi({"a": text}))
    assert_one_bad_input(run, shown("a"), line_of(text, "name:"), "does not match")


def test_arch_key_with_a_trailing_newline(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    text = GOOD.replace("type: u32\n", 'type: u32\n        offset: {"x86_64\\n": 0}\n')
    run = pvabi_proc("validate", make_abi({"a": text}))
    assert_bad_input(run, shown("a"), ..., "control character")


# --- limits and their messages ------------------------------------------------------------------------


def test_field_limit_message_is_whole(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    fields = "".join(f"    - {{name: f{i}, type: u8, doc: d}}\n" for i in range(1025))
    text = layout_file("a", "a_rec:\n  kind: struct\n  doc: Many fields.\n  fields:\n"
                       + textwrap.indent(fields, "  "))
    run = pvabi_proc("validate", make_abi({"a": text}))
    msg = assert_one_bad_input(run, shown("a"), ..., "1025 items, more than the 1024 allowed")
    assert not msg.endswith("...")


def test_every_limit_is_documented() -> None:
    from pvabi import engine, expr, loader, yamlsafe

    doc = (REPO / "docs" / "layout-language.md").read_text("utf-8")
    limits = doc[doc.index("## Limits"):]
    schema = json.loads((REPO / "pvabi" / "schemas" / "layout.schema.json").read_text("utf-8"))
    numbers = {yamlsafe.MAX_DEPTH, yamlsafe.MAX_NODES, yamlsafe.MAX_SCALAR_CHARS, yamlsafe.MAX_INT_CHARS,
               loader.MAX_FILES, loader.MAX_TYPES, loader.MAX_ABI_BYTES, engine.MAX_NESTING, engine.MAX_VALUES,
               expr.MAX_EXPR}
    numbers |= {v for k, v in _walk(schema) if k in ("maxItems", "maxProperties", "maxLength")}
    numbers |= {v for k, v in _walk(schema) if k in ("maximum",) and v > 63}
    for n in sorted(numbers):
        spelled = re.compile(rf"(?<![\d,]){re.escape(f'{n:,}')}(?![\d,])|(?<![\d,]){n}(?![\d,])")
        assert spelled.search(limits), f"limit {n} is not in docs/layout-language.md's Limits"


def _walk(node: object) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, int) and not isinstance(v, bool):
                out.append((k, v))
            out.extend(_walk(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(_walk(v))
    return out


# --- bounds on work, not only on bytes -----------------------------------------------------------------


def test_zero_byte_array_of_sixteen_million_lists(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    text = GOOD.replace("type: u32\n", "type: u32\n        count: [16777216, 0]\n")
    run = pvabi_proc("validate", make_abi({"a": text}), timeout=30)
    assert_one_bad_input(run, shown("a"), ..., "values")


def test_empty_struct_squared(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    text = layout_file("a", """\
        empty:
          kind: struct
          doc: Nothing.
          fields: []
        a_rec:
          kind: struct
          doc: Many nothings.
          fields:
            - name: e
              type: empty
              count: [16777216, 16777216]
              doc: Empties.
    """)
    run = pvabi_proc("validate", make_abi({"a": text}), timeout=30)
    assert_one_bad_input(run, shown("a"), ..., "values")


def test_type_dag_with_a_million_leaves(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    types = "t0:\n  kind: struct\n  doc: A leaf.\n  fields:\n    - {name: x, type: u8, doc: d}\n"
    for i in range(1, 21):
        types += (f"t{i}:\n  kind: struct\n  doc: Two of the previous.\n  fields:\n"
                  f"    - {{name: l, type: t{i - 1}, doc: d}}\n    - {{name: r, type: t{i - 1}, doc: d}}\n")
    root = make_abi({"a": layout_file("a", types)})
    run = pvabi_proc("show", "t20", "--json", "--root", root, timeout=60, max_memory=2 << 30)
    assert_bad_input(run, shown("a"), ..., "values")


def test_many_files_of_many_types_are_refused_quickly(make_abi: MakeAbi, pvabi_proc: Proc) -> None:
    files = {}
    for f in range(64):
        types = "".join(f"t{f}_{i}:\n  kind: struct\n  doc: d\n  fields:\n    - {{name: x, type: u8, doc: d}}\n"
                        for i in range(512))
        files[f"f{f}"] = layout_file(f"f{f}", types)
    run = pvabi_proc("validate", make_abi(files), timeout=30)
    assert_bad_input(run, None, ..., "types")
