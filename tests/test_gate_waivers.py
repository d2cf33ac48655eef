"""Waivers (abi/waivers.yaml): a break passes until its waiver's date, stale waivers are findings, and a
malformed file is bad input naming its line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from conftest import REPO
from gatetools import GitAbi, finding_lines, line_in, make_repo, step

from pvabi.arch import ARCH_NAMES

SIGNED_SHIFT = ("name: tsc_shift\n        type: s8", "name: tsc_shift\n        type: u8")

WAIVER = """\
waivers:
  - rule: FIELD_SIGNEDNESS_CHANGED
    layout: vcpu_time_info
    path: tsc_shift
    arch: "{arch}"
    reason: Every guest in the field masks tsc_shift to a signed byte.
    approved_by: ABI review (J. Doe)
    expires: "{expires}"
"""


def _broken(tmp_path: Path) -> GitAbi:
    repo = make_repo(tmp_path / "r")
    repo.edit("abi/layouts/vcpu_time_info.yaml", *SIGNED_SHIFT)
    return repo


def _waive(repo: GitAbi, text: str) -> Path:
    path = repo.abi / "waivers.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_waiver_lets_a_break_through_until_its_date(tmp_path: Path) -> None:
    repo = _broken(tmp_path)
    _waive(repo, WAIVER.format(arch="*", expires="2027-01-31"))
    repo.commit("break, waived")
    line = line_in(repo.layout("vcpu_time_info"), "name: tsc_shift")
    for today in ("2026-12-03", "2027-01-31"):  # the expiry day itself is still covered
        run = repo.check("--against", "main", "--today", today)
        assert run.exit_code == 0, run.output
        [found] = finding_lines(run)
        assert found == (f"abi/layouts/vcpu_time_info.yaml:{line}: FIELD_SIGNEDNESS_CHANGED vcpu_time_info.tsc_shift "
                         "on x86_32, x86_64, arm32, aarch64, ppc64, s390x: breaking, waived by abi/waivers.yaml:2 "
                         "until 2027-01-31 (approved by ABI review (J. Doe): Every guest in the field masks "
                         "tsc_shift to a signed byte.): signedness changed: s8 -> u8")
        assert run.stdout.splitlines()[-1].startswith("passed: 0 error, 1 breaking, 0 source-only, 0 compatible; "
                                                      "1 waived")
        assert "(1 breaking change waived): the next freeze is v3.0" in step(run, "policy")
        # the diff section leaves the waived finding to the findings list, so its verdict agrees
        assert "v2.0 -> working: passed" in run.stdout
    late = repo.check("--against", "main", "--today", "2027-02-01")
    assert late.exit_code == 1, late.output
    lines = finding_lines(late)
    assert lines[-1] == ("abi/waivers.yaml:2: WAIVER_EXPIRED: error, fails the gate (cannot be waived): the waiver "
                        "of FIELD_SIGNEDNESS_CHANGED vcpu_time_info.tsc_shift on every architecture expired on "
                        "2027-01-31; fix the finding, or renew the waiver with a new approval")
    assert "breaking, fails the gate: signedness changed" in lines[0]


def test_a_waiver_for_some_architectures_does_not_waive_the_others(tmp_path: Path) -> None:
    repo = _broken(tmp_path)
    _waive(repo, WAIVER.format(arch="x86_64", expires="2027-01-31"))
    run = repo.check("--today", "2026-12-03")
    assert run.exit_code == 1
    assert "WAIVER_UNUSED" not in run.stdout  # it matched: used, but the finding has other architectures
    [found] = finding_lines(run)
    assert ("breaking, fails the gate (abi/waivers.yaml:2 waives it on x86_64 only; a finding is waived on every "
            "architecture it occurs on, or not at all): signedness changed") in found


def test_a_waiver_that_matches_nothing_is_a_finding(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    path = _waive(repo, WAIVER.format(arch="arm32", expires="2027-01-31"))
    run = repo.check("--today", "2026-12-03")
    assert run.exit_code == 1, run.output
    assert finding_lines(run) == [
        f"abi/waivers.yaml:{line_in(path, '- rule:')}: WAIVER_UNUSED: error, fails the gate (cannot be waived): "
        "the waiver of FIELD_SIGNEDNESS_CHANGED vcpu_time_info.tsc_shift on arm32 matches no finding; remove it"]
    assert step(run, "waivers").startswith("failed   1 waiver: 0 findings waived, 0 expired, 1 unused")


def _bad(repo: GitAbi, text: str) -> list[str]:
    _waive(repo, text)
    run = repo.check("--today", "2026-12-03")
    assert run.exit_code == 2, run.output
    assert "Traceback" not in run.stderr and run.stdout == ""
    return [x for x in run.stderr.splitlines() if x.startswith("error:")]


def test_malformed_waiver_files_are_bad_input_with_file_and_line(tmp_path: Path) -> None:
    repo = _broken(tmp_path)
    missing = WAIVER.format(arch="*", expires="2027-01-31").replace("    approved_by: ABI review (J. Doe)\n", "")
    assert _bad(repo, missing) == ["error: abi/waivers.yaml:2: waivers.0: missing required key 'approved_by'"]
    unquoted = WAIVER.format(arch="*", expires="2027-01-31").replace('"2027-01-31"', "2027-01-31")
    assert _bad(repo, unquoted) == ['error: abi/waivers.yaml:8: waivers[0].expires: write the date quoted, as '
                                    'text: expires: "YYYY-MM-DD"']
    no_day = WAIVER.format(arch="*", expires="2027-02-30")
    assert _bad(repo, no_day) == ["error: abi/waivers.yaml:8: waivers[0].expires: expires '2027-02-30' is not a "
                                  "real day"]
    glob = WAIVER.format(arch="*", expires="2027-01-31").replace("layout: vcpu_time_info", "layout: vcpu_*")
    [line] = _bad(repo, glob)
    assert line.startswith("error: abi/waivers.yaml:3: waivers.0.layout: 'vcpu_*' does not match")
    unknown = WAIVER.format(arch="*", expires="2027-01-31").replace("FIELD_SIGNEDNESS_CHANGED", "NO_SUCH_RULE")
    assert _bad(repo, unknown) == ["error: abi/waivers.yaml:2: waivers[0].rule: unknown rule 'NO_SUCH_RULE' "
                                   "(pvabi rules lists them)"]
    twice = WAIVER.format(arch="*", expires="2027-01-31")
    twice += twice.split("\n", 1)[1]
    assert _bad(repo, twice) == ["error: abi/waivers.yaml:9: waivers[1]: waives the same finding as the waiver on "
                                 "line 2"]
    assert _bad(repo, "waivers: [\n") [0].startswith("error: abi/waivers.yaml:2: malformed YAML")


def test_frozen_history_cannot_be_waived(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    for rule in ("FROZEN_HASH_EDITED", "FROZEN_VERSION_CHANGED", "FROZEN_HASH_MISMATCH", "WAIVER_EXPIRED"):
        text = WAIVER.format(arch="*", expires="2027-01-31").replace("FIELD_SIGNEDNESS_CHANGED", rule)
        assert _bad(repo, text) == [f"error: abi/waivers.yaml:2: waivers[0].rule: {rule} cannot be waived: frozen "
                                    "history and the waivers' own findings are fixed, not accepted"]


def test_the_waiver_schema_names_every_architecture() -> None:
    schema = json.loads((REPO / "pvabi" / "schemas" / "waivers.schema.json").read_text())
    arch = schema["properties"]["waivers"]["items"]["properties"]["arch"]["enum"]
    assert arch == [*ARCH_NAMES, "*"]


def test_waivers_are_not_called_unused_when_the_diff_could_not_run(tmp_path: Path) -> None:
    repo = _broken(tmp_path)
    _waive(repo, WAIVER.format(arch="*", expires="2027-01-31"))
    repo.edit("abi/versions/v2.0/vcpu_time_info.yaml", "since the guest booted, at", "since boot, at")
    run = repo.check("--today", "2026-12-03")
    assert run.exit_code == 1
    assert [x.split(": ")[1] for x in finding_lines(run)] == ["FROZEN_HASH_MISMATCH"]
    assert step(run, "waivers") == ("ok       1 waiver: 0 findings waived, 0 expired, not matched (the diff did "
                                     "not run)")
