"""The image checker: images real writers produced must still read correctly under other versions' layouts.

For each image of the corpus (pvabi/images.py), written by one party under
version Vi, and each version Vj the mode requires, the image is decoded with
Vi's layout (what the writer meant) and with Vj's (what the reader sees), and
compared slot by slot (pvabi/imagedecode.py):

- a field both versions have must decode to the same value;
- a field only Vj has must hold its absent value (non-zero content, when no
  absent value is known);
- Vj's constants must hold; enum values must be ones Vj names; flag bits must
  be ones either version names, where Vj reserves the rest;

each for the fields the reading party (the party that did not write the
image) reads: a field it does not interpret cannot be misread. Under its own
version the image must keep every promise of its writer's layout, reserved-zero
bytes zero included.

The direction follows the writer, as ``pvabi diff``'s does (findings.DIRECTIONS):
a host-written image of Vi is read by an older guest (backward: old guest, new
host) or a newer one (forward); a guest-written image of Vi is read by a newer
host (backward) or an older one (forward). Every image is also read under its
own version, where its sidecar's expected values must hold.

Failures are ``findings.Finding`` values with rule IDs from ``imagerules``;
bad input (an unreadable, truncated or oversized image, a sidecar that does
not match its image's hash, an unknown version, a constant wrong under the
image's own version) is an ``InputError``, all of them raised together. An
image whose bytes no longer hold the values its sidecar records is a finding
of its reading under its own version.

Which fields a reading compares is worked out once per pair of layouts
(``imagecompare``); ``images_report`` turns a result into the ``report.Report``
every output format renders (``imagereport``).

The corpus is read one image at a time, so its size costs time, not memory:
the sidecars are listed unread (``images.sidecar_paths``), and an image's bytes
and decodes are dropped once it is checked. ``jobs`` processes (``workers``)
share the images; each loads the ABI once, gets an image as its sidecar's path
and hands back its readings, which are merged in the corpus's order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .abiroot import WORKING, AbiRoot
from .engine import Layout, Resolver, resolver_for
from .errors import InputError, InputErrors, PvabiError
from .findings import BREAKING, COMPATIBLE, MODES, Finding, Witness, severities
from .imagecompare import plan, reads
from .imagedecode import RESERVED_ZERO, VALUE, Decoded, Slot, decode, json_value
from .images import Image, image_bytes, layout_bytes, read_sidecar, sidecar_paths
from .model import Abi
from .project import Project
from .values import EnumValue, FlagsValue
from .versions import VersionIndex
from .workers import check_jobs, chunk_size, in_order

if TYPE_CHECKING:
    from .config import Config
    from .report import Report

SELF = "self"  # an image read under the version it was written with


@dataclass(frozen=True)
class Comparison:
    """One image read under one version."""

    image: Image
    read_under: str
    direction: str  # backward, forward or SELF
    compared: int = 0  # shared fields whose values were compared
    new_fields: int = 0  # fields only the reader's version has
    unchecked: int = 0  # of those, fields with no known absent value
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    mode: str
    transitive: bool
    against: str | None
    images: tuple[Image, ...]  # as their sidecars name them, without the expected values (checked, not kept)
    comparisons: tuple[Comparison, ...] = field(default=())
    versions: tuple[str, ...] = ()  # every version in order, working last: how reports order readings

    @property
    def findings(self) -> list[Finding]:
        return [f for c in self.comparisons for f in c.findings]

    @property
    def exit_code(self) -> int:
        return 1 if self.findings else 0


def reader_of(writer: str) -> str:
    return "guest" if writer == "host" else "host"


def direction(writer: str, written: int, read: int) -> str:
    """Which compatibility direction reading a ``writer`` image of version index ``written`` under ``read`` tests."""
    if written == read:
        return SELF
    newer_reader = read > written
    # backward: old guests on a new host. A host image read by an older guest, or a guest image by a newer host.
    return "backward" if newer_reader == (writer == "guest") else "forward"


def targets(writer: str, written: int, count: int, mode: str, transitive: bool,
            against: int | None) -> list[tuple[int, str]]:
    """The versions (indexes into the ordered version list) an image is read under, with the direction."""
    out: list[tuple[int, str]] = []
    for d in MODES[mode]:
        older = (writer == "host") == (d == "backward")
        side = list(range(written - 1, -1, -1)) if older else list(range(written + 1, count))
        if against is not None:
            side = [against] if against in side else []
        elif not transitive:
            side = side[:1]
        out.extend((j, d) for j in side)
    return sorted(out)


def load_version(root: AbiRoot | Project, version: str) -> Abi:
    """One version of the ABI: the one place the checker, fuzz and images add load versions (a ``Project``
    loads each version once)."""
    return Project.of(root).load(version)


def find_layout(root: AbiRoot, name: str, version: str, arch: str) -> tuple[str, Layout]:
    """A layout as a user names it (a version such as ``v1``, an architecture alias such as ``i386``), with the
    version's full name; the one place ``images add`` resolves one (``Project.layout`` on main)."""
    from . import arch as archmod

    full = VersionIndex.read(root).resolve(version).name if version != WORKING else WORKING
    abi = load_version(root, full)
    rec = abi.record(name)
    if rec is None:
        known = ", ".join(sorted(r.name for r in abi.records()))
        raise InputError(f"no layout named {name!r} in {full} (layouts: {known})")
    try:
        canonical = archmod.canonical(arch)
    except KeyError:
        raise InputError(f"unknown architecture {arch!r} (known: {', '.join(archmod.ARCHES)})") from None
    if not rec.exists_on(canonical):
        raise InputError(f"layout {name!r} does not exist on {canonical}", rec.loc.file, rec.loc.line, name)
    return full, Resolver(abi, canonical).layout(name)


