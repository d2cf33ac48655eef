"""``import-c`` and ``init --from-header``: C headers through the real compilers, back as layouts.

Each shipped version's C declarations, as a header, must import to the
version's own offsets, sizes and types; a hand-written header whose members
depend on the architecture must import to per-architecture members that the
compilers then confirm with _Static_assert on every offset.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from binutil import declarations, facts, tool, version_abi, versions
from conftest import Run

from pvabi import arch as archmod
from pvabi.binary.importc import import_c
from pvabi.codegen.check import c_check_source
from pvabi.engine import Resolver


@pytest.mark.parametrize("arch", ("x86_64", "x86_32"))
@pytest.mark.parametrize("version", versions())
def test_each_version_header_imports_to_its_layouts(version: str, arch: str, tmp_path: Path) -> None:
    abi = version_abi(version)
    header = tmp_path / "abi.h"
    header.write_text(declarations(abi, arch), encoding="utf-8")
    names = [r.name for r in abi.records() if r.exists_on(arch)]
    imported = import_c(header, tuple(names), (arch,))
    got = Resolver(imported_abi(imported.struct, imported.text), arch)
    want = Resolver(abi, arch)
    assert {r.name for r in got.abi.records()} == set(names)
    for name in names:
        assert facts(got.layout(name)) == facts(want.layout(name)), f"{version} {name} on {arch}"


def imported_abi(struct: str, text: str):  # type: ignore[no-untyped-def]
    from pvabi.binary.layoutfile import load_text

    return load_text(struct, text)


PER_ARCH = """
#include <stdint.h>
typedef unsigned long word_t;
#if defined(__x86_64__) || defined(__i386__)
typedef unsigned long pfn_t;
#else
typedef uint64_t pfn_t;
#endif
struct regs { uint32_t flags; word_t sp; };
struct guest_page {
    uint32_t version;
#ifdef __x86_64__
    uint32_t x86_64_only;
#endif
#if defined(__arm__) || defined(__aarch64__)
    uint64_t arm_counter;
#endif
    word_t word;
    pfn_t pfn;
    uint64_t stamp;
    struct regs regs[2];
    char tag[6];
};
"""


def test_members_on_some_architectures_become_per_architecture(tmp_path: Path) -> None:
    header = tmp_path / "guest.h"
    header.write_text(PER_ARCH, encoding="utf-8")
    arches = tuple(archmod.ARCH_NAMES)
    imported = import_c(header, "guest_page", arches)
    rec = imported.types["guest_page"]
    fields = {f.name: f for f in rec.fields}  # type: ignore[union-attr]
    assert fields["x86_64_only"].only_arch == frozenset({"x86_64"})
    assert fields["arm_counter"].only_arch == frozenset({"arm32", "aarch64"})
    assert fields["version"].only_arch is None and fields["stamp"].only_arch is None
    assert "only_arch: [x86_64]" in imported.text and "only_arch: [arm32, aarch64]" in imported.text
    # the outside truth: each compiler accepts _Static_assert on every offset, size and alignment of the import
    abi = imported_abi("guest_page", imported.text)
    for arch in arches:
        asserts = [ln for ln in c_check_source(abi, arch).splitlines() if ln.startswith("_Static_assert")]
        source = PER_ARCH + "\n".join(asserts) + "\n"
        cmd = ([tool("gcc"), "-m32" if arch == "x86_32" else "-m64"] if arch in ("x86_64", "x86_32")
               else [tool("clang"), f"--target={archmod.ARCHES[arch].clang_target}"])
        done = subprocess.run([*cmd, "-ffreestanding", "-fsyntax-only", "-x", "c", "-"], input=source, text=True,
                              capture_output=True, timeout=120, check=False)
        assert done.returncode == 0, f"{arch}: {done.stderr}"


def test_macros_and_include_directories_reach_the_compiler(pvabi_proc: object, tmp_path: Path) -> None:
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "width.h").write_text("#define WIDE_T uint64_t\n", encoding="utf-8")
    header = tmp_path / "rec.h"
    header.write_text('#include <stdint.h>\n#include "width.h"\nstruct rec {\n#ifdef WITH_HEAD\n  uint8_t head;\n'
                      "#endif\n  WIDE_T value;\n};\n", encoding="utf-8")
    run: Run = pvabi_proc("import-c", header, "--struct", "rec", "-I", tmp_path / "inc",  # type: ignore[operator]
                          "-D", "WITH_HEAD", "--arch", "x86_64")
    assert run.exit_code == 0, run.output
    assert "- name: head" in run.stdout and "offset: 8" in run.stdout and "type: u64" in run.stdout


def test_init_from_header_starts_an_abi_that_validates(pvabi_proc: object, tmp_path: Path) -> None:
    header = tmp_path / "guest.h"
    header.write_text(PER_ARCH, encoding="utf-8")
    run: Run = pvabi_proc("init", tmp_path / "repo", "--from-header", header,  # type: ignore[operator]
                          "--struct", "guest_page")
    assert run.exit_code == 0, run.output
    layout = tmp_path / "repo" / "abi" / "layouts" / "guest_page.yaml"
    assert layout.read_text().startswith("# yaml-language-server: $schema=../schemas/layout.schema.json\n")
    assert not (tmp_path / "repo" / "abi" / "layouts" / "steal_time.yaml").exists()
    check: Run = pvabi_proc("validate", tmp_path / "repo")  # type: ignore[operator]
    assert check.exit_code == 0, check.output
    shown: Run = pvabi_proc("show", "guest_page", "--root", tmp_path / "repo")  # type: ignore[operator]
    assert "x86_64_only" in shown.stdout


@pytest.mark.parametrize(("args", "needle"), [
    (("--struct", "nope"), "no struct or union named 'nope'"),
    (("--struct", "rec", "--arch", "vax"), "unknown architecture 'vax'"),
    (("--struct", "rec", "-D", "BREAK_IT"), "gcc failed"),
])
def test_import_errors_are_one_line(pvabi_proc: object, tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    header = tmp_path / "rec.h"
    header.write_text("#ifdef BREAK_IT\n#error broken on purpose\n#endif\nstruct rec { int x; };\n",
                      encoding="utf-8")
    run: Run = pvabi_proc("import-c", header, *args)  # type: ignore[operator]
    assert run.exit_code == 2 and "Traceback" not in run.output, run.output
    assert len(run.stderr.strip().splitlines()) == 1 and needle in run.stderr, run.stderr


def test_init_from_header_needs_struct(pvabi_proc: object, tmp_path: Path) -> None:
    run: Run = pvabi_proc("init", tmp_path / "repo", "--from-header", tmp_path / "x.h")  # type: ignore[operator]
    assert run.exit_code == 2 and "--from-header and --struct go together" in run.stderr
    assert not (tmp_path / "repo").exists()
