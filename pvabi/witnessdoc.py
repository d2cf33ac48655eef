"""Witnesses as data for tools: their JSON object (``pvabi.witness/2``) and the files ``--witness-dir`` saves.

The same object is a finding's ``witness`` in a diff report and the ``witness``
of each saved description, validated by ``pvabi/schemas/witness.schema.json``.
Values keep their types (docs/json.md): an integer; ``{"bytes": hex}``; an
enum value as ``{"value": N, "name": "X" | null}``; a flags value as
``{"value": N, "names": [...]}``; a list for an array; null when absent.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .findings import Witness
from .values import EnumValue, FlagsValue
from .versions import write_atomic

if TYPE_CHECKING:
    from .diff import DiffResult

WITNESS_SCHEMA = "pvabi.witness/2"


def value_json(v: Any) -> Any:
    """A typed value (``decoder``) in its JSON form; the one encoding every witness uses."""
    if v is None:
        return None
    if isinstance(v, EnumValue):
        return {"value": int(v), "name": v.name}
    if isinstance(v, FlagsValue):
        return {"value": int(v), "names": list(v.names)}
    if isinstance(v, (bytes, bytearray)):
        return {"bytes": bytes(v).hex()}
    if isinstance(v, list):
        return [value_json(x) for x in v]
    if isinstance(v, int) and not isinstance(v, bool):
        return int(v)
    raise TypeError(f"not a decoded value: {v!r}")


def witness_json(w: Witness, file: str | None) -> dict[str, Any]:
    """The witness object; ``file`` names the saved image, when one was saved."""
    return {
        "layout": w.layout,
        "arch": w.arch,
        "written_under": w.written_under,
        "read_under": w.read_under,
        "field": w.field,
        "offset": w.offset,
        "writer_offset": w.writer_offset,
        "size": w.size,
        "bytes": w.bytes_at.hex(),
        "writer_value": value_json(w.writer_value),
        "reader_value": value_json(w.reader_value),
        "required": value_json(w.required),
        "writer_field": w.writer_field,
        "note": w.note,
        "direction": w.direction,
        "writer": w.writer,
        "reader": w.reader,
        "elements_differing": w.elements_differing,
        "differing": [{"path": p, "writer_value": value_json(a), "reader_value": value_json(b)}
                      for p, a, b in w.differing],
        "image_size": len(w.image),
        "image_sha256": hashlib.sha256(w.image).hexdigest(),
        "file": file,
    }


def save_witnesses(result: DiffResult, directory: Path) -> dict[tuple[int, int], str]:
    """Write each witness image to ``directory`` (atomically) with a ``pvabi.witness/2`` description beside it.

    Names are deterministic: ``<old>..<new>-<n>-<RULE>-<layout>-<arch>.bin`` and ``.json``.
    Returns (comparison index, finding index) -> image file name, for the JSON report.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create the witness directory: {e.strerror}", str(directory)) from None
    files: dict[tuple[int, int], str] = {}
    for ri, report in enumerate(result.reports):
        for fi, f in enumerate(report.findings):
            w = f.witness
            if w is None:
                continue
            stem = _safe(f"{report.old}..{report.new}-{fi + 1:03d}-{f.rule}-{w.layout}-{w.arch}")
            _write(directory / f"{stem}.bin", w.image)
            doc = {"schema": WITNESS_SCHEMA, "rule": f.rule, "message": f.message,
                   "old": report.old, "new": report.new, "witness": witness_json(w, f"{stem}.bin")}
            _write(directory / f"{stem}.json", (json.dumps(doc, indent=2) + "\n").encode())
            files[(ri, fi)] = f"{stem}.bin"
    return files


def _write(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data)
    except OSError as e:
        raise InputError(f"cannot write witness: {e.strerror}", str(path)) from None


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
