"""Issue 14's figures in one run: codecs, image checks and command start-up, each against a baseline.

Run: python benchmarks/bench_perf.py [--rounds N] [--out FILE]

Every figure is a median over rounds that interleave all the measurements (round 1 of
everything, then round 2, ...; inside a round, the in-process rows take turns in slices of
their calls), so a machine that gets busier or quieter during the run moves each figure
and its baseline alike; each row prints its ratio to a baseline measured in the same run:

- codec rows: a ``struct`` codec of ``shared_info_page`` (and ``vcpu_info``) on x86_64
  written by hand below from the layout's field list (the issue's baseline; generating it
  from pvabi would measure pvabi against itself). It returns the same nested dicts and
  lists without typed values (flags as plain ints).
- check rows: images written under v1.3, decoded under v2.0 and compared with what v1.3
  wrote, against the same loop with the hand-written codec.
- command rows: the wall time of a ``pvabi`` process against ``python -c pass`` (and, for
  reference, ``import typer``: the floor any typer CLI starts from); each runs once unmeasured
  first, so the rows show a warm document cache, and the "cache off" rows the cold case.
- corpus rows (``bench_corpus.py``): ``pvabi check-images`` over a generated corpus of
  10,000 images (1,000 with ``--quick``) in images/s, ``--jobs 2`` against ``--jobs 1``, one
  process per round; the ``--jobs 1`` row's label holds tracemalloc's peak over one
  in-process check and the corpus's size on disk.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import construct  # noqa: E402
from bench_corpus import corpus_rows  # noqa: E402

from pvabi.abiroot import AbiRoot  # noqa: E402
from pvabi.codec import ConstructCodec  # noqa: E402
from pvabi.engine import Layout  # noqa: E402
from pvabi.fastcodec import FastCodec, fast_codec  # noqa: E402
from pvabi.project import Project  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402

# --- the hand-written baseline: x86_64, from the public header's field order -------------------
# struct vcpu_info (64 bytes): evtchn_upcall_pending u8, evtchn_upcall_mask u8, 6 bytes padding,
# evtchn_pending_sel xen_ulong_t; arch_vcpu_info { cr2 ulong, pad ulong[1] (reserved) };
# vcpu_time_info { version u32, pad0 u32 (reserved), tsc_timestamp u64, system_time u64,
# tsc_to_system_mul u32, tsc_shift s8, flags u8, pad1 u8[2] (reserved) }.
_VCPU = "BB6sQQ8sI4sQQIbB2s"
_VCPU_STRUCT = struct.Struct("<" + _VCPU)
# shared_info_page: shared_info { vcpu_info[32], evtchn_pending[64], evtchn_mask[64], wc_version,
# wc_sec, wc_nsec, wc_sec_hi (u32 each), arch_shared_info { six ulongs } }, then 960 reserved bytes.
_PAGE = struct.Struct("<" + _VCPU * 32 + "64Q64QIIIIQQQQQQ960s")
_ARCH_KEYS = ("max_pfn", "pfn_to_mfn_frame_list_list", "nmi_reason", "p2m_cr3", "p2m_vaddr", "p2m_generation")


_TAIL = struct.Struct("<64Q64QIIIIQQQQQQ960s")  # shared_info after vcpu_info[32], then the page's tail


def _vcpu(t: tuple[Any, ...]) -> dict[str, Any]:
    return {"evtchn_upcall_pending": t[0], "evtchn_upcall_mask": t[1], "_hole_2": t[2], "evtchn_pending_sel": t[3],
            "arch": {"cr2": t[4], "pad": t[5]},
            "time": {"version": t[6], "pad0": t[7], "tsc_timestamp": t[8], "system_time": t[9],
                     "tsc_to_system_mul": t[10], "tsc_shift": t[11], "flags": t[12], "pad1": t[13]}}


def hand_decode_vcpu(buf: bytes) -> dict[str, Any]:
    return _vcpu(_VCPU_STRUCT.unpack(buf))


def hand_decode_page(buf: bytes) -> dict[str, Any]:
    # As one would write it by hand: one struct per vcpu_info element, one for the rest.
    vcpus = [_vcpu(t) for t in _VCPU_STRUCT.iter_unpack(buf[:2048])]
    t = _TAIL.unpack_from(buf, 2048)
    return {"info": {"vcpu_info": vcpus, "evtchn_pending": list(t[0:64]), "evtchn_mask": list(t[64:128]),
                     "wc_version": t[128], "wc_sec": t[129], "wc_nsec": t[130], "wc_sec_hi": t[131],
                     "arch": dict(zip(_ARCH_KEYS, t[132:138], strict=True))},
            "unused": t[138]}


def _vcpu_args(v: dict[str, Any]) -> tuple[Any, ...]:
    a, tm = v["arch"], v["time"]
    return (v["evtchn_upcall_pending"], v["evtchn_upcall_mask"], v["_hole_2"], v["evtchn_pending_sel"], a["cr2"],
            a["pad"], tm["version"], tm["pad0"], tm["tsc_timestamp"], tm["system_time"], tm["tsc_to_system_mul"],
            tm["tsc_shift"], tm["flags"], tm["pad1"])


def hand_encode_page(v: dict[str, Any]) -> bytes:
    info = v["info"]
    args: list[Any] = []
    for vcpu in info["vcpu_info"]:
        args += _vcpu_args(vcpu)
    args += info["evtchn_pending"]
    args += info["evtchn_mask"]
    args += (info["wc_version"], info["wc_sec"], info["wc_nsec"], info["wc_sec_hi"])
    args += [info["arch"][k] for k in _ARCH_KEYS]
    args.append(v["unused"])
    return _PAGE.pack(*args)


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    run: Callable[[], object]
    baseline: str  # the name of the row it is compared with ("" for a baseline itself)
    target: str = ""
    limit: Callable[[float, float], bool] | None = None  # (median, baseline median) -> met?
    unit: str = "us"  # "us" per call, "ms" per process, or "/s" (calls, or per_call items, per second)
    number: int = 1  # calls per sample
    samples: list[float] | None = None
    per_call: int = 1  # items one call handles: a "/s" figure counts items (a corpus check: images/s)
    once: bool = False  # one call per round, as a process row (a call that checks a whole corpus)
    repeat: int = 1  # a process row: this many single runs per round, taking turns with the other process rows

    def timed(self, calls: int) -> float:
        t0 = time.perf_counter()
        for _ in range(calls):
            self.run()
        return time.perf_counter() - t0

    @property
    def median(self) -> float:
        return statistics.median(self.samples or [float("nan")])


def _process(args: list[str], env: dict[str, str] | None = None) -> Callable[[], object]:
    # A user's installation has compiled modules; without them each process would compile pvabi again.
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | (env or {})

    def run() -> object:
        return subprocess.run(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                              env=environment)
    run()  # once unmeasured: .pyc files and the document cache are what a second run finds
    return run


def _editable() -> bool:
    """Whether pvabi runs from an editable install, whose import hook adds to every start-up."""
    import pvabi

    return "site-packages" not in str(Path(pvabi.__file__).resolve())


def _pvabi() -> list[str]:
    script = Path(sys.executable).parent / "pvabi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pvabi"]


def rows(image_dir: Path, quick: bool) -> list[Row]:
    project = Project(AbiRoot(REPO / "abi"))
    page = project.layout("shared_info_page", arch="x86_64")
    vcpu = project.layout("vcpu_info", arch="x86_64")
    rng = random.Random(14)
    page_image = bytes(rng.getrandbits(8) for _ in range(page.size))
    vcpu_image = page_image[:vcpu.size]

    fast_page, fast_vcpu = FastCodec(page), FastCodec(vcpu)
    compiled_page, interpreted_page = ConstructCodec(page), ConstructCodec(page, compiled=False)
    compiled_vcpu = ConstructCodec(vcpu)
    values = fast_page.decode(page_image)
    hand_values = hand_decode_page(page_image)
    # The baseline is only a baseline if it reads the same thing: same values, same bytes back.
    assert hand_values == values == compiled_page.parse(page_image)
    assert hand_encode_page(hand_values) == page_image == fast_page.encode(values) == compiled_page.build(values)
    assert hand_decode_vcpu(vcpu_image) == fast_vcpu.decode(vcpu_image)

    old, new = _check_codecs(project)
    images = [old[0].encode(old[0].decode(bytes(rng.getrandbits(8) for _ in range(page.size))))
              for _ in range(16)]
    checks = _check_loops(old, new, images)
    checks.update(_checker_loops(old[0].layout, new[0].layout, images))

    n = 20 if quick else 200
    image_file = image_dir / "vcpu_info.bin"
    image_file.write_bytes(vcpu_image)
    pv = _pvabi()
    out = [
        Row("decode page: hand-written struct", lambda: hand_decode_page(page_image), "", number=n),
        Row("decode page: pvabi fast path", lambda: fast_page.decode(page_image), "decode page: hand-written struct",
            "<= 1.3x", lambda m, b: m <= 1.3 * b, number=n),
        Row("decode page: construct compiled", lambda: compiled_page.parse(page_image),
            "decode page: hand-written struct", number=max(1, n // 20)),
        Row("decode page: construct interpreted", lambda: interpreted_page.parse(page_image),
            "decode page: hand-written struct", number=max(1, n // 50)),
        Row("encode page: hand-written struct", lambda: hand_encode_page(hand_values), "", number=n),
        Row("encode page: pvabi fast path", lambda: fast_page.encode(values), "encode page: hand-written struct",
            "<= 1.3x", lambda m, b: m <= 1.3 * b, number=n),
        Row("encode page: construct compiled", lambda: compiled_page.build(values),
            "encode page: hand-written struct", number=max(1, n // 20)),
        Row("encode page: construct interpreted", lambda: interpreted_page.build(values),
            "encode page: hand-written struct", number=max(1, n // 50)),
        Row("decode vcpu_info: hand-written struct", lambda: hand_decode_vcpu(vcpu_image), "", number=n * 20),
        Row("decode vcpu_info: pvabi fast path", lambda: fast_vcpu.decode(vcpu_image),
            "decode vcpu_info: hand-written struct", "<= 1.5x", lambda m, b: m <= 1.5 * b, number=n * 20),
        Row("decode vcpu_info: fast path, codec looked up per call", lambda: fast_codec(vcpu).decode(vcpu_image),
            "decode vcpu_info: hand-written struct", "<= 1.5x", lambda m, b: m <= 1.5 * b, number=n * 20),
        Row("decode vcpu_info: construct compiled", lambda: compiled_vcpu.parse(vcpu_image),
            "decode vcpu_info: hand-written struct", number=n),
        Row("decode vcpu_info: construct, codec built per call", lambda: ConstructCodec(vcpu).parse(vcpu_image),
            "decode vcpu_info: hand-written struct", number=n),
        Row("check v1.3 -> v2.0 page: hand-written struct", checks["hand"], "", unit="/s", number=n),
        Row("check v1.3 -> v2.0 page: pvabi fast path (flat ==)", checks["fast"],
            "check v1.3 -> v2.0 page: hand-written struct", ">= 10,000/s", lambda m, b: 1 / m >= 10_000,
            unit="/s", number=n),
        Row("check v1.3 -> v2.0 page: pvabi checker's compare (plan, flat ==)", checks["checker"],
            "check v1.3 -> v2.0 page: hand-written struct", unit="/s", number=n),
        Row("check v1.3 -> v2.0 page: pvabi checker, image decoded to slots", checks["checker_decode"],
            "check v1.3 -> v2.0 page: hand-written struct", unit="/s", number=max(1, n // 20)),
        Row("check v1.3 -> v2.0 page: construct", checks["construct"], "check v1.3 -> v2.0 page: hand-written struct",
            unit="/s", number=max(1, n // 20)),
        Row("python -c pass", _process([sys.executable, "-c", "pass"]), "", unit="ms", repeat=PROCESS_REPEATS),
        Row("python -c 'import typer' (the CLI library alone)", _process([sys.executable, "-c", "import typer"]),
            "python -c pass", unit="ms", repeat=PROCESS_REPEATS),
        Row("pvabi --help", _process([*pv, "--help"]), "python -c pass", "<= +80 ms",
            lambda m, b: m - b <= 0.080, unit="ms", repeat=PROCESS_REPEATS),
        Row("pvabi validate", _process([*pv, "validate"]), "python -c pass", "<= +150 ms",
            lambda m, b: m - b <= 0.150, unit="ms", repeat=PROCESS_REPEATS),
        Row("pvabi validate, document cache off", _process([*pv, "validate"], {"PVABI_CACHE_DIR": "off"}),
            "python -c pass", unit="ms", repeat=PROCESS_REPEATS),
        Row("pvabi show shared_info_page", _process([*pv, "show", "shared_info_page", "--arch", "x86_64"]),
            "python -c pass", "<= +150 ms", lambda m, b: m - b <= 0.150, unit="ms", repeat=PROCESS_REPEATS),
        Row("pvabi decode vcpu_info", _process([*pv, "decode", "vcpu_info", str(image_file), "--arch", "x86_64"]),
            "python -c pass", "<= +150 ms", lambda m, b: m - b <= 0.150, unit="ms", repeat=PROCESS_REPEATS),
        Row("pvabi diff v1.0 v2.0 --transitive", _process([*pv, "diff", "v1.0", "v2.0", "--transitive"]),
            "python -c pass", "< 0.3 s", lambda m, b: m < 0.3, unit="ms", repeat=PROCESS_REPEATS),
        Row("pvabi diff v1.0 v2.0 --transitive, cache off",
            _process([*pv, "diff", "v1.0", "v2.0", "--transitive"], {"PVABI_CACHE_DIR": "off"}),
            "python -c pass", unit="ms", repeat=PROCESS_REPEATS),
        Row("pvabi check (the whole gate)", _process([*pv, "check"]), "python -c pass", "< 1 s",
            lambda m, b: m < 1.0, unit="ms", repeat=PROCESS_REPEATS),
    ]
    out += corpus_rows(Row, image_dir, quick)  # a generated corpus checked with --jobs 1 and 2 (bench_corpus.py)
    out += scale.rows(quick, Row)  # issue 14's Scale rows: synthetic 1k/10k/100k-field ABIs (benchmarks/scale.py)
    return out


def _check_codecs(project: Project) -> tuple[tuple[FastCodec, ConstructCodec], tuple[FastCodec, ConstructCodec]]:
    def pair(version: str) -> tuple[FastCodec, ConstructCodec]:
        layout: Layout = project.layout("shared_info_page", version, "x86_64")
        return FastCodec(layout), ConstructCodec(layout)
    return pair("v1.3"), pair("v2.0")


def _check_loops(old: tuple[FastCodec, ConstructCodec], new: tuple[FastCodec, ConstructCodec],
                 images: list[bytes]) -> dict[str, Callable[[], object]]:
    """One check = one image written under v1.3, read under v2.0, compared with what v1.3 wrote."""
    (old_fast, old_ref), (new_fast, new_ref) = old, new
    # The page did not change on x86_64 between v1.3 and v2.0: same leaves, so the flat tuples line up.
    assert old_fast.paths == new_fast.paths
    state = {"i": 0}

    def next_image() -> bytes:
        state["i"] = (state["i"] + 1) % len(images)
        return images[state["i"]]

    def hand() -> bool:
        image = next_image()
        return _PAGE.unpack(image) == _PAGE.unpack(image)

    def fast() -> bool:
        image = next_image()
        same = old_fast.flat(image) == new_fast.flat(image)
        assert same
        return same

    def ref() -> bool:
        image = next_image()
        return old_ref.parse(image) == new_ref.parse(image)

    return {"hand": hand, "fast": fast, "construct": ref}


def _checker_loops(old: Layout, new: Layout, images: list[bytes]) -> dict[str, Callable[[], object]]:
    """The image checker's own inner compare (``imagecompare.Plan.mismatched``) on images decoded once, and
    the whole per-image cost of ``checker.compare``'s inputs (both decodes into slots) plus the compare."""
    from pvabi.imagecompare import plan
    from pvabi.imagedecode import decode

    decoded = [(decode(old, image), decode(new, image)) for image in images]
    p = plan(decoded[0][0], decoded[0][1], "host", "guest")
    assert p.pick_written is not None and p.shared  # the flat path is the one measured
    state = {"i": 0}

    def checker() -> bool:
        state["i"] = (state["i"] + 1) % len(decoded)
        written, read = decoded[state["i"]]
        return not p.mismatched(written, read)

    def checker_decode() -> bool:
        state["i"] = (state["i"] + 1) % len(images)
        image = images[state["i"]]
        written, read = decode(old, image), decode(new, image)
        return not plan(written, read, "host", "guest").mismatched(written, read)

    assert checker() and checker_decode()
    return {"checker": checker, "checker_decode": checker_decode}


