"""The ``pvabi diff``, ``rules`` and ``changelog`` command lines, on the shipped ABI and on edited copies of it.

Edited copies are ``shutil.copytree`` of abi/ into a temp directory, so the
frozen versions (and their hashes) come along and only the working layouts or
abi/pvabi.yaml change.
"""

from __future__ import annotations

import hashlib
import json
import os
import pty
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PVABI, REPO, SHIPPED_ABI, Run, assert_one_bad_input, line_of
from jsonschemas import schema_errors

from pvabi.rules import REGISTRY

Cli = Callable[..., Run]

VERSIONS = ("v1.0", "v1.1", "v1.2", "v1.3", "v2.0")
SHIPPED_PAIRS = [("v1.0", "v1.1"), ("v1.1", "v1.2"), ("v1.2", "v1.3"), ("v1.3", "v2.0"), ("v2.0", "working"),
                 ("v1.0", "v2.0")]
PAIR_IDS = [f"{a}-{b}" for a, b in SHIPPED_PAIRS]
MODES = ("backward", "forward", "full")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SEVERITY_LABEL = re.compile(r"^(BREAKING|SOURCE-ONLY|COMPATIBLE)( \((allowed by [^)]*|fails the gate|"
                            r"not enforced by the \w+ gate)\))?  [A-Z][A-Z0-9_]+  ", re.M)
SUMMARY = re.compile(r"^(?P<old>\S+) -> (?P<new>\S+): (?P<state>passed|FAILED): (?P<breaking>\d+) breaking, "
                     r"(?P<source>\d+) source-only, (?P<compatible>\d+) compatible; (?P<verdict>.*)$")


def required_bump(verdict: str) -> str:
    """The bump a summary's verdict says the findings need."""
    if "major" in verdict.split(",")[0] or "breaking, allowed by the major bump" in verdict:
        return "major"
    return "minor" if "minor version bump is needed" in verdict else "none"


# --- helpers -----------------------------------------------------------------------------------------------


def exits(run: Run, code: int) -> Run:
    assert run.exit_code == code, f"exit {run.exit_code}, expected {code}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    assert "Traceback" not in run.output
    return run


def report(run: Run) -> dict[str, Any]:
    """The JSON report of a ``--format json`` run, checked against the schema and the exit status."""
    assert run.exit_code in (0, 1), f"exit {run.exit_code}\nstderr:\n{run.stderr}"
    data: dict[str, Any] = json.loads(run.stdout)
    errors = schema_errors("diff", data)
    assert not errors, "report does not match pvabi/schemas/diff.schema.json:\n" + "\n".join(errors[:10])
    assert data["exit_code"] == run.exit_code
    return data


def diff_json(cli: Cli, *args: object, root: Path = SHIPPED_ABI) -> dict[str, Any]:
    return report(cli("diff", *args, "--format", "json", "--root", root))


def findings(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for c in data["sections"] for f in c["findings"]]


def pairs(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["old"], c["new"]) for c in data["sections"]]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), "utf-8")


@pytest.fixture
def abi_copy(tmp_path: Path) -> Path:
    """A copy of the shipped abi/ (layouts, frozen versions, pvabi.yaml) at ``tmp_path/abi``."""
    return Path(shutil.copytree(SHIPPED_ABI, tmp_path / "abi"))


def swap_clock_fields(abi: Path) -> None:
    """Breaking: vcpu_time_info's tsc_timestamp and system_time trade places (bytes 8 and 16)."""
    layouts = abi / "layouts" / "vcpu_time_info.yaml"
    text = layouts.read_text("utf-8")
    swapped = (text.replace("name: tsc_timestamp", "name: @@").replace("name: system_time", "name: tsc_timestamp")
               .replace("name: @@", "name: system_time"))
    assert swapped != text
    layouts.write_text(swapped, "utf-8")


