"""``extract`` against the compilers: every shipped version, compiled with -g, reads back as pvabi lays it out.

The objects are built from each version's own records (gcc for x86_64 and i386,
clang --target for the rest), so the outside truth is where gcc and clang put
every member; the DWARF, and the BTF pahole encodes from it, must give the
version's offsets, sizes and types back. Hand-written structs with attributes
the generated C never uses are checked the other way round: the extracted
layout, emitted as C with _Static_assert on every offset, must compile.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from binutil import (
    add_btf,
    compile_object,
    declarations,
    facts,
    raw_btf,
    tool,
    version_abi,
    versions,
)

from pvabi import arch as archmod
from pvabi.binary.extract import extract
from pvabi.codegen.check import c_check_source
from pvabi.engine import Resolver

ALL_ARCHES = tuple(archmod.ARCH_NAMES)


def _records(abi_name: str, arch: str) -> list[str]:
    return [r.name for r in version_abi(abi_name).records() if r.exists_on(arch)]


def _check(obj: Path, version: str, arch: str, arch_opt: str | None = None) -> str:
    abi = version_abi(version)
    resolver = Resolver(abi, arch)
    form = ""
    for name in _records(version, arch):
        got = extract(obj, name, arch_opt)
        assert got.arch == arch
        assert facts(got.layout()) == facts(resolver.layout(name)), f"{version} {name} on {arch} ({got.form})"
        form = got.form
    return form


@pytest.mark.parametrize("arch", ALL_ARCHES)
@pytest.mark.parametrize("version", versions())
def test_every_version_round_trips_through_dwarf(version: str, arch: str, tmp_path: Path) -> None:
    if not _records(version, arch):
        pytest.skip(f"{version} has no layout on {arch}")
    obj = compile_object(declarations(version_abi(version), arch), arch, tmp_path / "v.o")
    assert _check(obj, version, arch) == "DWARF"


@pytest.mark.parametrize("arch", ("x86_64", "x86_32", "aarch64", "s390x"))
@pytest.mark.parametrize("version", versions())
def test_every_version_round_trips_through_btf(version: str, arch: str, tmp_path: Path) -> None:
    if not _records(version, arch):
        pytest.skip(f"{version} has no layout on {arch}")
    obj = compile_object(declarations(version_abi(version), arch), arch, tmp_path / "v.o")
    x86 = arch in ("x86_64", "x86_32")
    with_btf = add_btf(obj, tmp_path / "btf.o", strip=x86)
    if x86:
        assert _check(with_btf, version, arch) == "BTF"
    blob = raw_btf(with_btf, tmp_path / "v.btf")
    assert _check(blob, version, arch, arch_opt=arch) == "BTF"


HAND_WRITTEN = """
#include <stdint.h>
typedef unsigned long word_t;
typedef uint8_t handle_t[16];
enum state { OFF, ON = 3, BROKEN = 0x7fffffff };
typedef struct { uint8_t x; uint16_t y; } pair_t;
struct inner { uint32_t a; uint64_t b; };
union either { uint32_t u; int16_t s[3]; struct inner in; };
struct wire { uint8_t tag; uint32_t value; uint64_t stamp; } __attribute__((packed));
struct spaced { uint8_t a; uint32_t b __attribute__((aligned(16))); uint8_t c; };
struct everything {
    uint8_t c;
    struct inner in[2];
    word_t w;
    char name[8];
    enum state st;
    pair_t pair;
    uint8_t grid[2][3];
    void *ptr;
    int16_t s;
    handle_t handle;
    union either e;
    struct wire packed_member;
    struct spaced sp;
    long l;
    unsigned long long ull;
    signed char sc;
    _Bool flag;
};
"""


@pytest.mark.parametrize("arch", ALL_ARCHES)
def test_extracted_layout_compiles_back_with_the_compilers_offsets(arch: str, tmp_path: Path) -> None:
    obj = compile_object(HAND_WRITTEN, arch, tmp_path / "hand.o")
    got = extract(obj, "everything")
    abi = got.abi()
    layout = got.layout()
    assert [m.name for m in layout.members][:3] == ["c", "in", "w"]
    assert abi.record("wire") is not None and abi.record("wire").packed  # type: ignore[union-attr]
    assert abi.enum("state") is not None and dict(abi.enum("state").values) == {  # type: ignore[union-attr]
        "OFF": 0, "ON": 3, "BROKEN": 0x7FFFFFFF}
    # the outside truth: the compiler accepts _Static_assert on every offset, size and alignment pvabi derived
    check = HAND_WRITTEN.replace("#include <stdint.h>", "#include <stdint.h>\n#include <stddef.h>")
    asserts = [line for line in c_check_source(abi, arch).splitlines() if line.startswith("_Static_assert")]
    source = check + "\n".join(a.replace("__builtin_offsetof(struct pair_t", "__builtin_offsetof(pair_t")
                               .replace("sizeof(struct pair_t", "sizeof(pair_t")
                               .replace("_Alignof(struct pair_t", "_Alignof(pair_t")
                               .replace("((struct pair_t *)", "((pair_t *)") for a in asserts) + "\n"
    cmd = ([tool("gcc"), "-m32" if arch == "x86_32" else "-m64"] if arch in ("x86_64", "x86_32")
           else [tool("clang"), f"--target={archmod.ARCHES[arch].clang_target}"])
    done = subprocess.run([*cmd, "-ffreestanding", "-fsyntax-only", "-x", "c", "-"], input=source, text=True,
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr + "\n" + source


def test_layout_file_is_deterministic_and_loads(tmp_path: Path) -> None:
    obj = compile_object(HAND_WRITTEN, "x86_64", tmp_path / "hand.o")
    first = extract(obj, "everything").text
    assert first == extract(obj, "everything").text
    assert "writer/reader" in first and "reserved: zero|any" in first  # says what it could not infer
    assert extract(obj, "pair_t").abi().record("pair_t") is not None  # a typedef'd anonymous struct by its name


LANGUAGE_FEATURES = """
#include <stdint.h>
struct regs {
    uint64_t enable:1;
    uint64_t reserved:11;
    uint64_t gpa:52;
    union {
        uint64_t raw;
        struct { uint32_t lo; uint32_t hi; };
    };
    struct { uint16_t a; uint8_t b:3; uint8_t c:5; } named;
    uint32_t a20:20, b20:20;
    __u32 kernel_spelled;
    __be16 big;
    uint32_t count;
    uint8_t data[];
};
"""
KERNEL_TYPES = "typedef uint16_t __u16;\ntypedef uint32_t __u32;\ntypedef __u16 __be16;\n"


@pytest.mark.parametrize("arch", ALL_ARCHES)
def test_bitfields_inline_anonymous_and_flexible_members(arch: str, tmp_path: Path) -> None:
    """The compiler's bit positions must be the engine's; then the C of the extracted layout must compile."""
    source = LANGUAGE_FEATURES.replace("#include <stdint.h>", "#include <stdint.h>\n" + KERNEL_TYPES)
    obj = compile_object(source, arch, tmp_path / "lang.o")
    got = extract(obj, "regs")
    fields = {f.name: f for f in got.abi().record("regs").fields}  # type: ignore[union-attr]
    assert (fields["enable"].bits, fields["gpa"].bits, fields["b20"].bits) == (1, 52, 20)
    assert fields["_anon3"].anonymous and fields["named"].inline is not None and not fields["named"].anonymous
    assert fields["data"].flexible and fields["kernel_spelled"].type == "__u32" and fields["big"].type == "__be16"
    # byte offsets of the non-bitfield members, as the compiler put them
    layout = got.layout()
    offsets = {m.name: m.offset for m in layout.members if m.bitfield is None}
    check = [f'_Static_assert(__builtin_offsetof(struct regs, {n}) == {o}, "{n}");'
             for n, o in offsets.items() if not n.startswith("_anon")]
    check.append(f'_Static_assert(sizeof(struct regs) == {layout.size}, "size");')
    cmd = ([tool("gcc"), "-m32" if arch == "x86_32" else "-m64"] if arch in ("x86_64", "x86_32")
           else [tool("clang"), f"--target={archmod.ARCHES[arch].clang_target}"])
    done = subprocess.run([*cmd, "-ffreestanding", "-fsyntax-only", "-x", "c", "-"], text=True,
                          input=source + "\n".join(check) + "\n", capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
