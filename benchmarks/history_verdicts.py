"""Count the real-history verdicts (tests/histories/) a pvabi source tree gets right.

Run: python benchmarks/history_verdicts.py [PVABI_TREE] [--strip]
PVABI_TREE is a checkout of pvabi (default: this one), e.g. an older commit
extracted with `git archive COMMIT | tar -x -C DIR`. --strip removes the
layout keys older trees do not know (placement, memory, absent, renamed_from,
size_field) before loading, which is how the "before" count in
tests/histories/README.md was taken. Prints each wrong (pair, architecture,
direction) and the totals.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

HISTORIES = Path(__file__).resolve().parent.parent / "tests" / "histories"
NEW_KEYS = {"placement", "memory", "absent", "renamed_from", "size_field"}
SEVERITIES = ("breaking", "source-only", "compatible")


def strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in NEW_KEYS}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("tree", nargs="?", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--strip", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, args.tree)
    from pvabi import arch as archmod
    from pvabi.compare import Comparison
    from pvabi.diff import run_rules
    from pvabi.loader import load_abi

    right = total = pairs_right = 0
    files = sorted(HISTORIES.glob("*.yaml"))
    for path in files:
        case = yaml.safe_load(path.read_text("utf-8"))
        with tempfile.TemporaryDirectory() as tmp:
            abis = []
            for side in ("old", "new"):
                layout = strip(case[side]) if args.strip else case[side]
                directory = Path(tmp) / side
                directory.mkdir()
                (directory / f"{layout['meta']['id']}.yaml").write_text(yaml.safe_dump(layout), "utf-8")
                abis.append(load_abi(directory, side))
            findings = run_rules(Comparison(abis[0], abis[1], "old", "new"))
        arches = case["old"]["meta"].get("arches") or archmod.ARCH_NAMES
        all_right = True
        for a in arches:
            for direction in ("backward", "forward"):
                found = {f.severity_in(direction) for f in findings if a in f.arches}
                got = next((s for s in SEVERITIES if s in found), "compatible")
                total += 1
                if got == case["verdict"][direction]:
                    right += 1
                else:
                    all_right = False
                    print(f"wrong: {path.stem} {a} {direction}: pvabi {got}, history {case['verdict'][direction]}")
        pairs_right += all_right
    print(f"{right}/{total} (architecture, direction) verdicts right; {pairs_right}/{len(files)} pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