def host_field_in_pad0(abi: Path) -> None:
    """Forward-breaking only: vcpu_time_info's reserved-any pad0 becomes a field the host writes, the guest reads."""
    edit(abi / "layouts" / "vcpu_time_info.yaml",
         "      - name: pad0\n        type: u32\n        offset: 4\n        reserved: any\n",
         "      - name: tsc_hi\n        type: u32\n        offset: 4\n        doc: Upper TSC bits.\n")


def set_config(abi: Path, text: str) -> None:
    (abi / "pvabi.yaml").write_text(text, "utf-8")


def run_on_terminal(args: list[str], env: dict[str, str] | None = None) -> Run:
    """The console script with its stdout on a pseudo-terminal (stderr a pipe)."""
    master, slave = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm", **(env or {})}
    proc = subprocess.Popen([*PVABI, *args], stdout=slave, stderr=subprocess.PIPE, env=full_env, cwd=REPO)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    code = proc.wait(timeout=60)
    return Run(code, b"".join(chunks).decode().replace("\r\n", "\n"), stderr)


# --- the shipped history from the command line ---------------------------------------------------------------


def test_major_release_exits_0(pvabi_proc: Cli) -> None:
    run = exits(pvabi_proc("diff", "v1.3", "v2.0", cwd=REPO), 0)
    assert run.stderr == ""
    assert "v1.3 -> v2.0: passed: 11 breaking, 0 source-only, 1 compatible; 11 breaking, allowed by the major " \
        "bump v1.3 -> v2.0" in run.stdout.splitlines()
    assert "BREAKING (allowed by the major bump v1.3 -> v2.0)  FIELD_OFFSET_CHANGED" in run.stdout
    assert "violation" not in run.stdout


def test_gate_passes_on_an_unchanged_working_copy(pvabi_proc: Cli) -> None:
    """``pvabi diff v2.0`` with the project's own config (transitive) on a working copy identical to v2.0."""
    run = pvabi_proc("diff", "v2.0", cwd=REPO)
    failed = [line for line in run.stdout.splitlines() if ": FAILED: " in line]
    assert run.exit_code == 0, "the CI gate fails although nothing changed since v2.0:\n" + "\n".join(failed)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("old", "new"), SHIPPED_PAIRS, ids=PAIR_IDS)
def test_json_report_matches_schema(cli: Cli, old: str, new: str, mode: str) -> None:
    data = diff_json(cli, old, new, "--mode", mode)
    assert (data["mode"], data["category"], data["transitive"]) == (mode, "LAYOUT", True)  # abi/pvabi.yaml
    assert (old, new) in pairs(data)
    assert [o for o, _ in pairs(data)] == [v for v in VERSIONS if new == "working" or v < new]


def test_major_release_json_in_full_mode(cli: Cli) -> None:
    data = diff_json(cli, "v1.3", "v2.0", "--mode", "full")
    direct = data["sections"][-1]
    assert (direct["old"], direct["new"], direct["declared_bump"], direct["required_bump"]) == (
        "v1.3", "v2.0", "major", "major")
    assert (direct["bump_ok"], direct["failed"], data["exit_code"]) == (True, False, 0)
    assert {tuple(f["arches"]) for f in direct["findings"]} == {("arm32",)}
    assert all(f["witness"] for f in direct["findings"] if f["worst"] == "breaking")


@pytest.mark.parametrize(("old", "new"), SHIPPED_PAIRS, ids=PAIR_IDS)
def test_every_format_tells_the_same_story(cli: Cli, old: str, new: str) -> None:
    args = ("diff", old, new, "--mode", "full", "--no-transitive", "--root", SHIPPED_ABI)
    data = report(cli(*args, "--format", "json"))
    text = exits(cli(*args), data["exit_code"]).stdout
    markdown = exits(cli(*args, "--format", "markdown"), data["exit_code"]).stdout
    total = len(findings(data))
    assert len(SEVERITY_LABEL.findall(text)) == total
    assert len([line for line in markdown.splitlines() if re.match(r"^\| (❌|⚠️|✅)", line)]) == total
    summaries = [m.groupdict() for m in map(SUMMARY.match, text.splitlines()) if m]
    assert [(s["old"], s["new"]) for s in summaries] == pairs(data)
    for s, c in zip(summaries, data["sections"], strict=True):
        assert (int(s["breaking"]), int(s["source"]), int(s["compatible"])) == (
            c["counts"]["breaking"], c["counts"]["source-only"], c["counts"]["compatible"])
        assert required_bump(s["verdict"]) == c["required_bump"]
        assert (s["state"] == "FAILED") == c["failed"]


