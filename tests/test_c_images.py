"""Images written by compiled C programs decode to the values C stored.

For each shipped layout, a generated C program fills the whole object with a
fill byte (so GCC's padding and reserved regions have known content), assigns
every leaf scalar a distinct value through ordinary C member access, and writes
the object's bytes. pvabi must decode those bytes back to exactly those values.
The C compiler, not pvabi, decides where each value lands: an independent truth.
x86_64 runs natively; x86_32 needs gcc -m32 with a 32-bit libc (gcc-multilib),
which CI installs.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from pvabi.codec import ConstructCodec
from pvabi.codegen.check import FREESTANDING_PRELUDE, alias_typedefs, declaration, ordered_layouts
from pvabi.engine import ArrayType, Layout, ScalarType, resolver_for
from pvabi.slots import Slot, slots
from shipped import working

FILL = 0x5A


def _value(path: str, t: ScalarType) -> int:
    """A deterministic value per leaf path that fills the type's width."""
    bits = t.size * 8
    v = zlib.crc32(path.encode()) * 0x9E3779B97F4A7C15 & ((1 << bits) - 1)
    if t.scalar.signed and v >= 1 << (bits - 1):
        v -= 1 << bits
    return v


def _leaf_assignments(leaf: Slot) -> list[tuple[str, Any]]:
    """(C lvalue, expected value) for every scalar element of a leaf."""
    m = leaf.member
    assert m is not None and leaf.rtype is not None
    const = m.field.const
    if isinstance(const, int):
        return [(leaf.path, const)]
    if const is not None:
        return [(f"{leaf.path}[{i}]", b) for i, b in enumerate(bytes(const))]
    if isinstance(leaf.rtype, ScalarType):
        return [(leaf.path, _value(leaf.path, leaf.rtype))]
    elem = leaf.rtype.leaf
    assert isinstance(elem, ScalarType)
    out = []
    for idx in itertools.product(*(range(d) for d in leaf.rtype.dims)):
        p = leaf.path + "".join(f"[{i}]" for i in idx)
        out.append((p, _value(p, elem)))
    return out


def _c_literal(v: int, t: ScalarType) -> str:
    if t.scalar.signed and v < 0:
        return f"({v + 1}LL - 1)"
    return f"{v}ULL"


def _program(layout: Layout, abi_decls: str) -> tuple[str, dict[str, int]]:
    tag = f"{layout.kind} {layout.name}"
    body = [f"    static {tag} s;", f"    memset(&s, {FILL}, sizeof s);"]
    expected: dict[str, int] = {}
    for leaf in slots(layout):
        if not leaf.live or leaf.member is None or leaf.rtype is None:
            continue  # reserved and padding: left at the fill byte
        elem = leaf.rtype if isinstance(leaf.rtype, ScalarType) else leaf.rtype.leaf
        assert isinstance(elem, ScalarType)
        if isinstance(leaf.rtype, ArrayType) and elem.scalar.char and leaf.member.field.const is None:
            continue  # text: left at the fill byte too
        for lvalue, v in _leaf_assignments(leaf):
            body.append(f"    s.{lvalue} = {_c_literal(v, elem)};")
            expected[lvalue] = v
    body.append("    fwrite(&s, 1, sizeof s, stdout);")
    main = "int main(void) {\n" + "\n".join(body) + "\n    return 0;\n}\n"
    src = "#include <stdio.h>\n#include <string.h>\n" + abi_decls + main
    return src, expected


def _lookup(values: Any, lvalue: str) -> Any:
    cur = values
    for part in lvalue.replace("]", "").replace("[", ".[").split("."):
        cur = cur[int(part[1:])] if part.startswith("[") else cur[part]
    return cur


def _union_free(layout: Layout) -> bool:
    # Writing one union member and reading another is defined only byte-wise; skip unions here
    # (their byte-exactness is covered by the round-trip tests).
    return layout.kind != "union" and all(s.path.count(".") < 8 for s in slots(layout))


def _cases(arch: str) -> list[Layout]:
    abi = working()
    r = resolver_for(abi, arch)
    return [r.layout(rec.name) for rec in abi.records() if rec.exists_on(arch)]


def _run(arch: str, layout: Layout, tmp_path: Path) -> bytes:
    abi = working()
    r = resolver_for(abi, arch)
    decls = FREESTANDING_PRELUDE + "\n".join(alias_typedefs(abi, r)) + "\n"
    decls += "\n".join(declaration(lay) for lay in ordered_layouts(r, [layout.name])) + "\n"
    src, _ = _program(layout, decls)
    c = tmp_path / "img.c"
    exe = tmp_path / "img"
    c.write_text(src)
    flags = ["-m32"] if arch == "x86_32" else []
    proc = subprocess.run(["gcc", *flags, "-O0", "-w", "-o", str(exe), str(c)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + src
    return subprocess.run([str(exe)], capture_output=True, check=True).stdout


def _can_run_m32() -> bool:
    probe = subprocess.run(["gcc", "-m32", "-x", "c", "-o", os.devnull, "-"], input="int main(void){return 0;}",
                           capture_output=True, text=True)
    return probe.returncode == 0


ARCHES = ["x86_64", "x86_32"]


@pytest.mark.parametrize("arch", ARCHES)
def test_c_written_images_decode_to_c_values(arch: str, tmp_path: Path) -> None:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is required")
    if arch == "x86_32" and not _can_run_m32():
        if os.environ.get("CI"):
            pytest.fail("CI must install gcc-multilib to run i386 programs")
        pytest.skip("gcc -m32 cannot link here (install gcc-multilib)")
    checked = 0
    for layout in _cases(arch):
        if not _union_free(layout):
            continue
        image = _run(arch, layout, tmp_path)
        assert len(image) == layout.size, layout.name
        values = ConstructCodec(layout).parse(image)
        _, expected = _program(layout, "")
        for lvalue, v in expected.items():
            got = _lookup(values, lvalue)  # an element of a byte string is its byte value
            assert got == v, f"{layout.name}.{lvalue} on {arch}"
        for key, hole in values.items():
            if key.startswith("_hole_"):
                assert hole == bytes([FILL]) * len(hole), f"{layout.name}.{key}"
        assert ConstructCodec(layout).build(values) == image
        checked += 1
    assert checked >= 3