PROCESS_REPEATS = 5  # single runs of each process row per round (see measure_round)
SLICES = 10  # a round of in-process rows is cut into slices that take turns, so load hits all alike


def measure_round(all_rows: list[Row]) -> None:
    """One sample of every row: processes once each; in-process rows in interleaved slices of their calls.

    Process rows (``repeat``) give ``repeat`` samples a round, each run taking its turn with the other
    process rows: a process's start-up varies by tens of milliseconds from one run to the next here, so
    their medians need more samples than the rounds give.
    """
    processes = [r for r in all_rows if r.repeat > 1]
    for _ in range(max((r.repeat for r in processes), default=0)):
        for r in processes:
            r.samples = [*(r.samples or []), r.timed(1)]
    rest = [r for r in all_rows if r.repeat == 1]
    spent = dict.fromkeys(range(len(rest)), 0.0)
    calls = dict.fromkeys(range(len(rest)), 0)
    for turn in range(SLICES):
        for i, r in enumerate(rest):
            if r.unit == "ms" or r.once:
                if turn == 0:
                    spent[i] += r.timed(1)
                    calls[i] += 1
                continue
            n = max(1, r.number // SLICES)
            spent[i] += r.timed(n)
            calls[i] += n
    for i, r in enumerate(rest):
        r.samples = [*(r.samples or []), spent[i] / calls[i]]


def _fmt(row: Row, value: float) -> str:
    if row.unit == "/s":
        return f"{row.per_call / value:,.0f}/s"
    if row.unit == "ms":
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.2f} us"


