"""``pvabi extract`` through the console script: its outputs, and one line with exit 2 for every bad binary."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from binutil import add_btf, compile_object, declarations, raw_btf, tool, version_abi
from conftest import Run

from pvabi.engine import Resolver
from pvabi.project import load

SOURCE = "#include <stdint.h>\nstruct rec { uint8_t a; uint32_t b; uint64_t c[2]; };\n"


@pytest.fixture
def obj(tmp_path: Path) -> Path:
    return compile_object(SOURCE, "x86_64", tmp_path / "rec.o")


def test_as_layout_writes_a_file_that_validates(pvabi_proc: object, obj: Path, tmp_path: Path) -> None:
    run: Run = pvabi_proc("extract", obj, "--struct", "rec", "--as-layout")  # type: ignore[operator]
    assert run.exit_code == 0 and "Traceback" not in run.output, run.output
    layouts = tmp_path / "repo" / "abi" / "layouts"
    layouts.mkdir(parents=True)
    (layouts / "rec.yaml").write_text(run.stdout, encoding="utf-8")
    check: Run = pvabi_proc("validate", tmp_path / "repo")  # type: ignore[operator]
    assert check.exit_code == 0, check.output
    rec = Resolver(load(__import__("pvabi").find_root(tmp_path / "repo")), "x86_64").layout("rec")
    assert [(m.name, m.offset, m.size) for m in rec.members] == [("a", 0, 1), ("b", 4, 4), ("c", 8, 16)]


def test_default_output_is_the_byte_map(pvabi_proc: object, obj: Path) -> None:
    run: Run = pvabi_proc("extract", obj, "--struct", "rec")  # type: ignore[operator]
    assert run.exit_code == 0, run.output
    assert run.stdout.startswith("struct rec {  /* x86_64: size 24, align 8 */")
    assert "3-byte hole" in run.stdout


def test_a_shared_object_and_an_executable_are_read_too(pvabi_proc: object, tmp_path: Path) -> None:
    """ET_DYN and ET_EXEC as well as ET_REL (objects and kernel modules, tested everywhere else)."""
    src = tmp_path / "lib.c"
    src.write_text(SOURCE + "struct rec the_rec;\n", encoding="utf-8")
    lib = tmp_path / "librec.so"
    import subprocess

    subprocess.run([tool("gcc"), "-g", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True, timeout=120)
    exe = tmp_path / "rec-exe"
    main = tmp_path / "main.c"
    main.write_text(SOURCE + "struct rec the_rec;\nint main(void) { return (int)sizeof the_rec; }\n", encoding="utf-8")
    subprocess.run([tool("gcc"), "-g", "-o", str(exe), str(main)], check=True, timeout=120)
    for binary in (lib, exe):
        run: Run = pvabi_proc("extract", binary, "--struct", "rec")  # type: ignore[operator]
        assert run.exit_code == 0 and "size 24" in run.stdout, run.output


def test_raw_btf_needs_and_takes_an_architecture(pvabi_proc: object, tmp_path: Path) -> None:
    obj = compile_object(declarations(version_abi("v2.0"), "x86_64"), "x86_64", tmp_path / "v.o")
    blob = raw_btf(add_btf(obj, tmp_path / "btf.o", strip=False), tmp_path / "vmlinux.btf")
    missing: Run = pvabi_proc("extract", blob, "--struct", "vcpu_info")  # type: ignore[operator]
    assert missing.exit_code == 2 and "give --arch" in missing.stderr
    run: Run = pvabi_proc("extract", blob, "--struct", "vcpu_info", "--arch", "x86_64")  # type: ignore[operator]
    assert run.exit_code == 0 and "size 64" in run.stdout, run.output


def _bad(tmp_path: Path, obj: Path, kind: str) -> tuple[Path, list[str], str]:
    if kind == "no-debug-info":
        plain = tmp_path / "plain.o"
        shutil.copyfile(obj, plain)
        import subprocess

        subprocess.run([tool("objcopy"), "--strip-debug", str(plain)], check=True, timeout=60)
        return plain, ["--struct", "rec"], "no debug info"
    if kind == "truncated":
        cut = tmp_path / "cut.o"
        cut.write_bytes(obj.read_bytes()[:600])
        return cut, ["--struct", "rec"], "cannot read the ELF file (truncated or corrupt?)"
    if kind == "truncated-btf":
        blob = raw_btf(add_btf(obj, tmp_path / "btf.o", strip=False), tmp_path / "x.btf")
        cut = tmp_path / "cut.btf"
        cut.write_bytes(blob.read_bytes()[:40])
        return cut, ["--struct", "rec", "--arch", "x86_64"], "truncated"
    if kind == "missing-struct":
        return obj, ["--struct", "nope"], "no struct or union named 'nope'"
    if kind == "not-elf":
        text = tmp_path / "notes.txt"
        text.write_text("hello\n")
        return text, ["--struct", "rec"], "not an ELF file or a raw BTF blob"
    if kind == "wrong-arch":
        return obj, ["--struct", "rec", "--arch", "s390x"], "--arch s390x given, but the ELF header says x86_64"
    assert kind == "no-file"
    return tmp_path / "absent.o", ["--struct", "rec"], "cannot read"


@pytest.mark.parametrize("kind", ["no-debug-info", "truncated", "truncated-btf", "missing-struct", "not-elf",
                                  "wrong-arch", "no-file"])
def test_bad_binaries_are_one_line_and_exit_2(pvabi_proc: object, obj: Path, tmp_path: Path, kind: str) -> None:
    path, args, needle = _bad(tmp_path, obj, kind)
    run: Run = pvabi_proc("extract", path, *args)  # type: ignore[operator]
    assert run.exit_code == 2, run.output
    assert "Traceback" not in run.output and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: ") and needle in lines[0], run.stderr
