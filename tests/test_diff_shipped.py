"""``pvabi diff`` on the shipped ABI's real history, through the library: the verdicts abi/CHANGES.md promises.

Every pair of frozen versions is diffed with ``pvabi.diffrun.run_diff`` and held
against what each release did: which rule fires where, on which architectures,
how bad it is in each direction, which gate it violates and whether the
declared version bump allows it. Every witness pvabi produces is re-checked
with the construct codec, independently of pvabi's own witness reader.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
from functools import cache
from pathlib import Path

import pytest
from conftest import PVABI, SHIPPED_ABI
from witnesscheck import witness_problem

from pvabi import Layout, find_root, load
from pvabi.arch import ARCH_NAMES
from pvabi.diff import DiffResult, PairReport, Policy
from pvabi.diffrun import run_diff
from pvabi.engine import resolver_for
from pvabi.findings import BREAKING, COMPATIBLE, SOURCE_ONLY, Finding, Witness
from pvabi.formats import FORMATS

ROOT = find_root(SHIPPED_ABI)
VERSIONS = ("v1.0", "v1.1", "v1.2", "v1.3", "v2.0")
SIDES = (*VERSIONS, "working")
MODES = ("backward", "forward", "full")
CATEGORIES = ("SOURCE", "LAYOUT", "WIRE")
HISTORY = list(itertools.pairwise(SIDES))  # each release against the one before it, then the working copy
EVERY_FORWARD_PAIR = list(itertools.combinations(SIDES, 2))
X86 = ("x86_32", "x86_64")
ARM = ("arm32", "aarch64")


# --- helpers -----------------------------------------------------------------------------------------------


@cache
def diff(old: str, new: str, mode: str = "full", category: str = "LAYOUT", transitive: bool = False,
         arches: tuple[str, ...] | None = None) -> DiffResult:
    """``run_diff`` on the shipped ABI (cached: a diff of frozen versions never changes)."""
    return run_diff(ROOT, old, new, Policy(mode, category), transitive=transitive, arches=arches)


def pair(old: str, new: str, mode: str = "full", category: str = "LAYOUT") -> PairReport:
    """The single comparison of a non-transitive diff."""
    result = diff(old, new, mode, category)
    assert [(r.old, r.new) for r in result.reports] == [(old, new)]
    return result.reports[0]


def select(report: PairReport, rule: str | None = None, layout: str | None = None, path: str | None = None,
           arch: str | None = None) -> list[Finding]:
    return [f for f in report.findings
            if (rule is None or f.rule == rule) and (layout is None or f.layout == layout)
            and (path is None or f.path == path) and (arch is None or arch in f.arches)]


def one(report: PairReport, rule: str, layout: str, path: str, arch: str | None = None) -> Finding:
    """The one finding of ``rule`` at ``layout.path`` (on ``arch``); fails listing what there is otherwise."""
    found = select(report, rule, layout, path, arch)
    assert len(found) == 1, f"expected one {rule} at {layout}.{path} on {arch or 'any arch'}, got:\n{listing(report)}"
    return found[0]


def listing(report: PairReport) -> str:
    return "\n".join(f"  {f.rule} {f.layout}.{f.path} {f.arches} {dict(f.severity)}" for f in report.findings)


def severity(f: Finding) -> tuple[str, str]:
    """(backward, forward)."""
    return f.severity_in("backward"), f.severity_in("forward")


def keys(report: PairReport) -> set[tuple[str, str, str]]:
    return {(f.rule, f.layout, f.path) for f in report.findings}


def rules_violating(report: PairReport) -> set[str]:
    return {f.rule for f in report.violations}


# --- v1.0 -> v1.1: wc_sec_hi, linear p2m, SetLazyMode ---------------------------------------------------------


@pytest.mark.parametrize("category", CATEGORIES)
def test_v1_1_passes_backward_under_every_category(category: str) -> None:
    result = diff("v1.0", "v1.1", "backward", category)
    report = result.reports[0]
    assert report.violations == (), listing(report)
    assert (report.declared_bump, report.required_bump, report.bump_ok, report.failed) == ("minor", "minor", True,
                                                                                          False)
    assert result.exit_code == 0


def test_v1_1_fails_full_layout_gate_as_a_minor_release() -> None:
    result = diff("v1.0", "v1.1", "full", "LAYOUT")
    report = result.reports[0]
    assert report.violations
    assert {f.severity_in("forward") for f in report.violations} == {BREAKING}
    assert all(f.severity_in("backward") == COMPATIBLE for f in report.violations)
    assert (report.declared_bump, report.required_bump, report.bump_ok, report.failed) == ("minor", "major", False,
                                                                                          True)
    assert result.exit_code == 1


def test_v1_1_findings_are_exactly_what_changes_md_describes() -> None:
    p2m = {("FIELD_ADDED_PAST_END", "arch_shared_info", name) for name in ("p2m_cr3", "p2m_vaddr", "p2m_generation")}
    assert keys(pair("v1.0", "v1.1")) == p2m | {
        ("FIELD_ADDED_PAST_END", "arch_shared_info", "wc_sec_hi"),
        ("FIELD_ADDED_IN_UNDECLARED_SPACE", "shared_info", "wc_sec_hi"),
        ("RECORD_SIZE_CHANGED", "arch_shared_info", ""),
        ("RECORD_SIZE_CHANGED", "shared_info", ""),
        ("ENUM_VALUE_ADDED", "vmi_call", "SetLazyMode"),
    }


@pytest.mark.parametrize("arch", X86)
@pytest.mark.parametrize("field", ["p2m_cr3", "p2m_vaddr", "p2m_generation"])
def test_v1_1_p2m_fields_past_the_end_are_gated_by_their_feature(field: str, arch: str) -> None:
    f = one(pair("v1.0", "v1.1"), "FIELD_ADDED_PAST_END", "arch_shared_info", field, arch)
    assert severity(f) == (COMPATIBLE, COMPATIBLE)
    assert "SIF_VIRT_P2M_4TOOLS" in f.message
    assert set(f.arches) <= set(X86)


@pytest.mark.parametrize(("arch", "offset"), [("x86_64", 3084), ("arm32", 308), ("aarch64", 1084)])
def test_v1_1_wc_sec_hi_in_undeclared_padding_breaks_new_guests_on_old_hosts(arch: str, offset: int) -> None:
    f = one(pair("v1.0", "v1.1"), "FIELD_ADDED_IN_UNDECLARED_SPACE", "shared_info", "wc_sec_hi", arch)
    assert f.new_range == (offset, offset + 4)
    assert severity(f) == (COMPATIBLE, BREAKING)
    w = f.witness
    assert w is not None, "a forward-breaking WIRE finding needs a witness"
    assert (w.layout, w.arch, w.written_under, w.read_under, w.field) == ("shared_info", arch, "v1.0", "v1.1",
                                                                          "wc_sec_hi")
    assert (w.offset, w.size, w.writer_value) == (offset, 4, None)


def test_v1_1_wc_sec_hi_on_x86_32_is_appended_to_arch_shared_info() -> None:
    report = pair("v1.0", "v1.1")
    f = one(report, "FIELD_ADDED_PAST_END", "arch_shared_info", "wc_sec_hi")
    assert f.arches == ("x86_32",)
    assert f.new_range == (24, 28)
    assert severity(f) == (COMPATIBLE, BREAKING)  # host writes, guest reads bytes an old host never declared
    assert f.witness is not None and f.witness.field == "wc_sec_hi" and f.witness.writer_value is None
    assert not select(report, layout="shared_info", path="wc_sec_hi", arch="x86_32")


@pytest.mark.parametrize(("layout", "sizes"), [
    ("arch_shared_info", {"x86_32": (12, 28), "x86_64": (24, 48)}),
    ("shared_info", {"x86_32": (2328, 2344), "x86_64": (3112, 3136)}),
])
def test_v1_1_record_growth_is_absorbed_by_the_pages_tail(layout: str, sizes: dict[str, tuple[int, int]]) -> None:
    report = pair("v1.0", "v1.1")
    grown = select(report, "RECORD_SIZE_CHANGED", layout, "")
    assert {a for f in grown for a in f.arches} == set(sizes)
    for arch, (old, new) in sizes.items():
        f = one(report, "RECORD_SIZE_CHANGED", layout, "", arch)
        assert (f.old_range, f.new_range) == ((0, old), (0, new))
        assert severity(f) == (COMPATIBLE, COMPATIBLE)
        assert "absorbed" in f.message


def test_v1_1_set_lazy_mode_breaks_forward_without_a_witness() -> None:
    f = one(pair("v1.0", "v1.1"), "ENUM_VALUE_ADDED", "vmi_call", "SetLazyMode")
    assert severity(f) == (COMPATIBLE, BREAKING)
    assert f.witness is None
    assert f.witness_note, "a breaking finding without a witness must say why"
    assert "no field" in f.witness_note


def test_v1_1_zero_size_arch_member_moving_is_not_a_finding() -> None:
    """On ARM, arch_shared_info is empty: shared_info.arch 'moves' from 308 to 312 (arm32), 1084 to 1088 (aarch64)."""
    report = pair("v1.0", "v1.1")
    assert not select(report, rule="FIELD_OFFSET_CHANGED"), listing(report)
    for arch in ARM:
        on_arm = [f for f in report.findings if arch in f.arches and f.layout in ("shared_info", "arch_shared_info")]
        assert [(f.rule, f.path) for f in on_arm] == [("FIELD_ADDED_IN_UNDECLARED_SPACE", "wc_sec_hi")]


# --- v1.1 -> v1.2: the flags byte ---------------------------------------------------------------------------


def test_v1_2_has_exactly_the_flags_byte() -> None:
    (f,) = pair("v1.1", "v1.2").findings
    assert (f.rule, f.layout, f.path) == ("FIELD_ADDED_IN_RESERVED_ZERO", "vcpu_time_info", "flags")
    assert set(f.arches) == set(ARCH_NAMES)
    assert f.new_range == (29, 30)
    assert severity(f) == (COMPATIBLE, COMPATIBLE)


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("mode", MODES)
def test_v1_2_passes_every_gate(mode: str, category: str) -> None:
    result = diff("v1.1", "v1.2", mode, category)
    assert result.reports[0].violations == ()
    assert (result.reports[0].required_bump, result.exit_code) == ("minor", 0)


# --- v1.2 -> v1.3: GUEST_STOPPED, ARM's byte 1 renamed ------------------------------------------------------


def test_v1_3_findings() -> None:
    report = pair("v1.2", "v1.3")
    assert keys(report) == {("FLAG_ADDED", "pvclock_flags", "GUEST_STOPPED"),
                            ("FIELD_RENAMED", "vcpu_info", "evtchn_upcall_mask"),
                            ("FIELD_REMOVED", "vcpu_info", "evtchn_upcall_mask")}


def test_v1_3_guest_stopped_flag_is_compatible() -> None:
    f = one(pair("v1.2", "v1.3"), "FLAG_ADDED", "pvclock_flags", "GUEST_STOPPED")
    assert severity(f) == (COMPATIBLE, COMPATIBLE)
    assert set(f.arches) == set(ARCH_NAMES)


def test_v1_3_arm_upcall_mask_renamed_is_source_only() -> None:
    f = one(pair("v1.2", "v1.3"), "FIELD_RENAMED", "vcpu_info", "evtchn_upcall_mask")
    assert f.arches == ARM
    assert (f.old, f.new) == ("evtchn_upcall_mask", "pad0")
    assert f.old_range == f.new_range == (1, 2)
    assert severity(f) == (SOURCE_ONLY, SOURCE_ONLY)
    assert f.witness is None


def test_v1_3_arm_upcall_mask_removed_breaks_old_arm_hosts() -> None:
    f = one(pair("v1.2", "v1.3"), "FIELD_REMOVED", "vcpu_info", "evtchn_upcall_mask")
    assert f.arches == ARM
    assert severity(f) == (SOURCE_ONLY, BREAKING)
    w = f.witness
    assert w is not None
    assert (w.layout, w.written_under, w.read_under, w.field, w.offset, w.size) == (
        "vcpu_info", "v1.3", "v1.2", "evtchn_upcall_mask", 1, 1)
    assert w.arch in ARM and w.writer_value is None


@pytest.mark.parametrize(("mode", "category", "violating"), [
    ("backward", "SOURCE", {"FIELD_RENAMED", "FIELD_REMOVED"}),
    ("backward", "LAYOUT", set()),
    ("backward", "WIRE", set()),
    ("forward", "SOURCE", {"FIELD_RENAMED", "FIELD_REMOVED"}),
    ("forward", "LAYOUT", {"FIELD_REMOVED"}),
    ("forward", "WIRE", {"FIELD_REMOVED"}),
    ("full", "SOURCE", {"FIELD_RENAMED", "FIELD_REMOVED"}),
    ("full", "LAYOUT", {"FIELD_REMOVED"}),
    ("full", "WIRE", {"FIELD_REMOVED"}),
])
def test_v1_3_verdict_per_gate(mode: str, category: str, violating: set[str]) -> None:
    result = diff("v1.2", "v1.3", mode, category)
    assert rules_violating(result.reports[0]) == violating
    assert result.exit_code == (1 if violating else 0)  # a minor release: any violation fails


# --- v1.3 -> v2.0: arm32's xen_ulong_t widened ---------------------------------------------------------------


V2_FINDINGS = {
    ("RECORD_SIZE_CHANGED", "shared_info", ""),
    ("FIELD_OFFSET_CHANGED", "shared_info", "evtchn_pending"),
    ("FIELD_OFFSET_CHANGED", "shared_info", "evtchn_mask"),
    ("FIELD_OFFSET_CHANGED", "shared_info", "wc_version"),
    ("FIELD_WIDTH_CHANGED", "shared_info", "evtchn_pending"),
    ("FIELD_WIDTH_CHANGED", "shared_info", "evtchn_mask"),
    ("ARRAY_LENGTH_CHANGED", "shared_info", "evtchn_pending"),
    ("ARRAY_LENGTH_CHANGED", "shared_info", "evtchn_mask"),
    ("RECORD_SIZE_CHANGED", "vcpu_info", ""),
    ("FIELD_OFFSET_CHANGED", "vcpu_info", "evtchn_pending_sel"),
    ("FIELD_OFFSET_CHANGED", "vcpu_info", "time"),
    ("FIELD_WIDTH_CHANGED", "vcpu_info", "evtchn_pending_sel"),
}


def test_v2_0_findings_are_all_on_arm32() -> None:
    report = pair("v1.3", "v2.0")
    assert keys(report) == V2_FINDINGS
    assert {f.arches for f in report.findings} == {("arm32",)}


@pytest.mark.parametrize("arch", ["x86_32", "x86_64", "aarch64"])
def test_v2_0_leaves_other_architectures_byte_for_byte_unchanged(arch: str) -> None:
    result = diff("v1.3", "v2.0", arches=(arch,))
    assert result.reports[0].findings == ()


@pytest.mark.parametrize(("layout", "path", "old", "new"), [
    ("shared_info", "evtchn_pending", (40, 168), (48, 560)),
    ("shared_info", "evtchn_mask", (168, 296), (560, 1072)),
    ("vcpu_info", "evtchn_pending_sel", (4, 8), (8, 16)),
    ("vcpu_info", "time", (8, 40), (16, 48)),
])
def test_v2_0_moved_fields(layout: str, path: str, old: tuple[int, int], new: tuple[int, int]) -> None:
    f = one(pair("v1.3", "v2.0"), "FIELD_OFFSET_CHANGED", layout, path)
    assert (f.old_range, f.new_range) == (old, new)
    assert f"+{new[0] - old[0]}" in f.message
    assert severity(f) == (BREAKING, BREAKING)


def test_v2_0_wall_clock_fields_fold_into_one_run() -> None:
    f = one(pair("v1.3", "v2.0"), "FIELD_OFFSET_CHANGED", "shared_info", "wc_version")
    # The run is data beside the first member's path, which stays a real member a waiver can name.
    assert (f.run_end, f.shown_path) == ("wc_sec_hi", "wc_version .. wc_sec_hi")
    assert f.covers[0] == "wc_version" and f.covers[-1] == "wc_sec_hi" and len(f.covers) > 2
    assert f.old_range is not None and f.new_range is not None
    assert (f.old_range[0], f.new_range[0]) == (296, 1072)
    assert "+776" in f.message
    assert severity(f) == (BREAKING, BREAKING)


@pytest.mark.parametrize("rule", ["FIELD_WIDTH_CHANGED", "ARRAY_LENGTH_CHANGED"])
@pytest.mark.parametrize("path", ["evtchn_pending", "evtchn_mask"])
def test_v2_0_event_bitmaps_widened(rule: str, path: str) -> None:
    f = one(pair("v1.3", "v2.0"), rule, "shared_info", path)
    assert f.old_range is not None and f.new_range is not None
    assert (f.old_range[1] - f.old_range[0], f.new_range[1] - f.new_range[0]) == (32 * 4, 64 * 8)
    assert severity(f) == (BREAKING, BREAKING)


def test_v2_0_vcpu_info_growth_moves_its_followers_in_shared_info() -> None:
    f = one(pair("v1.3", "v2.0"), "RECORD_SIZE_CHANGED", "vcpu_info", "")
    assert (f.old_range, f.new_range) == ((0, 40), (0, 48))
    assert severity(f) == (BREAKING, BREAKING)
    assert "shared_info.evtchn_pending" in f.message
    assert f.witness is not None and f.witness.layout == "shared_info"


def test_v2_0_every_breaking_wire_or_layout_finding_has_a_witness() -> None:
    report = pair("v1.3", "v2.0")
    breaking = [f for f in report.findings if BREAKING in severity(f)]
    assert len(breaking) == len(V2_FINDINGS) - 1  # all but shared_info's own size change
    for f in breaking:
        assert report.rule(f.rule).category in ("WIRE", "LAYOUT")
        assert f.witness is not None, f"{f.rule} {f.layout}.{f.path} breaks without a witness ({f.witness_note})"


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("mode", MODES)
def test_v2_0_declared_major_allows_the_break(mode: str, category: str) -> None:
    result = diff("v1.3", "v2.0", mode, category)
    report = result.reports[0]
    assert report.violations, "the arm32 break violates every gate"
    assert (report.declared_bump, report.required_bump, report.bump_ok, report.failed) == ("major", "major", True,
                                                                                          False)
    assert report.counts()["breaking"] > 0
    assert result.exit_code == 0


# --- v2.0 -> working -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_working_copy_is_v2_0(mode: str) -> None:
    result = diff("v2.0", "working", mode, "SOURCE")
    report = result.reports[0]
    assert report.findings == ()
    assert (report.required_bump, report.declared_bump, report.failed, result.exit_code) == ("none", None, False, 0)


# --- transitive ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("old", "new", "olds"), [
    ("v1.2", "v1.3", ["v1.0", "v1.1", "v1.2"]),
    ("v1.3", "v2.0", ["v1.0", "v1.1", "v1.2", "v1.3"]),
    ("v2.0", "working", list(VERSIONS)),
])
def test_transitive_compares_against_every_earlier_version(mode: str, old: str, new: str, olds: list[str]) -> None:
    result = diff(old, new, mode, transitive=True)
    assert result.transitive
    assert [(r.old, r.new) for r in result.reports] == [(o, new) for o in olds]
    for r in result.reports:
        assert r.policy == Policy(mode, "LAYOUT")
        assert r.findings == pair(r.old, new, mode).findings, f"{r.old} -> {new} differs from the direct diff"


@pytest.mark.parametrize(("mode", "direct", "transitive"), [
    ("backward", 0, 0),
    ("forward", 0, 1),  # v1.0 -> v1.2 carries v1.1's forward-breaking wc_sec_hi
    ("full", 0, 1),
])
def test_transitive_exit_code_per_mode(mode: str, direct: int, transitive: int) -> None:
    assert diff("v1.1", "v1.2", mode).exit_code == direct
    result = diff("v1.1", "v1.2", mode, transitive=True)
    assert result.exit_code == transitive
    assert [r.failed for r in result.reports] == [bool(transitive), False]


@pytest.mark.parametrize("mode", MODES)
def test_transitive_major_release_passes_against_every_earlier_version(mode: str) -> None:
    result = diff("v1.3", "v2.0", mode, transitive=True)
    assert len(result.reports) == 4
    assert all(r.declared_bump == "major" and not r.failed for r in result.reports)
    assert result.exit_code == 0


@pytest.mark.parametrize("mode", MODES)
def test_transitive_working_copy_identical_to_v2_0_passes(mode: str) -> None:
    """The working copy is byte-for-byte v2.0, whose major bump was declared against every v1.x.

    Checking it transitively (what abi/pvabi.yaml asks for) must not fail for changes v2.0 already declared.
    """
    result = diff("v2.0", "working", mode, transitive=True)
    failed = [f"{r.old} -> {r.new}: required {r.required_bump}, declared {r.declared_bump}"
              for r in result.reports if r.failed]
    assert not failed, "an unchanged working copy fails the gate:\n" + "\n".join(failed)
    assert result.exit_code == 0


# --- witnesses, re-decoded by pvabi.decoder --------------------------------------------------------------------


@cache
def shipped_layout(version: str, arch: str, layout: str) -> Layout:
    return resolver_for(load(ROOT, version), arch).layout(layout)


def check_witness(f: Finding, w: Witness) -> None:
    """The witness holds up when its image is decoded under both versions (tests/witnesscheck.py)."""
    where = f"{f.rule} {f.layout}.{f.path}: image written under {w.written_under}, read under {w.read_under}"
    problem = witness_problem(shipped_layout(w.written_under, w.arch, w.layout),
                              shipped_layout(w.read_under, w.arch, w.layout), w, f.rule)
    assert not problem, f"{where}: {problem}"


@pytest.mark.parametrize(("old", "new"), EVERY_FORWARD_PAIR, ids=[f"{a}-{b}" for a, b in EVERY_FORWARD_PAIR])
def test_every_witness_is_confirmed_by_the_construct_codec(old: str, new: str) -> None:
    report = pair(old, new)
    checked = 0
    for f in report.findings:
        if f.witness is not None:
            check_witness(f, f.witness)
            checked += 1
    if any(BREAKING in severity(f) for f in report.findings):
        assert checked, f"{old} -> {new} breaks, yet no finding has a witness"


def test_the_witness_check_rejects_forged_witnesses() -> None:
    f = one(pair("v1.3", "v2.0"), "FIELD_OFFSET_CHANGED", "vcpu_info", "evtchn_pending_sel")
    w = f.witness
    assert w is not None
    check_witness(f, w)
    forged = [
        dataclasses.replace(w, reader_value=w.writer_value),  # claims the reader sees what was written
        dataclasses.replace(w, writer_value=None),  # claims the writer lacks the field
        dataclasses.replace(w, field="evtchn_upcall_pending"),  # a field both sides decode alike
    ]
    for bad in forged:
        with pytest.raises(AssertionError):
            check_witness(f, bad)


@pytest.mark.parametrize(("old", "new"), [("v1.0", "v1.1"), ("v1.2", "v1.3"), ("v1.3", "v2.0")])
def test_breaking_releases_have_witnesses(old: str, new: str) -> None:
    assert any(f.witness is not None for f in pair(old, new).findings)


# --- determinism ---------------------------------------------------------------------------------------------


def _diff_outputs(tmp: Path, old: str, new: str, seed: str) -> dict[str, bytes]:
    """Every format of one transitive full-mode diff, run as its own process under PYTHONHASHSEED=seed."""
    out = tmp / f"seed{seed}"
    out.mkdir()
    args = ["diff", old, new, "--mode", "full", "--category", "SOURCE", "--transitive", "--root", str(SHIPPED_ABI)]
    args += [f"--format={name}:{out / name}" for name in FORMATS if name != "text"] + ["--format=text"]
    env = {**os.environ, "PYTHONHASHSEED": seed, "NO_COLOR": "1"}
    run = subprocess.run([*PVABI, *args], capture_output=True, env=env, timeout=300, check=False)
    assert run.returncode in (0, 1), run.stderr.decode()
    return {"text": run.stdout, **{p.name: p.read_bytes() for p in sorted(out.iterdir())}}


@pytest.mark.parametrize(("old", "new"), HISTORY, ids=[f"{a}-{b}" for a, b in HISTORY])
def test_two_processes_give_byte_identical_reports(tmp_path: Path, old: str, new: str) -> None:
    """Separate interpreters with different hash seeds: set and dict order cannot leak into any output."""
    first, second = (_diff_outputs(tmp_path, old, new, seed) for seed in ("1", "2"))
    assert set(first) == set(FORMATS)
    for name in FORMATS:
        assert first[name], name
        assert first[name] == second[name], name
