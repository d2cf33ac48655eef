"""Across the language boundary: C programs built on the generated headers and pvabi agree on every byte.

For every shipped version and every layout on x86_64 and i386, one C program
(compiled by gcc against the headers ``pvabi gen c`` wrote) can

* ``write LAYOUT``: fill the object with a fill byte, give every leaf a distinct
  value through ordinary member access (reserved-zero members zeroed, as a
  writer must; flag fields only defined bits), and write the object's bytes:
  ``pvabi decode`` must print exactly those values and exit 0;
* ``check LAYOUT FILE``: read an image ``pvabi encode`` wrote from the same
  values (given as JSON built here from the C assignments, not from pvabi's
  output) and compare every leaf, printing each mismatch.

gcc decides where each value lands, so this is an outside truth for the header
and for pvabi's codec at once. i386 needs gcc-multilib (CI installs it).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run_in_process
from test_c_images import FILL, _c_literal, _can_run_m32, _lookup, _union_free, _value

from pvabi.abiroot import AbiRoot
from pvabi.arch import ARCHES as ARCHES_BY_NAME
from pvabi.codec import ConstructCodec, inspect
from pvabi.codegen.check import c_path
from pvabi.engine import ArrayType, Layout, ScalarType, resolver_for
from pvabi.project import load
from pvabi.slots import Slot, slots
from pvabi.values import from_json, to_json
from pvabi.versions import VersionIndex
from valuepath import walk

ROOT = AbiRoot(REPO / "abi")
VERSIONS = [v.name for v in VersionIndex.read(ROOT).versions]
ARCHES = ["x86_64", "x86_32"]


def _assignments(leaf: Slot) -> list[tuple[str, Any, ScalarType]]:
    """(path, value, element type) for every scalar element of a non-reserved leaf; bytes for text.

    Paths are pvabi's (``_anonN`` for an anonymous member); ``c_path`` gives C's spelling."""
    m = leaf.member
    assert m is not None and leaf.rtype is not None
    elem = leaf.rtype if isinstance(leaf.rtype, ScalarType) else leaf.rtype.leaf
    assert isinstance(elem, ScalarType)
    const = m.field.const
    if isinstance(const, int):
        return [(leaf.path, const, elem)]
    if const is not None:
        return [(f"{leaf.path}[{i}]", b, elem) for i, b in enumerate(bytes(const).ljust(leaf.rtype.size, b"\0"))]
    if isinstance(leaf.rtype, ArrayType) and elem.scalar.char:
        text = bytes(0x41 + (i + len(leaf.path)) % 26 for i in range(leaf.rtype.size))
        return [(leaf.path, text, elem)]
    out = []
    dims = leaf.rtype.dims if isinstance(leaf.rtype, ArrayType) else ()
    for idx in itertools.product(*(range(d) for d in dims)):
        p = leaf.path + "".join(f"[{i}]" for i in idx)
        v = _value(p, elem)
        if m.bitfield is not None:  # the value the bitfield's width holds, sign included
            width = m.bitfield.width
            v &= (1 << width) - 1
            if elem.scalar.signed and v >> (width - 1):
                v -= 1 << width
        if m.flags is not None:
            v &= m.flags.mask  # a writer sets only defined bits
        out.append((p, v, elem))
    return out


def first_views(lay: Layout) -> list[Slot]:
    """The slots a C writer stores: of a union (an inline one too) only its first member's, since
    storing one view overwrites the others."""
    return [s for s in slots(lay, view=0) if s.member is not None]


def _program(layouts: list[Layout], headers: list[str]) -> tuple[str, dict[str, dict[str, Any]]]:
    """One C program for all ``layouts``, and per layout the values it stores ({lvalue: int or bytes})."""
    parts = ["#include <stdio.h>", "#include <string.h>", *(f'#include "{h}"' for h in headers), ""]
    expected: dict[str, dict[str, Any]] = {}
    dispatch = []
    for lay in layouts:
        tag = f"{lay.kind} {lay.name}"
        write = [f"static int write_{lay.name}(void) {{", f"    static {tag} s;", f"    memset(&s, {FILL}, sizeof s);"]
        check = [f"static int check_{lay.name}(FILE *f) {{", f"    static {tag} s;", "    int bad = 0;",
                 "    if (fread(&s, 1, sizeof s, f) != sizeof s) { puts(\"short image\"); return 1; }"]
        values: dict[str, Any] = {}
        for leaf in first_views(lay):
            if leaf.member.field.reserved == "zero":
                c = c_path(leaf.path)
                write.append(f"    s.{c} = 0;" if leaf.member.bitfield is not None
                             else f"    memset(&s.{c}, 0, sizeof s.{c});")
            if leaf.member.field.reserved is not None:
                continue
            if leaf.member.field.flexible:
                values[leaf.path] = []  # no elements inside the struct; encode still wants the member
                continue
            for path, v, elem in _assignments(leaf):
                values[path] = v
                lvalue = c_path(path)
                if isinstance(v, bytes):
                    lit = "".join(f"\\x{b:02x}" for b in v)
                    write.append(f'    memcpy(s.{lvalue}, "{lit}", {len(v)});')
                    check.append(f'    if (memcmp(s.{lvalue}, "{lit}", {len(v)})) '
                                 f'{{ puts("{lvalue}: text differs"); bad = 1; }}')
                    continue
                lit = _c_literal(v, elem)
                if elem.size > 1 and elem.endian != ARCHES_BY_NAME[lay.arch].endian:
                    # A fixed byte order other than the CPU's (__be32 on x86): C stores it swapped, as a
                    # kernel does with cpu_to_be32.
                    cast = f"({_ctype(elem)})" if elem.scalar.signed else ""
                    lit = f"({cast}__builtin_bswap{elem.size * 8}({lit}))"
                write.append(f"    s.{lvalue} = {lit};")
                cast = "(long long)" if elem.scalar.signed else "(unsigned long long)"
                fmt = "%lld" if elem.scalar.signed else "%llu"
                check.append(f"    if (s.{lvalue} != {lit}) "
                             f'{{ printf("{lvalue}: {fmt}\\n", {cast}s.{lvalue}); bad = 1; }}')
        write += ["    return fwrite(&s, 1, sizeof s, stdout) != sizeof s;", "}"]
        check += ["    return bad;", "}"]
        parts += write + check
        expected[lay.name] = values
        dispatch.append(f'    if (!strcmp(argv[2], "{lay.name}")) '
                        f'return argv[1][0] == \'w\' ? write_{lay.name}() : check_{lay.name}(f);')
    parts += ["int main(int argc, char **argv) {", "    FILE *f = NULL;",
              "    if (argc < 3) return 2;",
              "    if (argv[1][0] == 'c' && (argc < 4 || !(f = fopen(argv[3], \"rb\")))) return 2;",
              *dispatch, "    return 2;", "}", ""]
    return "\n".join(parts), expected


def _ctype(t: ScalarType) -> str:
    return f"{'' if t.scalar.signed else 'u'}int{t.size * 8}_t"


def _nest(values: dict[str, Any]) -> dict[str, Any]:
    """The JSON ``pvabi encode`` takes, built from C lvalues (``a.b[2].c``) and their values."""
    root: dict[str, Any] = {}
    for lvalue, v in values.items():
        steps = re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", lvalue)
        node: Any = root
        for i, (name, index) in enumerate(steps):
            last = i == len(steps) - 1
            key: Any = name if name else int(index)
            nxt = steps[i + 1] if not last else None
            empty: Any = ([] if nxt and nxt[1] else {})
            if isinstance(node, list):
                while len(node) <= key:
                    node.append(None)
                if last:
                    node[key] = v
                elif node[key] is None:
                    node[key] = empty
                node = node[key]
            else:
                if last:
                    node[key] = v
                else:
                    node = node.setdefault(key, empty)
    return _jsonable(root)


def _jsonable(x: Any) -> Any:
    if isinstance(x, bytes):
        return {"hex": x.hex()}
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    return x


def _compile(arch: str, source: str, include: Path, tmp: Path) -> Path:
    c, exe = tmp / f"images_{arch}.c", tmp / f"images_{arch}"
    c.write_text(source)
    flags = ["-m32"] if arch == "x86_32" else []
    argv = ["gcc", *flags, "-std=c11", "-O0", "-Wall", "-Wextra", "-Werror", "-I", str(include), "-o", str(exe), str(c)]
    proc = subprocess.run(argv, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return exe


EXPECTED: dict[tuple[Path, str], dict[str, Any]] = {}


def build_program(arch: str, layouts: list[Layout], headers: list[str], include: Path, tmp_path: Path) -> Path:
    """Compile the write/check program for ``layouts``; remembers the values it stores per layout."""
    source, expected = _program(layouts, headers)
    exe = _compile(arch, source, include, tmp_path)
    for name, values in expected.items():
        EXPECTED[(exe, name)] = values
    return exe


def skip_without_m32(arch: str) -> None:
    if arch == "x86_32" and not _can_run_m32():
        if os.environ.get("CI"):
            pytest.fail("CI must install gcc-multilib to run i386 programs")
        pytest.skip("gcc -m32 cannot link here (install gcc-multilib)")


def _number(value: Any) -> Any:
    return value["value"] if isinstance(value, dict) and "value" in value else value


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("version", VERSIONS)
def test_c_and_pvabi_agree_both_ways(version: str, arch: str, tmp_path: Path) -> None:
    skip_without_m32(arch)
    include = tmp_path / "include"
    gen = run_in_process(["gen", "c", "--abi-version", version, "-o", include, "--root", REPO])
    assert gen.exit_code == 0 and "Traceback" not in gen.output, gen.output
    abi = load(ROOT, version)
    r = resolver_for(abi, arch)
    layouts = [r.layout(rec.name) for rec in abi.records() if rec.exists_on(arch)]
    assert all(_union_free(lay) for lay in layouts)  # no shipped unions: every layout is checked
    assert len(layouts) >= (11 if arch == "x86_32" else 6)
    headers = sorted(p.name for p in include.glob("*.h") if arch == "x86_32" or p.name != "vmi_rom.h")
    exe = build_program(arch, layouts, headers, include, tmp_path)
    # The commands themselves for the newest version; for older ones the same library calls they make
    # (loading and validating the ABI per command would take most of this test's time).
    through_cli = version == VERSIONS[-1]
    for lay in layouts:
        agree(exe, lay, version, REPO, tmp_path, through_cli)


def agree(exe: Path, lay: Layout, version: str, root: Path, tmp_path: Path, through_cli: bool) -> None:
    """C writes and pvabi decodes the same values; pvabi encodes them and C reads them back."""
    arch = lay.arch
    opt = "--abi-version" if through_cli else ""
    expected = EXPECTED[(exe, lay.name)]
    image = subprocess.run([str(exe), "write", lay.name], capture_output=True, check=True).stdout
    assert len(image) == lay.size, lay.name
    img = tmp_path / f"{lay.name}.c.bin"
    img.write_bytes(image)
    if through_cli:
        dec = run_in_process(["decode", lay.name, img, "--json", opt, version, "--arch", arch, "--root", root])
        assert dec.exit_code == 0 and "Traceback" not in dec.output, dec.output
        values = json.loads(dec.stdout)["values"]
    else:  # what decode runs, without reloading the ABI for every image
        decoded = ConstructCodec(lay).parse(image)
        assert not inspect(lay, decoded)
        values = json.loads(json.dumps(to_json(lay, decoded)))
    for path, v in expected.items():
        if isinstance(v, bytes):
            got = walk(values, path)
            assert bytes.fromhex(got["hex"]) == v, f"{version} {arch} {lay.name}.{path}"
            continue
        got = _number(walk(values, path) if "[" not in path else _lookup(values, path))
        assert got == v, f"{version} {arch} {lay.name}.{path}: C stored {v}, pvabi decoded {got}"
    vfile = tmp_path / f"{lay.name}.json"
    vfile.write_text(json.dumps(_nest(expected)))
    out = tmp_path / f"{lay.name}.pvabi.bin"
    if through_cli:
        enc = run_in_process(["encode", lay.name, vfile, "-o", out, opt, version, "--arch", arch, "--root", root])
        assert enc.exit_code == 0 and "Traceback" not in enc.output, enc.output
    else:
        out.write_bytes(ConstructCodec(lay).build(from_json(lay, json.loads(vfile.read_text()))))
    chk = subprocess.run([str(exe), "check", lay.name, str(out)], capture_output=True, text=True)
    assert chk.returncode == 0 and not chk.stdout, f"{version} {arch} {lay.name}: C read back\n{chk.stdout}"


def test_the_check_program_can_fail(tmp_path: Path) -> None:
    """Negative control: an image with one byte changed is caught by the C reader."""
    include = tmp_path / "include"
    assert run_in_process(["gen", "c", "-o", include, "--root", REPO]).exit_code == 0
    abi = load(ROOT)
    lay = resolver_for(abi, "x86_64").layout("vcpu_time_info")
    source, expected = _program([lay], ["vcpu_time_info.h"])
    exe = _compile("x86_64", source, include, tmp_path)
    image = bytearray(subprocess.run([str(exe), "write", lay.name], capture_output=True, check=True).stdout)
    image[lay.member("system_time").offset] ^= 1  # type: ignore[union-attr]
    (tmp_path / "bad.bin").write_bytes(bytes(image))
    chk = subprocess.run([str(exe), "check", lay.name, str(tmp_path / "bad.bin")], capture_output=True, text=True)
    assert chk.returncode == 1 and chk.stdout.startswith("system_time: "), chk.stdout
    assert "system_time" in expected[lay.name]