def table(all_rows: list[Row]) -> list[str]:
    by_name = {r.what: r for r in all_rows}
    head = f"{'what':<56} {'median':>12} {'baseline':>12} {'ratio':>9}  {'target':<12} met"
    lines = [head, "-" * len(head)]
    for r in all_rows:
        base = by_name.get(r.baseline)
        if base is None:
            lines.append(f"{r.what:<56} {_fmt(r, r.median):>12} {'(baseline)':>12}")
            continue
        # processes: what pvabi adds to an interpreter's start; everything else: a multiple
        ratio = f"+{(r.median - base.median) * 1e3:.0f} ms" if r.unit == "ms" else f"{r.median / base.median:.2f}x"
        met = "" if r.limit is None else ("yes" if r.limit(r.median, base.median) else "NO")
        lines.append(f"{r.what:<56} {_fmt(r, r.median):>12} {_fmt(base, base.median):>12} {ratio:>9}  "
                     f"{r.target:<12} {met}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9, help="interleaved rounds; each figure is their median")
    ap.add_argument("--quick", action="store_true", help="fewer calls per sample (a smoke run)")
    ap.add_argument("--out", type=Path, help="also write the result table to this file")
    ap.add_argument("--note", default="", help="a line for the header (what else the machine was doing)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        all_rows = rows(Path(tmp), args.quick)
        for _ in range(args.rounds):
            measure_round(all_rows)
    load1, load5, _ = os.getloadavg()
    header = [
        f"pvabi benchmarks/bench_perf.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"host {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"construct {'.'.join(map(str, construct.version))}",
        f"medians of {args.rounds} interleaved rounds; load average at the end {load1:.2f} (5 min {load5:.2f})",
        f"pvabi installed {'editable (its import hook adds a few ms to each process)' if _editable() else 'normally'}; "
        "processes run once unmeasured first, then with a warm document cache unless a row says off",
        *([f"note: {args.note}"] if args.note else []),
    ]
    text = "\n".join([*header, "", *table(all_rows)]) + "\n"
    print(text, end="")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, "utf-8")


if __name__ == "__main__":
    main()
