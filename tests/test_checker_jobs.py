"""`pvabi check-images --jobs J` and `pvabi check --jobs J`: the processes change the speed, never a byte of output.

Each run writes every registered format at once (one to stdout, the rest to
files), so one run per process count compares them all: on the shipped corpus,
and on a copy with failures planted the ways they happen (a working layout that
misreads released ROMs, a page whose bytes no longer hold what its writer
stored). Bad input is one line per problem, the same with one process or two.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHIPPED_ABI, Run
from corpus_edits import copy_abi, reseal, sign_virtual_top

from pvabi.abiroot import find_root
from pvabi.checker import check_images
from pvabi.formats import FORMATS
from pvabi.images import load_corpus

FILES = [f for f in FORMATS if f != "text"]


def _all_formats(cli, root: Path, out: Path, jobs: int, *args: str) -> tuple[Run, dict[str, bytes]]:
    out.mkdir()
    run = cli("check-images", "--root", root, *args, "--jobs", jobs, "--format", "text",
              *[a for f in FILES for a in ("--format", f"{f}:{out / f}")])
    return run, {"text": run.stdout.encode(), **{f: (out / f).read_bytes() for f in FILES}}


def _same_for_one_and_two(cli, root: Path, tmp_path: Path, *args: str) -> tuple[Run, dict[str, bytes]]:
    one, one_out = _all_formats(cli, root, tmp_path / "j1", 1, *args)
    two, two_out = _all_formats(cli, root, tmp_path / "j2", 2, *args)
    assert one.exit_code == two.exit_code and one.stderr == two.stderr, (one.output, two.output)
    for f in FORMATS:
        assert one_out[f] == two_out[f], f"--format {f} differs between --jobs 1 and --jobs 2"
    return one, one_out


def test_the_shipped_corpus_reads_the_same_in_two_processes(cli, tmp_path: Path) -> None:
    run, out = _same_for_one_and_two(cli, SHIPPED_ABI, tmp_path, "--mode", "full", "--transitive")
    assert run.exit_code == 0, run.output
    doc = json.loads(out["json"])
    readings = [r for s in doc["sections"] for r in s["readings"]]
    # not an empty report that is trivially the same: every image of the corpus, each read several times
    assert len({r["image"] for r in readings}) == len(list((SHIPPED_ABI / "images").glob("*.bin")))
    assert len(readings) > 100




def _plant(tmp_path: Path) -> Path:
    abi = copy_abi(tmp_path / "corpus")
    # a working layout that reads every released ROM's virtual_top as a negative number
    sign_virtual_top(abi)
    # a v1.1 host page: wc_sec no longer what the sidecar says, and a reserved byte a v1.2 guest reads as flags
    name = "shared_info_page-x86_64-v1.1-host.bin"
    data = bytearray((abi / "images" / name).read_bytes())
    data[3077] ^= 0x10
    data[32 + 29] = 0x04
    reseal(abi, name, bytes(data))
    return abi


def test_planted_failures_read_the_same_in_two_processes(cli, tmp_path: Path) -> None:
    abi = _plant(tmp_path)
    run, out = _same_for_one_and_two(cli, abi.parent, tmp_path, "--mode", "full", "--transitive")
    assert run.exit_code == 1, run.output
    doc = json.loads(out["json"])
    found = {(f["rule"], f["path"], f["facts"]["image"].rsplit("/", 1)[1]) for s in doc["sections"]
             for f in s["findings"]}
    page = "shared_info_page-x86_64-v1.1-host.bin"
    assert {("IMAGE_VALUE_CHANGED", "info.wc_sec", page),
            ("IMAGE_RESERVED_NONZERO", "info.vcpu_info[0].time.pad1", page),
            ("IMAGE_NEW_FIELD_NOT_ABSENT", "info.vcpu_info[0].time.flags", page),
            ("IMAGE_UNKNOWN_FLAGS", "info.vcpu_info[0].time.flags", page)} <= found
    assert {f"vrom_header-x86_32-{v}-host.bin" for v in ("v1.0", "v1.1", "v1.2", "v1.3", "v2.0")} <= \
        {image for rule, path, image in found if (rule, path) == ("IMAGE_VALUE_CHANGED", "virtual_top")}
    # the findings carry typed values read in the calling process: a flags value with its names
    assert "bits 0x4 set, which no version's pvclock_flags defines" in run.stdout


def test_the_gate_reads_planted_failures_the_same_in_two_processes(cli, tmp_path: Path) -> None:
    abi = _plant(tmp_path)
    runs = [cli("check", "--root", abi.parent, "--json", "--jobs", jobs) for jobs in (1, 2)]
    assert runs[0].exit_code == runs[1].exit_code == 1, runs[0].output
    assert runs[0].stdout == runs[1].stdout
    images = [s for s in json.loads(runs[0].stdout)["sections"] if s.get("step") == "images"]
    assert [s["status"] for s in images] == ["failed"], images


def test_bad_images_are_the_same_lines_in_two_processes(cli, tmp_path: Path) -> None:
    abi = copy_abi(tmp_path / "corpus")
    short = "vrom_header-x86_32-v1.0-host.bin"
    reseal(abi, short, (abi / "images" / short).read_bytes()[:-2])  # truncated, its hash recorded
    changed = "shared_info_page-x86_32-v2.0-guest.bin"
    data = bytearray((abi / "images" / changed).read_bytes())
    data[0] ^= 0xFF
    (abi / "images" / changed).write_bytes(bytes(data))  # its sidecar's hash no longer matches
    runs = [cli("check-images", "--root", abi.parent, "--jobs", jobs) for jobs in (1, 2)]
    assert runs[0].exit_code == runs[1].exit_code == 2 and runs[0].stdout == runs[1].stdout == ""
    assert runs[0].stderr == runs[1].stderr
    lines = runs[0].error_lines
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"error: abi/images/{changed}: does not match its sidecar")
    assert lines[1] == f"error: abi/images/{short}: image is 142 bytes, too short for vrom_header (144 bytes on " \
                       "x86_32) at offset 0"


def test_an_unreadable_sidecar_is_one_line_in_two_processes(cli, tmp_path: Path) -> None:
    abi = copy_abi(tmp_path / "corpus")
    (abi / "images" / "vrom_header-x86_32-v1.2-host.json").write_text("{not json")
    runs = [cli("check-images", "--root", abi.parent, "--jobs", jobs) for jobs in (1, 2)]
    assert runs[0].exit_code == runs[1].exit_code == 2 and runs[0].stderr == runs[1].stderr
    assert runs[0].error_lines == ["error: abi/images/vrom_header-x86_32-v1.2-host.json: malformed JSON: "
                                   + runs[0].error_lines[0].split("malformed JSON: ", 1)[1]]


@pytest.mark.parametrize("command", ["check-images", "check"])
@pytest.mark.parametrize("jobs", ["0", "65"])
def test_a_process_count_out_of_range_is_one_line(cli, command: str, jobs: str) -> None:
    run = cli(command, "--root", SHIPPED_ABI, "--jobs", jobs)
    assert run.exit_code == 2 and run.error_lines == [f"error: --jobs must be 1..64, not {jobs}"], run.output


def test_the_library_call_returns_equal_results(tmp_path: Path) -> None:
    root = find_root(_plant(tmp_path))
    one = check_images(root, mode="full", transitive=True)
    two = check_images(root, mode="full", transitive=True, jobs=2)
    assert one.findings and one == two  # every reading and finding, typed values included
    # the caller's own images, fewer than the processes asked for, and none at all
    rom = [img for img in load_corpus(root) if img.layout == "vrom_header"][:1]
    assert check_images(root, images=rom, jobs=3) == check_images(root, images=rom)
    assert check_images(root, images=[], jobs=2).comparisons == ()
