"""Decode/encode throughput of pvabi's codecs against a hand-written struct baseline.

Run: python benchmarks/bench_codec.py [--repeat N]
Prints, per codec, the median time per image over several rounds and its ratio
to a hand-written ``struct.unpack_from`` / ``struct.pack`` codec of the same
layout, measured in the same run (so machine noise affects both sides alike).
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pvabi.abiroot import AbiRoot, load
from pvabi.codec import ConstructCodec
from pvabi.engine import Resolver

# vcpu_time_info on x86_64, written by hand from the public header: the baseline.
_TIME = struct.Struct("<I4sQQIbB2s")


def hand_parse(buf: bytes) -> dict[str, object]:
    v, pad0, tsc, systime, mul, shift, flags, pad1 = _TIME.unpack_from(buf, 0)
    return {"version": v, "pad0": pad0, "tsc_timestamp": tsc, "system_time": systime,
            "tsc_to_system_mul": mul, "tsc_shift": shift, "flags": flags, "pad1": pad1}


def hand_build(d: dict[str, object]) -> bytes:
    return _TIME.pack(d["version"], d["pad0"], d["tsc_timestamp"], d["system_time"], d["tsc_to_system_mul"],
                      d["tsc_shift"], d["flags"], d["pad1"])


def median_seconds(fn: Callable[[], object], number: int, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--number", type=int, default=2000, help="calls per round")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    abi = load(AbiRoot(Path(__file__).resolve().parent.parent / "abi"))
    layout = Resolver(abi, "x86_64").layout("vcpu_time_info")
    image = os.urandom(layout.size)
    interpreted = ConstructCodec(layout, compiled=False)
    compiled = ConstructCodec(layout, compiled=True)
    values = compiled.parse(image)
    hand_values = hand_parse(image)
    assert hand_build(hand_values) == image == compiled.build(values)

    rows = [
        ("decode", "struct (hand-written baseline)", lambda: hand_parse(image)),
        ("decode", "construct compiled", lambda: compiled.parse(image)),
        ("decode", "construct interpreted", lambda: interpreted.parse(image)),
        ("encode", "struct (hand-written baseline)", lambda: hand_build(hand_values)),
        ("encode", "construct compiled", lambda: compiled.build(values)),
        ("encode", "construct interpreted", lambda: interpreted.build(values)),
    ]
    print(f"layout vcpu_time_info/x86_64 ({layout.size} bytes); median of {args.rounds} rounds x {args.number} calls")
    baseline: dict[str, float] = {}
    for op, name, fn in rows:
        t = median_seconds(fn, args.number, args.rounds)
        baseline.setdefault(op, t)
        print(f"{op:<7} {name:<32} {t * 1e6:9.2f} us/image  {1 / t:12,.0f} images/s  "
              f"x{t / baseline[op]:.1f} baseline")


if __name__ == "__main__":
    main()
