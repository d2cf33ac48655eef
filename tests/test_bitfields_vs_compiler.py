"""Bitfields, big-endian kernel types and anonymous members against the compilers' own images.

``offsetof`` does not apply to bitfields, so their proof is an image: for each
architecture the compiler lays out ``struct X obj = {.a = 1, ...};`` in the
``.data`` section of an object file (gcc for x86_64 and i386, clang ``--target``
for arm32, aarch64, ppc64 and s390x), and pvabi must decode exactly the values C
stored, and build exactly those bytes from them. The compiler, not pvabi,
decides where every bit lands.
"""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from objimage import object_image
from test_engine_vs_compiler import load_yaml_text, requires

from pvabi.codec import ConstructCodec
from pvabi.codegen.check import FREESTANDING_PRELUDE, alias_typedefs, declaration, ordered_layouts
from pvabi.compare import Comparison
from pvabi.diff import run_rules
from pvabi.engine import ArrayType, Layout, Member, RecordType, Resolver, ScalarType, bits_of, int_range
from pvabi.model import Abi

ALL_ARCHES = ("x86_64", "x86_32", "arm32", "aarch64", "ppc64", "s390x")

BITFIELDS_YAML = """\
meta: {id: probe, doc: Bitfields as real headers write them.}
types:
  hv_msr:
    kind: struct
    doc: "Hyper-V style: u64 enable:1; u64 reserved:11; u64 gpa:52."
    fields:
      - {name: enable, type: u64, bits: 1, doc: On.}
      - {name: reserved, type: u64, bits: 11, reserved: zero}
      - {name: gpa, type: u64, bits: 52, doc: Guest frame.}
  straddle:
    kind: struct
    doc: Bitfields that cross their type's alignment unit (i386 u64 is 4-aligned).
    fields:
      - {name: head, type: u8, doc: A byte.}
      - {name: a, type: u64, bits: 40, doc: A.}
      - {name: b, type: u64, bits: 40, doc: B.}
      - {name: s, type: s16, bits: 5, doc: Signed.}
      - {name: c, type: char, bits: 3, doc: Plain char bits.}
      - {name: w, type: ulong, bits: 17, doc: A long's bits.}
      - {name: tail, type: u16, doc: After the bits.}
      - {name: t1, type: u32, bits: 31, doc: T1.}
      - {name: t2, type: s8, bits: 7, doc: T2.}
  packed_bits:
    kind: struct
    doc: A packed struct's bits follow each other.
    packed: true
    fields:
      - {name: x, type: u8, bits: 3, doc: X.}
      - {name: y, type: u32, bits: 30, doc: Y.}
      - {name: z, type: u16, doc: Z.}
      - {name: q, type: u64, bits: 33, doc: Q.}
  reg:
    kind: union
    doc: A register read whole or by its bits, through an anonymous struct.
    fields:
      - {name: raw, type: u64, doc: The whole register.}
      - kind: struct
        fields:
          - {name: vector, type: u32, bits: 8, doc: Vector.}
          - {name: mode, type: u32, bits: 3, doc: Mode.}
          - {name: rsvd, type: u32, bits: 21, reserved: any}
          - {name: dest, type: u32, doc: Destination.}
  kernel:
    kind: struct
    doc: Explicit-endian kernel types next to native ones.
    fields:
      - {name: le, type: __le32, doc: Little-endian everywhere.}
      - {name: be, type: __be32, doc: Big-endian everywhere.}
      - {name: be16, type: __be16, doc: Big-endian.}
      - {name: native, type: __u16, doc: Native.}
      - {name: be64, type: __be64, doc: Big-endian.}
"""


def decls(abi: Abi, resolver: Resolver, name: str) -> str:
    out = FREESTANDING_PRELUDE + "\n".join(alias_typedefs(abi, resolver)) + "\n"
    return out + "\n".join(declaration(lay) + "\n" for lay in ordered_layouts(resolver, [name]))


def _value(rng: random.Random, m: Member, t: ScalarType) -> int:
    lo, hi = int_range(t.scalar, m.bitfield.width if m.bitfield else None)
    v = rng.choice([lo, hi, rng.randint(lo, hi), rng.randint(lo, hi)])
    return v or hi or lo  # a non-zero value shows where the bits went


def _c_literal(v: int) -> str:
    return f"({v + 1}LL - 1)" if v < 0 else f"{v}ULL"


