"""Frozen versions: ordering, bare majors, hash locking, and freezes that cannot half-happen."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pvabi import versions as versionsmod
from pvabi.abiroot import AbiRoot
from pvabi.errors import InputError, InputErrors
from pvabi.project import load
from pvabi.versions import VersionIndex, freeze
from shipped import REPO


@pytest.fixture
def root(tmp_path: Path) -> AbiRoot:
    abi = tmp_path / "abi"
    (abi / "layouts").mkdir(parents=True)
    for name in ("vcpu_time_info.yaml",):
        shutil.copy(REPO / "abi" / "layouts" / name, abi / "layouts" / name)
    return AbiRoot(abi)


def _snapshot(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_freeze_writes_version_and_index(root: AbiRoot) -> None:
    v = freeze(root, "v1.0", "first", date="2026-01-02")
    assert (root.versions / "v1.0" / "vcpu_time_info.yaml").read_bytes() == \
        (root.layouts / "vcpu_time_info.yaml").read_bytes()
    index = json.loads((root.versions / "index.json").read_text())
    assert index["versions"][0]["name"] == "v1.0"
    assert index["versions"][0]["files"] == v.files
    assert load(root, "v1.0").name == "v1.0"


def test_freeze_refuses_existing_and_lower_versions(root: AbiRoot) -> None:
    freeze(root, "v1.1")
    with pytest.raises(InputError, match="already exists"):
        freeze(root, "v1.1")
    with pytest.raises(InputError, match="not greater"):
        freeze(root, "v1.0")
    with pytest.raises(InputError, match=r"vMAJOR\.MINOR"):
        freeze(root, "1.2")


def test_bare_major_names_newest_minor(root: AbiRoot) -> None:
    for name in ("v1.0", "v1.1", "v2.0"):
        freeze(root, name)
    index = VersionIndex.read(root)
    assert index.resolve("v1").name == "v1.1"
    assert index.resolve("v2").name == "v2.0"
    with pytest.raises(InputError, match="unknown version"):
        index.resolve("v3")


def test_tampering_is_detected_and_named(root: AbiRoot) -> None:
    freeze(root, "v1.0")
    frozen = root.versions / "v1.0" / "vcpu_time_info.yaml"
    data = bytearray(frozen.read_bytes())
    data[-2] ^= 0x01  # one bit of one byte
    frozen.write_bytes(bytes(data))
    problems = VersionIndex.read(root).verify()
    assert len(problems) == 1
    assert "vcpu_time_info.yaml" in str(problems[0]) and "modified" in str(problems[0])
    with pytest.raises(InputErrors):
        load(root, "v1.0")


def test_added_and_removed_frozen_files_are_detected(root: AbiRoot) -> None:
    freeze(root, "v1.0")
    (root.versions / "v1.0" / "extra.yaml").write_text("meta: {}\n")
    (root.versions / "v1.0" / "vcpu_time_info.yaml").unlink()
    messages = [str(p) for p in VersionIndex.read(root).verify()]
    assert any("extra.yaml" in m and "not part" in m for m in messages)
    assert any("vcpu_time_info.yaml" in m and "missing" in m for m in messages)


def test_interrupted_freeze_leaves_nothing_half_written(root: AbiRoot, monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(root, "v1.0")
    before = _snapshot(root.path)

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("simulated crash during rename")

    monkeypatch.setattr(versionsmod.os, "rename", crash)
    with pytest.raises(InputError, match="simulated"):
        freeze(root, "v1.1")
    assert _snapshot(root.path) == before
    assert not any(p.name.startswith(".freeze-") for p in root.versions.iterdir())
    assert VersionIndex.read(root).orphans() == []


def test_interrupted_index_write_keeps_old_index(root: AbiRoot, monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(root, "v1.0")
    old_index = (root.versions / "index.json").read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError("simulated crash while replacing the index")

    monkeypatch.setattr(versionsmod.os, "replace", crash)
    with pytest.raises(OSError):
        freeze(root, "v1.1")
    assert (root.versions / "index.json").read_bytes() == old_index
    assert not list(root.versions.glob(".index.json.*"))
    # The directory rename committed v1.1 with its pending entry: readers count it, nothing is orphaned.
    index = VersionIndex.read(root)
    assert [v.name for v in index.versions] == ["v1.0", "v1.1"]
    assert index.orphans() == [] and index.verify() == []


def test_freeze_refuses_an_invalid_working_abi(root: AbiRoot) -> None:
    (root.layouts / "broken.yaml").write_text("meta: {id: broken}\n")
    with pytest.raises(InputErrors):
        freeze(root, "v1.0")
    assert not root.versions.exists() or not any(root.versions.iterdir())
