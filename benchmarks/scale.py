"""Issue 14's scale rows: synthetic ABIs of 1k, 10k and 100k fields, loaded, laid out, given codecs and diffed.

Run alone: python benchmarks/scale.py [--rounds N] [--quick]
From bench_perf.py: ``rows(quick, Row)`` returns its rows (one call, next to the other rows).

Each size is one layout, ``scale_root``, whose fields are groups of 100 fields (``group_<i>``,
one struct type each, ten groups per file). A group holds what real layouts hold: scalars of
every width, a per-architecture alias, ``ulong``, a scalar array, a run of bitfields, an
anonymous union over an anonymous struct, a named inline struct, an enum and a flags field,
and a reserved field. "Fields" counts every field entry written in the files (inline and
anonymous records' own members included, the records themselves not): a 10k ABI has exactly
10,000. The new side is a copy with one field of the middle group moved to that group's end,
so the diff finds offset changes over the rest of the group (one adjacent run) and the
group's size change ripples through the root.

Measured per size, each a median over rounds, both sides counted (a diff reads both):
- load: read, parse, validate and build the definitions (``loader.load_abi`` minus laying out;
  cold: the document cache is not asked, so every round parses and validates every file);
- lay out: every layout on every architecture (``engine.check_all``, which loading runs);
- codecs: the decoder's codec (``fastcodec.fast_codec``) of the root layout on each architecture;
- diff: ``diff.diff_abis`` of the two sides (rules, safety net, witnesses).
Linear growth shows as a per-field cost that stays put: the per-field rows of the 10k and 100k
sizes print their ratio to the size below (1.00x = exactly linear).

Bounds: 10k fields fit the shipped bounds. 100k fields exceed three of them, which are raised
for this process only, through the constants the loader and the engine read (``RAISED``):
``loader.MAX_ABI_BYTES`` (4 MiB of YAML), ``loader.MAX_TYPES`` (1,024 types) and
``engine.MAX_VALUES`` (65,536 values per layout). The shipped bounds are untouched.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pvabi import engine, loader  # noqa: E402
from pvabi.diff import Policy, diff_abis  # noqa: E402
from pvabi.fastcodec import fast_codec  # noqa: E402
from pvabi.model import Abi  # noqa: E402

ARCHES = ("x86_32", "x86_64")  # where ulong and u64's alignment differ: per-arch layouts that really differ
GROUP_FIELDS = 100
GROUPS_PER_FILE = 10
SIZES = (1_000, 10_000, 100_000)
TARGET_10K = 0.5  # seconds for load + lay out + codecs + diff of the 10k ABI (issue 14)
POLICY = Policy("full", "SOURCE")  # every rule in both directions: the most work a diff does
RAISED = {(loader, "MAX_ABI_BYTES"): 64 << 20, (loader, "MAX_TYPES"): 1 << 16, (engine, "MAX_VALUES"): 1 << 22}
STAGES = ("load", "lay out", "codecs", "diff")

_HEADER = ("meta:\n  id: {id}\n  doc: Synthetic layouts for benchmarks/scale.py.\n"
           "  arches: [x86_32, x86_64]\n")


# --- the synthetic ABI ---------------------------------------------------------------------------

def _group(i: int, moved: bool) -> list[str]:
    """The lines of struct ``group_<i>``: exactly GROUP_FIELDS field entries."""
    f = [
        "      - {name: a%d, type: u8, doc: A byte.}",
        "      - {name: b%d, type: u16, doc: A half word.}",
        "      - {name: c%d, type: u32, writer: guest, reader: host, doc: A word.}",
        "      - {name: d%d, type: u64, doc: A double word (4-aligned on x86_32).}",
        "      - {name: e%d, type: word_t, doc: The per-architecture word.}",
        "      - {name: g%d, type: ulong, doc: C long.}",
        "      - {name: h%d, type: u32, count: \"SCALE_WORDS / 2\", doc: An array sized by a constant.}",
        "      - {name: k%d, type: u32, enum: scale_mode, doc: An enum.}",
        "      - {name: l%d, type: u16, flags: scale_flags, doc: Flags.}",
        "      - {name: r%d, type: u8, count: 3, reserved: zero}",
    ]
    lines = [f"  group_{i}:", "    kind: struct", f"    doc: Group {i}.", "    fields:"]
    entries: list[str] = []
    n = 0
    while n < GROUP_FIELDS - 10:
        for pattern in f:
            entries.append(pattern % n)
        n += 10
    # The last ten entries: a bitfield run (3), an anonymous union of a u64 and a struct of two
    # u32 (3), a named inline struct (4 members; the record itself is not counted).
    entries += [
        "      - {name: bf_lo, type: u32, bits: 3, doc: Low bits.}",
        "      - {name: bf_mid, type: u32, bits: 13, doc: Middle bits.}",
        "      - {name: bf_hi, type: u32, bits: 16, doc: High bits.}",
        "      - kind: union\n        fields:\n"
        "          - {name: raw, type: u64, doc: The whole register.}\n"
        "          - kind: struct\n            fields:\n"
        "              - {name: lo, type: u32, doc: Low half.}\n"
        "              - {name: hi, type: u32, doc: High half.}",
        "      - name: inner\n        kind: struct\n        doc: A named inline struct.\n        fields:\n"
        "          - {name: x, type: u8, doc: X.}\n"
        "          - {name: y, type: u32, doc: Y.}\n"
        "          - {name: z, type: u16, doc: Z.}\n"
        "          - {name: w, type: word_t, doc: W.}",
    ]
    if moved:
        entries.append(entries.pop(1))  # b0 (a u16 near the start) moves to the end of the group
    return lines + entries


def _root(groups: int) -> list[str]:
    lines = ["  scale_root:", "    kind: struct", "    doc: The whole synthetic ABI as one layout.",
             "    placement: embedded", "    fields:"]
    lines += [f"      - {{name: g{i}, type: group_{i}, doc: Group {i}.}}" for i in range(groups)]
    return lines


_COMMON = """constants:
  SCALE_WORDS: 8
