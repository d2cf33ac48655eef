"""The struct fast path: decode and encode generated from the model around precompiled ``struct.Struct``s.

For one layout, ``slots.tree`` gives every slot (leaf, reserved region, hole, bitfield with
its word) inside the records and arrays of records that hold it; ``_values`` below lines
them up as the values a decoded image holds, in the order it holds them. This module
packs those reads into as few ``struct.Struct`` formats as possible (one per byte order,
more only where union views overlap) and writes Python source that shapes the flat tuple
into exactly the values ``codec.ConstructCodec`` returns, and back. The source is compiled
once per layout. Nothing from a layout file becomes code: keys and constants enter the
source only as ``repr()`` literals or through a table of objects, and every name in it
is one this module makes up.

construct stays the reference. Whenever the fast path meets something it does not
handle exactly as construct would (a constant that does not match, a wrong length, a
value of an unexpected type), it hands the call to ``ConstructCodec``, so errors and
their messages are the reference's. ``FastCodec.flat`` returns the flat tuple itself
(plus bitfield values) with ``FastCodec.paths`` naming each entry, for checks that
compare two decodes with ``==`` and explain only a difference.
"""

from __future__ import annotations

import operator
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from . import arch as archmod
from .engine import ArrayType, Layout, RType, ScalarType
from .model import EnumDef, FlagsDef
from .slots import Elements, Item, Key, Record, Role, Slot, tree
from .values import EnumValue, FlagsValue

if TYPE_CHECKING:
    from .codec import ConstructCodec

_INT_CODES = {1: "b", 2: "h", 4: "i", 8: "q"}
_PREFIX = {"little": "<", "big": ">"}
_CACHE_LIMIT = 256  # flags values kept per flags type; enums keep their defined values


class _Defer(Exception):
    """The fast path cannot vouch for this input: the reference codec answers instead."""


# --- the values of a decoded image, lined up from the layout's slots -------------------------------------------

Kind = Literal["struct", "union", "array", "int", "bytes", "bits", "bitfield"]
Order = Literal["little", "big"]


@dataclass(frozen=True)
class _Value:
    """One value (or container of values) of a decoded image, with the keys that reach it.

    Containers (``struct``, ``union``, ``array``) read nothing; they are listed before
    their contents so empty ones still appear. ``int`` and ``bytes`` read their bytes;
    ``bits`` reads a bitfield run's bytes as one integer (its value is the run's
    padding bits, as bytes); ``bitfield`` reads nothing itself and takes ``width``
    bits at ``shift`` of the integer its ``word`` value read (``word`` None: its own
    bytes, a bitfield viewed alone in a union).
    """

    path: tuple[Key, ...]
    kind: Kind
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


def _values(root: Record) -> tuple[_Value, ...]:
    """The slots of ``root`` as decoded values list them (``codec.plain``), depth first; the first is the layout.

    Only the order is the codec's own: padding before the member it precedes, a bitfield
    run's bytes before its members, a union's ``_raw`` before its views. Every offset, size,
    byte order, shift and constant comes from the slots.
    """
    out: list[_Value] = []
    _from_record(root, out)
    return tuple(out)


def _is_hole(item: Item) -> bool:
    return isinstance(item, Slot) and item.role is Role.HOLE


def _from_record(rec: Record, out: list[_Value]) -> None:
    size = rec.layout.size
    if rec.layout.kind == "union":
        out.append(_Value(rec.keys, "union", rec.offset, size))
        out.append(_Value((*rec.keys, "_raw"), "bytes", rec.offset, size))
        for item in rec.items:
            if not _is_hole(item):  # a union's tail padding is in its _raw, not a value of its own
                _from_item(item, out, set())
        return
    out.append(_Value(rec.keys, "struct", rec.offset, size))
    # constructs.layout_construct's order, which decoded values follow: each hole before the first member
    # past it, the tail at the end. Slots list a record's holes first, in offset order, so one merge places
    # them (a search per member was quadratic in a struct of a thousand fields).
    holes = [item for item in rec.items if _is_hole(item)]
    words: set[int] = set()
    next_hole = 0
    for item in rec.items[len(holes):]:
        while next_hole < len(holes) and holes[next_hole].offset < item.offset:
            _from_item(holes[next_hole], out, words)
            next_hole += 1
        _from_item(item, out, words)
    for hole in holes[next_hole:]:
        _from_item(hole, out, words)


