"""Generated C headers against real compilers, and the ``pvabi gen c`` command.

Every header of every shipped version, with ``<stdint.h>`` and with Linux UAPI
types, must compile warning-free under ``-std=c11 -Wall -Wextra -Werror
-pedantic`` (and ``-std=gnu89``, which the headers claim) with gcc for x86_64 and
i386 and with clang ``--target`` for arm32, aarch64, ppc64 and s390x: each
compiler checks its own sizes, alignments and offsets through the static
assertions in the header. Random layouts (``strategies.abi_files``) go through
``gen c`` and compile on x86_64 and i386.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SHIPPED_ABI, run_in_process
from hypothesis import HealthCheck, given, settings
from test_engine_vs_compiler import CLANG_ARCHES, GCC_ARCHES, compiler, failure_report, requires, run_compilers

from pvabi.abiroot import AbiRoot
from pvabi.arch import ARCHES
from pvabi.versions import VersionIndex
from strategies import abi_files, dump_all, write_layouts

VERSIONS = [v.name for v in VersionIndex.read(AbiRoot(SHIPPED_ABI)).versions]
WARNINGS = ["-Wall", "-Wextra", "-Werror", "-pedantic"]

# Kernel headers exist for the host only; for the other targets, the few Linux UAPI names the
# headers use, spelled from the compiler's own type macros.
LINUX_TYPES_STUB = """\
#ifndef STUB_LINUX_TYPES_H
#define STUB_LINUX_TYPES_H
typedef __UINT8_TYPE__ __u8; typedef __UINT16_TYPE__ __u16; typedef __UINT32_TYPE__ __u32;
__extension__ typedef __UINT64_TYPE__ __u64;
typedef __INT8_TYPE__ __s8; typedef __INT16_TYPE__ __s16; typedef __INT32_TYPE__ __s32;
__extension__ typedef __INT64_TYPE__ __s64;
typedef __u16 __le16; typedef __u16 __be16; typedef __u32 __le32; typedef __u32 __be32;
typedef __u64 __le64; typedef __u64 __be64;
#endif
"""


def gen(out: Path, *args: object, root: Path = REPO) -> None:
    run = run_in_process(["gen", "c", "-o", out, "--root", root, *map(str, args)])
    assert run.exit_code == 0 and "Traceback" not in run.output, run.output


def argv_for(arch: str, std: str, include: Path, stub: Path | None) -> list[str]:
    if arch in GCC_ARCHES:
        base = [compiler("gcc"), "-m32" if arch == "x86_32" else "-m64"]
    else:
        base = [compiler("clang"), f"--target={ARCHES[arch].clang_target}", "-ffreestanding"]
        if stub is not None:
            base += ["-I", str(stub)]
    return [*base, f"-std={std}", *WARNINGS, "-fsyntax-only", "-I", str(include), "-x", "c", "-"]


def translation_unit(include: Path, arch: str) -> str:
    """Every header that describes ``arch`` (a header names its architectures in its #error line)."""
    out = []
    for h in sorted(include.glob("*.h")):
        said = re.search(r"describes (.*) only;", h.read_text())
        assert said, h
        if arch in said.group(1).split(", "):
            out.append(f'#include "{h.name}"')
    assert out, arch
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("types", ["stdint", "linux"])
@pytest.mark.parametrize("version", VERSIONS)
def test_every_shipped_header_compiles_on_every_target(version: str, types: str, tmp_path: Path) -> None:
    include = tmp_path / "include"
    gen(include, "--abi-version", version, "--types", types)
    stub = None
    if types == "linux":
        stub = tmp_path / "stub"
        (stub / "linux").mkdir(parents=True)
        (stub / "linux" / "types.h").write_text(LINUX_TYPES_STUB)
    jobs = []
    for arch in (*GCC_ARCHES, *CLANG_ARCHES):
        for std in ("c11", "gnu89"):
            jobs.append((f"{version} {types} {arch} {std}", argv_for(arch, std, include, stub),
                         translation_unit(include, arch)))
    failures = [failure_report(*r) for r in run_compilers(jobs) if r[3] != 0]
    assert not failures, "\n\n".join(failures)


def test_each_header_compiles_alone(tmp_path: Path) -> None:
    """Each header includes what it needs: including just one is enough."""
    include = tmp_path / "include"
    gen(include)
    jobs = []
    for h in sorted(include.glob("*.h")):
        arch = "x86_32" if h.name == "vmi_rom.h" else "x86_64"
        jobs.append((h.name, argv_for(arch, "c11", include, None), f'#include "{h.name}"\n'))
    failures = [failure_report(*r) for r in run_compilers(jobs) if r[3] != 0]
    assert not failures, "\n\n".join(failures)


def test_unsupported_architecture_is_a_clear_compile_error(tmp_path: Path) -> None:
    include = tmp_path / "include"
    gen(include)
    jobs = [("vmi_rom on x86_64", argv_for("x86_64", "c11", include, None), '#include "vmi_rom.h"\n')]
    if shutil.which("clang"):
        jobs.append(("pvclock on riscv64", [compiler("clang"), "--target=riscv64-linux-gnu", "-ffreestanding",
                                            "-fsyntax-only", "-I", str(include), "-x", "c", "-"],
                     '#include "vcpu_time_info.h"\n'))
    for label, _, _, rc, err in run_compilers(jobs):
        assert rc != 0, label
        assert "this compiler targets none of them" in err, (label, err)
        assert "static assert" not in err.lower(), (label, err)  # stopped before any layout was guessed at


@pytest.mark.parametrize("arch", ["x86_64", "x86_32", "aarch64"])
def test_a_wrong_number_in_a_header_is_rejected(arch: str, tmp_path: Path) -> None:
    """Negative control: the static assertions are live; one number off by one fails the build."""
    include = tmp_path / "include"
    gen(include)
    header = include / "vcpu_info.h"
    text = header.read_text()
    assert text.count("== 32, ") >= 1
    argv = argv_for(arch, "c11", include, None)
    header.write_text(re.sub(r"offsetof\(struct vcpu_info, time\) == (\d+)",
                             lambda m: f"offsetof(struct vcpu_info, time) == {int(m.group(1)) + 1}", text))
    [(_, _, _, rc, err)] = run_compilers([(arch, argv, '#include "vcpu_info.h"\n')])
    assert rc != 0 and "vcpu_info.time: offset" in err, err


def test_c89_fallback_assertions_are_live(tmp_path: Path) -> None:
    include = tmp_path / "include"
    gen(include)
    header = include / "vcpu_time_info.h"
    header.write_text(header.read_text().replace("sizeof(struct vcpu_time_info) == 32", "sizeof(struct "
                                                 "vcpu_time_info) == 33"))
    [(_, _, _, rc, err)] = run_compilers([("gnu89", argv_for("x86_64", "gnu89", include, None),
                                           '#include "vcpu_time_info.h"\n')])
    assert rc != 0 and "negative" in err, err


# --- what the header says -----------------------------------------------------------------------------------------

def test_names_constants_and_banner(tmp_path: Path) -> None:
    include = tmp_path / "include"
    gen(include)
    pvclock = (include / "vcpu_time_info.h").read_text()
    assert "struct vcpu_time_info {" in pvclock
    # Linux (torvalds/linux: arch/x86/include/asm/pvclock-abi.h) spells the mask PVCLOCK_TSC_STABLE_BIT
    # (1 << 0) and the next one PVCLOCK_GUEST_STOPPED (1 << 1); generated names add _BIT to every bit alike.
    assert "#define PVCLOCK_TSC_STABLE_BIT (1U << 0)" in pvclock
    assert "#define PVCLOCK_GUEST_STOPPED_BIT (1U << 1)" in pvclock
    assert "#define PVABI_ABI_VERSION_MAJOR 2\n#define PVABI_ABI_VERSION_MINOR 0\n" in pvclock
    committed = (REPO / "include" / "pvabi" / "vcpu_time_info.h").read_text()
    assert " * Regenerate: pvabi gen c -o include/pvabi\n" in committed
    assert re.search(r"vcpu_time_info\.yaml [0-9a-f]{64}", pvclock)
    assert "#ifndef PVABI_VCPU_TIME_INFO_H" in pvclock
    assert "/*     30      2 */" in pvclock  # pad1: offset 30, 2 bytes
    assert "uint8_t pad1[2];" in pvclock and "Reserved: writers store zeros." in pvclock
    vmi = (include / "vmi_rom.h").read_text()
    assert "#define VROM_HEADER_ROM_SIGNATURE 0xaa55U" in vmi
    assert "VMI_CALL_SetLazyMode = 73" in vmi.replace("VMI_CALL_SETLAZYMODE", "VMI_CALL_SetLazyMode")
    assert "__attribute__((packed))" in vmi  # pci_header needs it ...
    vrom = vmi[vmi.index("struct vrom_header {"):]
    vrom = vrom[: vrom.index("};") + 2]
    assert "packed" in vrom  # 8-byte entry points at 4-aligned offsets: the attribute changes the layout
    shared = (include / "vcpu_info.h").read_text()
    assert '#include "vcpu_time_info.h"' in shared and '#include "xen_types.h"' in shared
    assert "/* XXX 2-byte hole */" in shared  # i386: after the two upcall bytes


def test_packed_only_where_it_changes_something(tmp_path: Path) -> None:
    """vmi_relocation_info is not packed; pci_header is, and the attribute would change nothing for its members
    but its alignment: the header keeps it exactly where the layout needs it."""
    include = tmp_path / "include"
    gen(include)
    vmi = (include / "vmi_rom.h").read_text()
    blocks = dict(re.findall(r"\nstruct (\w+) \{.*?\n\}( __attribute__\(\(.*?\)\))?;", vmi, re.S))
    assert blocks["vmi_relocation_info"] == ""
    assert blocks["vmi_ap_state"] == ""
    assert "packed" in blocks["pci_header"]


def test_linux_types(tmp_path: Path) -> None:
    include = tmp_path / "include"
    gen(include, "--types", "linux")
    vmi = (include / "vmi_rom.h").read_text()
    assert "#include <linux/types.h>" in vmi and "<stdint.h>" not in vmi
    assert "__le16 rom_signature;" in vmi  # vmi_rom.yaml declares little-endian storage
    assert "__u8 rom_length;" in vmi
    xen = (include / "xen_types.h").read_text()
    assert "typedef unsigned long xen_ulong_t;" in xen and "typedef __u64 xen_ulong_t;" in xen


def test_prefix(tmp_path: Path) -> None:
    include = tmp_path / "include"
    gen(include, "--prefix", "xen_")
    text = (include / "vcpu_info.h").read_text()
    assert "struct xen_vcpu_info {" in text and "struct xen_vcpu_time_info time;" in text
    assert "xen_xen_ulong_t evtchn_pending_sel;" in text
    assert "XEN_ABI_VERSION_MAJOR" in text and "PVABI_" not in text
    pvclock = (include / "vcpu_time_info.h").read_text()
    assert "#define XEN_PVCLOCK_TSC_STABLE_BIT (1U << 0)" in pvclock
    [(_, _, _, rc, err)] = run_compilers([("prefix", argv_for("x86_64", "c11", include, None),
                                           '#include "shared_info.h"\n#include "vcpu_info.h"\n')])
    assert rc == 0, err


# --- the command --------------------------------------------------------------------------------------------------

def test_output_is_deterministic(tmp_path: Path) -> None:
    for side in ("a", "b"):  # the same command in two places, and in two processes' worth of dict order
        (tmp_path / side).mkdir()
        run = run_in_process(["gen", "c", "-o", "include", "--root", REPO], cwd=tmp_path / side)
        assert run.exit_code == 0, run.output
    a = {p.name: p.read_bytes() for p in (tmp_path / "a" / "include").iterdir()}
    b = {p.name: p.read_bytes() for p in (tmp_path / "b" / "include").iterdir()}
    assert a == b and len(a) == 5


def test_committed_headers_are_fresh() -> None:
    run = run_in_process(["gen", "c", "--check", "-o", REPO / "include" / "pvabi", "--root", REPO])
    assert run.exit_code == 0, f"include/pvabi is stale; run: pvabi gen c -o include/pvabi\n{run.output}"


def test_check_reports_a_stale_header_with_a_diff(tmp_path: Path) -> None:
    include = tmp_path / "include"
    gen(include)
    fresh = run_in_process(["gen", "c", "--check", "-o", include, "--root", REPO])
    assert fresh.exit_code == 0 and fresh.stdout.startswith("ok:"), fresh.output
    header = include / "vcpu_time_info.h"
    header.write_text(header.read_text().replace("uint64_t system_time;", "uint64_t system_tim;"))
    (include / "gone.h").write_text("/* gone.h: generated by pvabi from ABI version v1.0. */\n")
    (include / "mine.h").write_text("/* the user's own header */\n")
    before = {p.name: p.read_bytes() for p in include.iterdir()}
    run = run_in_process(["gen", "c", "--check", "-o", include, "--root", REPO])
    assert run.exit_code == 1 and "Traceback" not in run.output
    assert f"--- a/{include}/vcpu_time_info.h" in run.stdout or "--- a/" in run.stdout
    assert "-    uint64_t system_tim;" in run.stdout and "+    uint64_t system_time;" in run.stdout
    assert "gone.h" in run.stdout and "mine.h" not in run.stdout
    assert run.error_lines == [f"error: {include} is stale; regenerate with: pvabi gen c -o {include}"]
    assert before == {p.name: p.read_bytes() for p in include.iterdir()}  # --check writes nothing
    gen(include)
    assert not (include / "gone.h").exists() and (include / "mine.h").exists()
    assert run_in_process(["gen", "c", "--check", "-o", include, "--root", REPO]).exit_code == 0


def test_check_of_a_missing_directory_is_stale(tmp_path: Path) -> None:
    run = run_in_process(["gen", "c", "--check", "-o", tmp_path / "nowhere", "--root", REPO])
    assert run.exit_code == 1 and "+++ b/" in run.stdout


@pytest.mark.parametrize(("args", "needle"), [
    (["--types", "bsd"], "unknown --types 'bsd'"),
    (["--prefix", "_x"], "--prefix '_x' must be a C identifier"),
    (["--abi-version", "v9.9"], "unknown version 'v9.9'"),
])
def test_bad_options_are_one_line(args: list[str], needle: str, tmp_path: Path) -> None:
    run = run_in_process(["gen", "c", "-o", tmp_path / "x", "--root", REPO, *args])
    assert run.exit_code == 2 and "Traceback" not in run.output
    assert len(run.error_lines) == 1 and needle in run.error_lines[0], run.output
    assert not (tmp_path / "x").exists()


def test_names_that_clash_in_c_are_bad_input(make_abi: Any) -> None:
    root = make_abi({"clash": """\
        meta: {id: clash, doc: Two names that become one macro.}
        types:
          a_b: {kind: enum, doc: One., values: {c: 1}}
          a: {kind: enum, doc: Two., values: {b_c: 2}}
        """})
    run = run_in_process(["gen", "c", "-o", root / "out", "--root", root])
    assert run.exit_code == 2 and "Traceback" not in run.output
    assert len(run.error_lines) == 1
    assert re.match(r"error: abi/layouts/clash\.yaml:\d+: .* would both be A_B_C in C", run.error_lines[0]), run.output


# --- random layouts -----------------------------------------------------------------------------------------------

@requires("gcc")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=abi_files())
def test_random_layouts_generate_headers_that_compile(files: dict[str, dict[str, Any]]) -> None:
    """Each random ABI's headers compile, with all their static assertions, on x86_64 and i386."""
    gcc = compiler("gcc")
    with tempfile.TemporaryDirectory(prefix="pvabi-gen-") as tmp:
        root = Path(tmp) / "abi"
        write_layouts(files, root / "layouts")
        include = Path(tmp) / "include"
        run = run_in_process(["gen", "c", "-o", include, "--root", root])
        assert run.exit_code == 0, run.output + dump_all(files)
        source = "".join(f'#include "{h.name}"\n' for h in sorted(include.glob("*.h")))
        jobs = []
        for arch in GCC_ARCHES:
            argv = [gcc, "-m32" if arch == "x86_32" else "-m64", "-std=c11", *WARNINGS, "-fsyntax-only",
                    "-I", str(include), "-x", "c", "-"]
            jobs.append((arch, argv, source))
        results = run_compilers(jobs)
        failures = [failure_report(*r, layouts=dump_all(files)) + "\n" + _headers(include)
                    for r in results if r[3] != 0]
        assert not failures, "\n\n".join(failures)
        asserted = sum(h.read_text().count("_STATIC_ASSERT(") for h in include.glob("*.h"))
        records = sum(1 for d in files.values() for t in d["types"].values() if t["kind"] in ("struct", "union"))
        assert asserted >= 2 * records  # at least size and alignment of every record, per architecture


