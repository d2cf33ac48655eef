"""Plain Python values of decoded images, and their JSON form.

A decoded layout is a dict of member name to value: ``int`` for integers,
``EnumValue``/``FlagsValue`` (ints that also carry names) for enum and flags
fields, ``bytes`` for char arrays and reserved regions, lists for arrays,
dicts for nested structs and unions. Padding GCC inserts is kept under
``_hole_<offset>`` keys (and a union's bytes under ``_raw``) so an image
rebuilds byte for byte. ``decoder.decode`` produces exactly these values (with
construct underneath, the one codec there is), and ``decoder.encode`` takes them
back, as it takes their JSON form.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import arch as archmod
from .engine import ArrayType, Layout, Member, RecordType, RType, ScalarType, int_range
from .errors import EncodeError, PvabiError
from .model import EnumDef, FlagsDef

JsonValue = Any


class EnumValue(int):
    """An enum field's number, with its name (None for a value the enum does not define)."""

    name: str | None

    def __new__(cls, value: int, enum: EnumDef) -> EnumValue:
        obj = super().__new__(cls, value)
        obj.name = enum.name_of(value)
        return obj

    def __repr__(self) -> str:
        return f"{int(self)}({self.name or '?'})"


class FlagsValue(int):
    """A flags field's number, with the names of its set bits and any unnamed bits."""

    names: tuple[str, ...]
    unknown: int

    def __new__(cls, value: int, flags: FlagsDef) -> FlagsValue:
        obj = super().__new__(cls, value)
        obj.names = flags.names_of(value)
        obj.unknown = value & ~flags.mask
        return obj

    def __repr__(self) -> str:
        return f"{int(self):#x}({'|'.join(self.names) or '0'})"


def hole_key(offset: int) -> str:
    return f"_hole_{offset}"


def bits_key(offset: int) -> str:
    """The bytes of a run of bitfields at ``offset``; decoded values keep only the bits no member holds."""
    return f"_bits_{offset}"


def is_opaque(m: Member) -> bool:
    """Reserved members decode as raw bytes: their content has no meaning to interpret (a bitfield's is its integer)."""
    return m.field.reserved is not None and m.bitfield is None


# --- JSON ------------------------------------------------------------------

def to_json(layout: Layout, values: dict[str, Any], holes: str = "nonzero") -> dict[str, JsonValue]:
    """The JSON form of decoded values; ``holes`` is "all", "nonzero" or "none"."""
    out: dict[str, JsonValue] = {}
    for key, value in values.items():
        if key.startswith(("_hole_", "_bits_")) or key == "_raw":
            if holes == "all" or (holes == "nonzero" and any(value)):
                out[key] = _bytes_json(value)
            continue
        m = layout.member(key)
        out[key] = _value_json(m.rtype if m else None, value, holes)
    return out


def _value_json(t: RType | None, value: Any, holes: str) -> JsonValue:
    if isinstance(value, EnumValue):
        return {"value": int(value), "name": value.name}
    if isinstance(value, FlagsValue):
        return {"value": int(value), "set": list(value.names), "unknown": value.unknown}
    if isinstance(value, (bytes, bytearray)):
        return _bytes_json(bytes(value))
    if isinstance(value, list):
        elem = t.elem if isinstance(t, ArrayType) else None
        return [_value_json(elem, v, holes) for v in value]
    if isinstance(value, dict):
        assert isinstance(t, RecordType)
        return to_json(t.layout, value, holes)
    return int(value)


def _bytes_json(b: bytes) -> JsonValue:
    text = b.rstrip(b"\0")
    if text and all(32 <= c < 127 for c in text):
        return {"hex": b.hex(), "text": text.decode("ascii")}
    return {"hex": b.hex()}


DECODE_SCHEMA = "pvabi.decode/1"


@dataclass(frozen=True)
class Decoded:
    """Values for ``encode``, with what a ``decode --json`` document says they were decoded as."""

    values: JsonValue
    layout: str | None = None
    arch: str | None = None
    version: str | None = None


def decoded_document(data: JsonValue) -> Decoded:
    """Plain values, or a whole ``decode --json`` document (which records layout, architecture and version)."""
    if not (isinstance(data, dict) and data.get("schema") == DECODE_SCHEMA):
        return Decoded(data)
    meta = {k: data.get(k) for k in ("layout", "arch", "version")}
    for key, value in meta.items():
        if value is not None and not isinstance(value, str):
            raise EncodeError(f"{key}: expected a string in a {DECODE_SCHEMA} document")
    return Decoded(data.get("values"), meta["layout"], meta["arch"], meta["version"])