class _Versions:
    """Each version's ABI and layouts, loaded once (frozen ones hash-verified by ``Project.load``)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.names = [v.name for v in VersionIndex.read(project.root).versions] + [WORKING]
        self._abis: dict[str, Abi] = {}
        self._resolvers: dict[tuple[str, str], Resolver] = {}

    def index(self, name: str) -> int:
        if name not in self.names:
            raise InputError(f"unknown version {name!r} (known: {', '.join(self.names)})")
        return self.names.index(name)

    def layout(self, version: str, name: str, arch: str) -> Layout | None:
        """The layout under ``version``, or None when that version has no such layout on ``arch``."""
        abi = self._abis.get(version)
        if abi is None:
            abi = self._abis[version] = load_version(self.project, version)
        rec = abi.record(name)
        if rec is None or not rec.exists_on(arch):
            return None
        r = self._resolvers.get((version, arch))
        if r is None:
            r = self._resolvers[(version, arch)] = resolver_for(abi, arch)  # the loader's layouts, shared
        return r.layout(name)


def check_images(root: AbiRoot | Project, against: str | None = None, mode: str = "backward",
                 transitive: bool = False, images: Iterable[Image] | None = None, jobs: int = 1) -> CheckResult:
    """Read every image (default: the whole corpus) under the versions ``mode`` requires; see the module doc.

    One image at a time: its bytes and decoded values are dropped once it is checked, and what the result
    keeps of it is the image as its sidecar names it (without the expected values the check has used) and
    its readings with their findings. ``jobs`` processes share the images (``workers``), each loading the
    ABI once; the result is the same for every ``jobs``.
    """
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")
    check_jobs(jobs)
    project = Project.of(root)  # a caller's project shares its loads (pvabi check has loaded every version)
    root = project.root
    versions = _Versions(project)
    against_at = None
    if against is not None:
        against = VersionIndex.read(root).resolve(against).name if against != WORKING else WORKING
        against_at = versions.index(against)
    here = _Run(versions, mode, transitive, against_at)
    items: Iterable[Path | Image] = sidecar_paths(root) if images is None else images
    checked: Iterable[tuple[Path | Image, _Checked]]
    if jobs > 1:
        listed = list(items)  # paths (or the caller's images): sent to the workers, and kept to read again here
        items, jobs = listed, min(jobs, len(listed))  # no process started without an image to read
    if jobs <= 1:
        checked = here.each(items)
    else:
        checked = zip(listed, in_order(_worker_check, listed, jobs, _worker_init, (root, mode, transitive, against_at),
                                       chunk_size(len(listed), jobs)), strict=True)
    kept: list[Image] = []
    comparisons: list[Comparison] = []
    problems: list[InputError] = []
    refused: PvabiError | None = None
    for item, c in checked:
        if c.unreadable is not None:
            raise c.unreadable  # as listing the corpus did: the first sidecar that does not read, alone
        problems.extend(c.problems)
        if refused is None:
            refused = c.refused
        if problems or refused is not None:
            continue  # bad input: nothing is reported but the error, so nothing more is kept
        if c.failed:  # a worker's failing reading: read again here, for findings whose values carry their types
            c = here.check(item)
        assert c.image is not None
        kept.append(c.image)
        comparisons.extend(c.comparisons)
    # Every image's own problems together, before what a reader's version refuses (which needs sound images)
    if problems:
        raise InputErrors(problems)
    if refused is not None:
        raise refused
    return CheckResult(mode, transitive, against, tuple(kept), tuple(comparisons), tuple(versions.names))


def images_report(result: CheckResult, config: Config | None = None) -> Report:
    """The result as a ``report.Report`` (``imagereport``): what ``check-images`` renders in every format."""
    from .imagereport import images_report as build

    return build(result, config)


@dataclass(frozen=True)
class _Checked:
    """One image checked: its readings, or why it could not be read. Plain data: a worker hands it back."""

    image: Image | None = None  # without its expected values; None when its sidecar does not read
    comparisons: tuple[Comparison, ...] = ()
    unreadable: InputError | None = None  # the sidecar does not read
    problems: tuple[InputError, ...] = ()  # the image is bad input under its own version
    refused: PvabiError | None = None  # a reader's version does not load, or does not decode the image
    failed: bool = False  # some reading has findings, left out (a worker's result; see ``_worker_check``)


class _Run:
    """What checking one image needs, set up once per process: the versions (loaded on first use) and the mode."""

    def __init__(self, versions: _Versions, mode: str, transitive: bool, against_at: int | None) -> None:
        self.versions = versions
        self.mode, self.transitive, self.against_at = mode, transitive, against_at

    def each(self, items: Iterable[Path | Image]) -> Iterator[tuple[Path | Image, _Checked]]:
        """Every item checked, in order; after bad input, only what can still be wrong with the rest."""
        bad = False
        for item in items:
            c = self.check(item, readers=not bad)
            bad = bad or bool(c.problems) or c.refused is not None
            yield item, c

    def check(self, item: Path | Image, readers: bool = True) -> _Checked:
        versions = self.versions
        try:
            img = read_sidecar(versions.project.root, item) if isinstance(item, Path) else item
        except InputError as e:
            return _Checked(unreadable=e)
        try:
            at, data, own = _prepare(img, versions)
        except InputErrors as e:
            return _Checked(problems=tuple(e.errors))
        except InputError as e:
            return _Checked(problems=(e if e.file else InputError(e.message, img.sidecar, e.line, e.field),))
        kept = replace(img, expected={})  # what a report names; the expected values are checked right here
        values = sum(1 for s in own.slots.values() if s.kind == VALUE)
        out = [Comparison(kept, img.version, SELF, values, 0, 0, _self_findings(img, own))]
        readings = targets(img.writer, at, len(versions.names), self.mode, self.transitive, self.against_at)
        for j, d in readings if readers else ():
            under = versions.names[j]
            try:
                reader = versions.layout(under, img.layout, img.arch)
                read = None if reader is None else _read_under(reader, under, img, data)
            except PvabiError as e:  # a reader's version that does not load, or does not decode the image
                return _Checked(kept, tuple(out), refused=e)
            if read is not None:
                out.append(compare(kept, own, read, under, d))
        return _Checked(kept, tuple(out))


# --- the same, in a worker process (--jobs) -----------------------------------------------------------------

_WORKER: list[_Run] = []


def _worker_init(root: AbiRoot, mode: str, transitive: bool, against_at: int | None) -> None:
    _WORKER.append(_Run(_Versions(Project(root)), mode, transitive, against_at))


def _worker_check(item: Path | Image) -> _Checked:
    """One image, checked in a worker: its readings without their findings, which hold typed values (enums,
    flags) that do not cross processes; the caller reads a failing image again for them."""
    c = _WORKER[0].check(item)
    if not any(r.findings for r in c.comparisons):
        return c
    return replace(c, comparisons=tuple(replace(r, findings=()) for r in c.comparisons), failed=True)


def _prepare(img: Image, versions: _Versions) -> tuple[int, bytes, Decoded]:
    """An image checked against itself: readable, the right length, and holding what its sidecar says."""
    at = versions.index(img.version)
    writer = versions.layout(img.version, img.layout, img.arch)
    if writer is None:
        raise InputError(f"{img.version} has no layout {img.layout!r} on {img.arch}", img.sidecar, None, "layout")
    data = image_bytes(img)
    raw = layout_bytes(img, data, writer.size)  # its own message names the image; not a decoder's refusal
    try:
        own = decode(writer, raw)
    except PvabiError as e:
        raise InputError(f"does not decode under {img.version}: {e}", img.shown) from None
    if own.consts:
        c = own.consts[0]
        raise InputError(f"{img.layout}.{c.path} at offset {img.offset + c.offset}: bytes {c.found.hex(' ')}, "
                         f"but {img.version} requires the constant {c.expected.hex(' ')} (a corrupted image?)",
                         img.shown)
    unknown = [p for p in img.expected if p not in own.slots]
    if unknown:
        raise InputError(f"expected value for {unknown[0]!r}, which {img.layout} does not have under {img.version}",
                         img.sidecar, None, "expected")
    return at, data, own


def _read_under(reader: Layout, under: str, img: Image, data: bytes) -> Decoded:
    try:
        return decode(reader, _reader_bytes(data, img, reader.size))
    except PvabiError as e:  # the decoder's refusal, never construct's traceback
        raise InputError(f"does not decode under {under}: {e}", img.shown) from None


def _reader_bytes(data: bytes, img: Image, size: int) -> bytes:
    """The bytes a reader with a ``size``-byte layout sees; past the end of the file, zero.

    Only a reader whose layout is longer than the writer's reaches past the file;
    what memory holds there is not the writer's doing, and zero is what a page a
    host zero-fills holds.
    """
    return data[img.offset:img.offset + size].ljust(size, b"\0")


def _self_findings(img: Image, own: Decoded) -> tuple[Finding, ...]:
    """The image under its own version: it holds what its sidecar says the writer stored, and keeps the
    writer's own promises (reserved-zero bytes zero, flag bits defined, enum values named)."""
    found = []
    for path, want in img.expected.items():
        slot = own.slots[path]
        got = json_value(slot.value)
        if got != want:
            found.append(_finding("IMAGE_VALUE_CHANGED", img, own, slot, slot, img.version, SELF,
                                  f"{path} was written as {_json_text(want)} (its sidecar says), but the image "
                                  f"holds {_json_text(got)}", writer_value=_typed(want, slot)))
    return tuple(found) + tuple(_rules_on(img, own, own, img.version, SELF))


