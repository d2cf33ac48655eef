"""``check-binary`` on objects gcc built: compatible ones pass, each planted break is named by its rule.

The objects are compiled from each version's own C declarations (compatible by
construction) and from copies with one change planted by hand; the expected
rule is the one whose definition matches the planted change (docs/rules.md),
not whatever pvabi printed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from binutil import add_btf, compile_object, declarations, version_abi, versions
from conftest import REPO, Run

from pvabi.abiroot import AbiRoot
from pvabi.binary.checkbin import check_binary
from pvabi.diff import Policy

ROOT = AbiRoot(REPO / "abi")
FULL = Policy("full", "LAYOUT")


@pytest.mark.parametrize("arch", ("x86_64", "x86_32", "arm32", "aarch64"))
@pytest.mark.parametrize("version", versions())
def test_a_binary_built_from_the_version_passes(version: str, arch: str, tmp_path: Path) -> None:
    abi = version_abi(version)
    if not any(r.exists_on(arch) for r in abi.records()):
        pytest.skip(f"{version} has no layout on {arch}")
    obj = compile_object(declarations(abi, arch), arch, tmp_path / "guest.o")
    found = check_binary(ROOT, obj, FULL, version)
    assert found.arch == arch
    assert set(found.checked) == {r.name for r in abi.records() if r.exists_on(arch)}
    assert found.result.reports[0].findings == ()
    assert found.misread == ()


@pytest.mark.parametrize("version", versions())
def test_btf_of_a_compatible_binary_passes_too(version: str, tmp_path: Path) -> None:
    obj = compile_object(declarations(version_abi(version), "x86_32"), "x86_32", tmp_path / "guest.o")
    found = check_binary(ROOT, add_btf(obj, tmp_path / "btf.o"), FULL, version)
    assert found.form == "BTF" and found.result.reports[0].findings == ()


# (id, arch, text in v2.0's C, its replacement, rule, layout, field path, breaks in full mode)
PLANTED = [
    ("signedness", "x86_64", "    uint32_t version;\n", "    int32_t version;\n",
     "FIELD_SIGNEDNESS_CHANGED", "vcpu_time_info", "version", True),
    ("width", "x86_64", "    uint32_t tsc_to_system_mul;", "    uint16_t tsc_to_system_mul;",
     "FIELD_WIDTH_CHANGED", "vcpu_time_info", "tsc_to_system_mul", True),
    # a guest built without tsc_shift (old side) sees the version add a field where its flags were
    ("missing-in-old-guest", "x86_64", "    int8_t tsc_shift;\n", "",
     "FIELD_ADDED_OVER_FIELD", "vcpu_time_info", "tsc_shift", True),
    ("shifted", "x86_64", "    uint8_t evtchn_upcall_pending;\n",
     "    uint64_t first;\n    uint8_t evtchn_upcall_pending;\n",
     "FIELD_OFFSET_CHANGED", "vcpu_info", "evtchn_upcall_pending", True),
    ("array", "x86_64", "    xen_ulong_t evtchn_pending[64];", "    xen_ulong_t evtchn_pending[32];",
     "ARRAY_LENGTH_CHANGED", "shared_info", "evtchn_pending", True),
    # pad is reserved: its bytes are no field, so the record's size is what changed
    ("size", "x86_32", "    unsigned long pad[5];", "    unsigned long pad[4];",
     "RECORD_SIZE_CHANGED", "arch_vcpu_info", "", True),
    ("alignment", "x86_64", "} __attribute__((aligned(4096)));", "};",
     "RECORD_ALIGNMENT_CHANGED", "shared_info_page", "", True),
    ("renamed", "x86_64", "    uint32_t wc_nsec;", "    uint32_t wc_nanosec;",
     "FIELD_RENAMED", "shared_info", "wc_nanosec", False),  # named by the old side: the binary
]
# A binary built after the version (--binary-side new) that dropped a member: the member was removed.
PLANTED_NEW = [
    ("removed-in-new-host", "x86_64", "    int8_t tsc_shift;\n", "",
     "FIELD_REMOVED", "vcpu_time_info", "tsc_shift", True),
]


@pytest.mark.parametrize("case", [(*c, "old") for c in PLANTED] + [(*c, "new") for c in PLANTED_NEW],
                         ids=[c[0] for c in PLANTED + PLANTED_NEW])
def test_each_planted_break_is_reported_with_its_rule(case: tuple[object, ...], tmp_path: Path) -> None:
    _, arch, old, new, rule, layout, path, breaks, side = case
    assert isinstance(arch, str) and isinstance(old, str) and isinstance(new, str) and isinstance(side, str)
    source = declarations(version_abi("v2.0"), arch)
    assert old in source, "the planted text must exist in the generated C"
    obj = compile_object(source.replace(old, new, 1), arch, tmp_path / "guest.o")
    found = check_binary(ROOT, obj, FULL, "v2.0", binary_side=side)
    hits = [f for f in found.result.reports[0].findings if f.rule == rule and f.layout == layout]
    assert hits, [(f.rule, f.layout, f.path) for f in found.result.reports[0].findings]
    if path:
        assert any(f.path.split(".")[-1] == path or path in f.path for f in hits), [f.path for f in hits]
    assert all(arch in f.arches for f in hits)
    assert (layout in found.misread) == breaks
    assert found.result.exit_code == (1 if breaks else found.result.exit_code)


def test_the_command_names_misread_structs_with_witnesses(pvabi_proc: object, tmp_path: Path) -> None:
    source = declarations(version_abi("v2.0"), "x86_64").replace("    int8_t tsc_shift;\n", "", 1)
    obj = compile_object(source, "x86_64", tmp_path / "old-guest.o")
    run: Run = pvabi_proc("check-binary", obj, "--mode", "full", "--root", REPO)  # type: ignore[operator]
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    assert "FIELD_ADDED_OVER_FIELD" in run.stdout and "witness:" in run.stdout
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith(f"{obj} (x86_64, DWARF): would misread ") and "vcpu_time_info" in last
    as_json = pvabi_proc("check-binary", obj, "--format", "json", "--root", REPO)  # type: ignore[operator]
    assert as_json.exit_code == 1
    findings = [f for r in json.loads(as_json.stdout)["sections"] for f in r["findings"]]
    assert any(f["rule"] == "FIELD_ADDED_OVER_FIELD" for f in findings)


def test_the_command_passes_a_compatible_binary(pvabi_proc: object, tmp_path: Path) -> None:
    obj = compile_object(declarations(version_abi("v2.0"), "x86_64"), "x86_64", tmp_path / "guest.o")
    run: Run = pvabi_proc("check-binary", obj, "--root", REPO)  # type: ignore[operator]
    assert run.exit_code == 0, run.output
    assert run.stdout.strip().splitlines()[-1] == f"{obj} (x86_64, DWARF): reads every layout it defines as v2.0 does"


@pytest.mark.parametrize(("args", "needle"), [
    (("--abi-version", "v9.9"), "v9.9"),
    (("--layout", "no_such_layout"), "no_such_layout"),
    (("--mode", "sideways"), "sideways"),
    (("--format", "yaml"), "yaml"),
])
def test_bad_options_are_one_line(pvabi_proc: object, tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    obj = compile_object(declarations(version_abi("v2.0"), "x86_64"), "x86_64", tmp_path / "guest.o")
    run: Run = pvabi_proc("check-binary", obj, "--root", REPO, *args)  # type: ignore[operator]
    assert run.exit_code == 2 and "Traceback" not in run.output
    assert len(run.stderr.strip().splitlines()) == 1 and needle in run.stderr


def test_a_binary_without_the_versions_layouts(pvabi_proc: object, tmp_path: Path) -> None:
    obj = compile_object("struct unrelated { int x; };\n", "x86_64", tmp_path / "other.o")
    run: Run = pvabi_proc("check-binary", obj, "--root", REPO)  # type: ignore[operator]
    assert run.exit_code == 2 and "Traceback" not in run.output
    assert run.stderr.strip() == f"error: {obj}: defines none of the layouts of v2.0 (" + ", ".join(
        r.name for r in version_abi("v2.0").records() if r.exists_on("x86_64")) + ")"


def test_an_enum_renumbered_in_the_binary_is_reported(tmp_path: Path) -> None:
    """The guest declares the field with a (packed, one-byte) C enum whose NOP is 4, not the version's 3."""
    source = declarations(version_abi("v2.0"), "x86_32")
    source = source.replace("struct vmi_relocation_info {", "enum __attribute__((packed)) vmi_relocation_type "
                            "{ NONE, CALL_REL, JUMP_REL, NOP = 4 };\nstruct vmi_relocation_info {", 1)
    source = source.replace("    uint8_t type;", "    enum vmi_relocation_type type;", 1)
    obj = compile_object(source, "x86_32", tmp_path / "guest.o")
    found = check_binary(ROOT, obj, FULL, "v2.0")
    hits = [(f.rule, f.layout, f.path) for f in found.result.reports[0].findings]
    assert hits == [("ENUM_VALUE_RENUMBERED", "vmi_relocation_type", "NOP")]
    assert found.misread == ("vmi_relocation_info",)  # the struct that stores the enum


