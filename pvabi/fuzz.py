"""Generated images: what a fixed corpus misses, found by writing many legal images and reading them back.

For every layout two versions share, on every architecture both lay it out
for, and for each party, ``count`` images of the writer's version are made by
the generator ``pvabi diff``'s witness search uses (``witness.write_image``:
constants in place, reserved-zero bytes zero, enum fields holding declared
values, flag fields only declared bits, varied by a seed). Bytes the party does
not write hold the memory's initial content: zero where the writer's layout
declares ``memory: {initial: zero}`` (constants excepted), and otherwise what
the generator left. Each image is read under the other version by the
checker's own comparison (``checker.compare``), and the first image that fails
for each rule and field is shrunk to a minimal one.

Everything follows from the seed: image ``i`` of a task uses a seed derived
from (seed, layout, architecture, party, i), tasks are independent, and their
results are merged in task order, so ``--jobs`` changes the speed and nothing
else. Shrinking is a deterministic greedy search (zero every other field at
once, else one field at a time), which needs no property-testing library.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path

from . import arch as archmod
from .abiroot import AbiRoot
from .checker import SELF, Comparison, compare, direction, load_version
from .engine import Layout, Resolver
from .errors import InputError, PvabiError
from .findings import Finding
from .imagedecode import VALUE, decode, written_by
from .images import Image
from .model import Abi
from .versions import VersionIndex
from .witness import write_image
from .workers import check_jobs, in_order

DEFAULT_COUNT = 50
MAX_COUNT = 100_000
PARTIES = ("host", "guest")


@dataclass(frozen=True)
class Task:
    layout: str
    arch: str
    party: str


@dataclass(frozen=True)
class Shrunk:
    """A failing image after shrinking: plain data, so a worker process can hand it back."""

    rule: str
    path: str
    data: bytes


@dataclass(frozen=True)
class TaskResult:
    task: Task
    images: int
    shrunk: tuple[Shrunk, ...]  # one per (rule, field) found
    failures: tuple[Comparison, ...] = ()  # the shrunk images read again, in the calling process


@dataclass(frozen=True)
class FuzzResult:
    old: str
    new: str
    seed: int
    count: int
    results: tuple[TaskResult, ...]

    @property
    def images(self) -> int:
        return sum(r.images for r in self.results)

    @property
    def failures(self) -> list[Comparison]:
        return [c for r in self.results for c in r.failures]

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


def tasks(old: Abi, new: Abi) -> list[Task]:
    """Every (layout, architecture, party) both versions lay out, in a fixed order."""
    out: list[Task] = []
    for rec in sorted(old.records(), key=lambda r: r.name):
        other = new.record(rec.name)
        if other is None:
            continue
        for a in archmod.ARCHES:
            if rec.exists_on(a) and other.exists_on(a):
                out.extend(Task(rec.name, a, p) for p in PARTIES)
    return out


def image_seed(seed: int, task: Task, i: int) -> int:
    digest = hashlib.sha256(f"{seed}:{task.layout}:{task.arch}:{task.party}:{i}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def generate(layout: Layout, party: str, seed: int) -> bytes:
    """A legal image of ``layout`` as ``party`` leaves it (see the module doc)."""
    # write_image treats a bitfield as its whole storage unit from the bitfield's first byte, which can run past
    # the layout's end; what lies past it is no part of the image.
    image = bytearray(write_image(layout, layout.size, seed)[:layout.size])
    if not layout.definition.zero_filled:
        return bytes(image)
    keep = bytearray(layout.size)
    for s in decode(layout, bytes(image)).slots.values():
        if written_by(s, party) or (s.kind == VALUE and s.member.field.const is not None):
            keep[s.offset:s.end] = b"\x01" * s.size
    return bytes(b if k else 0 for b, k in zip(image, keep, strict=True))


def _image(task: Task, old_name: str, i: int) -> Image:
    name = f"fuzz-{task.layout}-{task.arch}-{task.party}-{i}"
    return Image(name, Path(name), name, task.layout, old_name, task.arch, task.party, 0, "", {}, {})


def _read(old: Layout, new: Layout, img: Image, data: bytes, new_name: str, d: str) -> Comparison:
    reader_data = data[:new.size].ljust(new.size, b"\0")
    return compare(img, decode(old, data), decode(new, reader_data), new_name, d)


def run_task(old: Abi, new: Abi, task: Task, count: int, seed: int, names: tuple[str, str],
             d: str) -> TaskResult:
    """``count`` images of one task; the first failure for each (rule, path), shrunk."""
    try:
        writer = Resolver(old, task.arch).layout(task.layout)
        reader = Resolver(new, task.arch).layout(task.layout)
    except PvabiError:
        return TaskResult(task, 0, ())  # a layout that does not lay out is validate's business, not fuzz's
    found: dict[tuple[str, str], Shrunk] = {}
    for i in range(count):
        img = _image(task, names[0], i)
        data = generate(writer, task.party, image_seed(seed, task, i))
        c = _read(writer, reader, img, data, names[1], d)
        for f in c.findings:
            key = (f.rule, field_of(f.path))  # one report per field: its elements fail together
            if key not in found:
                found[key] = Shrunk(f.rule, f.path, shrink(writer, reader, img, data, f, names[1], d))
    return TaskResult(task, count, tuple(found[k] for k in sorted(found)))


def reread(old: Abi, new: Abi, result: TaskResult, names: tuple[str, str], d: str) -> TaskResult:
    """The shrunk images read again, for their findings (values that carry their enum and flags types)."""
    if not result.shrunk:
        return result
    t = result.task
    writer, reader = Resolver(old, t.arch).layout(t.layout), Resolver(new, t.arch).layout(t.layout)
    out = []
    for s in result.shrunk:
        img = _image(t, names[0], 0)
        img = replace(img, name=f"fuzz-{t.layout}-{t.arch}-{t.party}-shrunk")
        c = _read(writer, reader, img, s.data, names[1], d)
        out.append(replace(c, findings=tuple(f for f in c.findings if (f.rule, f.path) == (s.rule, s.path))))
    return replace(result, failures=tuple(out))


def field_of(path: str) -> str:
    """``info.vcpu_info[3].time.version`` -> ``info.vcpu_info[].time.version``."""
    return re.sub(r"\[[0-9]+\]", "[]", path)


def _fails(c: Comparison, target: Finding) -> bool:
    return any((f.rule, f.path) == (target.rule, target.path) for f in c.findings)


def _legal(layout: Layout, img: Image, data: bytes) -> bool:
    """Still an image its writer may produce: constants, reserved zeros and known values hold."""
    return not compare(img, decode(layout, data), decode(layout, data), img.version, SELF).findings and \
        not decode(layout, data).consts


def shrink(writer: Layout, reader: Layout, img: Image, data: bytes, target: Finding, new_name: str,
           d: str) -> bytes:
    """The failing image with as many other fields zeroed as keep it legal and failing the same way."""
    slots = [s for s in decode(writer, data).slots.values()
             if s.member.field.const is None and s.path != target.path and any(data[s.offset:s.end])]
    keep = {target.path}

    def zeroed(current: bytes, which: list[str]) -> bytes:
        out = bytearray(current)
        for s in slots:
            if s.path in which and s.path not in keep:
                out[s.offset:s.end] = bytes(s.size)
        return bytes(out)

    def still_fails(candidate: bytes) -> bool:
        return _legal(writer, img, candidate) and _fails(_read(writer, reader, img, candidate, new_name, d), target)

    everything = zeroed(data, [s.path for s in slots])
    if still_fails(everything):
        data = everything
    else:
        for s in slots:
            candidate = zeroed(data, [s.path])
            if candidate != data and still_fails(candidate):
                data = candidate
    # Then padding and the bits no field holds: whatever the writer left there, zero if that still fails.
    fields = bytearray(len(data))
    for s in decode(writer, data).slots.values():
        if s.kind == VALUE:
            fields[s.offset:s.end] = b"\x01" * s.size
    bare = bytes(b if k else 0 for b, k in zip(data, fields, strict=True))
    if bare != data and still_fails(bare):
        data = bare
    return data


# --- versions of an ABI root, spread over processes ---------------------------------------------------------

_WORKER: dict[str, object] = {}


def _worker_init(root: str, old: str, new: str) -> None:
    from .abiroot import find_root

    r = find_root(root)
    _WORKER.update(old=load_version(r, old), new=load_version(r, new))


def _worker_run(args: tuple[Task, int, int, tuple[str, str], str]) -> TaskResult:
    task, count, seed, names, d = args
    old, new = _WORKER["old"], _WORKER["new"]
    assert isinstance(old, Abi) and isinstance(new, Abi)
    return run_task(old, new, task, count, seed, names, d)


def fuzz(root: AbiRoot, old: str, new: str, count: int = DEFAULT_COUNT, seed: int = 0, jobs: int = 1,
         layouts: tuple[str, ...] | None = None) -> FuzzResult:
    """Images of version ``old`` read under ``new``; see the module doc."""
    if not 1 <= count <= MAX_COUNT:
        raise InputError(f"--count must be 1..{MAX_COUNT}, not {count}")
    check_jobs(jobs)
    index = VersionIndex.read(root)
    names = tuple(index.resolve(v).name if v != "working" else v for v in (old, new))
    order = [v.name for v in index.versions] + ["working"]
    old_abi, new_abi = load_version(root, names[0]), load_version(root, names[1])
    todo = tasks(old_abi, new_abi)
    if layouts:
        unknown = sorted(set(layouts) - {t.layout for t in todo})
        if unknown:
            raise InputError(f"no layout {unknown[0]!r} in both {names[0]} and {names[1]}")
        todo = [t for t in todo if t.layout in layouts]
    w, r = order.index(names[0]), order.index(names[1])
    jobs_args = [(t, count, seed, (names[0], names[1]), direction(t.party, w, r)) for t in todo]
    if jobs == 1:
        results = [run_task(old_abi, new_abi, *a) for a in jobs_args]
    else:
        results = list(in_order(_worker_run, jobs_args, jobs, _worker_init, (str(root.path), names[0], names[1])))
    results = [reread(old_abi, new_abi, res, a[3], a[4]) for res, a in zip(results, jobs_args, strict=True)]
    return FuzzResult(names[0], names[1], seed, count, tuple(results))
