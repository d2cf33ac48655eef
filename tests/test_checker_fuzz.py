"""`pvabi fuzz`: generated images, read by the checker, against the verdicts of `pvabi diff`.

Every rule case (tests/rule_cases/) is fuzzed both ways (old writers read by
new readers, new writers by old readers); the directions in which fuzz finds a
failing image must be the directions the diff calls breaking. The cases listed
in KNOWN are where the two disagree today, each for a stated reason; they are
strict xfails, so one that starts to agree fails until it is taken off the list.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SHIPPED_ABI
from test_rule_cases import CASE_NAMES, load_side, read_case

from pvabi.checker import direction
from pvabi.fuzz import DEFAULT_COUNT, run_task, tasks

LAYOUT_ONLY = ("a layout-level break (embedding, alignment, a bound, a layout's existence) that no single image of "
               "the layout shows")
MEANING_ONLY = ("the bytes read the same; what changed is what a value or bit means, or whether a peer stores it, "
                "which the checker (comparing numbers) does not judge")
CONTRACT = "a change of who writes or reads a field, or of its feature gate, which images of one party do not show"
GAP = "a checker gap to look into: the diff's witness exists, the generated images do not expose it"
KNOWN = {
    "added_past_end_guest_to_host": LAYOUT_ONLY, "alignment_aligned16": LAYOUT_ONLY,
    "appended_to_zeroed_embedded": LAYOUT_ONLY, "layout_moved_between_arches": LAYOUT_ONLY,
    "layout_removed": LAYOUT_ONLY, "max_size_raised": LAYOUT_ONLY, "outgrows_bound": LAYOUT_ONLY,
    "outgrows_bound_reserved_only": LAYOUT_ONLY, "packed_added_embedded": LAYOUT_ONLY,
    "width_narrowed_into_reserved_zero": LAYOUT_ONLY,
    "enum_type_removed": MEANING_ONLY, "enum_unstored_call_table": MEANING_ONLY, "enum_value_renumbered": MEANING_ONLY,
    "flag_added_any": MEANING_ONLY, "flag_added_any_unstored": MEANING_ONLY, "flag_removed_any": MEANING_ONLY,
    "flag_removed_reserved_zero": MEANING_ONLY, "flag_reused": MEANING_ONLY,
    "flags_reserved_bits_tightened": MEANING_ONLY, "field_gains_enum": MEANING_ONLY,
    "field_contract_changed": CONTRACT, "field_declared_reserved": CONTRACT, "field_made_reserved_renamed": CONTRACT,
    "padding_field_gated": CONTRACT, "slot_reused_same_type": CONTRACT, "array_shrunk": CONTRACT,
    "bitfield_moved": GAP, "bitfield_widened_into_reserved_zero": GAP,
    "padding_field_zeroed_memory_no_absent": GAP, "union_member_added": GAP,
}
CASES = [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN[n])) if n in KNOWN else n
         for n in CASE_NAMES]


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


@pytest.mark.parametrize("name", CASES)
def test_fuzz_finds_a_break_exactly_where_the_diff_does(name: str, tmp_path: Path) -> None:
    expect = read_case(name)["expect"] or []
    breaking = {d for e in expect for d in ("backward", "forward") if e[d] == "breaking"}
    assert _fuzzed_directions(name, tmp_path) == breaking


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
