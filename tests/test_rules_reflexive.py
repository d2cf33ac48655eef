"""The meta-check cargo-semver-checks runs on its lints: a version compared with itself reports nothing.

Every registered rule runs on every side of every rule case (old with old, new with new) and on every
shipped version; any finding is a rule that fires on no change, which would be a false alarm on
every real diff that contains that shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pvabi import WORKING, find_root, load
from pvabi.compare import Comparison
from pvabi.diff import run_rules
from pvabi.loader import load_abi

TESTS = Path(__file__).resolve().parent
CASES = sorted((TESTS / "rule_cases").glob("*.yaml"))
REPO = TESTS.parent


def _load(tmp: Path, layout_file: dict[str, Any], name: str) -> Any:
    d = tmp / name
    d.mkdir()
    (d / f"{layout_file['meta']['id']}.yaml").write_text(yaml.safe_dump(layout_file, sort_keys=False))
    return load_abi(d, name, tmp)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
@pytest.mark.parametrize("side", ["old", "new"])
def test_a_case_side_compared_with_itself_reports_nothing(case: Path, side: str, tmp_path: Path) -> None:
    data = yaml.safe_load(case.read_text("utf-8"))
    abi = _load(tmp_path, data[side], side)
    again = _load(tmp_path, data[side], f"{side}-again")
    findings = run_rules(Comparison(abi, again, side, f"{side}-again"))
    assert findings == [], [(f.rule, f.layout, f.path, f.message) for f in findings]


@pytest.mark.parametrize("version", ["v1.0", "v1.1", "v1.2", "v1.3", "v2.0", WORKING])
def test_a_shipped_version_compared_with_itself_reports_nothing(version: str) -> None:
    abi = load(find_root(REPO), version)
    findings = run_rules(Comparison(abi, abi, version, version))
    assert findings == [], [(f.rule, f.layout, f.path, f.message) for f in findings]
