"""One self-contained HTML page: the summary, then each layout's bytes old and new, findings marked on them.

Everything is inline (CSS, no script, no font or image from anywhere), so the
file opens offline and can be attached to a CI run. Each layout with findings
is drawn per architecture, old and new side by side (``pvabi.bytemap``), and
each finding's bytes carry its verdict's colour, a pattern and a word, and link
to the finding's entry below, which holds its rule's doc, both directions, the
witness bytes and the two decoded values. Architectures where something fails
the gate open by default; the others are one click away (``<details>``, no
script). The words are the text format's.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping

from .. import arch as archmod
from .. import bytemap
from ..engine import Layout, Resolver
from ..errors import InputError
from ..findings import Severity
from ..model import Abi
from ..report import Entry, Report, Section
from .common import direction_line, header, locations, ranges, where, witness_lines

LARGE = 512  # a layout this big or bigger is drawn 64 bytes a row


def render(report: Report, color: bool = False) -> str:
    title = f"pvabi {report.command}" + (f" {report.metadata.asked[0]} -> {report.metadata.asked[1]}"
                                         if report.metadata.asked else "")
    body = [f"<header><h1>{_e(title)}</h1>", _summary(report), "</header>", _nav(report)]
    for si, section in enumerate(report.in_display_order()):
        body.append(_section(report, section, si))
    body.append(f"<footer><p>{_e(header(report))}; pvabi {_e(report.metadata.pvabi_version)}</p></footer>")
    return _page(title, body)


def render_layouts(title: str, layouts: list[Layout], note: str = "") -> str:
    """``pvabi show LAYOUT --format html``: one layout's byte map on each architecture given."""
    body = [f"<header><h1>{_e(title)}</h1>", f"<p>{_e(note)}</p>" if note else "", bytemap.legend(), "</header>"]
    for layout in layouts:
        row = 64 if layout.size >= LARGE else 16
        body.append(f'<section id="{_e(layout.arch)}"><h2>{_e(layout.arch)}</h2>'
                    f"{bytemap.render(layout, row)}</section>")
    return _page(title, body)


def _page(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{bytemap.STYLE}{PAGE_STYLE}</style></head>\n<body>\n"
            + "\n".join(x for x in body if x) + "\n</body></html>\n")


def _summary(report: Report) -> str:
    s = report.summary
    state = "failed" if report.failed else "passed"
    rows = [f'<p class="verdict {state}"><strong>{state.upper()}</strong></p>', '<ul class="verdicts">']
    for section in report.in_display_order():
        cls = "failed" if section.failed else "passed"
        rows.append(f'<li class="{cls}">{_e(section.verdict)}</li>')
    rows.append("</ul>")
    counts = "".join(f'<td class="sev-{sev}">{s.counts[sev]}</td>' for sev in Severity)
    heads = "".join(f'<th scope="col">{_e(str(sev))}</th>' for sev in Severity)
    rows.append(f'<table class="counts"><tr>{heads}<th scope="col">waived</th></tr>'
                f"<tr>{counts}<td>{s.waived}</td></tr></table>")
    arches = sorted({a for sec in report.sections for e in sec.entries for a in e.finding.arches},
                    key=archmod.arch_order)
    facts = [f"architectures with findings: {', '.join(arches) or 'none'}"]
    lead = next(iter(report.in_display_order()), None)
    if lead is not None and lead.kind == "diff":
        facts.append(f"required bump: {lead.fact('required_bump')}; declared bump: "
                     f"{lead.fact('declared_bump') or 'none (not a release)'}")
    rows.append("<p>" + "<br>".join(_e(x) for x in facts) + "</p>")
    rows.append(f"<p class=\"meta\">{_e(header(report))}</p>")
    rows.append(bytemap.legend())
    return "\n".join(rows)


def _nav(report: Report) -> str:
    items = []
    for si, section in enumerate(report.in_display_order()):
        layouts = _by_layout(section)
        sub = "".join(f'<li><a href="#{_id(si, name)}">{_e(name)}</a> ({len(es)})</li>' for name, es in layouts.items())
        items.append(f'<li><a href="#s{si}">{_e(section.title)}</a><ul>{sub}</ul></li>')
    return f'<nav aria-label="sections"><ul>{"".join(items)}</ul></nav>'


def _by_layout(section: Section) -> dict[str, list[tuple[int, Entry]]]:
    out: dict[str, list[tuple[int, Entry]]] = {}
    for i, e in enumerate(section.entries):
        if e.shown:
            out.setdefault(e.finding.layout or "(ABI)", []).append((i, e))
    return out


def _section(report: Report, section: Section, si: int) -> str:
    cls = "failed" if section.failed else "passed"
    parts = [f'<section id="s{si}"><h2>{_e(section.title)}</h2>',
             f'<p class="verdict {cls}">{_e(section.verdict)}</p>']
    hidden = sum(not e.shown for e in section.entries)
    if not section.entries:
        parts.append("<p>no changes</p>")
    elif hidden:
        parts.append(f"<p>{hidden} finding{'s' if hidden != 1 else ''} shown in another section or allowed "
                     "by the gate (the JSON format lists every one).</p>")
    models = _models(report, section)
    for name, entries in _by_layout(section).items():
        parts.append(f'<section class="layout" id="{_id(si, name)}"><h3>{_e(name)}</h3>')
        parts.extend(_maps(models, name, entries, si))
        parts.append('<ol class="findings">')
        parts.extend(_finding(e, si, i) for i, e in entries)
        parts.append("</ol></section>")
    parts.append("</section>")
    return "\n".join(parts)


