"""``pvabi check`` run as a user runs it, in temporary git repositories holding a copy of the shipped ABI.

Each test commits the shipped ``abi/`` on ``main``, makes a change on a branch
the way a pull request would, and reads the gate's verdict: exit code, the
findings with their YAML file and line (found independently by searching the
file the test edited), and the steps table.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from conftest import REPO, run_subprocess
from gatetools import GitAbi, finding_lines, git, line_in, make_repo, report, step

# A breaking change every architecture sees: tsc_shift is read as a signed shift.
SIGNED_SHIFT = ("name: tsc_shift\n        type: s8", "name: tsc_shift\n        type: u8")
SIGNED_MUL = ("name: tsc_to_system_mul\n        type: u32", "name: tsc_to_system_mul\n        type: s32")
DOC_ONLY = ("doc: Nanoseconds since the guest booted, at tsc_timestamp.",
            "doc: Nanoseconds since the guest booted, as of tsc_timestamp.")


def _break(repo: GitAbi, change: tuple[str, str] = SIGNED_SHIFT) -> None:
    repo.edit("abi/layouts/vcpu_time_info.yaml", *change)


def test_unchanged_and_doc_only_changes_pass(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    run = repo.check("--against", "main")
    assert run.exit_code == 0, run.output
    assert finding_lines(run) == []
    assert step(run, "history").startswith("ok")
    repo.edit("abi/layouts/vcpu_time_info.yaml", *DOC_ONLY)
    repo.commit("doc")
    run = repo.check("--against", "main")
    assert run.exit_code == 0, run.output
    assert run.stdout.splitlines()[-1].startswith("passed: 0 error, 0 breaking")
    assert step(run, "policy").startswith("ok") and "no changes since v2.0" in step(run, "policy")


def test_a_breaking_change_fails_and_names_the_yaml_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    _break(repo)
    repo.commit("break")
    line = line_in(repo.layout("vcpu_time_info"), "name: tsc_shift")
    run = repo.check("--against", "main")
    assert run.exit_code == 1, run.output
    [found] = finding_lines(run)
    assert found.startswith(f"abi/layouts/vcpu_time_info.yaml:{line}: FIELD_SIGNEDNESS_CHANGED "
                            "vcpu_time_info.tsc_shift on x86_32, x86_64, arm32, aarch64, ppc64, s390x: breaking, "
                            "fails the gate: ")
    assert step(run, "diff").startswith("failed")
    assert step(run, "policy").startswith("failed") and "needs a major version" in step(run, "policy")
    assert "FIELD_SIGNEDNESS_CHANGED" in run.stdout.split("== findings")[0]  # the diff's own block is shown too
    assert run.stdout.splitlines()[-1].startswith("FAILED: 0 error, 1 breaking")
    # the same without a git ref: the gate judges the working tree alone
    assert repo.check().exit_code == 1


def test_json_output_carries_file_line_and_identity(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    _break(repo)
    run = repo.check("--format", "json")
    assert run.exit_code == 1, run.output
    data = report(run)  # validated against pvabi/schemas/check.schema.json
    assert data["schema"] == "pvabi.check/2" and data["exit_code"] == 1 and data["summary"]["failed"]
    assert [s["step"] for s in data["sections"]] == ["validate", "frozen", "history", "diff", "policy", "headers",
                                                     "images", "waivers"]
    [diff] = [s for s in data["sections"] if s["kind"] == "diff"]
    [f] = diff["findings"]
    line = line_in(repo.layout("vcpu_time_info"), "name: tsc_shift")
    assert (f["rule"], f["layout"], f["path"], f["new_loc"]) == (
        "FIELD_SIGNEDNESS_CHANGED", "vcpu_time_info", "tsc_shift",
        {"file": "abi/layouts/vcpu_time_info.yaml", "line": line})
    assert f["identities"][0] == {"rule": "FIELD_SIGNEDNESS_CHANGED", "layout": "vcpu_time_info",
                                  "path": "tsc_shift", "arch": f["arches"][0]}
    assert f["fails"] and not f["waived"] and f["waiver"] == ""
    assert diff["status"] == "failed" and diff["verdict"].startswith("diff: failed: v2.0 -> working: FAILED")
    assert data["conclusion"].startswith("FAILED: 0 error, 1 breaking")
    assert repo.check("--json").stdout == run.stdout


def test_the_output_is_the_same_bytes_every_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    _break(repo)
    repo.commit("break")
    first, second = repo.check("--against", "main"), repo.check("--against", "main")
    assert first.stdout == second.stdout and first.exit_code == second.exit_code == 1


def test_a_renamed_into_reserved_field_is_located_on_the_line_the_change_edited(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    # flags becomes padding again (the pre-4.7 form): the annotation goes where a reviewer sees the edit
    repo.edit("abi/layouts/vcpu_time_info.yaml",
              "      - name: flags\n        type: u8\n        offset: 29\n        flags: pvclock_flags\n",
              "      - name: flags_was\n        type: u8\n        offset: 29\n        reserved: any\n")
    run = repo.check()
    assert run.exit_code == 1, run.output
    removed = [x for x in finding_lines(run) if " vcpu_time_info.flags on " in x and "FIELD_REMOVED" in x]
    assert removed and removed[0].startswith(f"abi/layouts/vcpu_time_info.yaml:"
                                             f"{line_in(repo.layout('vcpu_time_info'), 'name: flags_was')}: "
                                             "FIELD_REMOVED"), run.stdout


def test_a_finding_without_a_location_on_either_side_is_placed_by_its_path() -> None:
    """``gate.place``: the finding's own locations first, the old side's for a member the new side lacks,
    and only without either the declaration found by walking the member path."""
    from pvabi.abiroot import find_root
    from pvabi.findings import Finding, severities
    from pvabi.gate import place
    from pvabi.model import Loc
    from pvabi.project import load

    root = find_root(REPO)
    new, old = load(root, "working"), load(root, "v2.0")
    bare = Finding("FIELD_REMOVED", "vcpu_time_info", "flags", ("x86_32",), "m", severities("breaking", "breaking"))
    working_line = line_in(REPO / "abi" / "layouts" / "vcpu_time_info.yaml", "name: flags")
    assert place(bare, new, old) == ("abi/layouts/vcpu_time_info.yaml", working_line)
    gone = Finding("FIELD_REMOVED", "vcpu_time_info", "flags", ("x86_32",), "m",
                   severities("breaking", "breaking"), old_loc=Loc("abi/versions/v2.0/vcpu_time_info.yaml", 50))
    assert place(gone, new, old) == ("abi/versions/v2.0/vcpu_time_info.yaml", 50)
    assert place(replace(gone, layout="no_such"), new, old) == ("abi/versions/v2.0/vcpu_time_info.yaml", 50)
    nowhere = replace(bare, path="no_such_member")
    assert place(nowhere, new, old) == ("abi/layouts/vcpu_time_info.yaml",
                                        line_in(REPO / "abi" / "layouts" / "vcpu_time_info.yaml",
                                                "vcpu_time_info:"))


def test_new_only_hides_what_the_base_already_had(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    git(repo.path, "checkout", "-q", "main")
    _break(repo)  # an unreleased break already on main
    repo.commit("break on main")
    git(repo.path, "checkout", "-q", "-b", "pr")
    _break(repo, SIGNED_MUL)
    repo.commit("another break")
    everything = repo.check("--against", "main")
    assert everything.exit_code == 1
    lines = finding_lines(everything)
    [old] = [x for x in lines if "tsc_shift" in x]
    new = [x for x in lines if "tsc_to_system_mul" in x]
    assert len(new) == 2 and len(lines) == 3, everything.stdout  # big-endian arches word it differently
    assert old.endswith("breaking, fails the gate [already at the base]: signedness changed: s8 -> u8"), old
    assert not any("[already at the base]" in x for x in new)
    only = repo.check("--against", "main", "--new-only")
    assert only.exit_code == 1
    assert finding_lines(only) == new
    assert "1 already at the base, not shown (--new-only)" in only.stdout.splitlines()[-1]
    assert "tsc_shift" not in only.stdout  # not in the diff section either
    # a change that only carries the base's break passes with --new-only, and fails without it
    git(repo.path, "checkout", "-q", "main")
    git(repo.path, "checkout", "-q", "-b", "docs")
    repo.edit("abi/layouts/vcpu_time_info.yaml", *DOC_ONLY)
    repo.commit("doc")
    assert repo.check("--against", "main", "--new-only").exit_code == 0
    assert repo.check("--against", "main").exit_code == 1


def test_against_uses_the_merge_base(tmp_path: Path) -> None:
    """A version frozen on main after the branch was made is not one the branch removed."""
    repo = make_repo(tmp_path / "r")
    git(repo.path, "checkout", "-q", "main")
    repo.edit("abi/layouts/vcpu_time_info.yaml", *DOC_ONLY)
    assert run_subprocess(["freeze", "v2.1", "--summary", "Doc fix", "--date", "2026-12-01"], repo.path).exit_code == 0
    repo.commit("v2.1")
    git(repo.path, "checkout", "-q", "change")
    run = repo.check("--against", "main")
    assert run.exit_code == 0, run.output
    assert "merge base" in step(run, "history")
    assert "FROZEN_VERSION_REMOVED" not in run.stdout


def test_an_edited_frozen_file_fails_even_without_a_base(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    repo.edit("abi/versions/v2.0/vcpu_time_info.yaml", *DOC_ONLY)
    run = repo.check()
    assert run.exit_code == 1, run.output
    [found] = finding_lines(run)
    assert found.startswith("abi/versions/v2.0/vcpu_time_info.yaml:1: FROZEN_HASH_MISMATCH: error, fails the gate "
                            "(cannot be waived)")
    assert step(run, "diff").startswith("skipped")


def test_an_edited_frozen_file_with_its_hash_fails_against_the_base(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    repo.edit("abi/versions/v2.0/vcpu_time_info.yaml", *DOC_ONLY)
    repo.rehash("v2.0", "vcpu_time_info.yaml")
    repo.commit("tamper")
    assert repo.check().exit_code == 0  # the tree alone is consistent: only the base can tell
    run = repo.check("--against", "main")
    assert run.exit_code == 1, run.output
    frozen = repo.abi / "versions" / "v2.0" / "vcpu_time_info.yaml"
    index = repo.abi / "versions" / "index.json"
    text = index.read_text().splitlines()
    entry = next(i for i, x in enumerate(text) if '"v2.0"' in x)
    hash_line = next(i + 1 for i, x in enumerate(text) if i > entry and '"vcpu_time_info.yaml"' in x)
    assert sorted(finding_lines(run)) == sorted([
        f"abi/versions/index.json:{hash_line}: FROZEN_HASH_EDITED: error, fails the gate (cannot be waived): "
        "the recorded SHA-256 of v2.0/vcpu_time_info.yaml was changed from 9157b48fea58... to "
        f"{_sha(frozen)[:12]}... in the index since main; recorded hashes of frozen versions never change",
        f"abi/versions/v2.0/vcpu_time_info.yaml:{line_in(frozen, 'as of tsc_timestamp')}: FROZEN_VERSION_CHANGED: "
        "error, fails the gate (cannot be waived): frozen file of v2.0 differs from main; history is immutable: "
        "freeze a new version instead"])


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_removed_or_inserted_frozen_version_fails_against_the_base(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    index = repo.abi / "versions" / "index.json"
    data = json.loads(index.read_text())
    # v1.4 slipped in between v1.3 and v2.0, and v1.0 dropped
    shutil.copytree(repo.abi / "versions" / "v1.3", repo.abi / "versions" / "v1.4")
    v13 = next(v for v in data["versions"] if v["name"] == "v1.3")
    data["versions"].insert(4, {**v13, "name": "v1.4", "date": "2026-11-01"})
    shutil.rmtree(repo.abi / "versions" / "v1.0")
    data["versions"] = [v for v in data["versions"] if v["name"] != "v1.0"]
    index.write_text(json.dumps(data, indent=2) + "\n")
    repo.commit("rewrite history")
    run = repo.check("--against", "main")
    assert run.exit_code == 1, run.output
    rules = sorted(x.split(": ")[1] for x in finding_lines(run))
    assert rules == ["FROZEN_VERSION_INSERTED", "FROZEN_VERSION_REMOVED"], run.stdout
    assert "v1.4 is a new frozen version older than v2.0" in run.stdout
    assert "v1.0, frozen at main, was removed" in run.stdout


def test_a_major_version_frozen_on_the_branch_passes_the_gate(tmp_path: Path) -> None:
    """How a major release goes through the gate (docs/ci.md): break, then freeze the next major."""
    repo = make_repo(tmp_path / "r")
    _break(repo)
    assert run_subprocess(["freeze", "v3.0", "--summary", "Unsigned tsc_shift", "--date", "2026-12-02"],
                          repo.path).exit_code == 0
    repo.commit("v3.0")
    run = repo.check("--against", "main")
    assert run.exit_code == 0, run.output
    assert "v2.0 -> working needs a major bump; v3.0 declares major" in step(run, "policy")
    # under a minor number, --allow-break records a reason but the gate still refuses
    repo2 = make_repo(tmp_path / "r2")
    _break(repo2)
    assert run_subprocess(["freeze", "v2.1", "--summary", "Unsigned tsc_shift", "--date", "2026-12-02",
                           "--allow-break", "all guests checked"], repo2.path).exit_code == 0
    repo2.commit("v2.1")
    assert repo2.check("--against", "main").exit_code == 1


def test_stale_generated_headers_fail(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", include=True)
    run = repo.check()
    assert run.exit_code == 0, run.output
    assert step(run, "headers") == "ok       1 of 1 generated header directories fresh (include/pvabi)"
    repo.edit("abi/layouts/vcpu_time_info.yaml", *DOC_ONLY)  # compatible, but the header's comment changes
    assert run_subprocess(["gen", "c", "--check", "-o", "include/pvabi"], repo.path).exit_code == 1
    run = repo.check()
    assert run.exit_code == 1
    assert finding_lines(run) == ["include/pvabi: HEADERS_STALE: error, fails the gate (cannot be waived): "
                                  "include/pvabi is stale; regenerate with: pvabi gen c -o include/pvabi"]


def test_without_headers_the_step_is_skipped_and_said(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    run = repo.check()
    assert step(run, "headers").startswith("skipped  no headers generated by pvabi under include/")
    corpus = len(list((repo.abi / "images").glob("*.bin")))
    assert corpus and step(run, "images").startswith(f"ok       {corpus} images read ")
    shutil.rmtree(repo.abi / "images")
    assert step(repo.check(), "images").startswith("skipped  no image corpus (abi/images has no images")


def test_the_shipped_repository_passes_its_own_gate() -> None:
    run = run_subprocess(["check"], REPO, timeout=300)
    assert run.exit_code == 0, run.output
    assert step(run, "headers").startswith("ok")
    assert step(run, "frozen") == "ok       5 frozen versions match their hashes"


def test_mode_and_category_override_the_config_as_diff_does(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    # a rename: the bytes mean the same, C code naming the field stops compiling (SOURCE)
    repo.edit("abi/layouts/vcpu_time_info.yaml", "- name: system_time\n", "- name: system_time_ns\n")
    for category in ("LAYOUT", "SOURCE"):
        expected = run_subprocess(["diff", "v2.0", "--no-transitive", "--category", category], repo.path).exit_code
        run = repo.check("--category", category)
        assert run.exit_code == expected, run.output
    assert repo.check().exit_code == 0 and repo.check("--category", "SOURCE").exit_code == 1
    assert "FIELD_RENAMED" in repo.check("--category", "SOURCE").stdout


def test_the_documented_finding_line_is_what_pvabi_prints(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    _break(repo)
    [printed] = [x for x in repo.check("--format", "github").stdout.splitlines() if x.startswith("::error ")]
    [shown] = [x for x in (REPO / "README.md").read_text().splitlines() if x.startswith("::error ")]
    assert shown.endswith("%0AFix: ...") and printed.startswith(shown.removesuffix("...")), printed