def _from_item(item: Item, out: list[_Value], words: set[int]) -> None:
    if isinstance(item, Record):
        _from_record(item, out)
    elif isinstance(item, Elements):
        out.append(_Value(item.keys, "array", item.offset, item.size, count=len(item.items)))
        for elem in item.items:
            _from_item(elem, out, words)
    elif item.role is Role.HOLE:
        out.append(_Value(item.keys, "bytes", item.offset, item.size, optional=True))
    elif item.word is not None:
        _from_bitfield(item, out, words)
    elif item.role in (Role.RESERVED_ZERO, Role.RESERVED_ANY):
        out.append(_Value(item.keys, "bytes", item.offset, item.size, optional=True))
    else:
        assert item.rtype is not None
        const = item.const
        _from_leaf(item, item.rtype, item.offset, item.keys, None if const is None else _decoded(item.rtype, const),
                   out)


def _from_bitfield(s: Slot, out: list[_Value], words: set[int]) -> None:
    """A bitfield (reserved or not, its value is its bits); in a struct its run's word comes first, once."""
    word, m, scalar = s.word, s.member, s.scalar
    assert word is not None and m is not None and m.bitfield is not None and scalar is not None
    record = s.keys[:-1]
    if word.key is not None and id(word) not in words:
        words.add(id(word))
        out.append(_Value((*record, word.key), "bits", word.offset, word.size, word.order, covered=word.covered))
    out.append(_Value(s.keys, "bitfield", word.offset, word.size, word.order, scalar.scalar.signed, m.enum, m.flags,
                      word=None if word.key is None else (*record, word.key), shift=s.shift,
                      width=m.bitfield.width))


def _from_leaf(s: Slot, t: RType, offset: int, keys: tuple[Key, ...], const: Any,
               out: list[_Value]) -> None:
    """A scalar, or a scalar array element by element (C arrays are contiguous: element i at i strides)."""
    m = s.member
    assert m is not None
    if isinstance(t, ArrayType) and isinstance(t.elem, ScalarType) and t.elem.scalar.char:
        out.append(_Value(keys, "bytes", offset, t.size, const=const))
    elif isinstance(t, ArrayType):
        out.append(_Value(keys, "array", offset, t.size, count=t.count, const=const))
        step = t.elem.size
        for i in range(t.count):
            _from_leaf(s, t.elem, offset + i * step, (*keys, i), None if const is None else const[i], out)
    else:
        assert isinstance(t, ScalarType)
        out.append(_Value(keys, "int", offset, t.size, "big" if t.endian == "big" else "little",
                          t.scalar.signed, m.enum, m.flags, const=const))


def _decoded(t: RType, raw: bytes) -> Any:
    """A constant's bytes (``slots.const_bytes``) as the value a decode reads from them: an int, the bytes of a
    char array, a list of elements (an ``s8`` list reads -128..127, as construct compares it)."""
    if isinstance(t, ScalarType):
        return int.from_bytes(raw, "big" if t.endian == "big" else "little", signed=t.scalar.signed)
    assert isinstance(t, ArrayType)
    if isinstance(t.elem, ScalarType) and t.elem.scalar.char:
        return raw
    step = t.elem.size
    return [_decoded(t.elem, raw[i * step:(i + 1) * step]) for i in range(t.count)]


# --- typed values, made once --------------------------------------------------------------------


class _EnumCache(dict[int, EnumValue]):
    """Every defined value's EnumValue made once; an undefined value is made on each use."""

    def __init__(self, enum: EnumDef) -> None:
        super().__init__((v, EnumValue(v, enum)) for _, v in enum.values)
        self.enum = enum

    def __missing__(self, value: int) -> EnumValue:
        return EnumValue(value, self.enum)


class _FlagsCache(dict[int, FlagsValue]):
    """FlagsValues as they are met, the first few hundred kept (random images must not grow it)."""

    def __init__(self, flags: FlagsDef) -> None:
        super().__init__()
        self.flags = flags

    def __missing__(self, value: int) -> FlagsValue:
        made = FlagsValue(value, self.flags)
        if len(self) < _CACHE_LIMIT:
            self[value] = made
        return made


# --- helpers the generated encoder calls ---------------------------------------------------------


def _seq(value: Any, count: int) -> Any:
    """An array's elements, as construct's Array takes them: exactly ``count`` of them."""
    if len(value) != count or isinstance(value, (dict, str, bytes)):
        raise _Defer
    return value


