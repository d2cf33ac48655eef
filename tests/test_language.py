"""The layout language's newer features through the command line: what a mistake says, what show prints.

Placement is proven against the compilers elsewhere (test_engine_vs_compiler, test_bitfields_vs_compiler);
here each feature's misuse must be one ``file:line: field: message`` with exit 2 and no traceback, and
``show``, ``decode`` and ``encode`` must carry the new members through the real console script.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, assert_one_bad_input, layout_file, line_of, shown
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvabi.arch import ARCHES
from pvabi.codec import ConstructCodec
from pvabi.engine import Resolver
from pvabi.loader import load_abi
from pvabi.values import from_json, to_json
from strategies import abi_files, write_layouts

MakeAbi = Callable[..., Path]
RunBoth = Callable[..., Run]


def _record(fields: str, extra: str = "") -> str:
    return f"""\
        {extra}rec:
          kind: struct
          doc: A record.
          fields:
        {fields}"""


BAD = {
    "bitfield_array": (
        _record("    - {name: b, type: u32, bits: 3, count: 2, doc: B.}"), "name: b", "a bitfield cannot be an array"),
    "bitfield_too_wide": (
        _record("    - {name: b, type: u8, bits: 9, doc: B.}"), "name: b", "9 bits does not fit u8"),
    "bitfield_of_a_struct": (
        _record("    - {name: b, type: inner, bits: 3, doc: B.}",
                "inner: {kind: struct, doc: I., fields: [{name: x, type: u8, doc: X.}]}\n        "),
        "name: b", "a bitfield needs an integer type"),
    "bitfield_of_big_endian_type": (
        _record("    - {name: b, type: __be32, bits: 3, doc: B.}"), "name: b", "byte order"),
    "flexible_not_last": (
        _record("    - {name: a, type: u32, doc: A.}\n            - {name: d, type: u8, flexible: true, doc: D.}\n"
                "            - {name: z, type: u32, doc: Z.}"), "name: d", "must be the last member"),
    "flexible_alone": (
        _record("    - {name: d, type: u8, flexible: true, doc: D.}"), "name: d", "with other members"),
    "unknown_constant": (
        _record("    - {name: a, type: u32, count: NOPE * 2, doc: A.}"), "name: a", "unknown constant 'NOPE'"),
    "anonymous_name_clash": (
        _record("    - {name: x, type: u32, doc: X.}\n            - kind: union\n              fields:\n"
                "                - {name: x, type: u16, doc: Again.}"), "name: x, type: u16",
        "duplicate member name 'x'"),
    "explicit_endian_contradicted": (
        _record("    - {name: a, type: __be32, endian: little, doc: A.}"), "name: a", "contradicts"),
    "named_inline_without_doc": (
        _record("    - name: t\n              kind: struct\n              fields: [{name: x, type: u8, doc: X.}]"),
        "- name: t", "missing required key 'doc'"),
    "reserved_anon_prefix": (
        _record("    - {name: _anon1, type: u32, doc: A.}"), "name: _anon1", "reserved"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_misuse_is_one_line_naming_the_field(make_abi: MakeAbi, run_both: RunBoth, case: str) -> None:
    types, marker, needle = BAD[case]
    text = layout_file("a", types)
    run = run_both("validate", make_abi({"a": text}))
    assert_one_bad_input(run, shown("a"), line_of(text, marker), needle)


def test_embedding_a_struct_with_a_flexible_array_is_refused(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", """\
        msg:
          kind: struct
          doc: M.
          fields: [{name: n, type: u32, doc: N.}, {name: d, type: u8, flexible: true, doc: D.}]
        outer:
          kind: struct
          doc: O.
          fields:
            - {name: m, type: msg, doc: M.}
        """)
    run = run_both("validate", make_abi({"a": text}))
    assert_one_bad_input(run, shown("a"), line_of(text, "name: m,"), "outer.m", "ends in a flexible array member")


def test_constant_missing_on_an_architecture(make_abi: MakeAbi, run_both: RunBoth) -> None:
    """Reported once, naming the architectures where the constant has no value."""
    text = layout_file("a", _record("    - {name: a, type: u32, count: N, doc: A.}"))
    text = text.replace("types:\n", "constants:\n  N: {x86_64: 2, aarch64: 4}\ntypes:\n")
    run = run_both("validate", make_abi({"a": text}))
    line = assert_one_bad_input(run, shown("a"), line_of(text, "name: a"), "constant 'N' has no value")
    assert "x86_32" in line and "s390x" in line and "x86_64" not in line, line


def test_a_name_is_a_type_or_a_constant(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", _record("    - {name: a, type: u32, doc: A.}"))
    text = text.replace("types:\n", "constants:\n  rec: 3\ntypes:\n")
    run = run_both("validate", make_abi({"a": text}))
    assert_one_bad_input(run, shown("a"), line_of(text, "rec:", 2), "already a constant")


LANG = """\
    xen_ulong_t: {kind: alias, arch: {x86_32: u32, arm32: u64, default: ulong}}
    msr:
      kind: struct
      doc: A Hyper-V style MSR value.
      writer: guest
      reader: host
      fields:
        - {name: enable, type: u64, bits: 1, doc: Enabled.}
        - {name: reserved, type: u64, bits: 11, reserved: zero}
        - {name: gpa, type: u64, bits: 52, doc: Guest frame.}
    page:
      kind: struct
      doc: Constants, per-architecture counts and contracts, inline members, a flexible array.
      fields:
        - {name: pending, type: xen_ulong_t, count: NR_WORDS, doc: Pending words.}
        - {name: legacy, type: u8, count: {x86_32: 3, default: "NR_WORDS + 1"}, doc: Per-arch length.}
        - {name: status, type: __le16, writer: {x86_64: host, default: guest}, feature: {arm32: F_ARM}, doc: S.}
        - kind: union
          fields:
            - {name: raw, type: u64, doc: Whole.}
            - kind: struct
              fields:
                - {name: lo, type: __be32, doc: Low.}
                - {name: hi, type: uint32_t, doc: High.}
        - {name: c, type: char, doc: Plain char.}
        - {name: data, type: u8, flexible: true, doc: Payload.}
