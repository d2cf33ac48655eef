"""Cost of `pvabi diff` on the shipped ABI, against the cost of just laying both versions out.

Run: python benchmarks/bench_diff.py [--rounds N]
The baseline is what any diff must do anyway: lay out every layout of both
versions on every architecture. The ratio says what the rules, the safety net
and the witness search add on top, measured in the same run (medians).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pvabi import arch as archmod
from pvabi.abiroot import AbiRoot
from pvabi.diff import Policy, diff_abis
from pvabi.engine import Resolver
from pvabi.model import Abi
from pvabi.project import load

POLICY = Policy("full", "SOURCE")  # every rule, both directions: the most work a diff does


def median_seconds(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def lay_out_both(old: Abi, new: Abi) -> None:
    for abi in (old, new):
        for a in archmod.ARCH_NAMES:
            r = Resolver(abi, a)
            for rec in abi.records():
                if rec.exists_on(a):
                    r.layout(rec.name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    root = AbiRoot(Path(__file__).resolve().parent.parent / "abi")
    pairs = [("v1.0", "v1.1"), ("v1.2", "v1.3"), ("v1.3", "v2.0")]
    print(f"{'pair':<14} {'lay out both':>14} {'diff':>10} {'ratio':>7} {'findings':>9}")
    for a, b in pairs:
        old, new = load(root, a), load(root, b)
        report = diff_abis(old, new, a, b, POLICY)
        base = median_seconds(partial(lay_out_both, old, new), args.rounds)
        full = median_seconds(partial(diff_abis, old, new, a, b, POLICY), args.rounds)
        print(f"{a + '->' + b:<14} {base * 1e3:>11.1f} ms {full * 1e3:>7.1f} ms {full / base:>6.1f}x "
              f"{len(report.findings):>9}")


if __name__ == "__main__":
    main()
