"""The layout keys that say where a layout lives and what its memory holds: bad input through the CLI.

``placement``, ``memory``, ``absent`` and ``renamed_from`` (docs/layout-language.md). Each problem is one
``file:line: field: message`` line, exit 2, no traceback; what the keys mean to the diff is tested by the
rule cases (tests/rule_cases/) and the real histories (tests/histories/).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import Run, assert_one_bad_input, layout_file, line_of, shown

from pvabi.loader import load_abi

MakeAbi = Callable[..., Path]
RunBoth = Callable[..., Run]

RECORD = """\
a_rec:
  kind: struct
  doc: A record.
  placement: page
  memory: {initial: zero, cleared_by: host, when: when the host allocates the page}
  fields:
    - {name: x, type: u32, absent: 0, doc: A word.}
"""


def test_keys_load(make_abi: MakeAbi) -> None:
    root = make_abi({"a": layout_file("a", RECORD.replace("  fields:", "  renamed_from: [old_rec, older]\n  fields:"))})
    rec = load_abi(root / "layouts", "working").record("a_rec")
    assert rec is not None and rec.placement == "page" and rec.zero_filled
    assert rec.memory is not None and rec.memory.cleared_by == "host"
    assert rec.renamed_from == ("old_rec", "older") and rec.fields[0].absent == 0


def test_placement_defaults_to_embedded(make_abi: MakeAbi) -> None:
    text = layout_file("a", RECORD.replace("  placement: page\n", "").replace("  memory: {initial: zero, cleared_by: "
                                                                              "host, when: when the host allocates "
                                                                              "the page}\n", ""))
    rec = load_abi(make_abi({"a": text}) / "layouts", "working").record("a_rec")
    assert rec is not None and rec.placement == "embedded" and rec.memory is None and not rec.zero_filled


def test_unknown_placement(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", RECORD.replace("placement: page", "placement: heap"))
    run = run_both("validate", make_abi({"a": text}))
    assert_one_bad_input(run, shown("a"), line_of(text, "placement:"), "placement", "heap")


def test_memory_without_who_clears_it(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", RECORD.replace("cleared_by: host, ", ""))
    run = run_both("validate", make_abi({"a": text}))
    assert_one_bad_input(run, shown("a"), line_of(text, "memory:"), "memory", "cleared_by")


def test_absent_must_be_an_integer(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", RECORD.replace("absent: 0", "absent: none"))
    run = run_both("validate", make_abi({"a": text}))
    assert_one_bad_input(run, shown("a"), line_of(text, "absent:"), "absent", "integer")


def test_renamed_from_a_layout_that_still_exists(make_abi: MakeAbi, run_both: RunBoth) -> None:
    other = "b_rec:\n  kind: struct\n  doc: Another.\n  fields:\n    - {name: y, type: u32, doc: A word.}\n"
    text = layout_file("a", RECORD.replace("  fields:", "  renamed_from: b_rec\n  fields:") + other)
    run = run_both("validate", make_abi({"a": text}))
    assert_one_bad_input(run, shown("a"), line_of(text, "a_rec:"), "a_rec.renamed_from", "b_rec")


def test_size_field_must_name_an_integer_member(make_abi: MakeAbi, run_both: RunBoth) -> None:
    text = layout_file("a", RECORD.replace("  fields:", "  size_field: x.length\n  fields:"))
    run = run_both("validate", make_abi({"a": text}))
    assert_one_bad_input(run, shown("a"), line_of(text, "a_rec:"), "a_rec.size_field", "x.length")


def test_size_field_through_a_nested_record(make_abi: MakeAbi) -> None:
    hdr = "hdr:\n  kind: struct\n  doc: Header.\n  fields:\n    - {name: length, type: u16, doc: Length.}\n"
    rec = RECORD.replace("  fields:\n", "  size_field: h.length\n  fields:\n    - {name: h, type: hdr, doc: H.}\n")
    abi = load_abi(make_abi({"a": layout_file("a", hdr + rec)}) / "layouts", "working")
    found = abi.record("a_rec")
    assert found is not None and found.size_field == "h.length"