def check_decoded(doc: Decoded, layout: str, arch: str | None, version: str,
                  resolve: Callable[[str], Any]) -> str | None:
    """The architecture to encode for: the document's, unless a different layout, arch or version is asked for.

    Values decoded on arm32 and encoded for x86_64 would silently put every field
    in another place; ``resolve`` names a version's frozen entry (``v1`` -> ``v1.3``).
    """
    if doc.layout is not None and doc.layout != layout:
        raise EncodeError(f"the values were decoded as {doc.layout}, not {layout}")
    if doc.arch is not None:
        try:
            recorded = archmod.canonical(doc.arch)
            asked = archmod.canonical(arch) if arch is not None else recorded
        except KeyError:
            raise EncodeError(f"unknown architecture {_short(arch or doc.arch)}") from None
        if asked != recorded:
            raise EncodeError(f"the values were decoded on {recorded}, not {asked}; "
                              f"encode them for {recorded} (or drop the arch from the document)")
        arch = recorded
    if doc.version is not None and doc.version != version:
        same = False
        with contextlib.suppress(PvabiError):
            same = "working" not in (doc.version, version) and resolve(doc.version).name == resolve(version).name
        if not same:
            raise EncodeError(f"the values were decoded under version {_short(doc.version)}, not {version}; "
                              f"pass --abi-version {_short(doc.version)} (or drop it from the document)")
    return arch


def from_json(layout: Layout, data: JsonValue, path: str = "") -> dict[str, Any]:
    """Values for ``ConstructCodec.build`` from their JSON form (or typed values); EncodeError names the field."""
    where = path or layout.name
    if not isinstance(data, dict):
        raise EncodeError(f"{where}: expected an object for {layout.kind} {layout.name}")
    known = {m.name for m in layout.members}
    for key in data:
        if key not in known and not key.startswith(("_hole_", "_bits_")) and key != "_raw":
            raise EncodeError(f"{where}.{key}: {layout.name} has no member {key!r}")
    out: dict[str, Any] = {}
    if layout.kind == "union" and "_raw" in data:
        # Kept with any members given: the codec checks that they agree with these bytes.
        out["_raw"] = _bytes_from(data["_raw"], layout.size, f"{where}._raw")
    for key, value in data.items():
        if key.startswith("_hole_"):
            out[key] = _bytes_from(value, _hole_size(layout, key, where), f"{where}.{key}")
        elif key.startswith("_bits_"):
            run = next((r for r in layout.bit_runs if bits_key(r.offset) == key), None)
            if run is None:
                raise EncodeError(f"{where}.{key}: {layout.name} has no bitfields at that offset")
            out[key] = _bytes_from(value, run.size, f"{where}.{key}")
    for m in layout.members:
        mpath = f"{where}.{m.name}"
        if m.name not in data:
            if layout.kind == "union" or m.field.reserved is not None or m.field.const is not None:
                continue
            raise EncodeError(f"{mpath}: missing (every non-reserved, non-constant member needs a value)")
        out[m.name] = (_bytes_from(data[m.name], m.size, mpath) if is_opaque(m)
                       else _from(m.rtype, data[m.name], mpath, m))
    return out


def _hole_size(layout: Layout, key: str, where: str) -> int:
    try:
        offset = int(key[len("_hole_"):])
    except ValueError:
        offset = -1
    for h in layout.holes:
        if h.offset == offset:
            return h.size
    raise EncodeError(f"{where}.{key}: {layout.name} has no padding at that offset")


def _from(t: RType, value: JsonValue, path: str, m: Member) -> Any:
    if isinstance(t, RecordType):
        return from_json(t.layout, value, path)
    if isinstance(t, ArrayType):
        if isinstance(t.elem, ScalarType) and t.elem.scalar.char:
            return _bytes_from(value, t.count, path)
        if not isinstance(value, list) or len(value) != t.count:
            raise EncodeError(f"{path}: expected a list of {t.count} elements")
        return [_from(t.elem, v, f"{path}[{i}]", m) for i, v in enumerate(value)]
    return _int_from(t, value, path, m)


