"""A laid-out record drawn as rows of bytes, in HTML: the picture a reviewer otherwise redraws from offsets.

Each leaf (a scalar, a scalar array, a bitfield run, padding) becomes one
coloured span of table cells, cut where a row ends and labelled with its name,
type and offset. The kind of each span — field, enum, flags, constant,
reserved-zero, reserved-any, padding, tail padding — is shown three ways: a
colour, a fill pattern, and a short word in the cell, so that colour is never
the only signal and the map still reads when printed in black and white.

Byte ranges can be marked (``Mark``): a finding's bytes get the colour and
label of its verdict and a link to the finding. The output is a fragment
without script, styled by ``STYLE``; the same layout gives the same bytes.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from .engine import ArrayType, Layout, Member, RecordType, ScalarType

ROW_BYTES = (16, 64)
CACHELINE = 64

# kind -> (short word shown in the cell, legend text)
KINDS: dict[str, tuple[str, str]] = {
    "field": ("", "field"),
    "enum": ("enum", "enum: named values"),
    "flags": ("flags", "flags: named bits"),
    "const": ("const", "constant: fixed bytes"),
    "reserved-zero": ("rsv0", "reserved, must be zero"),
    "reserved-any": ("rsv", "reserved, any value"),
    "bits": ("bits", "bitfields sharing bytes"),
    "hole": ("pad", "padding the compiler inserts"),
    "tail": ("tail", "tail padding"),
}


@dataclass(frozen=True)
class Span:
    """Bytes [offset, offset + size) of one leaf or gap, with what to show in them."""

    offset: int
    size: int
    kind: str
    label: str        # the member path, or "padding"
    detail: str       # the C type and facts, shown as the cell's title and in the text


@dataclass(frozen=True)
class Mark:
    """Bytes [start, end) a finding concerns: drawn in its verdict's colour, linked to ``href``."""

    start: int
    end: int
    verdict: str       # a CSS class suffix: breaking, source-only, compatible, waived
    href: str
    text: str


def spans(layout: Layout) -> list[Span]:
    """Every byte of the record in exactly one span, in offset order."""
    out = list(_member_spans(layout, 0, ""))
    out.sort(key=lambda s: (s.offset, s.size))
    return _unoverlapped(out)


def _member_spans(layout: Layout, base: int, prefix: str) -> Iterator[Span]:
    for h in layout.holes:
        yield Span(base + h.offset, h.size, "tail" if h.tail else "hole",
                   f"{prefix}tail padding" if h.tail else f"{prefix}padding",
                   f"{h.size} byte{'s' if h.size != 1 else ''} no member holds"
                   + (f", after {prefix}{h.after}" if h.after else ""))
    runs = {r.members[0].name: r for r in layout.bit_runs}
    in_run = {m.name for r in layout.bit_runs for m in r.members}
    for m in layout.members:
        if m.name in runs:
            r = runs[m.name]
            names = ", ".join(x.name for x in r.members)
            yield Span(base + r.offset, r.size, "bits", prefix + r.members[0].name,
                       f"bitfields {names} at {base + r.offset:#x}")
            continue
        if m.name in in_run:
            continue
        yield from _spans_of(m, m.rtype, base + m.offset, prefix + m.name, layout.kind == "union")


def _spans_of(m: Member, t: object, offset: int, path: str, union: bool) -> Iterator[Span]:
    if isinstance(t, RecordType) and t.size == 0:
        yield Span(offset, 0, "field", path, f"{t.layout.kind} {t.layout.name}, empty on this architecture")
        return
    if isinstance(t, RecordType):
        if union or t.layout.kind == "union":
            # Overlapping views: draw the union as one span; the text lists its members.
            yield Span(offset, t.size, "field", path, f"union of {', '.join(x.name for x in t.layout.members)}")
            return
        yield from _member_spans(t.layout, offset, path + ".")
        return
    if isinstance(t, ArrayType) and isinstance(t.leaf, RecordType) and t.count <= 8 and t.elem.size >= 8:
        for i in range(t.count):
            yield from _spans_of(m, t.elem, offset + i * t.elem.size, f"{path}[{i}]", union)
        return
    size = t.size if isinstance(t, (ScalarType, ArrayType, RecordType)) else m.size
    yield Span(offset, size, _kind(m), path, _detail(m, t, offset))