def test_text_has_one_block_per_finding_and_a_summary(cli: Cli) -> None:
    args = ("diff", "v1.3", "v2.0", "--no-transitive", "--mode", "full", "--root", SHIPPED_ABI)
    data = report(cli(*args, "--format", "json"))
    text = exits(cli(*args), 0).stdout
    blocks = text.split("\n\n")[2:]  # the header, the comparison heading
    assert len(blocks) == len(findings(data)) == 12
    for block, f in zip(blocks, findings(data), strict=True):
        assert f["rule"] in block.splitlines()[0]
        assert f"where:    {f['layout']}.{f['path']}" in block or f"where:    {f['layout']} on" in block
        assert "backward: " in block and "forward: " in block
    last = text.rstrip("\n").splitlines()[-1]
    m = SUMMARY.match(last)
    assert m, f"last line is not a summary: {last!r}"
    counts = data["sections"][0]["counts"]
    assert (int(m["breaking"]), int(m["source"]), int(m["compatible"]), required_bump(m["verdict"])) == (
        counts["breaking"], counts["source-only"], counts["compatible"], "major")
    assert "allowed by the major bump v1.3 -> v2.0" in last and m["state"] == "passed"


def test_markdown_has_a_table(cli: Cli) -> None:
    md = exits(cli("diff", "v1.2", "v1.3", "--no-transitive", "--format", "markdown", "--root", SHIPPED_ABI), 0).stdout
    lines = md.splitlines()
    head = lines.index("| | Rule | Where | Arch | Change | Backward | Forward |")
    assert lines[head + 1] == "|---|---|---|---|---|---|---|"
    rows = lines[head + 2:head + 5]
    assert all(row.startswith("| ") and row.count(" | ") == 6 for row in rows), rows
    assert any("`FIELD_RENAMED`" in row for row in rows)
    assert lines[0] == "### pvabi diff: passed"


# --- colour ----------------------------------------------------------------------------------------------------


def test_no_colour_when_not_a_terminal(cli: Cli, pvabi_proc: Cli) -> None:
    for run in (cli("diff", "v1.3", "v2.0", "--root", SHIPPED_ABI), pvabi_proc("diff", "v1.3", "v2.0", cwd=REPO)):
        assert not ANSI.search(exits(run, 0).stdout)


def test_colour_by_default_on_a_terminal() -> None:
    run = exits(run_on_terminal(["diff", "v1.3", "v2.0", "--no-transitive"]), 0)
    assert ANSI.search(run.stdout)
    assert not ANSI.search(exits(run_on_terminal(["diff", "v1.3", "v2.0", "--no-color"]), 0).stdout)
    assert not ANSI.search(exits(run_on_terminal(["diff", "v1.3", "v2.0"], {"NO_COLOR": "1"}), 0).stdout)


def test_color_option_forces_colour_into_a_pipe(pvabi_proc: Cli) -> None:
    run = exits(pvabi_proc("diff", "v1.3", "v2.0", "--no-transitive", "--color", cwd=REPO), 0)
    assert ANSI.search(run.stdout), "--color was asked for, but stdout has no ANSI escapes"
    assert ANSI.sub("", run.stdout) == exits(pvabi_proc("diff", "v1.3", "v2.0", "--no-transitive", cwd=REPO), 0).stdout


# --- exit 1: breaking changes in the working copy, and what each option changes ----------------------------


