"""abi/CHANGES.md and docs/rules.md are generated; these tests fail when they go stale."""

from __future__ import annotations

import re

from conftest import REPO, SHIPPED_ABI

from pvabi import find_root
from pvabi.changelog import render_changelog
from pvabi.rules import REGISTRY
from pvabi.rulesdoc import rules_markdown


def test_changes_md_is_the_generated_changelog() -> None:
    text = (SHIPPED_ABI / "CHANGES.md").read_text("utf-8")
    generated = render_changelog(find_root(REPO), "v1.0", "v2.0")
    assert generated in text, "abi/CHANGES.md is stale: regenerate it with `pvabi changelog v1.0 v2.0`"


def test_changelog_sections_are_newest_first_and_cover_each_release() -> None:
    generated = render_changelog(find_root(REPO), "v1.0", "v2.0")
    heads = re.findall(r"^## (v\d+\.\d+) ", generated, flags=re.M)
    assert heads == ["v2.0", "v1.3", "v1.2", "v1.1"]


def test_changelog_verdicts_follow_the_declared_bumps() -> None:
    generated = render_changelog(find_root(REPO), "v1.0", "v2.0")
    verdicts = re.findall(r"^Against (v[\d.]+), .*: (\w+) bump required, (\w+) declared\.$", generated, flags=re.M)
    assert verdicts == [("v1.3", "major", "major"), ("v1.2", "minor", "minor"),
                        ("v1.1", "minor", "minor"), ("v1.0", "minor", "minor")]


def test_changelog_of_working_tree_has_a_working_section() -> None:
    generated = render_changelog(find_root(REPO), "v2.0", "working")
    assert generated.startswith("## working — not frozen")
    assert "- No changes." in generated


def test_rules_md_is_current() -> None:
    on_disk = (REPO / "docs" / "rules.md").read_text("utf-8")
    assert on_disk == rules_markdown(), "docs/rules.md is stale: regenerate it with `pvabi rules --markdown`"


def test_rules_md_documents_every_rule() -> None:
    on_disk = (REPO / "docs" / "rules.md").read_text("utf-8")
    for cls in REGISTRY:
        assert f"\n## {cls.id}\n" in on_disk