def _kind(m: Member) -> str:
    f = m.field
    if f.const is not None:
        return "const"
    if f.reserved == "zero":
        return "reserved-zero"
    if f.reserved:
        return "reserved-any"
    if m.flags is not None:
        return "flags"
    if m.enum is not None:
        return "enum"
    return "field"


def _detail(m: Member, t: object, offset: int) -> str:
    from .codegen.check import c_type

    ctype = c_type(t) if isinstance(t, (ScalarType, ArrayType, RecordType)) else "?"
    facts = [f"{ctype} at {offset:#x}, {t.size if isinstance(t, (ScalarType, ArrayType, RecordType)) else m.size} "
             "bytes"]
    if isinstance(t, ArrayType):
        facts.append(f"{t.count} elements")
    if m.enum is not None:
        facts.append(f"enum {m.enum.name}")
    if m.flags is not None:
        facts.append(f"flags {m.flags.name}")
    if m.field.const is not None:
        c = m.field.const
        facts.append("const " + (f"{c:#x}" if isinstance(c, int) else bytes(c).hex() if isinstance(c, bytes)
                                 else ", ".join(map(str, c))))
    if not m.field.reserved and m.field.const is None:
        facts.append(f"written by {m.field.writer}, read by {m.field.reader}")
    return "; ".join(facts)


def _unoverlapped(items: list[Span]) -> list[Span]:
    """Drop spans hidden by an earlier one (union views) so every byte is drawn once."""
    out: list[Span] = []
    end = 0
    for s in items:
        if s.offset >= end:
            out.append(s)
            end = s.offset + s.size
        elif s.offset + s.size > end:
            out.append(Span(end, s.offset + s.size - end, s.kind, s.label, s.detail))
            end = s.offset + s.size
    return out


def render(layout: Layout, row: int = 16, marks: Sequence[Mark] = (), anchor: str = "") -> str:
    """One table: a header row of byte columns, then ``row`` bytes a row with cachelines marked."""
    if row not in ROW_BYTES:
        raise ValueError(f"row must be one of {ROW_BYTES}")
    items = spans(layout)
    step = 1 if row == 16 else 8  # 64 byte labels do not fit a row: label every eighth
    parts = [f'<table class="bytemap" id="{_e(anchor)}">' if anchor else '<table class="bytemap">',
             f"<caption>{_e(layout.kind)} {_e(layout.name)} on {_e(layout.arch)}: {layout.size} bytes, "
             f"align {layout.align}</caption>",
             '<thead><tr><th scope="col">offset</th>'
             + "".join(f'<th scope="col" colspan="{step}">+{i:x}</th>' for i in range(0, row, step))
             + "</tr></thead><tbody>"]
    for start in range(0, max(layout.size, 1), row):
        cls = ' class="cacheline"' if start % CACHELINE == 0 and start else ""
        parts.append(f'<tr{cls}><th scope="row">{start:#06x}</th>')
        parts.extend(_cells(items, start, min(start + row, layout.size), marks))
        if start + row > layout.size:
            parts.append(f'<td colspan="{start + row - layout.size}" class="outside"></td>')
        parts.append("</tr>")
    parts.append("</tbody></table>")
    empty = [x for x in items if x.size == 0]
    if empty:  # an empty struct or a flexible array holds no byte of its own: say where it is
        parts.append('<p class="zero">No bytes of their own: '
                     + "; ".join(f"{_e(x.label)} at +{x.offset:#x} ({_e(x.detail)})" for x in empty) + "</p>")
    return "".join(parts)


def _cells(items: Iterable[Span], lo: int, hi: int, marks: Sequence[Mark]) -> Iterator[str]:
    for s in items:
        a, b = max(s.offset, lo), min(s.offset + s.size, hi)
        if a >= b:
            continue
        # A mark boundary inside the span cuts it, so each cell has one verdict.
        cuts = sorted({a, b, *(x for m in marks for x in (m.start, m.end) if a < x < b)})
        for c0, c1 in itertools.pairwise(cuts):
            yield _cell(s, c0, c1, [m for m in marks if m.start < c1 and c0 < m.end])