def fill(layout: Layout, rng: random.Random, arch: str) -> tuple[list[str], dict[str, Any]]:
    """C designators and the values pvabi must decode (a union: its first member only)."""
    inits: list[str] = []
    values: dict[str, Any] = {}
    for m in layout.members[:1] if layout.kind == "union" else layout.members:
        t = m.rtype
        if isinstance(t, RecordType):
            sub, subvalues = fill(t.layout, rng, arch)
            inits.append(", ".join(sub) if m.field.anonymous else f".{m.name} = {{{', '.join(sub)}}}")
            values[m.name] = subvalues
        elif isinstance(t, ScalarType):
            v = _value(rng, m, t)
            c = _c_literal(v)
            if t.scalar.endian and t.scalar.endian != ("big" if arch in ("ppc64", "s390x") else "little"):
                c = f"__builtin_bswap{t.size * 8}({c})"  # the bytes a kernel's cpu_to_be32(v) would store
            inits.append(f".{m.name} = {c}")
            values[m.name] = v
        else:
            assert isinstance(t, ArrayType)
    return inits, values


def _check(abi: Abi, arch: str, name: str, tmp: Path, seed: int) -> None:
    resolver = Resolver(abi, arch)
    layout = resolver.layout(name)
    inits, expected = fill(layout, random.Random(seed), arch)
    source = decls(abi, resolver, name) + f"{layout.kind} {name} obj = {{{', '.join(inits)}}};\n"
    image = object_image(arch, source, tmp)
    assert len(image) == layout.size, f"{name} on {arch}: the compiler's object is {len(image)} bytes"
    codec = ConstructCodec(layout)
    values = codec.parse(image)
    assert _pick(values, expected) == expected, f"{name} on {arch}\n{source}\nimage {image.hex()}"
    assert codec.build(values) == image, f"{name} on {arch}: decode/encode is not byte-exact"


def _pick(values: dict[str, Any], like: dict[str, Any]) -> dict[str, Any]:
    return {k: _pick(values[k], v) if isinstance(v, dict) else values[k] for k, v in like.items()}


@pytest.fixture(scope="module")
def bitfields() -> Abi:
    return load_yaml_text(BITFIELDS_YAML)


@requires("clang")
@pytest.mark.parametrize("arch", ALL_ARCHES)
@pytest.mark.parametrize("name", ["hv_msr", "straddle", "packed_bits", "reg", "kernel"])
def test_compiler_images_decode_and_rebuild(bitfields: Abi, arch: str, name: str, tmp_path: Path) -> None:
    for seed in range(3):
        _check(bitfields, arch, name, tmp_path, seed)


def test_hyperv_msr_bits_are_where_the_spec_puts_them(bitfields: Abi) -> None:
    """On x86_64 the register is one little-endian u64: enable bit 0, gpa bits 12..63."""
    layout = Resolver(bitfields, "x86_64").layout("hv_msr")
    image = ((0xABCDE << 12) | 1).to_bytes(8, "little")
    values = ConstructCodec(layout).parse(image)
    assert (values["enable"], values["reserved"], values["gpa"]) == (1, 0, 0xABCDE)


def test_bit_padding_survives_a_round_trip(bitfields: Abi) -> None:
    """Bits no member holds are kept (``_bits_<offset>``), so any image rebuilds byte for byte."""
    for arch in ALL_ARCHES:
        layout = Resolver(bitfields, arch).layout("straddle")
        image = bytes(random.Random(arch).randrange(256) for _ in range(layout.size))
        codec = ConstructCodec(layout)
        assert codec.build(codec.parse(image)) == image, arch


# --- random bitfield structs -------------------------------------------------------------------------------------

BIT_TYPES = {"u8": 8, "u16": 16, "u32": 32, "u64": 64, "s8": 8, "s16": 16, "s32": 32, "s64": 64,
             "char": 8, "ulong": 32, "slong": 32, "__u32": 32, "int64_t": 64}


@st.composite
def bitfield_structs(draw: st.DrawFn) -> str:
    """A flat struct of bitfields mixed with ordinary scalars, maybe packed, as layout YAML."""
    fields = []
    for i in range(draw(st.integers(1, 10))):
        t = draw(st.sampled_from(sorted(BIT_TYPES)))
        if draw(st.integers(0, 3)) == 0:
            fields.append(f"      - {{name: f{i}, type: {t}, doc: Plain.}}")
        else:
            width = draw(st.integers(1, BIT_TYPES[t]))
            fields.append(f"      - {{name: f{i}, type: {t}, bits: {width}, doc: Bits.}}")
    packed = "    packed: true\n" if draw(st.integers(0, 3)) == 0 else ""
    return ("meta: {id: probe, doc: Random bitfields.}\ntypes:\n  rnd:\n    kind: struct\n    doc: Random.\n"
            + packed + "    fields:\n" + "\n".join(fields) + "\n")


