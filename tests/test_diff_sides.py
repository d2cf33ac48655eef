"""What a side of `pvabi diff` can be: a version, a bare major, `working`, or another ABI root."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from conftest import SHIPPED_ABI, Run

from pvabi import find_root
from pvabi.diffrun import resolve_side


def _copy_abi(tmp_path: Path) -> Path:
    shutil.copytree(SHIPPED_ABI, tmp_path / "abi")
    return tmp_path


def test_bare_major_names_newest_minor() -> None:
    side = resolve_side(find_root(SHIPPED_ABI), "v1")
    assert side.name == "v1.3"
    assert side.key == (1, 3)


def test_another_root_is_compared_by_its_working_layouts(tmp_path: Path, cli: Callable[..., Run]) -> None:
    other = _copy_abi(tmp_path)
    layout = other / "abi" / "layouts" / "vcpu_time_info.yaml"
    text = layout.read_text()
    # Swap two fields' declared types: tsc_shift becomes unsigned (the signed shift is now misread).
    layout.write_text(text.replace("type: s8", "type: u8", 1))
    side = resolve_side(find_root(SHIPPED_ABI), str(other))
    assert side.key is None and side.name == str(other)
    run = cli("diff", "working", str(other), "--root", str(SHIPPED_ABI), "--no-transitive",
                   "--format", "json")
    assert run.exit_code == 1, run.output
    assert '"rule": "FIELD_SIGNEDNESS_CHANGED"' in run.stdout
    assert '"path": "tsc_shift"' in run.stdout