def test_moved_field_in_working_copy_exits_1(run_both: Cli, cli: Cli, abi_copy: Path) -> None:
    swap_clock_fields(abi_copy)
    exits(run_both("diff", "v2.0", "working", "--root", abi_copy), 1)
    data = diff_json(cli, "v2.0", "working", "--no-transitive", root=abi_copy)
    (c,) = data["sections"]
    assert (c["declared_bump"], c["required_bump"], c["failed"]) == (None, "major", True)
    moved = {(f["rule"], f["layout"], f["path"]) for f in c["findings"] if f["violation"]}
    assert moved == {("FIELD_OFFSET_CHANGED", "vcpu_time_info", "tsc_timestamp"),
                     ("FIELD_OFFSET_CHANGED", "vcpu_time_info", "system_time")}
    assert all(f["witness"] for f in c["findings"])


@pytest.mark.parametrize("mode", MODES)
def test_moved_field_fails_every_mode(cli: Cli, abi_copy: Path, mode: str) -> None:
    swap_clock_fields(abi_copy)
    exits(cli("diff", "v2.0", "working", "--no-transitive", "--mode", mode, "--root", abi_copy), 1)


@pytest.mark.parametrize(("mode", "code"), [("backward", 0), ("forward", 1), ("full", 1)])
def test_mode_host_field_in_undeclared_space(cli: Cli, abi_copy: Path, mode: str, code: int) -> None:
    host_field_in_pad0(abi_copy)
    data = diff_json(cli, "v2.0", "working", "--no-transitive", "--mode", mode, root=abi_copy)
    assert data["exit_code"] == code
    added = findings(data)
    assert {(f["rule"], f["path"]) for f in added} == {("FIELD_ADDED_IN_UNDECLARED_SPACE", "tsc_hi")}
    assert all(f["severity"] == {"backward": "compatible", "forward": "breaking"} for f in added)
    assert all(f["violation"] == bool(code) for f in added)


@pytest.mark.parametrize(("mode", "code"), [("backward", 0), ("forward", 1), ("full", 1)])
def test_mode_on_v1_1(run_both: Cli, mode: str, code: int) -> None:
    exits(run_both("diff", "v1.0", "v1.1", "--no-transitive", "--mode", mode, "--root", SHIPPED_ABI), code)


def test_mode_option_overrides_config(cli: Cli, abi_copy: Path) -> None:
    edit(abi_copy / "pvabi.yaml", "mode: backward", "mode: full")
    exits(cli("diff", "v1.0", "v1.1", "--no-transitive", "--root", abi_copy), 1)
    exits(cli("diff", "v1.0", "v1.1", "--no-transitive", "--mode", "backward", "--root", abi_copy), 0)


@pytest.mark.parametrize(("category", "code", "violating"), [
    ("SOURCE", 1, {"FIELD_RENAMED", "FIELD_REMOVED"}),
    ("source", 1, {"FIELD_RENAMED", "FIELD_REMOVED"}),
    ("LAYOUT", 0, set()),
    ("WIRE", 0, set()),
])
def test_category_on_the_arm_rename(cli: Cli, category: str, code: int, violating: set[str]) -> None:
    data = diff_json(cli, "v1.2", "v1.3", "--no-transitive", "--mode", "backward", "--category", category)
    assert data["category"] == category.upper()
    assert data["exit_code"] == code
    assert {f["rule"] for f in findings(data) if f["violation"]} == violating


@pytest.mark.parametrize(("arch", "code", "expected"), [
    ("x86_64", 0, set()),
    ("x86_32", 0, set()),
    ("arm32", 1, {"arm32"}),
    ("aarch64", 1, {"aarch64"}),
])
def test_arch_filter(cli: Cli, arch: str, code: int, expected: set[str]) -> None:
    data = diff_json(cli, "v1.2", "v1.3", "--no-transitive", "--mode", "forward", "--arch", arch)
    assert data["exit_code"] == code
    vcpu = [f for f in findings(data) if f["layout"] == "vcpu_info"]
    assert {a for f in vcpu for a in f["arches"]} == expected
    assert all(f["arches"] == [arch] for f in findings(data))


