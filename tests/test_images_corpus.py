"""The shipped image corpus (abi/images/): written by gcc-compiled programs, described by sidecars, hash-locked.

The independent truth here is the compiler: each image's bytes come from a C
program built against a version's generated header, and the values in its
sidecar are the ones that program printed after storing them. The tests check
that the corpus covers what it promises, that the compiler still reproduces a
sample of it byte for byte, and that `pvabi validate` notices a changed image.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SHIPPED_ABI, Run

from pvabi.abiroot import find_root
from pvabi.images import images_dir, load_corpus, read_index
from pvabi.versions import VersionIndex

ROOT = find_root(SHIPPED_ABI)
CORPUS = load_corpus(ROOT)
FROZEN = [v.name for v in VersionIndex.read(ROOT).versions]
REGENERATE = SHIPPED_ABI / "images" / "src" / "regenerate.py"


def _gcc_m32_links(tmp_path: Path) -> bool:
    src = tmp_path / "m32.c"
    src.write_text("#include <stdio.h>\nint main(void) { return printf(\"\"); }\n")
    try:
        built = subprocess.run(["gcc", "-m32", str(src), "-o", str(tmp_path / "m32")], capture_output=True)
    except FileNotFoundError:
        return False
    return built.returncode == 0


def test_the_corpus_covers_every_frozen_version_both_x86_arches_both_parties_and_both_interfaces() -> None:
    have = {(i.layout, i.arch, i.version, i.writer) for i in CORPUS}
    for v in FROZEN:
        for arch in ("x86_64", "x86_32"):
            for party in ("host", "guest"):
                assert ("shared_info_page", arch, v, party) in have
        assert ("vrom_header", "x86_32", v, "host") in have  # the VMI ROM, which only the host writes
        assert ("vmi_ap_state", "x86_32", v, "guest") in have  # the VMI structure the guest writes
    assert all(i.produced["by"] == "program" and (images_dir(ROOT) / i.produced["source"]).is_file()
               for i in CORPUS)


def test_every_image_is_locked_with_the_hash_of_its_bytes() -> None:
    locked = read_index(ROOT)
    assert set(locked) == {i.name for i in CORPUS}
    for img in CORPUS:
        digest = hashlib.sha256(img.path.read_bytes()).hexdigest()
        assert digest == img.sha256 == locked[img.name]


def test_sidecar_values_are_what_pvabi_decode_json_prints(cli) -> None:
    img = next(i for i in CORPUS if i.layout == "vrom_header" and i.version == "v1.0")
    run = cli("decode", "vrom_header", img.path, "--arch", "x86_32", "--abi-version", "v1.0", "--json",
              "--root", SHIPPED_ABI)
    assert run.exit_code == 0, run.output
    values = json.loads(run.stdout)["values"]
    assert img.expected["rom_signature"] == values["rom_signature"] == 0xAA55
    assert img.expected["virtual_top"] == values["virtual_top"] == 0xFC000000
    assert [img.expected[f"vmi_init[{k}]"] for k in range(8)] == values["vmi_init"]


def test_host_and_guest_images_set_disjoint_private_fields() -> None:
    host = next(i for i in CORPUS if i.name == "shared_info_page-x86_64-v1.3-host.bin")
    guest = next(i for i in CORPUS if i.name == "shared_info_page-x86_64-v1.3-guest.bin")
    assert "info.wc_sec" in host.expected and "info.wc_sec" not in guest.expected
    assert "info.arch.p2m_cr3" in guest.expected and "info.arch.p2m_cr3" not in host.expected
    assert "info.vcpu_info[5].time.flags" in host.expected  # a flags field, recorded as decode --json prints it
    assert host.expected["info.vcpu_info[5].time.flags"]["set"] == ["TSC_STABLE", "GUEST_STOPPED"]
    assert host.expected["info.vcpu_info[0].time.tsc_shift"] == -1  # a signed field, as the program stored it


def test_the_compiler_reproduces_a_sample_of_the_committed_images(tmp_path: Path) -> None:
    if not _gcc_m32_links(tmp_path):
        pytest.skip("gcc -m32 cannot link a program here (install gcc-multilib); the x86_32 writers need libc")
    sample = ["shared_info_page-x86_64-v1.0-guest.bin", "shared_info_page-x86_32-v1.2-host.bin",
              "vrom_header-x86_32-v2.0-host.bin", "vmi_ap_state-x86_32-v1.1-guest.bin"]
    args = [sys.executable, str(REGENERATE), "--check", "--root", str(REPO)]
    for name in sample:
        args += ["--only", name]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(proc.stdout.split()) == sorted(["ok", "ok", "ok", "ok", *sample])


def test_regenerate_keeps_existing_images(tmp_path: Path) -> None:
    if not _gcc_m32_links(tmp_path):
        pytest.skip("gcc -m32 cannot link a program here (install gcc-multilib)")
    shutil.copytree(SHIPPED_ABI, tmp_path / "abi")
    name = "vmi_ap_state-x86_32-v1.0-guest.bin"
    proc = subprocess.run([sys.executable, str(REGENERATE), "--only", name, "--root", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == f"kept {name}", proc.stdout + proc.stderr


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(SHIPPED_ABI, tmp_path / "abi")
    return tmp_path / "abi"


def _one_error_line(run: Run) -> str:
    assert run.exit_code == 2, run.output
    assert "Traceback" not in run.output
    return "\n".join(run.error_lines)


def test_validate_fails_naming_a_locked_image_whose_bytes_changed(tmp_path: Path, pvabi_proc) -> None:
    abi = _copy(tmp_path)
    image = abi / "images" / "shared_info_page-x86_64-v1.1-host.bin"
    data = bytearray(image.read_bytes())
    data[3076] ^= 0x01  # one bit of info.wc_sec
    image.write_bytes(bytes(data))
    run = pvabi_proc("validate", tmp_path)
    text = _one_error_line(run)
    assert "abi/images/shared_info_page-x86_64-v1.1-host.bin: locked image was modified" in text
    assert len(run.error_lines) == 1


def test_validate_fails_naming_an_image_of_a_frozen_version_that_is_not_locked(tmp_path: Path, cli) -> None:
    abi = _copy(tmp_path)
    index = json.loads((abi / "images" / "index.json").read_text())
    del index["images"]["vrom_header-x86_32-v1.2-host.bin"]
    (abi / "images" / "index.json").write_text(json.dumps(index))
    run = cli("validate", tmp_path)
    assert run.exit_code == 2
    assert "vrom_header-x86_32-v1.2-host.bin: image of frozen v1.2 is not locked" in run.stderr


def test_validate_fails_naming_a_removed_locked_image(tmp_path: Path, cli) -> None:
    abi = _copy(tmp_path)
    (abi / "images" / "vrom_header-x86_32-v1.2-host.bin").unlink()
    (abi / "images" / "vrom_header-x86_32-v1.2-host.json").unlink()
    run = cli("validate", tmp_path)
    assert run.exit_code == 2
    assert "vrom_header-x86_32-v1.2-host.bin: locked image is missing" in run.stderr


def test_validate_passes_on_the_shipped_corpus(cli) -> None:
    run = cli("validate", REPO)
    assert run.exit_code == 0, run.output
