"""Generated code for every feature of the layout language, against the compilers and C programs.

One layout file uses bitfields (straddling their unit, signed, plain char,
packed, reserved), an anonymous struct of bitfields inside a union, a named
inline union, a flexible array member, named constants (one per architecture
too) in counts, per-architecture counts and kernel type spellings. Its header
must compile warning-free on all six targets under c11 and gnu89 (each
compiler checking its own static assertions); on x86_64 and i386 a C program
built on it writes images pvabi decodes and reads back images pvabi encodes,
bitfields included; the Python module parses random images as pvabi does.
"""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_in_process
from test_codegen_c import argv_for
from test_codegen_images import agree, build_program, skip_without_m32
from test_engine_vs_compiler import CLANG_ARCHES, GCC_ARCHES, failure_report, run_compilers
from test_roundtrip import random_image

from pvabi.arch import ARCH_NAMES
from pvabi.codec import ConstructCodec, plain
from pvabi.engine import Resolver
from pvabi.loader import load_abi

LANG_YAML = """\
meta: {id: lang, doc: Every feature of the layout language a header declares as the layout does.}
constants:
  LEGACY_MAX_VCPUS: {x86_32: 32, x86_64: 32, default: 1}
  RING_SLOTS: 4
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
    doc: Bitfields that cross their type's alignment unit (i386 aligns u64 to 4).
    fields:
      - {name: head, type: u8, doc: A byte.}
      - {name: a, type: u64, bits: 40, doc: A.}
      - {name: b, type: u64, bits: 40, doc: B.}
      - {name: s, type: s16, bits: 5, doc: Signed.}
      - {name: c, type: char, bits: 3, doc: Plain char bits.}
      - {name: tail, type: u16, doc: After the bits.}
  packed_bits:
    kind: struct
    doc: A packed struct's bits follow each other.
    packed: true
    fields:
      - {name: x, type: u8, bits: 3, doc: X.}
      - {name: y, type: u32, bits: 30, doc: Y.}
      - {name: z, type: u16, doc: Z.}
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
  anon_in_struct:
    kind: struct
    doc: An anonymous union inside a struct.
    fields:
      - {name: kind, type: u16, doc: Which view.}
      - kind: union
        fields:
          - {name: word, type: u32, doc: As a word.}
          - {name: half, type: u16, count: 2, doc: As halves.}
      - {name: after, type: u8, doc: After it.}
  kernel:
    kind: struct
    doc: Explicit-endian kernel types next to native ones.
    fields:
      - {name: le, type: __le32, doc: Little-endian everywhere.}
      - {name: be, type: __be32, doc: Big-endian everywhere.}
      - {name: n, type: uint16_t, doc: Native.}
      - {name: k, type: __s8, doc: Signed byte.}
  slots:
    kind: struct
    doc: Named constants and per-architecture counts, a named inline union, a flexible array.
    fields:
      - {name: vcpus, type: u8, count: LEGACY_MAX_VCPUS, doc: One per legacy vCPU.}
      - {name: ring, type: u16, count: "RING_SLOTS * 2", doc: Ring.}
      - {name: per_arch, type: u32, count: {x86_64: 3, default: 2}, doc: Per-arch count.}
      - name: u
        kind: union
        doc: A named inline union.
        fields:
          - {name: w, type: u32, doc: Word.}
          - {name: b, type: u8, count: 4, doc: Bytes.}
      - {name: n, type: u16, doc: Element count.}
      - {name: data, type: u32, flexible: true, doc: The elements.}
"""


@pytest.fixture
def lang_root(make_abi: Callable[..., Path]) -> Path:
    root = make_abi({"lang": LANG_YAML})
    run = run_in_process(["validate", root])
    assert run.exit_code == 0, run.output
    return root


def _gen(root: Path, out: Path, *args: str) -> None:
    run = run_in_process(["gen", "c", "-o", out, "--root", root, *args])
    assert run.exit_code == 0 and "Traceback" not in run.output, run.output


def test_header_declares_the_language_as_written(lang_root: Path, tmp_path: Path) -> None:
    _gen(lang_root, tmp_path / "inc")
    h = (tmp_path / "inc" / "lang.h").read_text()
    assert "uint64_t gpa:52;" in h and "char c:3;" in h and "int16_t s:5;" in h
    assert "    __extension__ struct {" in h  # the anonymous struct in reg
    assert "    union {" in h and "} u;" in h  # the named inline union
    assert "uint32_t data[];" in h  # the flexible array member
    assert "#define LEGACY_MAX_VCPUS 32" in h and "#define LEGACY_MAX_VCPUS 1" in h and "#define RING_SLOTS 4" in h
    assert "uint32_t le;" in h and "Stored big-endian." in h
    linux = tmp_path / "linux"
    _gen(lang_root, linux, "--types", "linux")
    assert "__le32 le;" in (linux / "lang.h").read_text() and "__be32 be;" in (linux / "lang.h").read_text()


def test_header_compiles_on_every_target(lang_root: Path, tmp_path: Path) -> None:
    include = tmp_path / "inc"
    _gen(lang_root, include)
    jobs = [(f"{arch} {std}", argv_for(arch, std, include, None), '#include "lang.h"\n')
            for arch in (*GCC_ARCHES, *CLANG_ARCHES) for std in ("c11", "gnu89")]
    failures = [failure_report(*r) for r in run_compilers(jobs) if r[3] != 0]
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("arch", ["x86_64", "x86_32"])
def test_c_and_pvabi_agree_on_the_language(arch: str, lang_root: Path, tmp_path: Path) -> None:
    skip_without_m32(arch)
    include = tmp_path / "inc"
    _gen(lang_root, include)
    abi = load_abi(lang_root / "layouts")
    r = Resolver(abi, arch)
    layouts = [r.layout(rec.name) for rec in abi.records()]
    assert len(layouts) == 7  # every record, the union (written through its first member) included
    exe = build_program(arch, layouts, ["lang.h"], include, tmp_path)
    for lay in layouts:
        agree(exe, lay, "working", lang_root.parent, tmp_path, through_cli=True)


def test_python_module_parses_the_language_like_pvabi(lang_root: Path, tmp_path: Path) -> None:
    path = tmp_path / "lang_abi.py"
    run = run_in_process(["gen", "python", "-o", path, "--root", lang_root])
    assert run.exit_code == 0, run.output
    spec = importlib.util.spec_from_file_location("lang_abi", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    abi = load_abi(lang_root / "layouts")
    rng = random.Random(11)
    for arch in ARCH_NAMES:
        r = Resolver(abi, arch)
        for rec in abi.records():
            lay = r.layout(rec.name)
            for _ in range(10):
                image = random_image(lay, rng.randbytes(lay.size))
                parsed = mod.parse(lay.name, arch, image)
                assert plain(lay, parsed) == ConstructCodec(lay).parse(image), (arch, lay.name)
                assert mod.build(lay.name, arch, parsed) == image, (arch, lay.name)