def test_arch_filter_on_the_major_release(cli: Cli) -> None:
    assert findings(diff_json(cli, "v1.3", "v2.0", "--no-transitive", "--arch", "x86_64")) == []
    assert findings(diff_json(cli, "v1.3", "v2.0", "--no-transitive", "--arch", "x86_64", "--arch", "aarch64")) == []
    arm = findings(diff_json(cli, "v1.3", "v2.0", "--no-transitive", "--arch", "arm32"))
    assert len(arm) == 12 and all(f["arches"] == ["arm32"] for f in arm)


def test_arch_alias(cli: Cli) -> None:
    data = diff_json(cli, "v1.0", "v1.1", "--no-transitive", "--arch", "i386")
    assert findings(data) and all(f["arches"] == ["x86_32"] for f in findings(data))


def test_layout_filter(cli: Cli) -> None:
    only = findings(diff_json(cli, "v1.3", "v2.0", "--no-transitive", "--layout", "vcpu_info"))
    assert {f["layout"] for f in only} == {"vcpu_info"}
    assert {f["path"] for f in only} == {"", "evtchn_pending_sel", "time"}
    both = findings(diff_json(cli, "v1.3", "v2.0", "--no-transitive", "-l", "vcpu_info", "-l", "shared_info"))
    assert {f["layout"] for f in both} == {"vcpu_info", "shared_info"}


@pytest.mark.parametrize(("layout", "code"), [("vcpu_info", 1), ("vcpu_time_info", 0)])
def test_layout_filter_changes_the_verdict(cli: Cli, layout: str, code: int) -> None:
    data = diff_json(cli, "v1.2", "v1.3", "--no-transitive", "--mode", "full", "--layout", layout)
    assert data["exit_code"] == code
    assert findings(data)


def test_transitive_from_config_and_overridden(cli: Cli) -> None:
    assert pairs(diff_json(cli, "v1.2", "v1.3")) == [("v1.0", "v1.3"), ("v1.1", "v1.3"), ("v1.2", "v1.3")]
    assert pairs(diff_json(cli, "v1.2", "v1.3", "--no-transitive")) == [("v1.2", "v1.3")]
    data = diff_json(cli, "v1.1", "v1.2", "--mode", "full")
    assert (data["transitive"], data["exit_code"]) == (True, 1)  # v1.0 -> v1.2 still carries wc_sec_hi
    data = diff_json(cli, "v1.1", "v1.2", "--mode", "full", "--no-transitive")
    assert (data["transitive"], data["exit_code"]) == (False, 0)


def test_transitive_option_overrides_config_that_says_no(cli: Cli, abi_copy: Path) -> None:
    edit(abi_copy / "pvabi.yaml", "transitive: true", "transitive: false")
    data = diff_json(cli, "v1.1", "v1.2", "--mode", "full", root=abi_copy)
    assert (pairs(data), data["transitive"], data["exit_code"]) == ([("v1.1", "v1.2")], False, 0)
    data = diff_json(cli, "v1.1", "v1.2", "--mode", "full", "--transitive", root=abi_copy)
    assert (pairs(data), data["transitive"], data["exit_code"]) == ([("v1.0", "v1.2"), ("v1.1", "v1.2")], True, 1)


def test_another_abi_root_as_old_side(cli: Cli, abi_copy: Path) -> None:
    swap_clock_fields(abi_copy)
    data = diff_json(cli, abi_copy, "working", "--no-transitive")
    assert pairs(data) == [(str(abi_copy), "working")]
    assert data["exit_code"] == 1
    assert {f["path"] for f in findings(data)} == {"tsc_timestamp", "system_time"}


def test_output_is_the_same_under_any_hash_seed(pvabi_proc: Cli) -> None:
    args = ("diff", "v1.0", "working", "--mode", "full", "--category", "SOURCE", "--format", "json")
    outputs = {pvabi_proc(*args, cwd=REPO, env={"PYTHONHASHSEED": seed}).stdout for seed in ("0", "1", "12345")}
    assert len(outputs) == 1


# --- witness files ---------------------------------------------------------------------------------------------