def _typed(want: Any, slot: Slot) -> Any:
    """A sidecar's expected value (``json_value``'s form) as the decoder's typed value."""
    if isinstance(want, dict) and "hex" in want:
        return bytes.fromhex(want["hex"])
    number = int(want["value"]) if isinstance(want, dict) else int(want)
    if slot.member.enum is not None:
        return EnumValue(number, slot.member.enum)
    if slot.member.flags is not None:
        return FlagsValue(number, slot.member.flags)
    return number


def _json_text(v: object) -> str:
    if isinstance(v, dict) and "value" in v:
        v = v["value"]
    return _show(v) if isinstance(v, int) else json.dumps(v, sort_keys=True)


def compare(img: Image, written: Decoded, read: Decoded, read_under: str, d: str) -> Comparison:
    """``img`` as its writer's version decodes it (``written``) against a reader's decode (``read``).

    The fields compared come from ``imagecompare.plan`` (once per pair of layouts); shared values are
    compared as flat tuples, and only a difference is explained.
    """
    p = plan(written, read, img.writer, reader_of(img.writer))
    findings: list[Finding] = []
    for path, wpath in p.mismatched(written, read):
        r, w = read.slots[path], written.slots[wpath]
        findings.append(_finding("IMAGE_VALUE_CHANGED", img, read, r, w, read_under, d,
                                 f"{path} was written as {_show(w.value)} under {img.version} and reads "
                                 f"as {_show(r.value)} under {read_under}"))
    unchecked = 0
    for path, absent in p.new:
        r = read.slots[path]
        # A bitfield's own bits, not the bytes it shares with its neighbours
        zero = int(r.value) == 0 if r.member.bitfield is not None else not any(read.data[r.offset:r.end])
        if absent is None and zero:
            unchecked += 1  # zero, but nothing declares that zero means absent
        elif absent is None:
            findings.append(_finding("IMAGE_NEW_FIELD_NOT_ABSENT", img, read, r, None, read_under, d,
                                     f"{path} is new in {read_under}, declares no absent value, and reads "
                                     f"{_show(r.value)} from {_left_by(r, written)}"))
        elif int(r.value) != absent if isinstance(r.value, int) else any(r.value):
            findings.append(_finding("IMAGE_NEW_FIELD_NOT_ABSENT", img, read, r, None, read_under, d,
                                     f"{path} is new in {read_under} and should read as its absent value "
                                     f"{absent}, but reads {_show(r.value)} from {_left_by(r, written)}"))
    if len(findings) > 1:  # in the reader's field order, as a field-by-field walk finds them
        at = {path: i for i, path in enumerate(read.slots)}
        findings.sort(key=lambda f: at[f.path])
    return Comparison(img, read_under, d, len(p.shared), len(p.new), unchecked,
                      (*_rules_on(img, written, read, read_under, d), *findings))


