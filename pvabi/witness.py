"""Witnesses: concrete images that prove a finding breaks a reader.

A witness is an image one version writes, legally (constants in place,
reserved-zero bytes zero, enum fields holding declared values, flag fields only
declared bits), whose decode under the other version gives a different value for
a field both share, or a value for a field the writer never had. Everything
else in the image is deterministic "garbage": what a writer may leave in padding
and unspecified space, or what memory past a shorter record holds.

Images are read with the decoder's slot reader (``decoder.read_slot``), so a
witness holds the same typed values ``pvabi decode`` prints; the tests re-decode
every witness image with ``decoder.decode`` and compare.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from .decoder import read_slot
from .engine import ArrayType, Layout, Member, RecordType, RType, ScalarType
from .findings import Witness
from .slots import Key, Role, Slot, _words, encode_int, role_of, slots
from .slots import _member as _slot_member  # the one constructor of a leaf slot (keys, bitfield words)
from .values import EnumValue, FlagsValue

SEEDS = 8


def garbage(i: int, seed: int) -> int:
    """A deterministic, non-zero byte for position ``i``, with no short period.

    A hash of the position rather than a linear sequence: a field shifted by a
    multiple of 256 (everything after an inserted u64[32]) must still land on
    different bytes.
    """
    h = (i * 0x9E3779B1 + seed * 0x85EBCA77 + 0x165667B1) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    h ^= h >> 12
    return h & 0xFF or 0x5A


def _scalar(t: RType) -> ScalarType:
    while isinstance(t, ArrayType):
        t = t.elem
    assert isinstance(t, ScalarType)
    return t


def write_image(layout: Layout, size: int, seed: int, pick: dict[str, int] | None = None) -> bytes:
    """A legal image of ``layout`` (padded to ``size`` with garbage), varied by ``seed``.

    ``pick`` forces the integer stored in the named leaves (the first element of an array).
    """
    image = bytearray(_garbage(size, seed))
    for r in _acting(layout, seed, pick or {}):
        if r.bitfield is not None:
            _write_bitfield(image, r, seed, (pick or {}).get(r.path))
            continue
        if r.role is Role.RESERVED_ZERO:
            image[r.offset:r.offset + r.size] = bytes(r.size)
        if not r.live or r.member is None or r.rtype is None:
            continue
        s = _scalar(r.rtype)
        forced = (pick or {}).get(r.path)
        const = r.const
        if const is not None:
            image[r.offset:r.offset + len(const)] = const
            continue
        for k in range(r.size // s.size):
            at = r.offset + k * s.size
            if forced is not None and k == 0:
                image[at:at + s.size] = _encode(forced, s)
            elif r.member.enum is not None and r.member.enum.values:
                values = r.member.enum.values
                image[at:at + s.size] = _encode(values[(seed + k) % len(values)][1], s)
            elif r.member.flags is not None:
                raw = int.from_bytes(image[at:at + s.size], "little")
                image[at:at + s.size] = _encode(raw & r.member.flags.mask, s)
    return bytes(image)


@lru_cache(maxsize=SEEDS * 4)
def _garbage(size: int, seed: int) -> bytes:
    return bytes(garbage(i, seed) for i in range(size))


def _view(layout: Layout, seed: int) -> int | None:
    """The union view ``slots`` takes for a seed; None (the one shared flattening) when no union is inside."""
    return seed if _has_union(layout) else None


def _has_union(layout: Layout) -> bool:
    found = _UNIONS.get(id(layout))
    if found is None or found[0] is not layout:
        if len(_UNIONS) >= 4096:
            _UNIONS.clear()
        inner = (_record_leaf(m.rtype) for m in layout.members)
        found = _UNIONS[id(layout)] = (layout, layout.kind == "union"
                                       or any(r is not None and _has_union(r) for r in inner))
    return found[1]


_UNIONS: dict[int, tuple[Layout, bool]] = {}  # by identity (layouts are immutable; the entry keeps it alive)


def _record_leaf(t: RType) -> Layout | None:
    while isinstance(t, ArrayType):
        t = t.elem
    return t.layout if isinstance(t, RecordType) else None


def _acts(r: Slot, pick: dict[str, int]) -> bool:
    """Whether ``write_image`` writes anything for slot ``r`` (beyond the garbage already there)."""
    if r.role is Role.RESERVED_ZERO:
        return True
    if not r.live or r.member is None:
        return False
    m = r.member
    if r.path in pick or r.const is not None or m.enum is not None or m.flags is not None:
        return True
    return r.bitfield is not None and isinstance(m.field.const, int)


def _acting(layout: Layout, seed: int, pick: dict[str, int]) -> tuple[Slot, ...]:
    """``_written`` remembered: every finding on a layout searches it with the same seeds."""
    key = (id(layout), _view(layout, seed), tuple(sorted(pick.items())))
    found = _ACTING.get(key)
    if found is None or found[0] is not layout:
        if len(_ACTING) >= 256:
            _ACTING.clear()
        found = _ACTING[key] = (layout, tuple(_written(layout, seed, pick)))
    return found[1]


_ACTING: dict[tuple[int, int | None, tuple[tuple[str, int], ...]], tuple[Layout, tuple[Slot, ...]]] = {}


def _written(layout: Layout, seed: int, pick: dict[str, int]) -> Iterable[Slot]:
    """The slots ``write_image`` writes, in ``slots`` order, without expanding what writes nothing.

    An array of records whose element has no slot to write (no reserved-zero bytes, constant, enum or
    flags) holds garbage only: its elements are never visited, so a large array of plain structs costs
    one look at its element, not one per element (a picked leaf inside it still is written).
    """
    if layout.values <= WALK_ABOVE:
        yield from (r for r in slots(layout, _view(layout, seed)) if _acts(r, pick))
        return
    yield from _walk_written(layout, 0, "", (), seed, pick)


WALK_ABOVE = 4096  # values; a smaller layout's cached flattening is cheaper to read than a walk


def _walk_written(layout: Layout, base: int, path: str, keys: tuple[Key, ...], seed: int,
                  pick: dict[str, int]) -> Iterable[Slot]:
    # ``slots``' own walk (holes, which are never written, left out), pruned where nothing is written;
    # its leaves are built by ``slots``' own constructor, so they are the flattening's slots.
    prefix = path + "." if path else ""
    members = layout.members
    if layout.kind == "union" and members:
        members = (members[seed % len(members)],)
    words = _words(layout, base)
    for m in members:
        yield from _member_written(m, m.rtype, base + m.offset, prefix + m.name, (*keys, m.name), seed, pick,
                                   words)


def _member_written(m: Member, t: RType, offset: int, path: str, keys: tuple[Key, ...], seed: int,
                    pick: dict[str, int], words: dict[str, Any]) -> Iterable[Slot]:
    reserved = role_of(m) in (Role.RESERVED_ZERO, Role.RESERVED_ANY)
    if not reserved and isinstance(t, RecordType):
        yield from _walk_written(t.layout, offset, path, keys, seed, pick)
        return
    if not reserved and isinstance(t, ArrayType) and isinstance(t.leaf, RecordType):
        if not _writes_into(t.leaf.layout, seed) and not any(_under(p, path) for p in pick):
            return  # garbage only, in every element
        for i in range(t.count):
            yield from _member_written(m, t.elem, offset + i * t.elem.size, f"{path}[{i}]", (*keys, i), seed,
                                       pick, words)
        return
    slot = _slot_member(m, t, offset, path, keys, seed, words)
    assert isinstance(slot, Slot)
    if _acts(slot, pick):
        yield slot


def _writes_into(layout: Layout, seed: int) -> bool:
    """Whether ``write_image`` writes anything into an image of ``layout`` (one element's flattening)."""
    return any(_acts(r, {}) for r in slots(layout, _view(layout, seed)))


def _write_bitfield(image: bytearray, r: Slot, seed: int, forced: int | None) -> None:
    """Store a legal value in a bitfield's own bits, leaving its neighbours' bits as they are."""
    bf, m = r.bitfield, r.member
    assert bf is not None and m is not None
    word = int.from_bytes(image[r.offset:r.offset + r.size], bf.order)
    mask = (1 << bf.width) - 1
    current = word >> bf.shift & mask
    if r.role is Role.RESERVED_ZERO:
        value = 0
    elif not r.live:
        return
    elif forced is not None:
        value = forced
    elif isinstance(m.field.const, int):
        value = m.field.const
    elif m.enum is not None and m.enum.values:
        value = m.enum.values[seed % len(m.enum.values)][1]
    elif m.flags is not None:
        value = current & m.flags.mask
    else:
        return
    word = (word & ~(mask << bf.shift)) | ((value & mask) << bf.shift)
    image[r.offset:r.offset + r.size] = word.to_bytes(r.size, bf.order)


def _encode(value: int, s: ScalarType) -> bytes:
    return encode_int(value, s.size, s.endian)


def _indexed(value: Any, prefix: tuple[int, ...] = ()) -> dict[tuple[int, ...], Any]:
    """{(i, j, ...): element} of a nested list."""
    if not isinstance(value, list):
        return {prefix: value}
    out: dict[tuple[int, ...], Any] = {}
    for i, v in enumerate(value):
        out.update(_indexed(v, (*prefix, i)))
    return out


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


def find(writer: Layout, reader: Layout, writer_prefix: str | None, reader_prefix: str | None,
         written_under: str, read_under: str, *, zero_is_witness: bool = False,
         pick: dict[str, int] | None = None) -> Witness | None:
    """Search for an image ``writer`` writes that ``reader`` decodes differently under the given paths.

    With both prefixes, a shared field must decode to a different value. With
    only ``reader_prefix`` (a field the writer does not have) the reader must
    decode a non-zero value, or any value when ``zero_is_witness``. ``pick``
    forces values into writer leaves (a new enum value, say). Values are the
    decoder's typed values (``decoder.read_slot``).
    """
    size = max(writer.size, reader.size)
    targets = _Remembered(_targets(writer, reader, writer_prefix, reader_prefix))
    for seed in range(SEEDS):
        base = write_image(writer, size, seed, pick) if targets.any() else b""
        for wl, rl in targets:
            image = _with_pattern(base, wl, seed)
            new_value = read_slot(image, rl)
            expected = rl.const
            required = None
            writer_field = ""
            if expected is not None and image[rl.offset:rl.offset + rl.size] != expected:
                # The reader refuses the image: its constant is not there. What it requires is the witness's point.
                old_value = read_slot(image, wl) if wl is not None else None
                required = read_slot(expected.rjust(rl.offset + rl.size, b"\0"), rl)
            elif wl is not None:
                old_value = read_slot(image, wl)
                if same(old_value, new_value):
                    continue
            elif not zero_is_witness and not any(image[rl.offset:rl.offset + rl.size]):
                continue
            else:
                hit = _overlapped(live_under(writer, ""), rl)
                old_value = read_slot(image, hit) if hit is not None else None
                writer_field = hit.path if hit is not None else ""
            path, offset, length = rl.path, rl.offset, rl.size
            w_offset = wl.offset if wl is not None else None
            differing = _differing(rl.path, old_value, new_value)
            if isinstance(old_value, list) and isinstance(new_value, list):
                narrowed = _first_difference(rl, wl, old_value, new_value)
                if narrowed is None:
                    continue
                path, offset, length, w_offset, old_value, new_value = narrowed
            note = ""
            if offset + length > writer.size:
                note = (f"bytes {max(writer.size, offset)}..{offset + length - 1} lie past the "
                        f"{writer.size}-byte {writer.name} the writer produced; they hold whatever was there")
            return Witness(reader.name, reader.arch, written_under, read_under, path, offset, length,
                           image, old_value, new_value, note, None if w_offset == offset else w_offset,
                           elements_differing=len(differing), differing=tuple(differing[:SAMPLE]),
                           required=required, writer_field=writer_field)
    return None


def _targets(writer: Layout, reader: Layout, writer_prefix: str | None,
             reader_prefix: str | None) -> Iterable[tuple[Slot | None, Slot]]:
    """(writer leaf or None, reader leaf) for every live reader leaf under ``reader_prefix``, lazily:
    the search usually stops at the first, and a large array of structs is not expanded to get there."""
    if reader_prefix is None:
        return
    for rl in live_under(reader, reader_prefix):
        wpath = None if writer_prefix is None else writer_prefix + rl.path[len(reader_prefix):]
        yield (next((w for w in live_under(writer, wpath) if w.path == wpath), None) if wpath else None), rl


class _Remembered:
    """An iterable read once from its source and replayed from memory after (one walk for all seeds)."""

    def __init__(self, source: Iterable[tuple[Slot | None, Slot]]) -> None:
        self._source = iter(source)
        self._seen: list[tuple[Slot | None, Slot]] = []
        self._done = False

    def _pull(self) -> bool:
        if self._done:
            return False
        try:
            self._seen.append(next(self._source))
        except StopIteration:
            self._done = True
            return False
        return True

    def any(self) -> bool:
        return bool(self._seen) or self._pull()

    def __iter__(self) -> Any:
        i = 0
        while i < len(self._seen) or self._pull():
            yield self._seen[i]
            i += 1


def live_under(layout: Layout, prefix: str) -> Iterable[Slot]:
    """The live slots of ``layout`` at or under ``prefix``, in ``slots`` order, walking only that branch.

    The same slots as ``[s for s in slots(layout) if s.live and under(s.path, prefix)]`` (the tests
    hold it to that), without building the whole flattening of a large layout.
    """
    if layout.values <= WALK_ABOVE:
        yield from (s for s in slots(layout) if s.live and (not prefix or _under(s.path, prefix)))
        return
    yield from _live_walk(layout, 0, "", (), prefix)


def _on_branch(path: str, prefix: str) -> bool:
    return not prefix or _under(path, prefix) or _under(prefix, path)


def _live_walk(layout: Layout, base: int, path: str, keys: tuple[Key, ...], prefix: str) -> Iterable[Slot]:
    # ``slots``' walk (every union member, as ``slots(layout)``), entering only the branch of ``prefix``.
    record_prefix = path + "." if path else ""
    words = _words(layout, base)
    for m in layout.members:
        if _on_branch(record_prefix + m.name, prefix):
            yield from _live_member(m, m.rtype, base + m.offset, record_prefix + m.name, (*keys, m.name), prefix,
                                    words)


def _live_member(m: Member, t: RType, offset: int, path: str, keys: tuple[Key, ...], prefix: str,
                 words: dict[str, Any]) -> Iterable[Slot]:
    if role_of(m) in (Role.RESERVED_ZERO, Role.RESERVED_ANY):
        return  # never live
    if isinstance(t, RecordType):
        yield from _live_walk(t.layout, offset, path, keys, prefix)
    elif isinstance(t, ArrayType) and isinstance(t.leaf, RecordType):
        for i in range(t.count):
            element = f"{path}[{i}]"
            if _on_branch(element, prefix):
                yield from _live_member(m, t.elem, offset + i * t.elem.size, element, (*keys, i), prefix, words)
    elif not prefix or _under(path, prefix):
        slot = _slot_member(m, t, offset, path, keys, None, words)
        assert isinstance(slot, Slot)
        yield slot


def same(a: Any, b: Any) -> bool:
    """Two typed values mean the same to their readers: the same number under the same names.

    An enum value named differently on the two sides (a renumbering) differs, and so does a
    number one side names and the other does not.
    """
    return bool(_meaning(a) == _meaning(b))


def _meaning(v: Any) -> Any:
    if isinstance(v, EnumValue):
        return ("enum", int(v), v.name)
    if isinstance(v, FlagsValue):
        return ("flags", int(v), v.names, v.unknown)
    if isinstance(v, list):
        return [_meaning(x) for x in v]
    if isinstance(v, bytearray):
        return bytes(v)
    return v


SAMPLE = 4  # differing array elements a witness lists; the count says how many there are in all


def _differing(path: str, old: Any, new: Any) -> list[tuple[str, Any, Any]]:
    """Every element of an array (or byte of a char array) that the two sides decode differently.

    An element only one side has counts when the reader has it; empty for scalars.
    """
    if isinstance(old, (bytes, bytearray)) and isinstance(new, (bytes, bytearray)):
        return [(f"{path}[{i}]", old[i] if i < len(old) else None, b) for i, b in enumerate(new)
                if i >= len(old) or old[i] != b]
    if not (isinstance(old, list) and isinstance(new, list)):
        return []
    a, b = _indexed(old), _indexed(new)
    return [(path + "".join(f"[{i}]" for i in k), a.get(k), b[k]) for k in sorted(b)
            if k not in a or not same(a[k], b[k])]


def _first_difference(rl: Slot, wl: Slot | None, old: list[Any], new: list[Any]) -> tuple[
        str, int, int, int | None, Any, Any] | None:
    """Narrow two (nested) element lists to the first element that differs or exists on one side only.

    Returns its path, the reader's offset and size of it, the writer's offset,
    and the two values.
    """
    assert rl.rtype is not None
    a, b = _indexed(old), _indexed(new)
    # Only elements the reader has can be misread; a writer's extra elements are simply unread.
    index = next((k for k in sorted(b) if k not in a or not same(a[k], b[k])), None)
    if index is None:
        return None
    size = _scalar(rl.rtype).size
    path = rl.path + "".join(f"[{i}]" for i in index)
    offset = rl.offset + _flat_index(index, rl.rtype) * size
    w_offset = None
    if wl is not None and wl.rtype is not None and index in a:
        w_offset = wl.offset + _flat_index(index, wl.rtype) * _scalar(wl.rtype).size
    return path, offset, size, w_offset, a.get(index), b.get(index)


def _flat_index(index: tuple[int, ...], t: ScalarType | ArrayType) -> int:
    dims = t.dims if isinstance(t, ArrayType) else ()
    flat = 0
    for i, d in zip(index, dims, strict=False):
        flat = flat * d + i
    return flat


def _overlapped(leaves: Iterable[Slot], rl: Slot) -> Slot | None:
    """For a field the writer does not have: the writer's field in those bytes, if any."""
    return next((w for w in leaves if w.offset < rl.offset + rl.size and rl.offset < w.offset + w.size), None)


def _with_pattern(image: bytes, wl: Slot | None, seed: int) -> bytes:
    """Odd seeds store a value chosen to expose sign, width and byte-order changes in the writer's field.

    All bits set, then a rising non-palindromic byte run with the top bit set;
    only for plain integers, where every value is legal.
    """
    if wl is None or wl.member is None or seed % 2 == 0:
        return image
    f = wl.member.field
    if f.const is not None or wl.member.enum is not None or wl.member.flags is not None:
        return image
    n = wl.size
    pattern = b"\xff" * n if seed % 4 == 1 else bytes((0x81 + 0x11 * i) & 0xFF for i in range(n))
    return image[:wl.offset] + pattern + image[wl.offset + n:]