def _const(value: Any, const: Any) -> Any:
    """construct's Const: builds its own value when given nothing or an equal one, refuses anything else."""
    if value is None or value is const or value == const:
        return const
    raise _Defer


def _padding(given: Any, order: str, uncovered: int) -> int:
    """A bitfield run's padding bits, from its ``_bits_N`` bytes, exactly as the reference rebuilds them."""
    if isinstance(given, (bytes, bytearray)):
        return int.from_bytes(given, order) & uncovered  # type: ignore[arg-type]
    return 0


@dataclass(frozen=True)
class _Item:
    """One argument of a generated encoder's ``pack``: where it goes and the expression that gives it."""

    offset: int
    size: int
    code: str
    arg: str
    sized: bool = False  # bytes struct would pad or cut: their length is checked
    width: int = 1  # values it stands for in the argument list (a starred array: its elements)


@dataclass(frozen=True)
class _View:
    key: str
    encode: Callable[[Any], bytes]
    mask: int  # the bits of the union (little-endian integer of its bytes) this view fixes


def _union(values: Any, size: int, views: tuple[_View, ...]) -> bytes:
    """A union's bytes from its views and ``_raw``, by the reference's rules (codec._union_bytes).

    Any disagreement between views defers, so the reference raises its own error.
    """
    if not isinstance(values, dict):
        raise _Defer
    raw = values.get("_raw")
    full = (1 << (8 * size)) - 1
    image = known = 0
    if raw is not None:
        image = int.from_bytes(bytes(raw).ljust(size, b"\0")[:size], "little")
        known = full
    given = False
    for view in views:
        if view.key not in values:
            continue
        given = True
        data = int.from_bytes(view.encode(values[view.key]), "little")
        if (image ^ data) & known & view.mask:
            raise _Defer
        image = (image & ~view.mask) | (data & view.mask)
        known |= view.mask
    if raw is None and not given and views and size:
        raise _Defer
    return image.to_bytes(size, "little")


# --- the generator ------------------------------------------------------------------------------


def _lit(text: object) -> str:
    """A key or byte order as a string literal in generated source: only a plain ``str`` gets there."""
    if type(text) is not str:
        raise TypeError(f"not a plain string: {text!r}")
    return repr(text)


@dataclass
class _Node:
    entry: _Value
    children: dict[Key, _Node] = field(default_factory=dict)


def _nodes(flat: tuple[_Value, ...]) -> _Node:
    nodes: dict[tuple[Key, ...], _Node] = {}
    root = _Node(flat[0])
    nodes[()] = root
    for s in flat[1:]:
        node = _Node(s)
        nodes[s.path] = node
        nodes[s.path[:-1]].children[s.path[-1]] = node
    return root


def _reads(s: _Value) -> bool:
    return s.kind in ("int", "bytes", "bits") or (s.kind == "bitfield" and s.word is None)


def _code(s: _Value) -> str:
    """The struct code that reads a value; bytes of odd integer widths are read as bytes."""
    if s.kind == "bytes" or s.size not in _INT_CODES:
        return f"{s.size}s"
    code = _INT_CODES[s.size]
    return code if s.signed and s.kind == "int" else code.upper()


def _as_int(s: _Value) -> bool:
    return s.kind != "bytes" and s.size in _INT_CODES


def _order(s: _Value) -> str | None:
    """The byte order a value's struct format needs (None: any, for bytes and single bytes)."""
    return s.order if _as_int(s) and s.size > 1 else None


@dataclass
class _Lane:
    """One struct format: reads in one byte order that do not overlap, gaps skipped with pad bytes."""

    order: str
    start: int
    end: int
    fmt: list[str] = field(default_factory=list)
    reads: list[_Value] = field(default_factory=list)

    def add(self, s: _Value) -> None:
        if s.offset > self.end:
            self.fmt.append(f"{s.offset - self.end}x")
        self.fmt.append(_code(s))
        self.reads.append(s)
        self.end = s.offset + s.size


def _lanes(flat: tuple[_Value, ...], native: str) -> list[_Lane]:
    lanes: list[_Lane] = []
    for s in flat:
        if not _reads(s):
            continue
        order = _order(s)
        lane = next((ln for ln in lanes if (order is None or ln.order == order) and ln.end <= s.offset), None)
        if lane is None:
            lane = _Lane(order or native, s.offset, s.offset)
            lanes.append(lane)
        lane.add(s)
    return lanes