def test_witness_dir_holds_every_witness_of_the_report(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "witnesses"
    data = diff_json(cli, "v1.0", "v2.0", "--mode", "full", "--witness-dir", out)
    witnessed = [f for f in findings(data) if f["witness"] is not None]
    assert len(witnessed) > 10
    expected: set[str] = set()
    for f in witnessed:
        w = f["witness"]
        name = w["file"]
        assert name and name.endswith(".bin") and "/" not in name, name
        image = (out / name).read_bytes()
        assert hashlib.sha256(image).hexdigest() == w["image_sha256"]
        assert len(image) == w["image_size"]
        assert image[w["offset"]:w["offset"] + w["size"]].hex() == w["bytes"]
        meta = json.loads((out / name).with_suffix(".json").read_text())
        assert schema_errors("witness", meta) == [], name
        assert meta["schema"] == "pvabi.witness/2"
        assert meta["rule"] == f["rule"] and meta["message"] == f["message"]
        assert meta["witness"] == w, name  # the same witness object as the report's, file name included
        expected |= {name, name.removesuffix(".bin") + ".json"}
    assert {p.name for p in out.iterdir()} == expected


def test_witness_files_are_null_without_a_witness_dir(cli: Cli) -> None:
    witnesses = [f["witness"] for f in findings(diff_json(cli, "v1.3", "v2.0", "--mode", "full"))]
    assert any(witnesses) and all(w["file"] is None for w in witnesses if w)


def test_witness_dir_with_text_output(cli: Cli, tmp_path: Path) -> None:
    exits(cli("diff", "v1.2", "v1.3", "--no-transitive", "--witness-dir", tmp_path / "w", "--root", SHIPPED_ABI), 0)
    assert sorted(p.suffix for p in (tmp_path / "w").iterdir()) == [".bin", ".json"]


# --- abi/pvabi.yaml ----------------------------------------------------------------------------------------------


def test_config_pinning_another_ruleset(run_both: Cli, abi_copy: Path) -> None:
    text = "# the gate\nmode: backward\nruleset: 99\ntransitive: true\n"
    set_config(abi_copy, text)
    assert_one_bad_input(run_both("diff", "v1.2", "v1.3", "--root", abi_copy), "abi/pvabi.yaml",
                         line_of(text, "ruleset"), "ruleset", "99")


def test_shipped_config_edited_to_another_ruleset(run_both: Cli, abi_copy: Path) -> None:
    edit(abi_copy / "pvabi.yaml", "ruleset: 2", "ruleset: 99")
    text = (abi_copy / "pvabi.yaml").read_text()
    assert_one_bad_input(run_both("diff", "v1.2", "v1.3", "--root", abi_copy), "abi/pvabi.yaml",
                         line_of(text, "ruleset: 99"), "ruleset")


@pytest.mark.parametrize(("text", "line", "needles"), [
    ("ruleset: 2\nmode: backward\ncolour: red\n", 3, ("colour",)),
    ("ruleset: 2\nmode: sideways\n", 2, ("mode", "sideways")),
    ("ruleset: 2\ncategory: BYTES\n", 2, ("category", "BYTES")),
    ("ruleset: 2\ntransitive: maybe\n", 2, ("transitive",)),
    ("mode: full\n", ..., ("ruleset",)),
], ids=["unknown-key", "bad-mode", "bad-category", "bad-transitive", "no-ruleset"])
def test_bad_config(run_both: Cli, abi_copy: Path, text: str, line: Any, needles: tuple[str, ...]) -> None:
    set_config(abi_copy, text)
    assert_one_bad_input(run_both("diff", "v1.2", "v1.3", "--root", abi_copy), "abi/pvabi.yaml", line, *needles)


def test_missing_config_gives_defaults(cli: Cli, abi_copy: Path) -> None:
    (abi_copy / "pvabi.yaml").unlink()
    data = diff_json(cli, "v1.2", "v1.3", root=abi_copy)
    assert (data["mode"], data["category"], data["transitive"], data["exit_code"]) == ("backward", "LAYOUT", False, 0)
    assert pairs(data) == [("v1.2", "v1.3")]
    exits(cli("diff", "v1.3", "v2.0", "--root", abi_copy), 0)


# --- bad input ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "needles"), [
    (["v9.9", "v2.0"], ("unknown version", "v9.9")),
    (["v1.3", "v9.9"], ("unknown version", "v9.9")),
    (["v1.3", "v2.0", "--arch", "sparc"], ("unknown architecture", "sparc")),
    (["v1.3", "v2.0", "--layout", "no_such_layout"], ("no_such_layout", "v1.3", "v2.0")),
    (["v1.3", "v2.0", "--no-transitive", "--layout", "no_such_layout"], ("no_such_layout", "v1.3", "v2.0")),
    (["v1.3", "v2.0", "--format", "xml"], ("unknown format", "xml")),
    (["v1.3", "v2.0", "--mode", "sideways"], ("unknown mode", "sideways")),
    (["v1.3", "v2.0", "--category", "BYTES"], ("unknown category", "BYTES")),
], ids=["old-version", "new-version", "arch", "layout", "layout-direct", "format", "mode", "category"])
def test_bad_input(run_both: Cli, args: list[str], needles: tuple[str, ...]) -> None:
    run = run_both("diff", *args, "--root", SHIPPED_ABI, cwd=REPO)
    assert_one_bad_input(run, None, None, *needles)
    assert run.stdout == ""


