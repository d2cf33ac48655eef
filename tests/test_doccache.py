"""The parsed-document cache: same model as a fresh parse, a hit skips the schema,
and nothing but an exact match of bytes, schema and pvabi is ever used."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import SHIPPED_ABI, layout_file
from jsonschemas import schema_errors

from pvabi import doccache, loader
from pvabi.errors import InputErrors
from pvabi.project import Project

V20 = SHIPPED_ABI / "versions" / "v2.0"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("PVABI_CACHE_DIR", str(where))
    return where


def _count_schema_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = loader._schema_errors

    def counting(doc: loader.Document) -> list[loader.InputError]:
        seen.append(doc.file)
        return real(doc)

    monkeypatch.setattr(loader, "_schema_errors", counting)
    return seen


def test_a_cached_load_is_the_same_model(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = loader.load_abi(V20, "v2.0")
    checks = _count_schema_checks(monkeypatch)
    first = loader.load_abi(V20, "v2.0", cached=True)
    files = len(list(V20.glob("*.yaml")))
    assert len(checks) == files and len(list((cache_dir / "docs").glob("*.json"))) == files
    for entry in (cache_dir / "docs").glob("*.json"):
        assert not schema_errors("doc-cache", json.loads(entry.read_text()))
    second = loader.load_abi(V20, "v2.0", cached=True)
    assert len(checks) == files  # the second load validated nothing: every document came from the cache
    assert fresh.types == first.types == second.types and fresh.files == second.files
    assert fresh.constants == second.constants


def test_an_edited_file_misses(tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "v"
    shutil.copytree(V20, copy)
    loader.load_abi(copy, "v", cached=True)
    target = copy / "vcpu_time_info.yaml"
    target.write_text(target.read_text().replace("- name: tsc_shift", "- name: tsc_shift2", 1))
    checks = _count_schema_checks(monkeypatch)
    abi = loader.load_abi(copy, "v", cached=True)
    assert checks == [str(target)]  # only the edited file was read and validated again
    assert any(f.name == "tsc_shift2" for f in abi.types["vcpu_time_info"].fields)  # type: ignore[union-attr]


@pytest.mark.parametrize("damage", ["garbage", "other-key", "empty"])
def test_a_damaged_entry_is_a_miss(cache_dir: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    loader.load_abi(V20, "v2.0", cached=True)
    for entry in (cache_dir / "docs").glob("*.json"):
        text = entry.read_text()
        entry.write_text({"garbage": "{not json", "empty": "",
                          "other-key": text.replace('"key":"', '"key":"0', 1)}[damage])
    checks = _count_schema_checks(monkeypatch)
    abi = loader.load_abi(V20, "v2.0", cached=True)
    assert len(checks) == len(list(V20.glob("*.yaml")))
    assert abi.types == loader.load_abi(V20, "v2.0").types


def test_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVABI_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    loader.load_abi(V20, "v2.0", cached=True)
    assert doccache.directory() is None and not (tmp_path / "xdg").exists()


def test_the_key_covers_the_schema_and_version(monkeypatch: pytest.MonkeyPatch) -> None:
    content = (V20 / "vcpu_time_info.yaml").read_bytes()
    before = doccache.key(content)
    monkeypatch.setattr(doccache, "_salt", lambda schema: b"another pvabi")
    assert doccache.key(content) != before


def test_project_caches_frozen_and_working_documents(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = Project.find(SHIPPED_ABI)
    project.load("v2.0")
    project.load("working")
    distinct = {p.read_bytes() for p in [*V20.glob("*.yaml"), *(SHIPPED_ABI / "layouts").glob("*.yaml")]}
    assert len(list((cache_dir / "docs").glob("*.json"))) == len(distinct)  # identical files share an entry
    checks = _count_schema_checks(monkeypatch)
    again = Project.find(SHIPPED_ABI).load("working")
    assert checks == []  # a second process would parse nothing
    assert again.types == project.load("working").types


def test_an_invalid_working_file_is_never_cached(tmp_path: Path, cache_dir: Path, make_abi: Any) -> None:
    root = make_abi({"bad": layout_file("bad", """
        s:
          kind: struct
          fields:
            - {name: a, type: u32, colour: red}
        """)})
    for _ in range(2):  # the second run must report the same problem, not a cached pass
        with pytest.raises(InputErrors) as caught:
            Project.find(root).load("working")
        assert any("colour" in e.message for e in caught.value.errors)
    assert not (cache_dir / "docs").exists() or not list((cache_dir / "docs").glob("*.json"))


def test_the_oldest_entries_are_pruned(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doccache, "MAX_ENTRIES", 5)
    monkeypatch.setattr(doccache, "KEEP_ENTRIES", 3)
    docs = cache_dir / "docs"
    docs.mkdir(parents=True)
    for i in range(5):
        (docs / f"old{i}.json").write_text("{}")
        os.utime(docs / f"old{i}.json", ns=(i * 10**9, i * 10**9))
    loader.load_abi(V20, "v2.0", cached=True)  # adds one entry per file, pruning as it goes
    left = sorted(p.name for p in docs.glob("*.json"))
    assert len(left) <= 5 and not any(name.startswith("old") for name in left)
    assert loader.load_abi(V20, "v2.0", cached=True).types == loader.load_abi(V20, "v2.0").types


def test_the_config_caches_under_its_own_schema(cache_dir: Path, tmp_path: Path) -> None:
    """A file's bytes valid as a config are not thereby a valid layout: the schema is part of the key."""
    from pvabi.config import CONFIG_SCHEMA, load_config
    from pvabi.ruleset import RULESET_VERSION

    abi = tmp_path / "abi"
    abi.mkdir()
    (abi / "pvabi.yaml").write_text(f"ruleset: {RULESET_VERSION}\nmode: full\n")
    first, second = load_config(abi), load_config(abi)
    assert first == second and first.mode == "full"
    content = (abi / "pvabi.yaml").read_bytes()
    assert doccache.get(content, "x", CONFIG_SCHEMA) is not None
    assert doccache.get(content, "x") is None  # the same bytes were never checked as a layout file
    (abi / "pvabi.yaml").write_text(f"ruleset: {RULESET_VERSION}\nmode: sideways\n")
    with pytest.raises(InputErrors):
        load_config(abi)
