"""Verdicts on real interface histories (``tests/histories/``).

Each file is one consecutive pair of releases of a public interface, transcribed from the header at each
release (``source`` names the repository, path and tag or commit), with the verdict that the project's
own history shows (``evidence``: a commit message, a compatibility note, an interface-version bump),
written down before pvabi was run on it. The independent truth here is that history, not pvabi's output:
each test asserts the worst severity pvabi reports per architecture and direction against it, and that
every breaking finding carries a witness the construct codec confirms, or a stated reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from test_rule_cases import flow_problem, load_side, witness_problem

from pvabi import arch as archmod
from pvabi.compare import Comparison
from pvabi.diff import run_rules
from pvabi.findings import BREAKING, COMPATIBLE, DIRECTIONS, SEVERITIES, Finding

HISTORIES = Path(__file__).resolve().parent / "histories"
NAMES = sorted(p.stem for p in HISTORIES.glob("*.yaml"))
KEYS = {"doc", "source", "evidence", "verdict", "old", "new"}


def read(name: str) -> dict[str, Any]:
    case = yaml.safe_load((HISTORIES / f"{name}.yaml").read_text(encoding="utf-8"))
    assert set(case) == KEYS, f"{name}: keys must be {sorted(KEYS)}"
    assert {"repo", "path", "old", "new"} <= set(case["source"]), f"{name}: source must cite repo, path, old, new"
    assert set(case["verdict"]) == set(DIRECTIONS), f"{name}: a verdict per direction"
    assert all(v in SEVERITIES for v in case["verdict"].values()), name
    return case


def verdicts(findings: list[Finding], arches: tuple[str, ...]) -> dict[tuple[str, str], str]:
    """The worst severity reported per (architecture, direction); compatible when nothing is reported."""
    out = {}
    for a in arches:
        for d in DIRECTIONS:
            found = {f.severity_in(d) for f in findings if a in f.arches}
            out[(a, d)] = next((s for s in SEVERITIES if s in found), COMPATIBLE)
    return out


def arches_of(case: dict[str, Any]) -> tuple[str, ...]:
    listed = case["old"]["meta"].get("arches")
    return tuple(archmod.canonical(a) for a in listed) if listed else tuple(archmod.ARCH_NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_history_verdict(name: str, tmp_path: Path) -> None:
    case = read(name)
    cmp = Comparison(load_side(tmp_path / "old", case["old"], "old"),
                     load_side(tmp_path / "new", case["new"], "new"), "old", "new")
    findings = run_rules(cmp)
    got = verdicts(findings, arches_of(case))
    want = {(a, d): case["verdict"][d] for a in arches_of(case) for d in DIRECTIONS}
    wrong = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    report = "\n".join(f"  {f.rule} {f.layout}.{f.path} {','.join(f.arches)} "
                       f"{f.severity_in('backward')}/{f.severity_in('forward')}: {f.message}" for f in findings)
    assert not wrong, f"{name}: (arch, direction): (pvabi, history) {wrong}\nfindings:\n{report}"
    for f in findings:
        if any(s == BREAKING for _, s in f.severity):
            why = f"{name}: {f.rule} {f.path} breaks with no witness or reason"
            assert f.witness is not None or f.witness_note, why
            if f.witness is not None:
                problem = witness_problem(cmp, f) or flow_problem(cmp, f)
                assert not problem, f"{name}: {f.rule} {f.path}: {problem}"


def test_corpus_is_big_enough() -> None:
    """At least ten real pairs, from more than one interface."""
    assert len(NAMES) >= 10
    assert len({read(n)["source"]["path"] for n in NAMES}) >= 4