def _models(report: Report, section: Section) -> tuple[Abi | None, Abi | None]:
    if section.kind != "diff":
        return None, None
    models: Mapping[str, Abi] = getattr(report, "models", {}) or {}
    return models.get(section.fact("old")), models.get(section.fact("new"))


def _maps(models: tuple[Abi | None, Abi | None], name: str, entries: list[tuple[int, Entry]], si: int) -> Iterator[str]:
    old_abi, new_abi = models
    arches = sorted({a for _, e in entries for a in e.finding.arches}, key=archmod.arch_order)
    for arch in arches:
        old, new = _layout(old_abi, name, arch), _layout(new_abi, name, arch)
        if old is None and new is None:
            continue
        here = [(i, e) for i, e in entries if arch in e.finding.arches]
        failing = sum(e.fails for _, e in here)
        breaking = sum(e.worst == Severity.BREAKING for _, e in here)
        word = (f"{failing} failing the gate" if failing else f"{breaking} breaking" if breaking
                else f"{len(here)} finding" + ("s" if len(here) != 1 else ""))
        is_open = " open" if failing or breaking else ""
        yield (f'<details class="arch"{is_open}><summary>{_e(arch)}: {_e(word)}</summary>'
               '<div class="pair">')
        for side, layout, rng in (("old", old, "old_range"), ("new", new, "new_range")):
            if layout is None:
                yield f'<figure><figcaption>{side}</figcaption><p>not on {_e(arch)} in this version</p></figure>'
                continue
            # A finding about the whole layout (its size) would paint every byte: its entry says it instead.
            marks = [bytemap.Mark(r[0], max(r[1], r[0] + 1), _verdict(e), f"#f{si}-{i}", e.info.id)
                     for i, e in sorted(here, key=lambda x: _RANK[_verdict(x[1])])
                     for r in [getattr(e.finding, rng)]
                     if r is not None and r[0] < layout.size and e.finding.path]
            row = 64 if layout.size >= LARGE else 16
            yield f"<figure><figcaption>{side}</figcaption>{bytemap.render(layout, row, marks)}</figure>"
        yield "</div></details>"


def _layout(abi: Abi | None, name: str, arch: str) -> Layout | None:
    if abi is None:
        return None
    rec = abi.record(name)
    if rec is None or not rec.exists_on(arch):
        return None
    try:
        return Resolver(abi, arch).layout(name)
    except InputError:
        return None


_RANK = {"breaking": 0, "source-only": 1, "waived": 2, "compatible": 3}  # the first mark on a byte wins


def _verdict(e: Entry) -> str:
    if e.waived:
        return "waived"
    return str(e.worst)


def _finding(e: Entry, si: int, i: int) -> str:
    f, info = e.finding, e.info
    rows = [("where", where(f) + (f"; {ranges(f)}" if ranges(f) else "")), ("defined", locations(f)),
            ("change", f.message), ("old/new", f"{f.old or '-'} -> {f.new or '-'}" if f.old or f.new else ""),
            ("backward", direction_line(f, "backward")), ("forward", direction_line(f, "forward")),
            ("also", f"against {e.also}" if e.also else ""), ("waived", e.waiver if e.waived else "")]
    rows += [(k, str(v)) for k, v in e.facts]
    if e.worst != Severity.COMPATIBLE:
        rows.append(("fix", info.fix))
    table = "".join(f"<tr><th scope=\"row\">{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows if v)
    witness = ""
    if f.witness is not None:
        lines = "\n".join(witness_lines(f.witness))
        witness = f'<figure class="witness"><figcaption>witness</figcaption><pre>{_e(lines)}</pre></figure>'
    elif f.witness_note:
        witness = f"<p class=\"witness\">witness: none ({_e(f.witness_note)})</p>"
    return (f'<li id="f{si}-{i}" class="finding v-{_verdict(e)}"><p class="label"><strong>{_e(e.label)}</strong> '
            f'<code>{_e(info.id)}</code> {_e(info.title)}</p><table>{table}</table>{witness}'
            f"<details><summary>about {_e(info.id)}</summary><p>{_e(info.doc)}</p></details></li>")


def _id(si: int, name: str) -> str:
    return f"s{si}-" + "".join(c if c.isalnum() or c in "_-" else "_" for c in name)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


PAGE_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:110em;padding:0 1em;color:#111}
h1{font-size:1.5em}h2{border-bottom:2px solid #333;margin-top:2em}h3{font-family:monospace}
p.verdict.failed,li.failed{color:#b00020}p.verdict.passed,li.passed{color:#2e7d32}
p.verdict strong{font-size:1.3em;border:2px solid currentColor;padding:0 .4em}
table.counts{border-collapse:collapse}table.counts td,table.counts th{border:1px solid #999;padding:2px 8px}
.meta{color:#555}nav ul{margin:.2em 0}
details.arch{margin:.5em 0;border:1px solid #ccc;padding:.3em .6em}
details.arch>summary{font-weight:bold;cursor:pointer}
div.pair{display:grid;grid-template-columns:1fr 1fr;gap:1em}
div.pair figure{margin:0;min-width:0}figcaption{font-weight:bold}
ol.findings>li{margin:.8em 0;padding:.4em .8em;border-left:6px solid #2e7d32}
ol.findings>li.v-breaking{border-left:6px solid #b00020}
ol.findings>li.v-source-only{border-left:6px dashed #b36b00}
ol.findings>li.v-waived{border-left:6px dotted #555}
ol.findings>li:target{background:#fff6d5}
li.finding table th{text-align:left;vertical-align:top;padding-right:1em;font-weight:600}
pre{white-space:pre-wrap;background:#f6f6f6;padding:.4em}
@media print{details.arch{display:block}div.pair{grid-template-columns:1fr}nav{display:none}}
"""

__all__ = ["render", "render_layouts"]