def _left_by(r: Slot, written: Decoded) -> str:
    """Whose bytes a new field reads: the writer's fields it overlaps, or what the writer left unwritten."""
    over = [w.path for w in written.slots.values() if w.kind == VALUE and w.offset < r.end and r.offset < w.end]
    if over:
        return f"bytes the writer stored as {', '.join(over[:3])}{' and more' if len(over) > 3 else ''}"
    return "bytes the writer never wrote"


def _rules_on(img: Image, written: Decoded, read: Decoded, read_under: str, d: str) -> Iterable[Finding]:
    """What the reader's layout itself promises about the bytes: constants, reserved zeros, known values."""
    party = reader_of(img.writer)
    for c in read.consts:
        slot = read.slots.get(c.path)
        if slot is not None and (d == SELF or reads(slot, party)):
            yield _finding("IMAGE_CONSTANT_WRONG", img, read, slot, written.slots.get(c.path), read_under, d,
                           f"{c.path} holds {c.found.hex(' ')}, but {read_under} requires {c.expected.hex(' ')}",
                           reader_value=c.found, writer_value=c.expected if d == SELF else None)
    for path, r in read.slots.items():
        if d != SELF and r.kind == VALUE and not reads(r, party):
            continue
        if r.kind == RESERVED_ZERO and d == SELF:
            first = _first_nonzero(r)
            if first is not None:
                yield _finding("IMAGE_RESERVED_NONZERO", img, read, r, written.slots.get(path), read_under, d,
                               f"{path} is reserved-zero under {read_under}, but byte {first} holds "
                               f"{read_byte(r, first)}", at=first)
        elif isinstance(r.value, EnumValue) and r.value.name is None:
            yield _finding("IMAGE_UNKNOWN_ENUM", img, read, r, written.slots.get(path), read_under, d,
                           f"{path} holds {int(r.value)}, which {r.member.enum.name if r.member.enum else 'its enum'} "
                           f"does not name under {read_under}")
        elif isinstance(r.value, FlagsValue) and r.value.unknown and r.member.flags is not None \
                and r.member.flags.reserved_bits == "zero":
            w = written.slots.get(path)
            known_to_writer = w.member.flags.mask if w is not None and w.member.flags is not None else 0
            undefined = r.value.unknown & ~known_to_writer
            if undefined:
                yield _finding("IMAGE_UNKNOWN_FLAGS", img, read, r, w, read_under, d,
                               f"{path} has bits {undefined:#x} set, which no version's {r.member.flags.name} "
                               "defines")