def _int_from(t: ScalarType, value: JsonValue, path: str, m: Member) -> int:
    if isinstance(value, dict):
        value = _from_named(value, path, m)
    if isinstance(value, str) and m.enum is not None:
        number = m.enum.value_of(value)
        if number is None:
            raise EncodeError(f"{path}: {value!r} is not a value of enum {m.enum.name} "
                              f"(values: {', '.join(n for n, _ in m.enum.values)})")
        value = number
    elif isinstance(value, list) and m.flags is not None:
        value = _flags_from(value, path, m.flags)
    if isinstance(value, bool) or not isinstance(value, int):
        raise EncodeError(f"{path}: expected an integer, got {_short(value)}")
    lo, hi = int_range(t.scalar, m.bitfield.width if m.bitfield else None)
    if not lo <= value <= hi:
        width = f":{m.bitfield.width}" if m.bitfield else ""
        raise EncodeError(f"{path}: value {value} out of range for {t.spelled}{width} ({lo}..{hi})")
    return value


def _flags_from(names: list[Any], path: str, flags: FlagsDef) -> int:
    bits = dict(flags.bits)
    unknown = [v for v in names if not isinstance(v, str) or v not in bits]
    if unknown:
        raise EncodeError(f"{path}: {_short(unknown[0])} is not a bit of flags {flags.name} "
                          f"(bits: {', '.join(bits)})")
    twice = sorted({v for v in names if names.count(v) > 1})
    if twice:
        raise EncodeError(f"{path}: flag {twice[0]} is listed twice")
    return sum(1 << bits[v] for v in names)


def _from_named(value: dict[str, Any], path: str, m: Member) -> Any:
    """``{"value": N, "name": ...}`` or ``{"value": N, "set": [...], "unknown": U}``: every key given must agree."""
    extra = set(value) - {"value", "name", "set", "unknown"}
    if extra:
        raise EncodeError(f"{path}: unexpected key {_short(sorted(extra)[0])} (give value, name or set)")
    number = value.get("value")
    if "set" in value and m.flags is not None and isinstance(value["set"], list):
        from_set = _flags_from(value["set"], path, m.flags) | _int_or(value.get("unknown"), 0, path)
        if number is not None and number != from_set:
            raise EncodeError(f"{path}: value {_short(number)} and set {value['set']} (unknown "
                              f"{value.get('unknown', 0)}) disagree; give one, or both alike")
        return from_set
    if "name" in value and m.enum is not None and value["name"] is not None:
        named = _int_from_enum_name(value["name"], path, m)
        if number is not None and number != named:
            raise EncodeError(f"{path}: value {_short(number)} and name {_short(value['name'])} disagree; "
                              "give one, or both alike")
        return named
    if number is None:
        raise EncodeError(f"{path}: expected \"value\"" + (", \"set\"" if m.flags else "")
                          + (", \"name\"" if m.enum else ""))
    return number


def _int_from_enum_name(name: Any, path: str, m: Member) -> int:
    assert m.enum is not None
    number = m.enum.value_of(name) if isinstance(name, str) else None
    if number is None:
        raise EncodeError(f"{path}: {_short(name)} is not a value of enum {m.enum.name} "
                          f"(values: {', '.join(n for n, _ in m.enum.values)})")
    return number


def _int_or(value: Any, default: int, path: str) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise EncodeError(f"{path}: expected an integer, got {_short(value)}")
    return value


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _bytes_from(value: JsonValue, size: int, path: str) -> bytes:
    if isinstance(value, (bytes, bytearray)):  # a decoded value, given back as it is
        b = bytes(value)
    elif isinstance(value, dict) and "hex" in value:
        try:
            b = bytes.fromhex(value["hex"])
        except (ValueError, TypeError):
            raise EncodeError(f"{path}: invalid hex") from None
    elif isinstance(value, str):
        try:
            b = value.encode("ascii")
        except UnicodeEncodeError:
            raise EncodeError(f"{path}: text must be ASCII") from None
    elif isinstance(value, list) and all(isinstance(v, int) and 0 <= v <= 255 for v in value):
        b = bytes(value)
    else:
        raise EncodeError(f"{path}: expected text, {{\"hex\": ...}} or a list of bytes")
    if len(b) > size:
        raise EncodeError(f"{path}: {len(b)} bytes do not fit in {size}")
    return b.ljust(size, b"\0")