class _Source:
    """Python source being written, with the objects it refers to under names made here."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {}
        self._ids: dict[int, str] = {}
        self._n = 0

    def name(self, stem: str) -> str:
        self._n += 1
        return f"{stem}{self._n}"

    def obj(self, value: Any, stem: str = "K") -> str:
        """A name in the generated code for ``value`` (layout data never becomes code itself)."""
        known = self._ids.get(id(value))
        if known is not None:
            return known
        name = self.name(stem)
        self.namespace[name] = value
        self._ids[id(value)] = name
        return name

    def compile(self, filename: str) -> dict[str, Any]:
        """Run the lines written since the last compile into the one namespace (later code sees earlier)."""
        code = compile("\n".join(self.lines) + "\n", filename, "exec")
        self.lines = []
        exec(code, self.namespace)  # the source is ours; layout data reaches it only as literals/objects
        return self.namespace


class _Program:
    """The generated decode, encode and flat functions of one layout."""

    def __init__(self, layout: Layout, flat: tuple[_Value, ...]) -> None:
        self.layout = layout
        self.values = flat
        self.native = archmod.get(layout.arch).endian
        self.src = _Source()
        self.typed: dict[int, str] = {}
        self.read: list[str] = []
        self.lanes = _lanes(self.values, self.native)
        self.index: dict[tuple[Key, ...], int] = {}
        self.read_values: dict[tuple[Key, ...], _Value] = {}
        for lane in self.lanes:
            for s in lane.reads:
                self.index[s.path] = len(self.index)
                self.read_values[s.path] = s
        self.bitfields = [s for s in self.values if s.kind == "bitfield"]
        # A bitfield viewed alone in a union reads its own bytes: that read is its "@word", its value comes later.
        self.paths = tuple(s.name + ("@word" if s.kind == "bitfield" else "") for lane in self.lanes
                           for s in lane.reads) + tuple(s.name for s in self.bitfields)
        self.root = _nodes(self.values)
        self._write_reader()
        self._write_decode(self.root)
        self._write_flat()
        ns = self.src.compile(self._filename())
        self.decode: Callable[[Any], dict[str, Any]] = ns["decode"]
        self.flat: Callable[[Any], tuple[Any, ...]] = ns["flat"]

    def _filename(self) -> str:
        return f"<pvabi.fastcodec {self.layout.name}/{self.layout.arch}>"

    @cached_property
    def encode(self) -> Callable[[Any], bytes]:
        """Written and compiled on first use: readers (image checks, decode) never pay for the encoders,
        which are most of the generated code. A compile failure here surfaces as an exception in
        ``FastCodec.encode``, which then defers to the reference like any other refusal."""
        self._write_encoders(self.root)
        encode: Callable[[Any], bytes] = self.src.compile(self._filename())["encode"]
        return encode

    # decode ------------------------------------------------------------------------------------

    def _write_reader(self) -> None:
        """The lines that set ``t`` to the flat tuple of every read, after the length and constant checks
        (written into each function that reads: a call less per image)."""
        src = self.src
        parts = []
        for lane in self.lanes:
            s = src.obj(struct.Struct(_PREFIX[lane.order] + "".join(lane.fmt)), "S")
            parts.append(f"{s}.unpack_from(buf, {lane.start})")
        read = [f"    if len(buf) != {self.layout.size}:",
                "        raise _Defer",
                f"    t = {' + '.join(parts) or '()'}"]
        checks = [f"t[{self.index[s.path]}] != {src.obj(s.const)}" for s in self.values
                  if _reads(s) and s.const is not None]
        for i in range(0, len(checks), 32):
            read.append(f"    if {' or '.join(checks[i:i + 32])}:")
            read.append("        raise _Defer")
        self.read = read
        src.namespace["_Defer"] = _Defer

    def _word(self, s: _Value) -> str:
        """The integer a bitfield's bits are taken from."""
        word_value = self.read_values[s.word if s.word is not None else s.path]
        read = self.index[word_value.path]
        if _as_int(word_value):
            return f"t[{read}]"
        return f"int.from_bytes(t[{read}], {_lit(word_value.order)})"

    def _bits_value(self, s: _Value) -> str:
        word = self._word(s)
        value = f"({word} >> {s.shift} & {(1 << s.width) - 1})"
        if s.signed:
            sign = 1 << (s.width - 1)
            value = f"(({value} ^ {sign}) - {sign})"
        return value

    def _typed(self, s: _Value) -> str | None:
        if s.enum is not None:
            return self._cache(s.enum, _EnumCache)
        if s.flags is not None:
            return self._cache(s.flags, _FlagsCache)
        return None

    def _cache(self, definition: Any, kind: Any) -> str:
        name = self.typed.get(id(definition))
        if name is None:
            name = self.typed[id(definition)] = self.src.obj(kind(definition), "E")
        return name

    def _value(self, node: _Node) -> str:
        s = node.entry
        if s.kind in ("struct", "union"):
            items = ", ".join(f"{_lit(k)}: {self._value(c)}" for k, c in node.children.items())
            return "{" + items + "}"
        if s.kind == "array":
            return self._array(node)
        if s.kind == "bitfield":
            value = self._bits_value(s)
        elif s.kind == "bits":
            read = f"t[{self.index[s.path]}]"
            word = read if _as_int(s) else f"int.from_bytes({read}, {_lit(s.order)})"
            pad = f"({word} & {~s.covered})"
            zero = self.src.obj(bytes(s.size))
            return f"({zero} if not {pad} else {pad}.to_bytes({s.size}, {_lit(s.order)}))"
        else:
            value = f"t[{self.index[s.path]}]"
        typed = self._typed(s)
        return f"{typed}[{value}]" if typed else value

    def _array(self, node: _Node) -> str:
        kids = list(node.children.values())
        first = kids[0].entry if kids else None
        if first is not None and all(k.entry.kind == "int" for k in kids):
            start = self.index[first.path]
            if [self.index[k.entry.path] for k in kids] == list(range(start, start + len(kids))):
                typed = self._typed(first)
                part = f"t[{start}:{start + len(kids)}]"
                return f"list(map({typed}.__getitem__, {part}))" if typed else f"list({part})"
        return "[" + ", ".join(self._value(k) for k in kids) + "]"

    def _write_decode(self, root: _Node) -> None:
        lines = self.src.lines
        lines.append("def decode(buf):")
        lines.extend(self.read)
        lines.append(f"    return {self._value(root)}")

    def _write_flat(self) -> None:
        lines = self.src.lines
        lines.append("def flat(buf):")
        lines.extend(self.read)
        if self.bitfields:
            values = "".join(f"{self._bits_value(s)}, " for s in self.bitfields)
            lines.append(f"    return t + ({values})")
        else:
            lines.append("    return t")

    # encode ------------------------------------------------------------------------------------

    def _write_encoders(self, root: _Node) -> None:
        for name, helper in (("_seq", _seq), ("_const", _const),
                             ("_padding", _padding), ("_union", _union), ("_View", _View)):
            self.src.namespace[name] = helper
        entry = self._encoder(root, root.entry.offset, root.entry.size)
        self.src.lines.append(f"encode = {entry}")

    def _encoder(self, node: _Node, base: int, size: int) -> str:
        """A function that encodes ``node``'s value into its ``size`` bytes; returns its name."""
        name = self.src.name("_enc")
        body: list[str] = []
        items: list[_Item] = []
        self._put(node, "v", body, items)
        fmt, args, sized, end, position = [], [], [], base, 0
        for item in sorted(items, key=lambda it: it.offset):
            if item.offset > end:
                fmt.append(f"{item.offset - end}x")
            fmt.append(item.code)
            if item.sized:
                sized.append((position, item.size))
            args.append(item.arg)
            position += item.width
            end = item.offset + item.size
        if base + size > end:
            fmt.append(f"{base + size - end}x")
        packer = self.src.obj(struct.Struct(_PREFIX[self.native] + "".join(fmt)), "S")
        lines = self.src.lines
        lines.append(f"def {name}(v):")
        lines.extend(f"    {line}" for line in body)
        if not sized:
            lines.append(f"    return {packer}.pack({', '.join(args)})")
            return name
        # struct pads or cuts bytes to their width where construct refuses a wrong length: check
        # every length at once (C loops), rather than one call per padding or reserved field.
        lines.append(f"    a = ({', '.join(args)},)")
        pick = self.src.obj(operator.itemgetter(*(i for i, _ in sized)), "G")
        lengths = self.src.obj(tuple(n for _, n in sized), "N")
        got = f"tuple(map(len, {pick}(a)))" if len(sized) > 1 else f"(len({pick}(a)),)"
        lines.append(f"    if {got} != {lengths}:")
        lines.append("        raise _Defer")
        lines.append(f"    return {packer}.pack(*a)")
        return name

    def _bind(self, expr: str, body: list[str]) -> str:
        local = self.src.name("x")
        body.append(f"{local} = {expr}")
        return local

    def _put(self, node: _Node, value: str, body: list[str], items: list[_Item]) -> None:
        """Append what encodes ``node`` (whose value is the expression ``value``) to ``items``."""
        s = node.entry
        if s.kind == "struct":
            # Each run's members, found in one pass (a search per run was quadratic in a struct of bitfields).
            runs: dict[tuple[Key, ...] | None, list[tuple[Key, _Value]]] = {}
            for key, child in node.children.items():
                if child.entry.kind == "bitfield":
                    runs.setdefault(child.entry.word, []).append((key, child.entry))
            for key, child in node.children.items():
                c = child.entry
                if c.kind == "bitfield":
                    continue  # written with its run's word
                if c.kind == "bits":
                    self._put_word(c, runs.get(c.path, []), value, items)
                    continue
                # construct fills in what has a default (padding, reserved, constants); the rest must be given
                if c.optional:  # construct's Default: left out (or None), it is zeros
                    got = f"{value}.get({_lit(key)}, {self.src.obj(bytes(c.size))})"
                else:
                    got = f"{value}.get({_lit(key)})" if c.const is not None else f"{value}[{_lit(key)}]"
                self._put(child, self._bind(got, body) if c.kind in ("struct", "array") else got, body, items)
        elif s.kind == "union":
            views = []
            for key, child in node.children.items():
                if key == "_raw":
                    continue
                mask = self._view_mask(child.entry, s.offset)
                views.append(_View(str(key), self._ns_fn(self._encoder(child, s.offset, child.entry.size)), mask))
            arg = f"_union({value}, {s.size}, {self.src.obj(tuple(views))})"
            items.append(_Item(s.offset, s.size, f"{s.size}s", arg))
        elif s.kind == "array":
            seq = f"_const({value}, {self.src.obj(s.const)})" if s.const is not None else f"_seq({value}, {s.count})"
            local = self._bind(seq, body)
            kids = list(node.children.values())
            if kids and all(k.entry.kind == "int" and _as_int(k.entry) and _order(k.entry) in (None, self.native)
                            for k in kids):
                code = _code(kids[0].entry)
                items.append(_Item(s.offset, s.size, f"{len(kids)}{code}", f"*{local}", width=len(kids)))
                return
            for i, child in enumerate(kids):
                got = f"{local}[{i}]"
                self._put(child, self._bind(got, body) if child.entry.kind in ("struct", "array") else got,
                          body, items)
        elif s.kind == "bitfield":  # a bitfield viewed alone (a union member)
            arg = f"(({value} & {(1 << s.width) - 1}) << {s.shift}).to_bytes({s.size}, {_lit(s.order)})"
            items.append(_Item(s.offset, s.size, f"{s.size}s", arg))
        elif s.kind == "bytes":
            if s.const is not None:
                items.append(_Item(s.offset, s.size, f"{s.size}s", f"_const({value}, {self.src.obj(s.const)})"))
            else:
                items.append(_Item(s.offset, s.size, f"{s.size}s", value, sized=True))
        else:
            self._put_int(s, value, items)

    def _put_int(self, s: _Value, value: str, items: list[_Item]) -> None:
        if s.const is not None:
            value = f"_const({value}, {self.src.obj(s.const)})"
        if _as_int(s) and _order(s) in (None, self.native):
            items.append(_Item(s.offset, s.size, _code(s), value))
        else:  # the other byte order: as bytes, so one struct format serves the whole layout
            arg = f"{value}.to_bytes({s.size}, {_lit(s.order)}, signed={bool(s.signed)})"
            items.append(_Item(s.offset, s.size, f"{s.size}s", arg))

    def _put_word(self, s: _Value, members: list[tuple[Key, _Value]], value: str, items: list[_Item]) -> None:
        """A bitfield run's bytes: its padding bits as given, each member's bits from its value."""
        parts = [f"_padding({value}.get({_lit(s.path[-1])}), {_lit(s.order)}, {~s.covered})"]
        for key, c in members:
            parts.append(f"(({value}.get({_lit(key)}, 0) & {(1 << c.width) - 1}) << {c.shift})")
        word = " | ".join(parts)
        if _as_int(s) and _order(s) in (None, self.native):
            items.append(_Item(s.offset, s.size, _code(s), word))
        else:
            items.append(_Item(s.offset, s.size, f"{s.size}s", f"({word}).to_bytes({s.size}, {_lit(s.order)})"))

    def _ns_fn(self, name: str) -> Callable[[Any], bytes]:
        """A generated function by name, for a table: compiled with the rest, looked up when called."""
        namespace = self.src.namespace
        return lambda v: namespace[name](v)

    def _view_mask(self, s: _Value, base: int) -> int:
        if s.kind == "bitfield":
            mask = ((1 << s.width) - 1) << s.shift
            return int.from_bytes(mask.to_bytes(s.size, s.order), "little")
        return (1 << (8 * s.size)) - 1