def _headers(include: Path) -> str:
    return "\n".join(f"--- {h.name}\n{h.read_text()}" for h in sorted(include.glob("*.h")))


def test_output_path_of_the_wrong_kind(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    run = run_in_process(["gen", "c", "-o", tmp_path / "file", "--root", REPO])
    assert run.exit_code == 2 and run.error_lines == [f"error: {tmp_path / 'file'}: is not a directory; -o names "
                                                      "the directory for the headers"], run.output
    run = run_in_process(["gen", "python", "-o", tmp_path, "--root", REPO])
    assert run.exit_code == 2 and len(run.error_lines) == 1 and "is a directory" in run.stderr, run.output
    assert (tmp_path / "file").read_text() == "x"


def test_layout_files_that_use_each_others_types_are_refused(make_abi: Any) -> None:
    root = make_abi({
        "one": """\
            meta: {id: one, doc: Uses two.}
            types:
              a: {kind: struct, doc: A., fields: [{name: x, type: b, doc: X.}]}
              c: {kind: struct, doc: C., fields: [{name: y, type: u8, doc: Y.}]}
            """,
        "two": """\
            meta: {id: two, doc: Uses one.}
            types:
              b: {kind: struct, doc: B., fields: [{name: z, type: c, doc: Z.}]}
            """})
    assert run_in_process(["validate", root]).exit_code == 0
    run = run_in_process(["gen", "c", "-o", root / "out", "--root", root])
    assert run.exit_code == 2 and "Traceback" not in run.output and len(run.error_lines) == 1, run.output
    assert run.error_lines[0].startswith("error: abi/layouts/one.yaml: layout file one uses types of files that "
                                         "use its own types"), run.output


# --- found by the random layouts, kept as regression tests ---------------------------------------------------------

PACKED_NOT_ALIGNED = """\
meta: {id: pna, doc: A packed union holding a struct declared 8-aligned.}
types:
  a8: {kind: struct, doc: Aligned., aligned: 8, fields: [{name: c, type: u8, doc: C.}]}
  u:
    kind: union
    doc: Packed, so less aligned than its member's type (GCC's -Wpacked-not-aligned, in -Wall).
    packed: true
    aligned: 4
    fields: [{name: x, type: a8, doc: X.}, {name: y, type: u8, count: 3, doc: Y.}]
"""


@pytest.mark.parametrize("arch", ["x86_64", "x86_32", "aarch64"])
def test_packed_record_holding_an_aligned_type_compiles_warning_free(arch: str, make_abi: Any,
                                                                      tmp_path: Path) -> None:
    root = make_abi({"pna": PACKED_NOT_ALIGNED})
    include = tmp_path / "include"
    gen(include, root=root)
    jobs = [(f"{arch} {std}", argv_for(arch, std, include, None), '#include "pna.h"\n') for std in ("c11", "gnu89")]
    failures = [failure_report(*r) for r in run_compilers(jobs) if r[3] != 0]
    assert not failures, "\n\n".join(failures)
