"""The project object: each version loaded once per command, each layout laid out once per version.

The counts are taken by wrapping the real entry points (``loader.load_abi``,
``VersionIndex.read``, ``Resolver._lay_out``) and running real commands on the
shipped ABI, so a consumer that re-loads or re-lays-out is caught wherever it is.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SHIPPED_ABI, Run, run_in_process

from pvabi import loader
from pvabi.engine import Resolver, layout_of, resolver_for
from pvabi.errors import InputError, InputErrors
from pvabi.project import Project
from pvabi.versions import VersionIndex

FROZEN = [p.name for p in sorted((SHIPPED_ABI / "versions").iterdir()) if p.is_dir()]


class Counts:
    def __init__(self) -> None:
        self.loads: Counter[str] = Counter()
        self.index_reads = 0
        self.laid_out: Counter[tuple[int, str, str]] = Counter()
        self.abis: list[object] = []  # kept alive, so no id() is reused while counting


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counts]:
    c = Counts()
    real_load, real_read, real_lay_out = loader.load_abi, VersionIndex.read.__func__, Resolver._lay_out  # type: ignore[attr-defined]

    def load_abi(directory: Path, name: str = "working", display_root: Path | None = None, **kw: Any) -> Any:
        c.loads[name] += 1
        return real_load(directory, name, display_root, **kw)

    def read(cls: type[VersionIndex], root: Any) -> VersionIndex:
        c.index_reads += 1
        result: VersionIndex = real_read(cls, root)
        return result

    def lay_out(self: Resolver, rec: Any, depth: int) -> Any:
        c.abis.append(self.abi)
        c.laid_out[(id(self.abi), self.arch.name, rec.name)] += 1
        return real_lay_out(self, rec, depth)

    monkeypatch.setattr(loader, "load_abi", load_abi)
    monkeypatch.setattr(VersionIndex, "read", classmethod(read))
    monkeypatch.setattr(Resolver, "_lay_out", lay_out)
    yield c


def _run(*args: str) -> Run:
    return run_in_process([*args, "--root", str(REPO)])


def test_the_shipped_abi_has_a_history_to_count() -> None:
    assert FROZEN == ["v1.0", "v1.1", "v1.2", "v1.3", "v2.0"]


def test_changelog_loads_each_version_once_and_reads_the_index_once(counts: Counts) -> None:
    run = _run("changelog", "v1.0", "v2.0")
    assert run.exit_code == 0, run.output
    assert run.stdout.count("\n## v") == 3 and run.stdout.startswith("## v2.0")
    assert counts.loads == Counter({v: 1 for v in FROZEN})
    assert counts.index_reads == 1


def test_transitive_diff_loads_each_version_once_and_reads_the_index_once(counts: Counts) -> None:
    run = _run("diff", "v1.0", "v2.0", "--transitive", "--format", "json")
    assert run.exit_code == 0, run.output
    assert len(json.loads(run.stdout)["sections"]) == 4  # one comparison per earlier version
    assert counts.loads == Counter({v: 1 for v in FROZEN})
    assert counts.index_reads == 1


def test_each_layout_of_each_version_is_laid_out_once_per_architecture(counts: Counts) -> None:
    """The loader lays out every record to validate it; the diff, the changelog's diffs and every
    comparison read those layouts instead of laying them out again."""
    run = _run("changelog", "v1.0", "v2.0")
    assert run.exit_code == 0, run.output
    assert counts.laid_out, "nothing was laid out: the counter is not wired to the engine"
    again = {key: n for key, n in counts.laid_out.items() if n > 1}
    assert again == {}
    # Five versions, each laying out its records on the architectures they exist on, and no more.
    assert len({key[0] for key in counts.laid_out}) == len(FROZEN)


def test_show_and_gen_read_the_layouts_loading_made(counts: Counts, tmp_path: Path) -> None:
    assert _run("show", "vcpu_info", "--arch", "i386").exit_code == 0
    assert _run("gen", "c", "-o", str(tmp_path / "c")).exit_code == 0
    assert _run("gen", "python", "-o", str(tmp_path / "abi.py")).exit_code == 0
    assert max(counts.laid_out.values()) == 1


def test_a_loaded_version_is_cached_and_v1_is_the_newest_v1() -> None:
    project = Project.find(REPO)
    assert project.load("v1") is project.load("v1.3") is project.resolve("v1.3").abi
    assert project.resolve("v1").name == "v1.3" and project.resolve("v1").key == (1, 3)
    assert project.load("working") is project.resolve("working").abi
    assert [v.name for v in project.versions] == FROZEN


def test_layouts_are_shared_by_every_reader_of_a_version() -> None:
    abi = Project.find(REPO).load("v2.0")
    first = layout_of(abi, "vcpu_info", "x86_32")
    assert layout_of(abi, "vcpu_info", "i386") is first
    assert Project.find(REPO).layout("vcpu_info", "v2.0", "i386") is not first  # another project, another load


def test_a_changed_abi_gets_its_own_layouts() -> None:
    """``dataclasses.replace`` makes an Abi whose layouts may differ: it must not inherit the cache."""
    abi = Project.find(REPO).load("v2.0")
    shared = resolver_for(abi, "x86_64")
    assert resolver_for(abi, "amd64") is shared
    changed = dataclasses.replace(abi, types={k: v for k, v in abi.types.items() if k != "vcpu_time_info"})
    assert resolver_for(changed, "x86_64") is not shared
    assert changed.record("vcpu_time_info") is None and layout_of(abi, "vcpu_time_info", "x86_64").size == 32


def test_resolve_another_abi_directory(tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(SHIPPED_ABI / "layouts", other / "abi" / "layouts")
    project = Project.find(REPO)
    side = project.resolve(str(other))
    assert (side.name, side.key) == (str(other), None)
    assert sorted(side.abi.types) == sorted(project.load("working").types)
    assert project.resolve(str(other)).abi is side.abi


def test_resolve_errors_name_the_side() -> None:
    with pytest.raises(InputError, match=r"^unknown version 'v9\.9' \(known: working, v1\.0, .*\) \(old side\)$"):
        Project.find(REPO).resolve("v9.9", "old side")


def test_validate_returns_what_it_checked() -> None:
    summary = Project.find(REPO).validate()
    layouts = list((SHIPPED_ABI / "layouts").glob("*.yaml"))
    assert summary.files == len(layouts) and summary.versions == len(FROZEN)
    assert summary.config == "abi/pvabi.yaml" and summary.root == SHIPPED_ABI
    run = _run("validate")
    assert run.stdout == (f"ok: {summary.files} layout files, {summary.layouts} layouts, config abi/pvabi.yaml, "
                          f"{summary.versions} frozen versions verified ({SHIPPED_ABI})\n")


def test_validate_collects_the_problems_of_every_part(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SHIPPED_ABI, repo / "abi")
    (repo / "abi" / "pvabi.yaml").write_text("ruleset: 1\n", "utf-8")
    frozen = sorted((repo / "abi" / "versions" / "v1.1").glob("*.yaml"))[0]
    frozen.write_bytes(frozen.read_bytes() + b"\n")
    with pytest.raises(InputErrors) as caught:
        Project.find(repo).validate()
    lines = [str(e) for e in caught.value.errors]
    assert any(line.startswith("abi/pvabi.yaml:1: ruleset: pins ruleset 1") for line in lines), lines
    assert any(line.startswith(f"abi/versions/v1.1/{frozen.name}: frozen file of v1.1 was modified")
               for line in lines), lines


def test_a_project_does_not_load_what_it_is_not_asked_for(counts: Counts) -> None:
    project = Project.find(REPO)
    assert counts.loads == Counter() and counts.index_reads == 0
    assert project.config.path == "abi/pvabi.yaml"
    assert counts.index_reads == 0
    project.load("v1.2")
    project.load("v1.2")
    assert counts.loads == Counter({"v1.2": 1}) and counts.index_reads == 1


def _messages(*runs: Callable[[], Run]) -> list[str]:
    return [run().error_lines[-1] for run in runs]


def test_unknown_architecture_reads_the_same_from_every_command(tmp_path: Path) -> None:
    image = tmp_path / "img.bin"
    image.write_bytes(bytes(64))
    lines = _messages(lambda: _run("show", "vcpu_info", "--arch", "sparc"),
                      lambda: _run("decode", "vcpu_info", str(image), "--arch", "sparc"),
                      lambda: _run("diff", "v1.3", "v2.0", "--arch", "sparc"))
    assert len(set(lines)) == 1, lines
    assert lines[0] == ("error: unknown architecture 'sparc' (known: x86_32, x86_64, arm32, aarch64, ppc64, "
                        "s390x; aliases: i386, amd64, arm, arm64)")


def test_no_layout_named_reads_the_same_from_every_command(tmp_path: Path) -> None:
    image = tmp_path / "img.bin"
    image.write_bytes(bytes(64))
    lines = _messages(lambda: _run("show", "nosuch"),
                      lambda: _run("decode", "nosuch", str(image)))
    assert len(set(lines)) == 1, lines
    assert lines[0].startswith("error: no layout named 'nosuch' in working (layouts: ")
    with pytest.raises(InputError) as caught:
        Resolver(Project.find(REPO).load("working"), "x86_64").layout("nosuch")
    assert "error: " + str(caught.value) == lines[0]


def test_a_name_filter_neither_side_defines_is_named_once() -> None:
    from pvabi.compare import Comparison

    run = _run("diff", "v1.3", "v2.0", "--layout", "nosuch")
    assert run.exit_code == 2
    assert run.error_lines == ["error: no layout, enum or flags type named 'nosuch' in v1.3 or v2.0"]
    project = Project.find(REPO)
    with pytest.raises(InputError) as caught:
        Comparison(project.load("v1.3"), project.load("v2.0"), "v1.3", "v2.0", layouts=("nosuch",)).record_names()
    assert "error: " + str(caught.value) == run.error_lines[0]


def test_freeze_loads_each_version_once(counts: Counts, tmp_path: Path) -> None:
    """The gate (transitive in the shipped config) loads the working layouts and every frozen version;
    freezing then needs no second load of the working layouts to know they validate."""
    repo = tmp_path / "repo"
    shutil.copytree(SHIPPED_ABI, repo / "abi")
    layout = repo / "abi" / "layouts" / "vcpu_time_info.yaml"
    layout.write_text(layout.read_text("utf-8").replace("  doc: >\n", "  doc: >\n    Reworded.\n", 1), "utf-8")
    run = run_in_process(["freeze", "v2.1", "--summary", "Reword a doc", "--date", "2026-12-03",
                          "--root", str(repo)])
    assert run.exit_code == 0, run.output
    assert (repo / "abi" / "versions" / "v2.1").is_dir()
    assert counts.loads == Counter({v: 1 for v in [*FROZEN, "working"]})
