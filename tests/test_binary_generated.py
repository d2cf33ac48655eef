"""The issue's round trip on the headers pvabi generates: gen c -> compile with -g -> extract / import-c.

Every shipped version's headers (``pvabi gen c``) are compiled with gcc
(x86_64, i386) and clang --target (the other architectures each version
exists on); the layouts read back from the DWARF, and the ones ``import-c``
builds from the same headers, must be the version's own: size, and offset,
size and type of every member.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from binutil import compile_object, facts, version_abi, versions

from pvabi import arch as archmod
from pvabi.abiroot import AbiRoot
from pvabi.binary.extract import extract
from pvabi.binary.importc import import_c
from pvabi.binary.layoutfile import load_text
from pvabi.codegen import outputs, read_source
from pvabi.codegen.c import COptions
from pvabi.engine import Resolver
from shipped import ROOT


def generated_headers(version: str, out: Path) -> list[Path]:
    files = outputs("c", read_source(AbiRoot(ROOT.path), version), COptions(), out)
    out.mkdir(parents=True, exist_ok=True)
    for path, data in files.items():
        path.write_bytes(data)
    return sorted(p for p in files if p.suffix == ".h")


def _arches(version: str) -> list[str]:
    abi = version_abi(version)
    return [a for a in archmod.ARCH_NAMES if any(r.exists_on(a) for r in abi.records())]


@pytest.mark.parametrize("version", versions())
def test_generated_headers_compile_and_extract_to_the_version(version: str, tmp_path: Path) -> None:
    abi = version_abi(version)
    headers = generated_headers(version, tmp_path / "include")
    for arch in _arches(version):
        names = [r.name for r in abi.records() if r.exists_on(arch)]
        usable = [h for h in headers if _header_on(abi, h, arch)]
        probe = "".join(f'#include "{h}"\n' for h in usable)
        obj = compile_object(probe, arch, tmp_path / f"probe_{arch}.o")
        want = Resolver(abi, arch)
        for name in names:
            assert facts(extract(obj, name).layout()) == facts(want.layout(name)), f"{version} {name} on {arch}"


def _header_on(abi: object, header: Path, arch: str) -> bool:
    """A generated header refuses (#error) the architectures its layout file does not exist on."""
    files = {f.id: f for f in abi.files}  # type: ignore[attr-defined]
    f = files.get(header.stem)
    return f is None or f.arches is None or arch in f.arches


@pytest.mark.parametrize("version", versions())
def test_import_c_of_each_generated_header_gives_the_version_back(version: str, tmp_path: Path) -> None:
    abi = version_abi(version)
    headers = generated_headers(version, tmp_path / "include")
    for header in headers:
        layout_file = next((f for f in abi.files if f.id == header.stem), None)
        records = [n for n in (layout_file.types if layout_file else ()) if abi.record(n) is not None]
        if not records:
            continue
        arches = tuple(a for a in _arches(version) if layout_file is None or layout_file.arches is None
                       or a in layout_file.arches)
        imported = import_c(header, tuple(records), arches)
        got = load_text(imported.struct, imported.text)
        for arch in arches:
            mine, want = Resolver(got, arch), Resolver(abi, arch)
            for name in records:
                assert facts(mine.layout(name)) == facts(want.layout(name)), f"{version} {name} on {arch}"
