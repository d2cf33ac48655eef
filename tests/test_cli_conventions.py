"""What a command-line user expects, through the real console script: help, roots, sides, show for
every named type, rules by ID, decode inside a dump, init, schema paths, config defaults, colour."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import PVABI, REPO, SHIPPED_ABI, Run

from pvabi.formats import markdown

Cli = Callable[..., Run]
SHIPPED_FILE = {name: yaml.safe_load((SHIPPED_ABI / "layouts" / f"{name}.yaml").read_text())
                for name in ("vmi_rom", "vcpu_time_info", "xen_types")}


def ok(run: Run, code: int = 0) -> Run:
    assert run.exit_code == code, f"exit {run.exit_code}\n{run.stdout}\n{run.stderr}"
    assert "Traceback" not in run.output
    return run


# --- help ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["show", "decode", "encode", "diff", "validate", "freeze", "rules", "init",
                                     "schema", "changelog", "versions"])
def test_help_names_values_not_python_types(pvabi_proc: Cli, command: str) -> None:
    text = ok(pvabi_proc(command, "--help", env={"COLUMNS": "160"})).stdout
    assert "<str>" not in text and "<list" not in text and "<path>" not in text.lower()
    if command in ("show", "decode", "encode"):
        assert "--abi-version" in text and "VERSION" in text and "ARCH" in text
        assert "-V" not in text.split()


def test_top_level_help_offers_completion_and_version(pvabi_proc: Cli) -> None:
    text = ok(pvabi_proc("--help", env={"COLUMNS": "160"})).stdout
    assert "--install-completion" in text and "--version" in text


# --- roots and sides ----------------------------------------------------------------------------

def test_validate_takes_root_as_argument_or_option(pvabi_proc: Cli, tmp_path: Path) -> None:
    for args in (["validate", REPO], ["validate", "--root", REPO], ["validate", "--root", SHIPPED_ABI]):
        assert ok(pvabi_proc(*args, cwd=tmp_path)).stdout.startswith("ok: 5 layout files")
    run = ok(pvabi_proc("validate", REPO, "--root", tmp_path, cwd=tmp_path), 2)
    assert "two ABI roots" in run.stderr


def test_diff_of_two_abi_directories_needs_no_root(pvabi_proc: Cli, tmp_path: Path) -> None:
    shutil.copytree(SHIPPED_ABI / "versions" / "v1.1", tmp_path / "old" / "abi" / "layouts")
    shutil.copytree(SHIPPED_ABI / "versions" / "v1.2", tmp_path / "new" / "abi" / "layouts")
    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()
    run = ok(pvabi_proc("diff", tmp_path / "old", tmp_path / "new", "--quiet", cwd=elsewhere))
    assert run.stdout.startswith(f"{tmp_path / 'old'} -> {tmp_path / 'new'}: passed: 0 breaking")
    assert run.stderr.count("note: no abi/pvabi.yaml: using the defaults") == 1


def test_an_error_in_a_side_says_which_side(pvabi_proc: Cli, tmp_path: Path) -> None:
    shutil.copytree(SHIPPED_ABI / "versions" / "v1.1", tmp_path / "old" / "abi" / "layouts")
    bad = tmp_path / "new" / "abi" / "layouts"
    shutil.copytree(SHIPPED_ABI / "versions" / "v1.2", bad)
    (bad / "vcpu_info.yaml").write_text((bad / "vcpu_info.yaml").read_text().replace("type: u8", "type: u9", 1))
    run = ok(pvabi_proc("diff", tmp_path / "old", tmp_path / "new", cwd=tmp_path), 2)
    errors = [line for line in run.error_lines if line.startswith("error:")]
    assert errors and all(line.endswith("(new side)") for line in errors)
    assert "vcpu_info.yaml:" in run.stderr and "u9" in run.stderr
    run = ok(pvabi_proc("diff", "v9.9", "working", "--root", REPO, cwd=tmp_path), 2)
    assert run.error_lines == ["error: unknown version 'v9.9' (known: working, v1.0, v1.1, v1.2, v1.3, v2.0) "
                               "(old side)"]


def test_arch_a_layout_does_not_have_is_an_error(pvabi_proc: Cli) -> None:
    run = ok(pvabi_proc("diff", "v1.2", "v1.3", "--layout", "vrom_header", "--arch", "x86_64", cwd=REPO), 2)
    assert "exist on: x86_32" in run.stderr and "x86_64" in run.stderr
    run = ok(pvabi_proc("show", "vrom_header", "--arch", "arm32", cwd=REPO), 2)
    assert "does not exist on arm32 (it exists on: x86_32)" in run.stderr


# --- show for enums, flags and aliases ----------------------------------------------------------

def test_show_enum_lists_every_value_of_the_file(pvabi_proc: Cli) -> None:
    declared = SHIPPED_FILE["vmi_rom"]["types"]["vmi_call"]["values"]
    text = ok(pvabi_proc("show", "vmi_call", cwd=REPO)).stdout
    rows = dict(re.findall(r"^    (\w+)\s+= (\d+)$", text, re.M))
    assert {k: int(v) for k, v in rows.items()} == declared
    view = json.loads(ok(pvabi_proc("show", "vmi_call", "--json", cwd=REPO)).stdout)
    assert {v["name"]: v["value"] for v in view["values"]} == declared and view["kind"] == "enum"


def test_show_flags_lists_bits_and_the_reserved_promise(pvabi_proc: Cli) -> None:
    declared = SHIPPED_FILE["vcpu_time_info"]["types"]["pvclock_flags"]
    view = json.loads(ok(pvabi_proc("show", "pvclock_flags", "--json", cwd=REPO)).stdout)
    assert {b["name"]: b["bit"] for b in view["bits"]} == declared["bits"]
    assert all(b["mask"] == 1 << b["bit"] for b in view["bits"])
    assert view["reserved_bits"] == declared["reserved_bits"]
    text = ok(pvabi_proc("show", "pvclock_flags", cwd=REPO)).stdout
    assert "GUEST_STOPPED  bit  1  (0x2)" in text and "other bits must be zero" in text


def test_show_alias_resolves_per_architecture(pvabi_proc: Cli) -> None:
    declared = SHIPPED_FILE["xen_types"]["types"]["xen_ulong_t"]["arch"]
    view = json.loads(ok(pvabi_proc("show", "xen_ulong_t", "--json", cwd=REPO)).stdout)
    # C: unsigned long is 4 bytes on i386 and 8 on LP64 x86_64; the ARM ABI fixed it at 64 bits.
    assert {r["arch"]: (r["type"], r["size"]) for r in view["resolves"]} == {
        "x86_32": (declared["x86_32"], 4), "x86_64": (declared["x86_64"], 8),
        "arm32": (declared["arm32"], 8), "aarch64": (declared["aarch64"], 8)}
    one = json.loads(ok(pvabi_proc("show", "xen_ulong_t", "--json", "--arch", "i386", cwd=REPO)).stdout)
    assert [r["arch"] for r in one["resolves"]] == ["x86_32"]


# --- rules --------------------------------------------------------------------------------------

def test_rules_lists_severity_per_direction(pvabi_proc: Cli) -> None:
    catalogue = json.loads(ok(pvabi_proc("rules", "--json")).stdout)["rules"]
    text = ok(pvabi_proc("rules")).stdout
    for r in catalogue:
        assert f"{r['id']}  [{r['category']}]  {r['title']}" in text
        assert f"    backward (old guest on new host): {r['severity']['backward']}" in text


def test_rules_rule_id_prints_the_whole_doc(pvabi_proc: Cli) -> None:
    entry = next(r for r in json.loads(ok(pvabi_proc("rules", "--json")).stdout)["rules"]
                 if r["id"] == "FIELD_OFFSET_CHANGED")
    text = " ".join(ok(pvabi_proc("rules", "field_offset_changed")).stdout.split())
    for part in (entry["doc"], entry["fix"], entry["witness"], entry["severity"]["forward"]):
        assert " ".join(part.split()) in text
    run = ok(pvabi_proc("rules", "FIELD_OFSET"), 2)
    assert "no rule 'FIELD_OFSET'" in run.stderr and "FIELD_OFFSET_CHANGED" not in run.stderr.split("try:")[0]


# --- decode inside a dump -----------------------------------------------------------------------

def test_decode_offset_reads_a_layout_inside_a_larger_dump(pvabi_proc: Cli, tmp_path: Path) -> None:
    image = bytes((i * 37 + 11) % 256 for i in range(32))
    (tmp_path / "alone.bin").write_bytes(image)
    (tmp_path / "dump.bin").write_bytes(b"\xee" * 0x1000 + image + b"\xdd" * 100)
    alone = json.loads(ok(pvabi_proc("decode", "vcpu_time_info", tmp_path / "alone.bin", "--json", cwd=REPO),
                          1).stdout)
    inside = json.loads(ok(pvabi_proc("decode", "vcpu_time_info", tmp_path / "dump.bin", "--offset", "0x1000",
                                      "--json", cwd=REPO), 1).stdout)
    assert inside["values"] == alone["values"] and inside["offset"] == 4096
    text = ok(pvabi_proc("decode", "vcpu_time_info", tmp_path / "dump.bin", "--offset", "4096", "--hex", cwd=REPO),
              1).stdout
    first = text.splitlines()[0].split()
    assert first == ["4096", "version", "=", hex(int.from_bytes(image[:4], "little"))]
    run = ok(pvabi_proc("decode", "vcpu_time_info", tmp_path / "dump.bin", cwd=REPO), 2)
    assert "use --offset" in run.stderr
    run = ok(pvabi_proc("decode", "vcpu_time_info", tmp_path / "dump.bin", "--offset", "4200", cwd=REPO), 2)
    assert "runs past its end" in run.stderr


# --- init, schema, config -----------------------------------------------------------------------

def test_init_writes_a_valid_abi_and_refuses_to_overwrite(pvabi_proc: Cli, tmp_path: Path) -> None:
    run = ok(pvabi_proc("init", cwd=tmp_path))
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["abi/layouts/steal_time.yaml", "abi/pvabi.yaml", "abi/schemas/config.schema.json",
                       "abi/schemas/layout.schema.json"]
    assert "next:" in run.stdout
    assert ok(pvabi_proc("validate", cwd=tmp_path)).stdout.startswith("ok: 1 layout files, 1 layouts, config")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    again = ok(pvabi_proc("init", cwd=tmp_path), 2)
    assert "refusing to overwrite" in again.stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_init_schema_references_resolve_inside_the_repository(pvabi_proc: Cli, tmp_path: Path) -> None:
    ok(pvabi_proc("init", tmp_path / "repo", cwd=tmp_path))
    abi = tmp_path / "repo" / "abi"
    for yaml_file in (abi / "layouts" / "steal_time.yaml", abi / "pvabi.yaml"):
        modeline = yaml_file.read_text().splitlines()[0]
        assert modeline.startswith("# yaml-language-server: $schema=")
        target = (yaml_file.parent / modeline.split("=", 1)[1]).resolve()
        assert target.is_file() and target.is_relative_to(tmp_path / "repo")
        installed = Path(ok(pvabi_proc("schema", target.name.split(".")[0])).stdout.strip())
        assert target.read_bytes() == installed.read_bytes()
        # the copy is the schema the file really satisfies
        jsonschema.Draft202012Validator(json.loads(target.read_text())).validate(yaml.safe_load(yaml_file.read_text()))
    config = yaml.safe_load((abi / "pvabi.yaml").read_text())
    assert set(config) == {"ruleset", "mode", "transitive", "category"}


def test_schema_command(pvabi_proc: Cli) -> None:
    path = Path(ok(pvabi_proc("schema")).stdout.strip())
    assert path.name == "layout.schema.json" and json.loads(path.read_text())["$schema"]
    assert "known: " in ok(pvabi_proc("schema", "nope"), 2).stderr


def test_validate_reports_config_and_layout_problems_together(pvabi_proc: Cli, tmp_path: Path) -> None:
    ok(pvabi_proc("init", cwd=tmp_path))
    layout = tmp_path / "abi" / "layouts" / "steal_time.yaml"
    text = layout.read_text().replace("type: u32\n        offset: 8", "type: u31\n        offset: 8")
    layout.write_text(text.replace("    kind: struct\n", "    kind: struct\n    colour: blue\n"))
    (tmp_path / "abi" / "pvabi.yaml").write_text("ruleset: 2\nmode: sideways\ncategory: ABI\n")
    run = ok(pvabi_proc("validate", cwd=tmp_path), 2)
    text = run.stderr
    assert "abi/pvabi.yaml:2: mode:" in text and "abi/pvabi.yaml:3: category:" in text
    # a schema error and an unknown type in the same file, both reported in one run
    assert "unknown key 'colour'" in text
    assert "abi/layouts/steal_time.yaml:26: steal_time.version: unknown type 'u31'" in text


def test_defaults_are_said_once_without_a_config(pvabi_proc: Cli, tmp_path: Path) -> None:
    ok(pvabi_proc("init", cwd=tmp_path))
    (tmp_path / "abi" / "pvabi.yaml").unlink()
    run = ok(pvabi_proc("diff", "working", "working", cwd=tmp_path))
    assert run.stderr.count("note: no abi/pvabi.yaml: using the defaults ruleset 2, mode backward, "
                            "transitive false, category LAYOUT") == 1


def test_newcomer_flow_init_freeze_change_diff(pvabi_proc: Cli, tmp_path: Path) -> None:
    ok(pvabi_proc("init", cwd=tmp_path))
    ok(pvabi_proc("freeze", "v1.0", "--summary", "First release", cwd=tmp_path))
    assert ok(pvabi_proc("validate", cwd=tmp_path)).stdout.startswith("ok: 1 layout files, 1 layouts, config "
                                                                      "abi/pvabi.yaml, 1 frozen versions")
    assert "no changes" in ok(pvabi_proc("diff", "v1.0", cwd=tmp_path)).stdout
    layout = tmp_path / "abi" / "layouts" / "steal_time.yaml"
    layout.write_text(layout.read_text().replace(
        "      - name: pad\n        type: u8\n        count: 47\n        offset: 17\n",
        "      - name: preempt_count\n        type: u8\n        offset: 17\n        doc: A new counter.\n"
        "      - name: pad\n        type: u8\n        count: 46\n        offset: 18\n"))
    data = json.loads(ok(pvabi_proc("diff", "v1.0", "--format", "json", cwd=tmp_path)).stdout)
    rules = {f["rule"] for c in data["sections"] for f in c["findings"]}
    assert "FIELD_ADDED_IN_RESERVED_ZERO" in rules
    moved = ok(pvabi_proc("diff", "v1.0", cwd=tmp_path))
    assert "v1.0 -> working: passed" in moved.stdout


# --- output -------------------------------------------------------------------------------------

def _pty_run(args: list[str], env: dict[str, str]) -> str:
    master, slave = pty.openpty()
    proc = subprocess.Popen([*PVABI, *args], stdout=slave, stderr=slave, cwd=REPO, env=env)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(master)
    return out.decode()


def test_no_color_is_honoured_on_a_terminal() -> None:
    base = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    args = ["diff", "v1.3", "v2.0", "--no-transitive", "--layout", "vcpu_info"]
    assert "\x1b[" in _pty_run(args, base)
    assert "\x1b[" not in _pty_run(args, {**base, "NO_COLOR": "1"})


def test_markdown_fits_a_pull_request_comment_and_says_what_was_cut() -> None:
    from pvabi import find_root
    from pvabi.diff import Policy
    from pvabi.diffreport import diff_report
    from pvabi.diffrun import run_diff

    result = run_diff(find_root(REPO), "v1.0", "v2.0", Policy("full", "SOURCE"), transitive=True)
    whole = markdown.render(diff_report(result))
    assert len(whole) <= markdown.LIMIT and "Cut to fit" not in whole
    cut = markdown.render(diff_report(result), limit=4000)
    assert len(cut) <= 4000
    assert re.search(r"Cut to fit a pull-request comment \(4,000 characters\): \d+ witness/fix entr(y|ies) and "
                     r"\d+ table rows? left out", cut)
    for r in result.reports:  # the verdict lines always survive
        assert f"**{r.old} -&gt; {r.new}: " in cut
    assert "<details><summary>Witnesses and fixes</summary>" in whole