types:
  word_t:
    kind: alias
    doc: The machine word, per architecture.
    arch: {x86_32: u32, x86_64: u64}
  scale_mode:
    kind: enum
    doc: Modes.
    values: {OFF: 0, ON: 1, AUTO: 2}
  scale_flags:
    kind: flags
    doc: Flags.
    bits: {READY: 0, BUSY: 1, ERROR: 5}
    reserved_bits: zero
"""


def write_abi(directory: Path, fields: int, moved: bool) -> Path:
    """Write a synthetic ABI of ``fields`` fields (a multiple of GROUP_FIELDS) into ``directory``."""
    groups = fields // GROUP_FIELDS
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "scale_common.yaml").write_text(_HEADER.format(id="scale_common") + _COMMON, "utf-8")
    (directory / "scale_root.yaml").write_text(
        _HEADER.format(id="scale_root") + "types:\n" + "\n".join(_root(groups)) + "\n", "utf-8")
    middle = groups // 2
    for start in range(0, groups, GROUPS_PER_FILE):
        name = f"scale_{start // GROUPS_PER_FILE:04d}"
        body = [line for i in range(start, min(groups, start + GROUPS_PER_FILE))
                for line in _group(i, moved and i == middle)]
        (directory / f"{name}.yaml").write_text(_HEADER.format(id=name) + "types:\n" + "\n".join(body) + "\n",
                                                "utf-8")
    return directory


class raised_bounds:
    """The loader's and engine's bounds raised for the 100k ABI (restored on exit)."""

    def __enter__(self) -> None:
        self._saved = {key: getattr(*key) for key in RAISED}
        for (module, name), value in RAISED.items():
            setattr(module, name, value)

    def __exit__(self, *exc: object) -> None:
        for (module, name), value in self._saved.items():
            setattr(module, name, value)


# --- one measurement -----------------------------------------------------------------------------

def run_once(old_dir: Path, new_dir: Path) -> tuple[dict[str, float], int]:
    """Load, lay out, build codecs and diff both sides once: seconds per stage, and the findings."""
    spent = dict.fromkeys(STAGES, 0.0)
    check_all = engine.check_all

    def timed_check_all(abi: Abi) -> Any:
        t = time.perf_counter()
        try:
            return check_all(abi)
        finally:
            spent["lay out"] += time.perf_counter() - t

    engine.check_all = timed_check_all  # loading lays out inside; this separates the two
    try:
        with raised_bounds():
            t0 = time.perf_counter()
            old = loader.load_abi(old_dir, "old")
            new = loader.load_abi(new_dir, "new")
            spent["load"] = time.perf_counter() - t0 - spent["lay out"]
            t1 = time.perf_counter()
            for abi in (old, new):
                for arch in ARCHES:
                    fast_codec(engine.layout_of(abi, "scale_root", arch))
            spent["codecs"] = time.perf_counter() - t1
            t2 = time.perf_counter()
            report = diff_abis(old, new, "old", "new", POLICY)
            spent["diff"] = time.perf_counter() - t2
    finally:
        engine.check_all = check_all
    return spent, len(report.findings)


class Scale:
    """The synthetic ABIs of one run, written once, and the samples measured on them."""

    def __init__(self, tmp: Path, sizes: tuple[int, ...]) -> None:
        self.sizes = sizes
        self.dirs = {n: (write_abi(tmp / f"{n}/old", n, False), write_abi(tmp / f"{n}/new", n, True))
                     for n in sizes}
        self.samples: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
        self.findings: dict[int, int] = {}

    def measure(self, n: int) -> None:
        spent, found = run_once(*self.dirs[n])
        self.samples[n].append(spent)
        self.findings[n] = found

    def median(self, n: int, stage: str | None = None) -> float:
        runs = self.samples[n]
        if not runs:
            return float("nan")
        return statistics.median(sum(s.values()) if stage is None else s[stage] for s in runs)


def _label(n: int) -> str:
    return f"{n // 1000}k"


def rows(quick: bool, row_type: Any) -> list[Any]:
    """bench_perf's rows: per size the whole pipeline (one run per round), then per-field costs by stage.

    The per-field rows are computed from the pipeline's samples (they measure nothing themselves);
    each compares with the same stage one size down, so its ratio is the growth of the per-field cost.
    """
    Row = row_type  # bench_perf's Row, passed in (bench_perf runs as __main__; no import cycle)
    sizes = SIZES[:2] if quick else SIZES
    if quick:
        print("scale: the 100k-field rows are skipped under --quick")
    scale = Scale(Path(tempfile.mkdtemp(prefix="pvabi-scale-")), sizes)

    class PerField(Row):
        """A per-field cost derived from the pipeline rows' samples."""

        def __init__(self, what: str, n: int, stage: str | None, baseline: str) -> None:
            super().__init__(what, lambda: None, baseline, number=SLICES_FREE)
            self.n, self.stage = n, stage

        @property
        def median(self) -> float:
            return scale.median(self.n, self.stage) / self.n

    out: list[Any] = []
    for i, n in enumerate(sizes):
        below = f"scale {_label(sizes[i - 1])} fields: load+layout+codecs+diff" if i else ""
        target = (f"< {TARGET_10K} s", lambda m, b: m < TARGET_10K) if n == 10_000 else ("", None)
        out.append(Row(f"scale {_label(n)} fields: load+layout+codecs+diff", _measure(scale, n), below,
                       target[0], target[1], unit="ms"))
    for stage in (None, *STAGES):
        name = stage or "all stages"
        for i, n in enumerate(sizes):
            below = f"scale per field, {name}, {_label(sizes[i - 1])}" if i else ""
            out.append(PerField(f"scale per field, {name}, {_label(n)}", n, stage, below))
    return out


