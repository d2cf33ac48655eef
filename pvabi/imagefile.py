"""Image files in and out: ``pvabi decode`` and ``pvabi encode`` as library calls.

Decoding reads one layout's bytes from a file (at an offset inside a larger
dump if asked), decodes them and lists what breaks a writer rule. Encoding
reads the values a user wrote (the JSON ``decode --json`` prints), checks they
are meant for this layout, architecture and version, and writes the image
atomically. Every problem is an ``InputError`` naming the file it is about.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .codec import Note, encode_values, inspect
from .decoded import read_image
from .decoder import decode
from .engine import Layout
from .errors import DecodeError, InputError, PvabiError
from .project import Project
from .values import check_decoded, decoded_document
from .versions import write_atomic


@dataclass(frozen=True)
class DecodedImage:
    layout: Layout
    offset: int  # where in the file the layout was read
    values: dict[str, Any]
    notes: tuple[Note, ...]  # writer rules the image breaks (non-zero reserved bytes, undefined flags)


def decode_file(layout: Layout, path: Path, offset: int = 0) -> DecodedImage:
    """Decode ``layout`` from ``path`` at byte ``offset`` (the whole file when 0: it must be exactly as long)."""
    data = read_image(path, layout, offset)
    try:
        values = decode(layout, data)
    except DecodeError as e:
        raise e.with_file(str(path)) from None
    return DecodedImage(layout, offset, values, tuple(inspect(layout, values)))


@dataclass(frozen=True)
class EncodedImage:
    layout: Layout
    size: int
    forced: tuple[Note, ...]  # members written into reserved space because the caller allowed it


def encode_file(project: Project, layout: str, values_path: Path, output: Path, version: str,
                arch: str | None = None, allow_reserved: bool = False) -> EncodedImage:
    """Build layout ``layout`` of ``version`` from the values in ``values_path`` and write it to ``output``.

    A document printed by ``decode --json`` names its layout, architecture and version: those are used,
    and a different one given here is refused.
    """
    try:
        data = json.loads(values_path.read_text("utf-8"))
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", str(values_path)) from None
    except (ValueError, RecursionError) as e:
        raise InputError(f"malformed JSON: {e}", str(values_path)) from None
    doc = decoded_document(data)
    try:
        arch = check_decoded(doc, layout, arch, version, project.index.resolve)
    except PvabiError as e:
        raise InputError(str(e), str(values_path)) from None
    lay = project.layout(layout, version, arch)
    try:
        image, forced = encode_values(lay, doc.values, allow_reserved)
    except PvabiError as e:
        raise InputError(str(e), str(values_path)) from None
    try:
        write_atomic(output, image)
    except OSError as e:
        raise InputError(f"cannot write image: {e.strerror}", str(output)) from None
    return EncodedImage(lay, len(image), tuple(forced))