# --- rules and changelog ------------------------------------------------------------------------------------------


RULE_IDS = {cls().id for cls in REGISTRY}


def test_rules_lists_every_rule(run_both: Cli) -> None:
    run = exits(run_both("rules"), 0)
    listed = {line.split()[0] for line in run.stdout.splitlines() if re.match(r"^[A-Z][A-Z0-9_]+ ", line)}
    assert listed == RULE_IDS
    assert len(RULE_IDS) == len(REGISTRY)


def test_rules_json(cli: Cli) -> None:
    data = json.loads(exits(cli("rules", "--json"), 0).stdout)
    assert data["schema"] == "pvabi.rules/1"
    entries = data["rules"]
    assert len(entries) == len(REGISTRY)
    assert {e["id"] for e in entries} == RULE_IDS
    for e in entries:
        assert set(e) >= {"id", "title", "category", "doc", "fix", "severity", "witness"}, e["id"]
        assert e["category"] in ("SOURCE", "LAYOUT", "WIRE")
        assert set(e["severity"]) == {"backward", "forward"}
        assert all(isinstance(e[k], str) and e[k] for k in ("title", "doc", "fix", "witness")), e["id"]


def test_changelog_lists_releases_newest_first(run_both: Cli) -> None:
    index = json.loads((SHIPPED_ABI / "versions" / "index.json").read_text())
    meta = {v["name"]: v for v in index["versions"]}
    run = exits(run_both("changelog", "v1.0", "v2.0", "--root", SHIPPED_ABI), 0)
    headings = [line for line in run.stdout.splitlines() if line.startswith("## ")]
    assert [h.split()[1] for h in headings] == ["v2.0", "v1.3", "v1.2", "v1.1"]
    for heading in headings:
        v = meta[heading.split()[1]]
        assert v["date"] in heading and v["summary"] in heading, heading


@pytest.mark.parametrize(("name", "rule"), [("vmi_call", "ENUM_VALUE_ADDED"), ("pvclock_flags", "FLAG_ADDED")])
def test_layout_filter_accepts_enum_and_flags_types(cli: Cli, name: str, rule: str) -> None:
    """Findings are reported under enum and flags names, so the filter takes those names too."""
    first, second = ("v1.0", "v1.1") if name == "vmi_call" else ("v1.2", "v1.3")
    data = diff_json(cli, first, second, "--no-transitive", "--layout", name)
    findings = [f for c in data["sections"] for f in c["findings"]]
    assert [(f["rule"], f["layout"]) for f in findings] == [(rule, name)]