def _first_nonzero(r: Slot) -> int | None:
    """The offset of the first non-zero byte of a reserved-zero slot."""
    if isinstance(r.value, (bytes, bytearray)):
        return next((r.offset + i for i, b in enumerate(r.value) if b), None)
    # A reserved bitfield decodes to its integer: report the bytes it lies in.
    return r.offset if int(r.value) else None


def read_byte(r: Slot, at: int) -> str:
    if isinstance(r.value, (bytes, bytearray)):
        return f"{r.value[at - r.offset]:#04x}"
    return f"{int(r.value):#x} (bitfield)"


def _show(v: object) -> str:
    if isinstance(v, EnumValue):
        return f"{int(v)} ({v.name or 'unnamed'})"
    if isinstance(v, FlagsValue):
        return f"{int(v):#x} [{', '.join(v.names) or 'no flags'}]"
    if isinstance(v, int):
        return f"{v} ({v:#x})" if v > 9 or v < 0 else str(v)
    if isinstance(v, (bytes, bytearray)):
        return f"bytes {bytes(v).hex(' ') or '(none)'}"
    return str(v)


_UNSET = object()


def _finding(rule: str, img: Image, read: Decoded, r: Slot, w: Slot | None, read_under: str, d: str,
             message: str, at: int | None = None, reader_value: object = _UNSET,
             writer_value: object = _UNSET) -> Finding:
    """A finding naming the image, layout, path, architecture, byte range, bytes and both values."""
    offset, size = (at, 1) if at is not None else (r.offset, r.size)
    if reader_value is _UNSET:
        reader_value = r.value
    if writer_value is _UNSET:
        writer_value = w.value if w is not None and w.kind == VALUE else None
    witness = Witness(img.layout, img.arch, img.version, read_under, r.path, offset, size,
                      read.data, writer_value, reader_value,
                      writer_offset=w.offset if w is not None and w.offset != r.offset else None,
                      direction="" if d == SELF else d, writer=img.writer, reader=reader_of(img.writer))
    sev = severities(*(BREAKING if x == d or d == SELF else COMPATIBLE for x in ("backward", "forward")))
    return Finding(rule, img.layout, r.path, (img.arch,), message, sev,
                   old=_show(writer_value) if writer_value is not None else "",
                   new=_show(reader_value) if reader_value is not None else "",
                   old_range=(w.offset, w.end) if w is not None else None, new_range=(offset, offset + size),
                   witness=witness, old_version=img.version, new_version=read_under, details=(img.shown,),
                   old_loc=w.member.field.loc if w is not None else None, new_loc=r.member.field.loc)
