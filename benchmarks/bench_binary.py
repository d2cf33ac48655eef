"""Cost of reading layouts out of a compiled binary: DWARF against BTF, and against `pvabi diff`.

Run: python benchmarks/bench_binary.py [--rounds N]   (needs gcc; pahole for the BTF rows)
v2.0's records are compiled with gcc -g for x86_64 (and given BTF by pahole -J,
DWARF stripped). Each row is a median over rounds: extracting every record
(open, parse the debug info, build and prove the layouts), check-binary
against v2.0, and for scale a diff of v1.3 against v2.0 on every architecture.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pvabi.abiroot import AbiRoot
from pvabi.binary.checkbin import check_binary
from pvabi.binary.elf import open_binary
from pvabi.binary.extract import TypeSource
from pvabi.codegen.check import FREESTANDING_PRELUDE, alias_typedefs, declaration, ordered_layouts
from pvabi.diff import Policy, diff_abis
from pvabi.engine import Resolver
from pvabi.project import load

ROOT = AbiRoot(Path(__file__).resolve().parent.parent / "abi")
POLICY = Policy("full", "LAYOUT")


def median_seconds(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def extract_all(path: Path, names: list[str]) -> None:
    src = TypeSource(open_binary(path))
    src.build(*names)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    abi = load(ROOT, "v2.0")
    resolver = Resolver(abi, "x86_64")
    names = [r.name for r in abi.records() if r.exists_on("x86_64")]
    source = "\n".join([FREESTANDING_PRELUDE, *alias_typedefs(abi, resolver),
                        *(declaration(x) for x in ordered_layouts(resolver, names))])
    with tempfile.TemporaryDirectory() as tmp:
        c, obj, btf = Path(tmp) / "v.c", Path(tmp) / "v.o", Path(tmp) / "btf.o"
        c.write_text(source)
        subprocess.run(["gcc", "-g", "-c", "-fno-eliminate-unused-debug-types", "-o", str(obj), str(c)], check=True)
        rows = [("extract DWARF", partial(extract_all, obj, names)),
                ("check-binary DWARF", partial(check_binary, ROOT, obj, POLICY, "v2.0"))]
        if shutil.which("pahole"):
            shutil.copyfile(obj, btf)
            subprocess.run(["pahole", "-J", str(btf)], check=True)
            subprocess.run(["objcopy", "--strip-debug", str(btf)], check=True)
            rows += [("extract BTF", partial(extract_all, btf, names)),
                     ("check-binary BTF", partial(check_binary, ROOT, btf, POLICY, "v2.0"))]
        old = load(ROOT, "v1.3")
        base = median_seconds(partial(diff_abis, old, abi, "v1.3", "v2.0", POLICY), args.rounds)
        print(f"{len(names)} records of v2.0 on x86_64; object {obj.stat().st_size} bytes")
        print(f"{'what':<22} {'median':>10} {'vs diff v1.3->v2.0':>20}")
        print(f"{'diff v1.3->v2.0':<22} {base * 1e3:>7.1f} ms {1.0:>19.2f}x")
        for label, fn in rows:
            t = median_seconds(fn, args.rounds)
            print(f"{label:<22} {t * 1e3:>7.1f} ms {t / base:>19.2f}x")


if __name__ == "__main__":
    main()
