"""`pvabi fuzz`: generated images, read by the checker, against the verdicts of `pvabi diff`.

Every rule case (tests/rule_cases/) is fuzzed both ways (old writers read by
new readers, new writers by old readers); the directions in which fuzz finds a
failing image must be the directions the diff calls breaking. The cases in
BY_DESIGN are where the two disagree because no single image can show the
break (or, for a feature gate, shows one the protocol never lets happen): each
asserts exactly what fuzz finds there, with the reason. Real gaps would be
strict xfails in GAPS.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SHIPPED_ABI
from test_rule_cases import CASE_NAMES, load_side, read_case

from pvabi.checker import direction
from pvabi.fuzz import DEFAULT_COUNT, run_task, tasks

# Where fuzz and the diff disagree, by design: what fuzz finds (the directions) and why it cannot find the rest.
# Each is asserted exactly, so a change either way (fuzz finding more, or less) fails until this table says why.
LAYOUT_ONLY = ("fuzz finds nothing here, by design: a layout-level break (embedding, alignment, a bound, a layout's "
               "existence) that no single image of the layout shows")
MEANING_ONLY = ("fuzz finds nothing here, by design: the bytes read the same; what changed is what a value or bit "
                "means, or whether a peer stores it, which the checker (comparing numbers) does not judge")
CONTRACT = ("fuzz finds nothing here, by design: a change of who writes or reads a field, or of its feature gate, "
            "which images of one party do not show")
NONE: frozenset[str] = frozenset()
BY_DESIGN: dict[str, tuple[frozenset[str], str]] = {
    **{name: (NONE, LAYOUT_ONLY) for name in (
        "added_past_end_guest_to_host", "alignment_aligned16", "appended_to_zeroed_embedded",
        "layout_moved_between_arches", "layout_removed", "max_size_raised", "outgrows_bound",
        "outgrows_bound_reserved_only", "packed_added_embedded")},
    "width_narrowed_into_reserved_zero": (frozenset({"backward"}), "fuzz finds the truncation of old guests' large "
                                          "values (backward); the forward break is the record's alignment dropping "
                                          "from 8 to 4, a layout-level break no image shows"),
    **{name: (NONE, MEANING_ONLY) for name in (
        "enum_type_removed", "enum_unstored_call_table", "enum_value_renumbered", "flag_added_any",
        "flag_added_any_unstored", "flag_removed_any", "flag_removed_reserved_zero", "flag_reused",
        "flags_reserved_bits_tightened")},
    "field_gains_enum": (frozenset({"forward"}), "fuzz finds an old host's byte that the new guest's enum does not "
                         "name (forward); backward, the bytes read the same numbers, and the diff's safety net calls "
                         "it breaking until reviewed, a judgement about meaning no image shows"),
    "padding_field_zeroed_memory_no_absent": (NONE, "fuzz finds nothing here, by design: every image the old host "
                                              "can write holds zero in the zero-filled hole, and the checker counts "
                                              "zero in memory declared `initial: zero` as absent (docs/images.md); "
                                              "the diff's conservative verdict is about what 0 means to the new "
                                              "guest, which the bytes do not say"),
    **{name: (NONE, CONTRACT) for name in (
        "field_contract_changed", "field_declared_reserved", "field_made_reserved_renamed", "slot_reused_same_type",
        "array_shrunk")},
    "padding_field_gated": (frozenset({"forward"}), "fuzz reports more than the diff here: an image carries no "
                            "negotiated features, so the checker reads the new guest's `level` from an old host's "
                            "padding, which the guest never does, as the feature gating it is one old hosts never "
                            "offer; the diff, which knows the feature, calls the addition compatible"),
}
# Real checker gaps: the diff's witness exists and the generated images do not expose it (none left today;
# bitfield_moved and bitfield_widened_into_reserved_zero agree since the generator writes slots, and
# union_member_added since a new union view at a kept view's bytes is no longer taken for a rename).
GAPS: dict[str, str] = {}
CASES = [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=GAPS[n])) if n in GAPS else n
         for n in CASE_NAMES if n not in BY_DESIGN]


def _fuzzed_directions(name: str, tmp: Path) -> set[str]:
    case = read_case(name)
    old = load_side(tmp / "old", case["old"], "old")
    new = load_side(tmp / "new", case["new"], "new")
    found = set()
    for writer, reader, w, r, names in ((old, new, 0, 1, ("old", "new")), (new, old, 1, 0, ("new", "old"))):
        for t in tasks(writer, reader):
            d = direction(t.party, w, r)
            if run_task(writer, reader, t, DEFAULT_COUNT, 1, names, d).shrunk:
                found.add(d)
    return found


def _breaking(name: str) -> set[str]:
    expect = read_case(name)["expect"] or []
    return {d for e in expect for d in ("backward", "forward") if e[d] == "breaking"}


@pytest.mark.parametrize("name", CASES)
def test_fuzz_finds_a_break_exactly_where_the_diff_does(name: str, tmp_path: Path) -> None:
    assert _fuzzed_directions(name, tmp_path) == _breaking(name)


@pytest.mark.parametrize("name", sorted(BY_DESIGN))
def test_where_no_image_shows_the_break_fuzz_finds_exactly_what_the_table_says(name: str, tmp_path: Path) -> None:
    found, reason = BY_DESIGN[name]
    assert name in CASE_NAMES, f"{name} is no rule case any more"
    assert _fuzzed_directions(name, tmp_path) == found, reason
    assert found != _breaking(name), f"{name} agrees with the diff now: move it back to the plain cases"


def test_the_seed_is_printed_and_reproduces_the_run(cli) -> None:
    first = cli("fuzz", "v1.3", "v2.0", "--layout", "vcpu_info", "--count", "6", "--root", SHIPPED_ABI)
    assert first.exit_code == 1, first.output  # v2.0 widened arm32's event words
    m = re.search(r"seed (\d+),", first.stdout.splitlines()[0])
    assert m, first.stdout
    again = cli("fuzz", "v1.3", "v2.0", "--layout", "vcpu_info", "--count", "6", "--seed", m.group(1),
                "--root", SHIPPED_ABI)
    assert again.stdout == first.stdout


def test_jobs_change_nothing_but_speed(pvabi_proc) -> None:
    args = ["fuzz", "v1.3", "v2.0", "--layout", "vcpu_info", "--layout", "vcpu_time_info", "--count", "10",
            "--seed", "11", "--root", SHIPPED_ABI]
    one = pvabi_proc(*args, "--jobs", "1", timeout=300)
    two = pvabi_proc(*args, "--jobs", "2", timeout=300)
    assert one.exit_code == two.exit_code == 1 and one.stdout == two.stdout
    assert "where:    vcpu_info.evtchn_pending_sel on arm32; bytes [8, 16)" in one.stdout
    assert "x86_64" not in one.stdout and "x86_32" not in one.stdout  # only arm32 changed


def test_a_compatible_release_fuzzes_clean(cli) -> None:
    run = cli("fuzz", "v1.2", "v1.3", "--layout", "vcpu_time_info", "--count", "40", "--seed", "3",
              "--root", SHIPPED_ABI)
    assert run.exit_code == 0, run.output
    assert run.stdout.rstrip().endswith("fuzz: passed: 0 failures in 480 images of 6 layouts and architectures")


def test_bad_fuzz_arguments_are_one_line(cli) -> None:
    for args, message in ((["v1.3", "v9.9"], "unknown version"), (["v1.3", "v2.0", "--count", "0"], "--count"),
                          (["v1.3", "v2.0", "--jobs", "0"], "--jobs"),
                          (["v1.3", "v2.0", "--layout", "nope"], "no layout 'nope'")):
        run = cli("fuzz", *args, "--root", SHIPPED_ABI)
        assert run.exit_code == 2 and len(run.error_lines) == 1 and message in run.stderr, run.output