def test_transitive_text_shows_each_finding_once(cli: Cli) -> None:
    """Against four earlier versions most findings recur; each is printed once, under the pair asked for,
    naming the other versions it holds against; the added comparisons keep their verdict lines."""
    args = ("diff", "v1.3", "v2.0", "--transitive", "--root", SHIPPED_ABI)
    data = report(cli(*args, "--format", "json"))
    text = exits(cli(*args), 0).stdout
    assert [(c["old"], c["new"]) for c in data["sections"]] == [
        ("v1.0", "v2.0"), ("v1.1", "v2.0"), ("v1.2", "v2.0"), ("v1.3", "v2.0")]
    headings = [line for line in text.splitlines() if line.startswith("== ")]
    assert headings == ["== v1.3 -> v2.0", "== v1.0 -> v2.0", "== v1.1 -> v2.0", "== v1.2 -> v2.0"]
    asked = next(c for c in data["sections"] if c["old"] == "v1.3")
    assert len(SEVERITY_LABEL.findall(text)) == len(asked["findings"])  # nothing fails elsewhere
    offset_moves = [b for b in text.split("\n\n") if "shared_info.evtchn_pending on arm32" in b
                    and "FIELD_OFFSET_CHANGED" in b]
    assert len(offset_moves) == 1
    assert "  also:     against v1.0, v1.1, v1.2" in offset_moves[0].splitlines()
    assert len([m for m in map(SUMMARY.match, text.splitlines()) if m]) == 4


def test_unchanged_tree_is_a_few_lines(cli: Cli) -> None:
    run = exits(cli("diff", "v2.0", "working", "--transitive", "--root", SHIPPED_ABI), 0)
    lines = run.stdout.splitlines()
    assert len(lines) < 25, run.stdout
    assert "v2.0 -> working: passed: 0 breaking, 0 source-only, 0 compatible; no changes" in lines


def test_quiet_prints_only_verdict_lines(cli: Cli) -> None:
    run = exits(cli("diff", "v1.3", "v2.0", "--quiet", "--transitive", "--root", SHIPPED_ABI), 0)
    lines = run.stdout.splitlines()
    assert len(lines) == 4 and all(SUMMARY.match(line) for line in lines)


def test_a_refused_break_reads_as_failed(cli: Cli, tmp_path: Path) -> None:
    """v2.0 diffed against v1.3 as a working tree: the same arm32 break, but nothing declares a major bump."""
    shutil.copytree(SHIPPED_ABI / "versions" / "v1.3", tmp_path / "old" / "abi" / "layouts")
    shutil.copytree(SHIPPED_ABI / "versions" / "v2.0", tmp_path / "new" / "abi" / "layouts")
    run = exits(cli("diff", tmp_path / "old", tmp_path / "new", "--no-transitive", "--mode", "backward"), 1)
    labels = SEVERITY_LABEL.findall(run.stdout)
    assert labels and all(lab[1] in ("", " (fails the gate)") for lab in labels)
    last = run.stdout.splitlines()[-1]
    assert ": FAILED: 11 breaking" in last and "a major version bump is needed" in last
    assert "allowed" not in run.stdout


def test_text_witness_names_the_parties_and_counts_elements(cli: Cli) -> None:
    args = ("diff", "v1.3", "v2.0", "--no-transitive", "--mode", "full", "--root", SHIPPED_ABI)
    data = report(cli(*args, "--format", "json"))
    text = exits(cli(*args), 0).stdout
    ages = {"backward": {"host": "new", "guest": "old"}, "forward": {"host": "old", "guest": "new"}}
    witnesses = [f["witness"] for f in findings(data) if f["witness"] and f["witness"]["writer"]]
    assert witnesses
    for w in witnesses:
        age = ages[w["direction"]]
        assert (f"written by the {age[w['writer']]} {w['writer']}, read by the {age[w['reader']]} {w['reader']} "
                f"({w['direction']})") in text
        if w["elements_differing"] > 1:
            assert f"{w['elements_differing']} elements differ; the first {len(w['differing'])}" in text