@requires("clang")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=bitfield_structs(), seed=st.integers(0, 1 << 30))
def test_random_bitfield_structs_match_compiler_images(text: str, seed: int) -> None:
    note(text)
    abi = load_yaml_text(text)
    with tempfile.TemporaryDirectory(prefix="pvabi-bits-") as tmp:
        for arch in ALL_ARCHES:
            _check(abi, arch, "rnd", Path(tmp), seed)


# --- the diff over bitfields ---------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=bitfield_structs(), new=bitfield_structs())
def test_diff_of_random_bitfield_structs_runs_to_the_end(old: str, new: str) -> None:
    """Any two bitfield layouts compare without an exception, and a bit that moved or changed width is reported."""
    note(old)
    note(new)
    old_abi, new_abi = load_yaml_text(old), load_yaml_text(new)
    findings = run_rules(Comparison(old_abi, new_abi, "old", "new"))
    for arch in ALL_ARCHES:
        o, n = Resolver(old_abi, arch).layout("rnd"), Resolver(new_abi, arch).layout("rnd")
        for om in o.members:
            nm = n.member(om.name)
            if nm is None or (om.bitfield is None and nm.bitfield is None):
                continue
            if (bits_of(om).pos, bits_of(om).width) != (bits_of(nm).pos, bits_of(nm).width):
                assert any(f.path == om.name and arch in f.arches for f in findings), (om.name, arch)


# --- programs that assign members over a filled object (x86, where they run) -------------------------------------

def _assignments(layout: Layout, values: dict[str, Any], prefix: str = "s.") -> list[str]:
    out = []
    for m in layout.members[:1] if layout.kind == "union" else layout.members:
        if m.name not in values:
            continue
        if isinstance(m.rtype, RecordType):
            inner = prefix if m.field.anonymous else f"{prefix}{m.name}."
            out += _assignments(m.rtype.layout, values[m.name], inner)
        else:
            out.append(f"    {prefix}{m.name} = {_c_literal(values[m.name])};")
    return out


@requires("gcc")
@pytest.mark.parametrize("arch", ["x86_64", "x86_32"])
@pytest.mark.parametrize("name", ["hv_msr", "straddle", "packed_bits", "reg"])
def test_programs_assigning_bitfields_over_filled_memory(bitfields: Abi, arch: str, name: str,
                                                         tmp_path: Path) -> None:
    """A gcc-compiled program fills the object with 0xA5, assigns each member, and writes the bytes: pvabi decodes
    what C assigned, and rebuilds the image exactly, 0xA5 padding bits included."""
    probe = subprocess.run(["gcc", "-m32" if arch == "x86_32" else "-m64", "-x", "c", "-o", os.devnull, "-"],
                           input="int main(void){return 0;}", capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"gcc cannot link {arch} programs here (gcc-multilib)")
    resolver = Resolver(bitfields, arch)
    layout = resolver.layout(name)
    _, expected = fill(layout, random.Random(7), arch)
    body = [f"    static {layout.kind} {name} s;", "    memset(&s, 0xA5, sizeof s);",
            *_assignments(layout, expected), "    fwrite(&s, 1, sizeof s, stdout);"]
    src = ("#include <stdio.h>\n#include <string.h>\n" + decls(bitfields, resolver, name)
           + "int main(void) {\n" + "\n".join(body) + "\n    return 0;\n}\n")
    (tmp_path / "p.c").write_text(src)
    cc = subprocess.run(["gcc", "-m32" if arch == "x86_32" else "-m64", "-O0", "-w", "-o", str(tmp_path / "p"),
                         str(tmp_path / "p.c")], capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr + src
    image = subprocess.run([str(tmp_path / "p")], capture_output=True, check=True).stdout
    codec = ConstructCodec(layout)
    values = codec.parse(image)
    assert _pick(values, expected) == expected, f"{name} on {arch}\n{src}\nimage {image.hex()}"
    assert codec.build(values) == image
