"""The one witness checker of the tests: re-decode a witness image with ``pvabi.decoder.decode`` on both sides.

A witness proves its finding when the writer's own layout decodes its image (it is a legal image),
the reader decodes ``field`` to exactly the typed value the witness claims (number, enum name, flag
names, bytes), and the writer meant something else there. A reader that refuses the image must do
so over the constant the witness names. The witness's JSON form must conform to its schema.
"""

from __future__ import annotations

from typing import Any

from jsonschemas import schema_errors

from pvabi.decoder import decode, read_slot
from pvabi.engine import Layout
from pvabi.errors import DecodeError
from pvabi.findings import Witness
from pvabi.slots import Slot, slots
from pvabi.values import EnumValue, FlagsValue
from pvabi.witnessdoc import WITNESS_SCHEMA, witness_json
from valuepath import MISSING, walk


def typed(v: Any) -> Any:
    """A value with its type made explicit, so an enum value never equals the bare number or another name."""
    if isinstance(v, EnumValue):
        return ("enum", int(v), v.name)
    if isinstance(v, FlagsValue):
        return ("flags", int(v), tuple(v.names), v.unknown)
    if isinstance(v, list):
        return [typed(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return ("bytes", bytes(v))
    if isinstance(v, dict):
        return {k: typed(x) for k, x in v.items()}
    return v


def decode_side(layout: Layout, w: Witness) -> tuple[Any, DecodeError | None]:
    """Decode the witness image as ``layout`` lays it out (the image cut to that layout's size)."""
    assert len(w.image) >= layout.size, f"witness image of {len(w.image)} bytes is shorter than {layout.name}"
    try:
        return decode(layout, w.image[:layout.size]), None
    except DecodeError as e:
        return None, e


def witness_problem(writer_layout: Layout, reader_layout: Layout, w: Witness, rule: str = "RULE") -> str:
    """Why the witness does not prove what it says; empty when it does."""
    doc = {"schema": WITNESS_SCHEMA, "rule": rule, "message": "", "old": "", "new": "",
           "witness": witness_json(w, None)}
    if errors := schema_errors("witness", doc):
        return f"its JSON does not match witness.schema.json: {errors[0]}"
    if w.bytes_at != w.image[w.offset:w.offset + w.size] or not w.size:
        return "bytes_at is not the image's bytes at offset/size"
    writer, err = decode_side(writer_layout, w)
    if err is not None:
        return f"the writer's own image does not decode: {err}"
    reader, err = decode_side(reader_layout, w)
    if err is not None:
        if w.required is None or not err.message.startswith("constant mismatch"):
            return f"the reader refuses the image, but the witness claims no constant: {err}"
        slot = slot_at(reader_layout, w.field)
        if slot is None or slot.const is None:
            return f"the witness claims a constant, but the reader's {w.field} is not one"
        held = read_slot(w.image, slot)
        if typed(held) != typed(w.reader_value) or typed(held) == typed(w.required):
            return (f"the image holds {held!r} at {w.field}; the witness says {w.reader_value!r} "
                    f"(requires {w.required!r})")
        return ""
    if w.required is not None:
        return f"the witness claims {w.field} must be {w.required!r}, yet the reader accepts the image"
    got = walk(reader, w.field)
    if got is MISSING:
        return f"the reader's layout has no {w.field}"
    if typed(got) != typed(w.reader_value):
        return f"the reader decodes {w.field} = {got!r}, the witness says {w.reader_value!r}"
    if w.writer_field:
        meant = walk(writer, w.writer_field)
        if walk(writer, w.field) is not MISSING:
            return f"the witness says the writer has no {w.field}, but it has"
        if meant is MISSING or typed(meant) != typed(w.writer_value):
            return f"the writer's {w.writer_field} decodes {meant!r}, the witness says {w.writer_value!r}"
        return ""
    mine = walk(writer, w.field)
    wslot = slot_at(writer_layout, w.field)
    if mine is MISSING or (wslot is not None and not wslot.live):
        # The writer has no such field, or only reserved bytes there: it meant nothing by them.
        if w.writer_value is not None:
            return f"the writer has no field {w.field}, yet the witness says {w.writer_value!r}"
        return ""
    if typed(mine) == typed(got):
        return f"writer and reader both decode {w.field} = {got!r}"
    if typed(mine) != typed(w.writer_value):
        return f"the writer decodes {w.field} = {mine!r}, the witness says {w.writer_value!r}"
    return ""


def slot_at(layout: Layout, path: str) -> Slot | None:
    """The slot holding ``path`` (an element of a scalar array is in its array's slot)."""
    return next((s for s in slots(layout) if s.path == path or path.startswith(s.path + "[")), None)