def _cell(s: Span, a: int, b: int, marks: list[Mark]) -> str:
    word = KINDS[s.kind][0]
    first = a == s.offset
    label = s.label if first else f"{s.label} (cont.)"
    title = f"{s.label} [{s.offset:#x}, {s.offset + s.size:#x}): {s.detail}"
    cls = [f"k-{s.kind}"]
    badge = ""
    inner = f"<span class=\"name\">{_e(label)}</span>"
    if word:
        inner += f" <span class=\"kind\">{word}</span>"
    if first:
        inner += f" <span class=\"off\">+{s.offset:#x}</span>"
    if marks:
        m = marks[0]
        cls.append(f"v-{m.verdict}")
        title += "; " + "; ".join(x.text for x in marks)
        badge = f'<a class="badge" href="{_e(m.href)}">{_e(m.verdict.upper())}</a> '
    return f'<td colspan="{b - a}" class="{" ".join(cls)}" title="{_e(title)}">{badge}{inner}</td>'



def legend() -> str:
    items = "".join(f'<li><span class="swatch k-{k}">{w or "&nbsp;"}</span> {_e(text)}</li>'
                    for k, (w, text) in KINDS.items())
    return f'<ul class="legend">{items}</ul>'


def _e(text: str) -> str:
    return html.escape(text, quote=True)


# Patterns as well as colours (hatching, dots) so kinds differ in print and for colour-blind readers.
STYLE = """
table.bytemap{border-collapse:collapse;table-layout:fixed;font:11px/1.3 ui-monospace,monospace;margin:0 0 1em;
 width:min(100%,80em)}
table.bytemap thead th:first-child{width:5.5em}
table.bytemap caption{text-align:left;font-weight:bold;padding:.3em 0}
table.bytemap th{font-weight:normal;color:#555;padding:1px 4px;text-align:right}
table.bytemap td{border:1px solid #333;padding:1px 3px;overflow:hidden;white-space:nowrap;
 text-overflow:ellipsis;max-width:0;height:1.5em}
table.bytemap tr.cacheline td{border-top:3px double #000}
table.bytemap td.outside{border:none;background:none}
.name{font-weight:600}.kind{font-style:italic;color:#333}.off{color:#555}
.k-field{background:#dbe9f6}
.k-enum{background:#e4dcf3 repeating-linear-gradient(90deg,transparent 0 6px,#0001 6px 7px)}
.k-flags{background:#f6e7c8 repeating-linear-gradient(0deg,transparent 0 4px,#0002 4px 5px)}
.k-const{background:#d8efd8;font-weight:bold}
.k-reserved-zero{background:#eee repeating-linear-gradient(45deg,#eee 0 4px,#ccc 4px 6px)}
.k-reserved-any{background:#f4f4f4 repeating-linear-gradient(-45deg,#f4f4f4 0 4px,#ddd 4px 6px)}
.k-bits{background:#cfe8ec repeating-linear-gradient(90deg,transparent 0 3px,#0002 3px 4px)}
.k-hole,.k-tail{background:#fff radial-gradient(#999 1px,transparent 1px) 0 0/5px 5px;color:#555}
.v-breaking{outline:3px solid #b00020;outline-offset:-3px}
.v-source-only{outline:3px dashed #b36b00;outline-offset:-3px}
.v-compatible{outline:2px dotted #2e7d32;outline-offset:-2px}
.v-waived{outline:2px dashed #555;outline-offset:-2px}
.badge{font-size:9px;font-weight:bold;color:#fff;background:#b00020;padding:0 2px;text-decoration:none}
td.v-source-only .badge{background:#b36b00}td.v-compatible .badge{background:#2e7d32}
td.v-waived .badge{background:#555}
ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3em 1.2em;font:12px sans-serif}
.swatch{display:inline-block;min-width:3em;border:1px solid #333;text-align:center;font:10px monospace}
@media print{table.bytemap td{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

__all__ = ["KINDS", "STYLE", "Mark", "Span", "legend", "render", "spans"]