SLICES_FREE = 10  # a derived row's run does nothing: its calls per round cost nothing


def _measure(scale: Scale, n: int) -> Callable[[], object]:
    return lambda: scale.measure(n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="1k and 10k only")
    ap.add_argument("--sizes", type=int, nargs="*", help="field counts (multiples of 100)")
    args = ap.parse_args()
    sizes = tuple(args.sizes) if args.sizes else (SIZES[:2] if args.quick else SIZES)
    with tempfile.TemporaryDirectory() as tmp:
        scale = Scale(Path(tmp), sizes)
        for _ in range(args.rounds):
            for n in sizes:
                scale.measure(n)
    print(f"{'fields':>8} {'findings':>9} " + " ".join(f"{s:>9}" for s in (*STAGES, "total")) + "  per field")
    prev: int | None = None
    for n in sizes:
        per = scale.median(n) / n
        ratio = f"  {per / (scale.median(prev) / prev):.2f}x of {_label(prev)}" if prev else ""
        cells = " ".join(f"{scale.median(n, s) * 1e3:7.1f}ms" for s in (*STAGES, None))
        print(f"{n:>8} {scale.findings[n]:>9} {cells}  {per * 1e6:.1f} us{ratio}")
        prev = n


if __name__ == "__main__":
    main()
