"""The HTML report: self-contained, every finding, layout and member in it, the same bytes every run.

Rendered for the shipped history and for every rule case; parsed with the standard
library's HTML parser rather than searched as text, so a finding hidden in an
attribute or a comment does not count as shown.
"""

from __future__ import annotations

import os
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import PVABI, SHIPPED_ABI

from pvabi.diff import Policy
from pvabi.diffreport import diff_report
from pvabi.diffrun import run_diff
from pvabi.engine import resolver_for
from pvabi.formats import html
from pvabi.project import Project
from pvabi.report import Report

CASES = sorted(p.stem for p in (Path(__file__).resolve().parent / "rule_cases").glob("*.yaml"))
PAIRS = [("v1.0", "v1.1"), ("v1.1", "v1.2"), ("v1.2", "v1.3"), ("v1.3", "v2.0"), ("v1.0", "v2.0")]
VOID = {"meta", "br", "img", "link", "input", "hr", "col", "source", "wbr", "area", "base", "embed", "track"}


class Page(HTMLParser):
    """What a reader sees: text outside script/style, ids, links, and anything that would load from elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.external: list[str] = []
        self.tags: list[str] = []
        self.stack: list[str] = []
        self.unbalanced: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if tag not in VOID:
            self.stack.append(tag)
        if tag in ("script", "style"):
            self.skip += 1
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        for key in ("src", "srcset", "data", "poster"):
            if a.get(key):
                self.external.append(f"{tag} {key}={a[key]}")
        if tag == "link" or (tag == "a" and not str(a.get("href", "#")).startswith("#")):
            self.external.append(f"{tag} {a}")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.unbalanced.append(tag)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.text.append(data)

    @property
    def words(self) -> str:
        return " ".join("".join(self.text).split())


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def check_page(report: Report, text: str) -> Page:
    page = parse(text)
    assert text.startswith("<!DOCTYPE html>")
    assert "script" not in page.tags, "the page must work without JavaScript"
    assert not page.external, page.external
    assert "url(" not in text and "@import" not in text  # nothing fetched by the stylesheet either
    assert not page.unbalanced and not page.stack, (page.unbalanced, page.stack)
    for link in page.links:
        assert link[1:] in page.ids, f"dangling link {link}"
    words = page.words
    for section in report.sections:
        assert " ".join(section.verdict.split()) in words
        for e in section.entries:
            if not e.shown:
                continue
            f = e.finding
            assert e.info.id in words and " ".join(e.label.split()) in words
            assert " ".join(f.message.split()) in words, f.message
            if f.layout:
                assert f.layout in words
    return page


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.find(SHIPPED_ABI)


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_shipped_pairs(project: Project, old: str, new: str) -> None:
    report = diff_report(run_diff(project, old, new, Policy("full", "SOURCE")))
    page = check_page(report, html.render(report))
    # Every member of every layout with findings is drawn, on both sides, on each architecture a shown
    # finding occurs on.
    drawn = 0
    for section in report.sections:
        for e in section.entries:
            if not e.shown or not e.finding.layout:
                continue
            for version in (section.fact("old"), section.fact("new")):
                abi = report.models[version]
                rec = abi.record(e.finding.layout)
                for arch in e.finding.arches:
                    if rec is None or not rec.exists_on(arch):
                        continue
                    for m in resolver_for(abi, arch).layout(rec.name).members:
                        assert m.name in page.words, (version, arch, m.name)
                        drawn += 1
    assert drawn or not any(s.entries for s in report.sections)


def test_the_arm32_break_of_v2_0_is_open_and_marked(project: Project) -> None:
    report = diff_report(run_diff(project, "v1.3", "v2.0", Policy("backward", "LAYOUT")))
    text = html.render(report)
    assert '<details class="arch" open><summary>arm32:' in text
    assert "v-breaking" in text and "BREAKING</a>" in text


def _case_abi(tmp: Path, side: dict[str, object]) -> Path:
    root = tmp / "abi" / "layouts"
    root.mkdir(parents=True)
    meta = side["meta"]
    assert isinstance(meta, dict)
    (root / f"{meta['id']}.yaml").write_text(yaml.safe_dump(side, sort_keys=False), encoding="utf-8")
    return tmp


@pytest.mark.parametrize("name", CASES)
def test_rule_cases(tmp_path: Path, name: str) -> None:
    case = yaml.safe_load((Path(__file__).resolve().parent / "rule_cases" / f"{name}.yaml").read_text("utf-8"))
    old, new = _case_abi(tmp_path / "old", case["old"]), _case_abi(tmp_path / "new", case["new"])
    report = diff_report(run_diff(None, str(old), str(new), Policy("full", "SOURCE")))
    check_page(report, html.render(report))


def test_same_bytes_in_separate_processes(tmp_path: Path) -> None:
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"r{seed}.html"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([*PVABI, "diff", "v1.0", "v2.0", "--transitive", "--root", str(SHIPPED_ABI),
                              "--format", f"html:{out}", "--quiet"], capture_output=True, env=env, timeout=300,
                             check=False)
        assert run.returncode in (0, 1), run.stderr.decode()
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and len(outs[0]) > 10_000
