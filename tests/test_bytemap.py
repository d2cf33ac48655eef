"""The HTML byte map: every byte drawn exactly once, every member named, kinds told apart without colour."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from pvabi import arch as archmod
from pvabi import bytemap
from pvabi.abiroot import AbiRoot
from pvabi.engine import Resolver
from pvabi.project import load

ROOT = AbiRoot(Path(__file__).resolve().parents[1] / "abi")
ABI = load(ROOT, "v2.0")
CASES = [(r.name, a) for r in ABI.records() if not r.inline for a in archmod.ARCH_NAMES if r.exists_on(a)]


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[int, dict[str, str | None]]]] = []
        self.text: list[str] = []
        self.refs: list[str] = []
        self.open_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("href", "src"):
            if a.get(key):
                self.refs.append(str(a[key]))
        if tag == "tr":
            self.rows.append([])
        if tag == "td" and self.rows:
            self.rows[-1].append((int(a.get("colspan") or 1), a))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(text: str) -> _Cells:
    p = _Cells()
    p.feed(text)
    p.close()
    return p


@pytest.mark.parametrize(("name", "arch"), CASES)
def test_every_byte_is_in_exactly_one_span(name: str, arch: str) -> None:
    layout = Resolver(ABI, arch).layout(name)
    spans = bytemap.spans(layout)
    at = 0
    for s in spans:
        assert s.offset == at, f"gap or overlap at {at:#x}: {s}"
        at += s.size
    assert at == layout.size


@pytest.mark.parametrize("row", bytemap.ROW_BYTES)
@pytest.mark.parametrize(("name", "arch"), CASES)
def test_rows_are_full_and_members_named(name: str, arch: str, row: int) -> None:
    layout = Resolver(ABI, arch).layout(name)
    doc = _parse(bytemap.render(layout, row))
    body = [r for r in doc.rows if r]
    assert len(body) == max(1, -(-layout.size // row))  # an empty struct still gets its (empty) row
    for r in body:
        assert sum(span for span, _ in r) == row
    text = "".join(doc.text)
    for m in layout.members:
        assert m.name in text, m.name
    assert not doc.refs  # nothing loaded from anywhere


def test_kinds_carry_a_word_not_only_a_colour() -> None:
    layout = Resolver(ABI, "x86_32").layout("vrom_header")
    doc = _parse(bytemap.render(layout))
    classes = {c for r in doc.rows for _, a in r for c in str(a.get("class", "")).split()}
    text = "".join(doc.text)
    for kind in ("const", "reserved-zero"):
        if f"k-{kind}" in classes:
            assert bytemap.KINDS[kind][0] in text
    assert "k-const" in classes  # the ROM signature


def test_marks_cut_spans_and_link_to_the_finding() -> None:
    layout = Resolver(ABI, "x86_64").layout("vcpu_time_info")
    m = bytemap.Mark(8, 12, "breaking", "#f1", "FIELD_MOVED")
    doc = _parse(bytemap.render(layout, marks=[m]))
    marked = [(span, a) for r in doc.rows for span, a in r if "v-breaking" in str(a.get("class"))]
    assert sum(span for span, _ in marked) == 4
    assert doc.refs == ["#f1"]
    assert "BREAKING" in "".join(doc.text)


def test_same_layout_same_bytes() -> None:
    a = bytemap.render(Resolver(ABI, "x86_32").layout("shared_info_page"), 64)
    b = bytemap.render(Resolver(load(ROOT, "v2.0"), "x86_32").layout("shared_info_page"), 64)
    assert a == b
