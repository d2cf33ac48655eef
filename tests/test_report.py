"""The report model and its JSON: schema, YAML locations, identities, several formats in one run.

Locations are checked against two outside truths: the layout model of each
side (the definition a finding concerns, when it exists there, must be the one
named) and the YAML text itself (the named line must define that name).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PVABI, REPO, SHIPPED_ABI, Run, assert_one_bad_input
from jsonschemas import schema_errors
from test_rule_cases import CASE_NAMES, run_case

from pvabi import find_root, load
from pvabi.diff import DiffResult, PairReport, Policy
from pvabi.diffreport import SCHEMA, diff_report
from pvabi.findings import Category, Finding, Identity, Severity
from pvabi.formats import FORMATS, json_format
from pvabi.model import Abi, FieldDef, Loc, RecordDef
from pvabi.report import CheckInfo, Entry, Metadata, Report, Section, check_info, count, register_check
from pvabi.rules import all_rules

Cli = Callable[..., Run]

SCHEMA_FILE = REPO / "pvabi/schemas/diff.schema.json"
DEFINITION = re.compile(r"^\s*(- name: \w+|\w+:)\s*$")
VERSIONS = ("v1.0", "v1.1", "v1.2", "v1.3", "v2.0", "working")


def valid(data: dict[str, Any]) -> dict[str, Any]:
    errors = schema_errors("diff", data)  # the witness object is $ref'd from witness.schema.json
    assert not errors, "does not match pvabi/schemas/diff.schema.json:\n" + "\n".join(errors[:10])
    return data


# --- locations against the model and the YAML text -----------------------------------------------------


def _record(abi: Abi, name: str) -> RecordDef | None:
    """A top-level layout, or one declared in place (``top.member``), found by walking the definitions."""
    top, *inner = name.split(".")
    rec = abi.record(top)
    for part in inner:
        field = rec.field(part) if rec is not None else None
        rec = field.inline if field is not None else None
    return rec


def defined(abi: Abi, layout: str, path: str, arches: list[str]) -> Loc | None:
    """Where the model of one side defines what a finding names on all of its architectures, or None when
    that side has no such thing there (a field may exist only on some architectures)."""
    t = abi.types.get(layout)
    if t is not None and not isinstance(t, RecordDef):
        return t.loc  # an enum or flags type: its values have no line of their own
    rec = _record(abi, layout)
    if rec is None or not all(rec.exists_on(a) for a in arches):
        return None
    if not path:
        return rec.loc
    field: FieldDef | None = rec.field(path)
    return field.loc if field is not None and all(field.present_on(a) for a in arches) else None


def check_locations(data: dict[str, Any], abis: Callable[[str], Abi], base: Path) -> int:
    """Every finding carries the file and line of its member on each side where the member exists, and each
    named line defines that name. Returns how many locations were checked."""
    checked = 0
    for section in data["sections"]:
        for f in section["findings"]:
            for side, version in (("old_loc", section["old"]), ("new_loc", section["new"])):
                want = defined(abis(version), f["layout"], f["path"], f["arches"])
                got = f[side]
                if want is not None:
                    assert got == {"file": want.file, "line": want.line}, (side, f["rule"], f["layout"], f["path"])
                if got is not None:
                    line = (base / got["file"]).read_text(encoding="utf-8").splitlines()[got["line"] - 1]
                    # A member's "- name: x" or a type's "x:" (a removed field's new_loc may be the reserved
                    # member that took its bytes, under another name).
                    assert DEFINITION.match(line), (side, f["rule"], got, line)
                    if want is not None:
                        # the member itself, or the enum/flags type a value belongs to
                        assert any(n and n in line for n in (f["path"], f["layout"].split(".")[-1])), (side, got, line)
                    checked += 1
    return checked


@pytest.fixture(scope="module")
def shipped_abis() -> Callable[[str], Abi]:
    root = find_root(SHIPPED_ABI)
    cache: dict[str, Abi] = {}

    def get(version: str) -> Abi:
        if version not in cache:
            cache[version] = load(root, version)
        return cache[version]
    return get


def test_schema_id_is_defined_once() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["properties"]["schema"] == {"const": SCHEMA}
    assert SCHEMA in schema["title"]


@pytest.mark.parametrize("mode", ["backward", "full"])
def test_shipped_json_carries_locations_for_both_sides(cli: Cli, shipped_abis: Callable[[str], Abi],
                                                      mode: str) -> None:
    """Transitive from v1.0 to the working tree covers every shipped pair."""
    run = cli("diff", "v1.0", "working", "--transitive", "--mode", mode, "--category", "SOURCE", "--format", "json",
              "--root", SHIPPED_ABI)
    assert run.exit_code in (0, 1), run.stderr
    data = valid(json.loads(run.stdout))
    assert data["exit_code"] == run.exit_code
    assert {(s["old"], s["new"]) for s in data["sections"]} == {(v, "working") for v in VERSIONS[:-1]}
    assert check_locations(data, shipped_abis, REPO) > 50
    moved = [f for s in data["sections"] for f in s["findings"] if f["run_end"]]
    assert moved and all(" .. " not in f["path"] and f["covers"][0] == f["path"] for f in moved)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_rule_case_json_matches_schema_with_locations(tmp_path: Path, name: str) -> None:
    run = run_case(name, tmp_path)
    policy = Policy("full", "SOURCE")
    pair = PairReport("old", "new", tuple(run.findings), policy, tuple(all_rules()))
    data = valid(json_format.to_json(diff_report(DiffResult((pair,), policy, False, asked=("old", "new")))))
    sides = {"old": run.cmp.old, "new": run.cmp.new}
    check_locations(data, sides.__getitem__, Path("/"))
    for f, j in zip(run.findings, data["sections"][0]["findings"], strict=True):
        assert j["identities"] == [{"rule": f.rule, "layout": f.layout, "path": f.path, "arch": a} for a in f.arches]


# --- typed values and identity -------------------------------------------------------------------------


def test_severities_are_typed_and_compare_as_words() -> None:
    from pvabi.diffrun import run_diff

    result = run_diff(find_root(SHIPPED_ABI), "v1.3", "v2.0", Policy("full", "SOURCE"))
    f = next(f for f in result.reports[0].findings if (f.rule, f.path) == ("FIELD_OFFSET_CHANGED", "time"))
    assert all(type(s) is Severity for _, s in f.severity)
    assert f.severity_in("backward") == "breaking" and f.severity_in("backward") is Severity.BREAKING
    assert result.policy.category is Category.SOURCE


def test_identity_names_a_member_never_a_run() -> None:
    f = Finding("FIELD_OFFSET_CHANGED", "shared_info", "wc_version", ("arm32", "x86_32"), "m",
                (("backward", "breaking"), ("forward", "compatible")), covers=("wc_version", "wc_sec"),
                run_end="wc_sec")
    assert f.identities == (Identity("FIELD_OFFSET_CHANGED", "shared_info", "wc_version", "arm32"),
                            Identity("FIELD_OFFSET_CHANGED", "shared_info", "wc_version", "x86_32"))
    assert str(f.identity("arm32")) == "FIELD_OFFSET_CHANGED shared_info.wc_version on arm32"
    assert f.shown_path == "wc_version .. wc_sec"


# --- the model fits findings that no layout rule produced ----------------------------------------------


def _image_report() -> Report:
    """A section of the kind the image checker will produce, built from the model alone."""
    info = register_check(CheckInfo("TEST_IMAGE_MISREAD", "Image field misread", None,
                                    "A test check: an image's field decodes differently.", "Fix the image."))
    f = Finding(info.id, "vcpu_time_info", "flags", ("x86_64",), "flags holds undefined bit 7",
                (("backward", "breaking"), ("forward", "breaking")), old_range=(29, 30),
                new_loc=Loc("abi/layouts/vcpu_time_info.yaml", 61))
    entry = Entry(f, check_info(info.id), Severity.BREAKING, True, "BREAKING (fails the gate)",
                  facts=(("image", "images/boot.bin"), ("bytes", "80"), ("decoded", {"bits": [7]})))
    section = Section("images", "images/boot.bin", (entry,), True, "images/boot.bin: FAILED: 1 misread",
                      count((entry,)))
    return Report("check", "pvabi.check/0-test", (section,), Metadata(2, "backward", "LAYOUT", False, "0"), 1)


def test_a_non_rule_section_renders_in_every_format() -> None:
    report = _image_report()
    assert report.summary.failed and report.summary.violations == 1
    assert report.summary.counts[Severity.BREAKING] == 1
    out = {name: render(report, False) for name, render in FORMATS.items()}
    assert "TEST_IMAGE_MISREAD  Image field misread\n" in out["text"]  # no category: not a layout rule
    assert "  defined:  - -> abi/layouts/vcpu_time_info.yaml:61" in out["text"]  # no old side
    assert "  image:    images/boot.bin" in out["text"]
    assert "images/boot.bin: FAILED: 1 misread" in out["markdown"]
    doc = json.loads(out["json"])
    (finding,) = doc["sections"][0]["findings"]
    assert finding["facts"] == {"image": "images/boot.bin", "bytes": "80", "decoded": {"bits": [7]}}
    assert finding["new_loc"] == {"file": "abi/layouts/vcpu_time_info.yaml", "line": 61}
    with pytest.raises(ValueError, match="already taken"):
        register_check(CheckInfo("FIELD_OFFSET_CHANGED", "x", None, "x", "x"))


# --- the format registry ---------------------------------------------------------------------------------


def test_every_format_module_is_registered() -> None:
    modules = {p.stem for p in (REPO / "pvabi/formats").glob("*.py")} - {"__init__", "common"}
    registered = {render.__module__.rsplit(".", 1)[1] for render in FORMATS.values()}
    assert modules == registered
    for name, render in FORMATS.items():  # each name is its module's (json's module avoids the stdlib name)
        assert render.__module__ == f"pvabi.formats.{'json_format' if name == 'json' else name}"
        assert render.__name__ == "render"


# --- several formats in one run --------------------------------------------------------------------------


def test_several_formats_in_one_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    args = ["diff", "v1.3", "v2.0", "--no-transitive", "--root", str(SHIPPED_ABI), "--no-color"]
    both = subprocess.run([*PVABI, *args, "--format", f"json:{out / 'r.json'}", "--format", "text",
                           "--format", f"markdown:{out / 'r.md'}"], capture_output=True, text=True, check=False)
    assert both.returncode == 0, both.stderr
    alone = {name: subprocess.run([*PVABI, *args, "--format", name], capture_output=True, text=True,
                                  check=False).stdout for name in ("json", "text", "markdown")}
    assert both.stdout == alone["text"]
    assert (out / "r.json").read_text() == alone["json"]
    assert (out / "r.md").read_text() == alone["markdown"]
    assert sorted(p.name for p in out.iterdir()) == ["r.json", "r.md"]  # no temporary file left behind
    valid(json.loads(alone["json"]))


def test_formats_to_files_only_print_nothing(cli: Cli, tmp_path: Path) -> None:
    run = cli("diff", "v1.3", "v2.0", "--no-transitive", "--root", SHIPPED_ABI, "--format",
              f"json:{tmp_path / 'r.json'}")
    assert run.exit_code == 0 and run.stdout == ""
    valid(json.loads((tmp_path / "r.json").read_text()))


@pytest.mark.parametrize(("specs", "message"), [
    (["yaml"], "unknown format 'yaml' in --format 'yaml' (known: text, json, markdown, github, junit, sarif, "
                "gitlab, html)"),
    (["json:"], "--format 'json:' names no file after the colon (FORMAT or FORMAT:FILE)"),
    (["json", "text"], "more than one format to stdout (json, text): give all but one a file, as FORMAT:FILE"),
    (["json:r.out", "text:r.out"], "two formats would write 'r.out'"),
])
def test_bad_format_specs(cli: Cli, tmp_path: Path, specs: list[str], message: str) -> None:
    args = [x for s in specs for x in ("--format", s)]
    run = cli("diff", "v1.3", "v2.0", "--root", SHIPPED_ABI, *args)
    assert_one_bad_input(run, None, None, message)
    assert not (tmp_path / "r.out").exists()


def test_unwritable_format_file_is_one_line(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    target = tmp_path / "a-file" / "r.json"  # its directory cannot be made: a file is in the way
    run = cli("diff", "v1.3", "v2.0", "--no-transitive", "--root", SHIPPED_ABI, "--format", f"json:{target}")
    assert_one_bad_input(run, str(target), None, "cannot write the json report: File exists")


def test_a_format_file_gets_its_directory(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "ci" / "r.json"  # as a CI job writes its first report
    run = cli("diff", "v1.3", "v2.0", "--no-transitive", "--root", SHIPPED_ABI, "--format", f"json:{target}")
    assert run.exit_code == 0, run.output
    assert target.read_text().startswith("{")