MSR_LAYOUT = """\
meta: {id: msr, doc: A register image with the layout language's newer members.}
types:
  msr:
    kind: struct
    doc: A register.
    writer: host
    reader: guest
    fields:
      - {name: enable, type: u64, bits: 1, doc: Enabled.}
      - {name: reserved, type: u64, bits: 11, reserved: zero}
      - {name: gpa, type: u64, bits: 52, doc: Frame.}
      - kind: union
        fields:
          - {name: raw, type: u64, doc: Raw.}
          - kind: struct
            fields:
              - {name: lo, type: u32, doc: Low.}
              - {name: hi, type: u32, doc: High.}
      - {name: count, type: u32, doc: Count.}
      - {name: data, type: u8, flexible: true, doc: Data.}
"""
MSR_C = ("#include <stdint.h>\nstruct msr { uint64_t enable:1; uint64_t reserved:11; uint64_t gpa:52; "
         "union { uint64_t raw; struct { uint32_t lo; uint32_t hi; }; }; uint32_t count; uint8_t data[]; };\n")


@pytest.mark.parametrize("arch", ("x86_64", "x86_32", "s390x"))
def test_bitfields_and_anonymous_members_against_a_version(arch: str, tmp_path: Path) -> None:
    from pvabi.versions import freeze

    layouts = tmp_path / "abi" / "layouts"
    layouts.mkdir(parents=True)
    (layouts / "msr.yaml").write_text(MSR_LAYOUT, encoding="utf-8")
    root = AbiRoot(tmp_path / "abi")
    freeze(root, "v1.0", "bitfields")
    same = check_binary(root, compile_object(MSR_C, arch, tmp_path / "same.o"), FULL)
    assert same.result.reports[0].findings == ()
    wider = MSR_C.replace("enable:1; uint64_t reserved:11", "enable:2; uint64_t reserved:10")
    found = check_binary(root, compile_object(wider, arch, tmp_path / "wider.o"), FULL)
    assert [(f.rule, f.layout, f.path) for f in found.result.reports[0].findings] == [
        ("BITFIELD_CHANGED", "msr", "enable")]
    assert found.misread == ("msr",)