"""
LANG_CONSTANTS = "constants:\n  NR_WORDS: {x86_32: 2, default: 4}\n"


@pytest.fixture()
def lang_root(make_abi: MakeAbi) -> Path:
    text = layout_file("lang", LANG).replace("types:\n", LANG_CONSTANTS + "types:\n")
    return make_abi({"lang": text})


def test_validate_accepts_the_language(lang_root: Path, run_both: RunBoth) -> None:
    run = run_both("validate", lang_root)
    assert run.exit_code == 0, run.output
    assert "Traceback" not in run.output


def test_show_text_prints_bits_inline_members_and_flexible_arrays(lang_root: Path, run_both: RunBoth) -> None:
    run = run_both("show", "msr", "--arch", "x86_64", "--root", lang_root)
    assert run.exit_code == 0 and "Traceback" not in run.output, run.output
    assert "uint64_t enable:1;  [bits 0..0, w:guest r:host]" in run.stdout
    assert "uint64_t gpa:52;  [bits 12..63" in run.stdout
    run = run_both("show", "page", "--arch", "arm32", "--root", lang_root)
    assert run.exit_code == 0, run.output
    out = run.stdout
    assert "xen_ulong_t pending[4];" in out and "uint8_t legacy[5];" in out
    assert "__le16 status;  [w:guest r:both, gated by F_ARM]" in out
    assert "union {  /* anonymous */" in out and "__be32 lo;" in out
    assert "uint8_t data[];  [flexible array" in out
    run = run_both("show", "page", "--arch", "x86_64", "--root", lang_root)
    assert "__le16 status;  [w:host r:both]" in run.stdout
    assert "uint8_t legacy[5];" in run.stdout


def test_show_json_members(lang_root: Path, run_both: RunBoth) -> None:
    run = run_both("show", "msr", "--arch", "ppc64", "--json", "--root", lang_root)
    assert run.exit_code == 0, run.output
    members = {m["name"]: m for m in json.loads(run.stdout)["members"]}
    assert members["gpa"]["bitfield"] == {"bit": 12, "width": 52}
    assert members["gpa"]["type"] == "uint64_t:52"
    run = run_both("show", "page", "--arch", "x86_32", "--json", "--root", lang_root)
    members = {m["name"]: m for m in json.loads(run.stdout)["members"]}
    assert members["_anon3"]["anonymous"] is True and members["_anon3"]["type"] == "union"
    assert members["data"]["flexible"] is True and members["data"]["size"] == 0
    assert members["legacy"]["dims"] == [3]


@pytest.mark.parametrize("arch", ["x86_64", "s390x"])
def test_decode_encode_round_trip_through_the_cli(lang_root: Path, run_both: RunBoth, tmp_path: Path,
                                                  arch: str) -> None:
    abi = load_abi(lang_root / "layouts")
    for name in ("msr", "page"):
        layout = Resolver(abi, arch).layout(name)
        image = bytes((i * 37 + 11) % 256 for i in range(layout.size))
        if name == "msr":  # a legal image: its reserved-zero bits clear
            codec = ConstructCodec(layout)
            image = codec.build({**codec.parse(image), "reserved": 0})
        img = tmp_path / f"{name}.bin"
        img.write_bytes(image)
        run = run_both("decode", name, img, "--arch", arch, "--json", "--root", lang_root)
        assert run.exit_code == 0 and "Traceback" not in run.output, run.output
        values = tmp_path / f"{name}.json"
        values.write_text(run.stdout)
        out = tmp_path / f"{name}.out"
        run = run_both("encode", name, values, "-o", out, "--arch", arch, "--root", lang_root)
        assert run.exit_code == 0, run.output
        assert out.read_bytes() == image, name


def test_out_of_range_bitfield_value_is_refused(lang_root: Path, run_both: RunBoth, tmp_path: Path) -> None:
    values = tmp_path / "v.json"
    values.write_text(json.dumps({"enable": 2, "gpa": 1}))
    run = run_both("encode", "msr", values, "-o", tmp_path / "o.bin", "--arch", "x86_64", "--root", lang_root)
    assert run.exit_code == 2 and "Traceback" not in run.output, run.output
    assert "msr.enable: value 2 out of range for u64:1 (0..1)" in run.stderr
    assert not (tmp_path / "o.bin").exists()


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_plain_char_decodes_with_the_architectures_signedness(lang_root: Path, arch: str) -> None:
    """0xff in a plain char is -1 where char is signed (x86) and 255 elsewhere (their psABIs;
    the generated C asserts ``(char)-1 < 0`` to the same effect under each compiler)."""
    layout = Resolver(load_abi(lang_root / "layouts"), arch).layout("page")
    c = layout.member("c")
    assert c is not None
    image = bytearray(layout.size)
    image[c.offset] = 0xFF
    got = ConstructCodec(layout).parse(bytes(image))["c"]
    assert got == (-1 if arch in ("x86_32", "x86_64") else 255)


def test_explicit_endian_types_keep_their_order_everywhere(lang_root: Path) -> None:
    abi = load_abi(lang_root / "layouts")
    for arch in ARCHES:
        layout = Resolver(abi, arch).layout("page")
        anon = layout.member("_anon3")
        assert anon is not None
        image = bytearray(layout.size)
        image[anon.offset:anon.offset + 4] = bytes([0x12, 0x34, 0x56, 0x78])
        values = ConstructCodec(layout).parse(bytes(image))
        assert values["_anon3"]["_anon1"]["lo"] == 0x12345678, arch


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=abi_files(), data=st.binary(min_size=64, max_size=64))
def test_random_layouts_round_trip_byte_exact(files: dict[str, dict[str, Any]], data: bytes) -> None:
    """Every drawn layout (bitfields, inline and anonymous members, flexible arrays included) rebuilds any image
    byte for byte, also through its JSON form, on a little- and a big-endian architecture."""
    with tempfile.TemporaryDirectory(prefix="pvabi-") as tmp:
        write_layouts(files, Path(tmp) / "layouts")
        abi = load_abi(Path(tmp) / "layouts")
    for arch in ("x86_32", "s390x"):
        resolver = Resolver(abi, arch)
        for rec in abi.records():
            layout = resolver.layout(rec.name)
            image = (data * (layout.size // len(data) + 1))[:layout.size]
            codec = ConstructCodec(layout)
            values = codec.parse(image)
            assert codec.build(values) == image, (rec.name, arch)
            assert codec.build(from_json(layout, json.loads(json.dumps(to_json(layout, values, holes="all"))))) == image