_PROGRAMS: dict[int, tuple[Layout, _Program | None]] = {}
_PROGRAMS_LIMIT = 4096


def _program(layout: Layout) -> _Program | None:
    """The compiled fast path of a layout, or None when it cannot express it (cached by identity:
    layouts are immutable, and hashing one walks its whole tree)."""
    found = _PROGRAMS.get(id(layout))
    if found is not None and found[0] is layout:
        return found[1]
    flat = _values(tree(layout))
    program = None
    if _expressible(flat):
        try:
            program = _Program(layout, flat)
        except (SyntaxError, RecursionError, MemoryError, TypeError):
            program = None  # nested past what Python compiles, or not plain data: construct serves it
    if len(_PROGRAMS) >= _PROGRAMS_LIMIT:
        _PROGRAMS.clear()
    _PROGRAMS[id(layout)] = (layout, program)  # the layout is kept alive, so its id stays its own
    return program


def _expressible(flat: tuple[_Value, ...]) -> bool:
    # construct compares a constant enum field's name string to the number and never matches;
    # the reference's behaviour there is its own, so leave such layouts to it.
    return not any(s.enum is not None and s.const is not None for s in flat)


def supports(layout: Layout) -> bool:
    """Whether the fast path decodes and encodes ``layout`` itself (otherwise FastCodec defers to construct)."""
    return _program(layout) is not None


