"""The leaf list the struct fast path is generated from: one layout flattened into slots.

Each slot is a value of a decoded image (or a container of values) with the path of
keys that reaches it in the decoded values, its absolute byte range, and how its
bytes are read. Slots come in the order today's decoded values list their keys
(``codec.plain``): padding before the member it precedes, a bitfield run's bytes
before its members, a union's ``_raw`` before its views. ``fastcodec`` reads only
this list, so it follows whatever flattening the model provides; this module is
the one place that walks the layout for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .engine import ArrayType, BitRun, Layout, Member, RecordType, RType, ScalarType
from .model import EnumDef, FlagsDef
from .values import bits_key, hole_key

Key = str | int  # a dict key (member, ``_hole_N``, ``_bits_N``, ``_raw``) or a list index
Role = Literal["struct", "union", "array", "int", "bytes", "bits", "bitfield"]
Order = Literal["little", "big"]


@dataclass(frozen=True)
class Slot:
    """One value (or container of values) of a decoded image.

    Containers (``struct``, ``union``, ``array``) read nothing; they are listed before
    their contents so empty ones still appear. ``int`` and ``bytes`` read their bytes;
    ``bits`` reads a bitfield run's bytes as one integer (its value is the run's
    padding bits, as bytes); ``bitfield`` reads nothing itself and takes ``width``
    bits at ``shift`` of the integer its ``word`` slot read (``word`` None: its own
    bytes, a bitfield viewed alone in a union).
    """

    path: tuple[Key, ...]
    role: Role
    offset: int
    size: int
    order: Order = "little"
    signed: bool = False
    enum: EnumDef | None = None
    flags: FlagsDef | None = None
    const: object = None  # the value a constant must decode to (a list for a byte-array constant)
    optional: bool = False  # padding or a reserved region: encodes as zeros when not given
    count: int = 0  # an array's elements
    word: tuple[Key, ...] | None = None
    shift: int = 0
    width: int = 0
    covered: int = 0  # a run's bits that members hold

    @property
    def name(self) -> str:
        """The path as a reader writes it: ``info.vcpu_info[3].time.flags``."""
        out = ""
        for k in self.path:
            out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else k)
        return out


def slots(layout: Layout) -> tuple[Slot, ...]:
    """The whole layout, depth first, in decoded-value order; the first slot is the layout itself."""
    out: list[Slot] = []
    _record(layout, 0, (), out)
    return tuple(out)


def _record(layout: Layout, base: int, path: tuple[Key, ...], out: list[Slot]) -> None:
    if layout.kind == "union":
        out.append(Slot(path, "union", base, layout.size))
        out.append(Slot((*path, "_raw"), "bytes", base, layout.size))
        for m in layout.members:
            _view(m, base, (*path, m.name), out)
        return
    out.append(Slot(path, "struct", base, layout.size))
    # The same order as constructs.layout_construct, whose keys today's values follow: each padding
    # hole before the first member past it, the tail at the end. Holes are in offset order, so one
    # pass over them does it (a search per member was quadratic in a struct of a thousand fields).
    inner = sorted((h for h in layout.holes if not h.tail), key=lambda h: h.offset)
    tail = [h for h in layout.holes if h.tail]
    runs = {run.members[0].name: run for run in layout.bit_runs}
    next_hole = 0
    for m in layout.members:
        while next_hole < len(inner) and inner[next_hole].offset < m.offset:
            h = inner[next_hole]
            out.append(Slot((*path, hole_key(h.offset)), "bytes", base + h.offset, h.size, optional=True))
            next_hole += 1
        if m.bitfield is not None:
            if m.name in runs:
                _run(runs[m.name], base, path, out)
            continue
        _member(m, m.rtype, base + m.offset, (*path, m.name), out, m.field.const)
    for h in inner[next_hole:] + tail:
        out.append(Slot((*path, hole_key(h.offset)), "bytes", base + h.offset, h.size, optional=True))


def _run(run: BitRun, base: int, path: tuple[Key, ...], out: list[Slot]) -> None:
    word = (*path, bits_key(run.offset))
    out.append(Slot(word, "bits", base + run.offset, run.size, run.order, covered=run.covered))
    for m in run.members:
        assert m.bitfield is not None and isinstance(m.rtype, ScalarType)
        out.append(Slot((*path, m.name), "bitfield", base + run.offset, run.size, run.order,
                        m.rtype.scalar.signed, m.enum, m.flags, word=word, shift=run.shift(m),
                        width=m.bitfield.width))


def _view(m: Member, base: int, path: tuple[Key, ...], out: list[Slot]) -> None:
    """A union member: every view is read from the union's first byte."""
    bf = m.bitfield
    if bf is not None:
        assert isinstance(m.rtype, ScalarType)
        out.append(Slot(path, "bitfield", base + m.offset, m.size, bf.order, m.rtype.scalar.signed,
                        m.enum, m.flags, shift=bf.shift, width=bf.width))
        return
    _member(m, m.rtype, base + m.offset, path, out, m.field.const)


def _member(m: Member, t: RType, offset: int, path: tuple[Key, ...], out: list[Slot], const: object) -> None:
    if m.field.reserved is not None:
        out.append(Slot(path, "bytes", offset, t.size, optional=True))
    elif isinstance(t, RecordType):
        _record(t.layout, offset, path, out)
    elif isinstance(t, ArrayType) and isinstance(t.elem, ScalarType) and t.elem.scalar.char:
        out.append(Slot(path, "bytes", offset, t.size, const=_text_const(const, t.count)))
    elif isinstance(t, ArrayType):
        elems = _elem_consts(const, t)
        out.append(Slot(path, "array", offset, t.size, count=t.count, const=elems))
        for i in range(t.count):
            _member(m, t.elem, offset + i * t.elem.size, (*path, i), out, None if elems is None else elems[i])
    else:
        out.append(Slot(path, "int", offset, t.size, "big" if t.endian == "big" else "little",
                        t.scalar.signed, m.enum, m.flags, const=const))


def _text_const(const: object, count: int) -> bytes | None:
    if const is None:
        return None
    assert isinstance(const, (bytes, tuple))
    return bytes(b & 0xFF for b in const).ljust(count, b"\0")


def _elem_consts(const: object, t: ArrayType) -> list[int] | None:
    """A byte-array constant as the element values construct compares (s8 elements read -128..127)."""
    if const is None:
        return None
    assert isinstance(const, (bytes, tuple)) and isinstance(t.elem, ScalarType)
    signed = t.elem.scalar.signed
    elems = [(b & 0xFF) - (0x100 if signed and b & 0x80 else 0) for b in const]
    return elems + [0] * (t.count - len(elems))
