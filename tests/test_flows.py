"""The direction model: which flows occur in which direction, and how that becomes a severity.

The truth table is derived by hand from the definition: backward means the host
runs the new layout and the guest the old one; forward swaps them.
"""

from __future__ import annotations

import pytest

from pvabi.findings import BREAKING, COMPATIBLE, SOURCE_ONLY, enforced
from pvabi.flows import NEW_TO_OLD, OLD_TO_NEW, flows_in, judge


@pytest.mark.parametrize(("direction", "writer", "reader", "expected"), [
    ("backward", "host", "guest", {NEW_TO_OLD}),   # new host writes, old guest reads
    ("backward", "guest", "host", {OLD_TO_NEW}),   # old guest writes, new host reads
    ("forward", "host", "guest", {OLD_TO_NEW}),    # old host writes, new guest reads
    ("forward", "guest", "host", {NEW_TO_OLD}),    # new guest writes, old host reads
    ("backward", "both", "both", {NEW_TO_OLD, OLD_TO_NEW}),
    ("forward", "both", "guest", {OLD_TO_NEW}),    # the guest reading its own bytes crosses nothing
    ("backward", "guest", "guest", set()),
    ("forward", "host", "none", set()),
    ("backward", "none", "both", set()),
])
def test_flows_in(direction: str, writer: str, reader: str, expected: set[str]) -> None:
    assert flows_in(direction, (writer,), (reader,)) == expected


def test_declarations_of_both_versions_are_united() -> None:
    # old version: host writes; new version: guest writes; the guest reads in both.
    assert flows_in("forward", ("host", "guest"), ("guest",)) == {OLD_TO_NEW}
    assert flows_in("backward", ("host", "guest"), ("guest", "host")) == {NEW_TO_OLD, OLD_TO_NEW}


def test_judge_breaks_only_in_directions_where_a_broken_flow_occurs() -> None:
    # A field carved from garbage space breaks old-to-new: the host reads it, so old guests break it.
    assert dict(judge({OLD_TO_NEW}, ("guest",), ("host",))) == {"backward": BREAKING, "forward": COMPATIBLE}
    assert dict(judge({OLD_TO_NEW}, ("host",), ("guest",))) == {"backward": COMPATIBLE, "forward": BREAKING}
    assert dict(judge({NEW_TO_OLD}, ("none",), ("none",), otherwise=SOURCE_ONLY)) == {
        "backward": SOURCE_ONLY, "forward": SOURCE_ONLY}
    assert dict(judge(set(), ("both",), ("both",))) == {"backward": COMPATIBLE, "forward": COMPATIBLE}


@pytest.mark.parametrize(("rule", "gate", "expected"), [
    ("WIRE", "WIRE", True), ("LAYOUT", "WIRE", False), ("SOURCE", "WIRE", False),
    ("WIRE", "LAYOUT", True), ("LAYOUT", "LAYOUT", True), ("SOURCE", "LAYOUT", False),
    ("WIRE", "SOURCE", True), ("LAYOUT", "SOURCE", True), ("SOURCE", "SOURCE", True),
])
def test_categories_nest_from_strict_to_loose(rule: str, gate: str, expected: bool) -> None:
    assert enforced(rule, gate) is expected