class FastCodec:
    """Decode and encode like ``ConstructCodec``, through generated ``struct`` code.

    ``decode``/``encode`` return what ``ConstructCodec.parse``/``build`` return, and raise
    what they raise (by calling them for any input the fast path does not take itself).
    ``deferred`` counts those calls.
    """

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._program = _program(layout)
        self._reference: ConstructCodec | None = None
        self.deferred = 0
        if self._program is not None:
            self.paths: tuple[str, ...] = self._program.paths
            self._decode = self._program.decode
            self._flat = self._program.flat

    @property
    def reference(self) -> ConstructCodec:
        """The construct codec this one defers to (built on first need: compiling it is slow)."""
        if self._reference is None:
            from .codec import ConstructCodec

            self._reference = ConstructCodec(self.layout)
        return self._reference

    def decode(self, data: bytes) -> dict[str, Any]:
        if self._program is not None:
            try:
                return self._decode(data)
            except Exception:  # anything unusual: the reference decides, and words the error
                pass
        self.deferred += 1
        return self.reference.parse(data)

    def encode(self, values: dict[str, Any]) -> bytes:
        if self._program is not None:
            try:
                return self._program.encode(values)
            except Exception:
                pass
        self.deferred += 1
        return self.reference.build(values)

    def flat(self, data: bytes) -> tuple[Any, ...]:
        """Every read of ``data`` as one flat tuple (raw integers and bytes, then bitfield values).

        ``paths[i]`` names entry ``i``. Two images decode alike exactly when their flat tuples
        are equal. An image ``decode`` refuses raises the same error here.
        """
        if self._program is not None:
            try:
                return self._flat(data)
            except Exception:
                pass
        self.reference.parse(data)  # raises the reference's error for a bad image
        raise ValueError(f"{self.layout.name}: the fast path cannot express this layout; no flat form")


def fast_codec(layout: Layout) -> FastCodec:
    """A FastCodec for ``layout``, shared by every caller (cached like the compiled program)."""
    found = _CODECS.get(id(layout))
    if found is not None and found.layout is layout:
        return found
    if len(_CODECS) >= _PROGRAMS_LIMIT:
        _CODECS.clear()
    codec = _CODECS[id(layout)] = FastCodec(layout)
    return codec


_CODECS: dict[int, FastCodec] = {}
