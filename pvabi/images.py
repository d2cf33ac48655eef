"""The image corpus in ``abi/images/``: images, their sidecars, and the hashes that lock released ones.

Each image is a binary file ``NAME.bin`` beside a sidecar ``NAME.json``
(``pvabi.image/1``, validated by ``pvabi/schemas/image.schema.json``) that says
which layout it holds and where, on which architecture, who wrote it under
which version, how it was produced, and the value of every field its writer
set. ``abi/images/index.json`` records the SHA-256 of every image written
under a frozen version: like a frozen version's files, such an image is
history and is never rewritten; ``pvabi validate`` fails, naming the file, if
one changes. docs/images.md describes the corpus and how it is regenerated.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .abiroot import WORKING, AbiRoot
from .errors import InputError, PvabiError
from .imagedecode import Decoded, decode, json_value, written_by
from .versions import VersionIndex, locked, write_atomic
from .yamlsafe import excerpt, read_regular, schema_error_path, schema_message, schema_violations

SIDECAR_SCHEMA = "pvabi.image/1"
INDEX_SCHEMA = "pvabi.images/1"
INDEX_NAME = "index.json"
MAX_IMAGES = 4096  # sidecars in one corpus
MAX_IMAGE_BYTES = 16 << 20  # one image file (a page dump, a ROM)
MAX_SIDECAR_BYTES = 8 << 20  # a 64 Ki-field layout's expected values, with room
MAX_INDEX_BYTES = 4 << 20
PARTIES = ("host", "guest")


@dataclass(frozen=True)
class Image:
    """One registered image, as its sidecar describes it."""

    name: str  # the image file's name (NAME.bin)
    path: Path  # the image file
    sidecar: str  # the sidecar, as shown in messages (abi/images/NAME.json)
    layout: str
    version: str
    arch: str
    writer: str  # host | guest
    offset: int
    sha256: str
    produced: dict[str, Any]
    expected: dict[str, Any]

    @property
    def shown(self) -> str:
        return str(Path(self.sidecar).with_name(self.name))

    def to_json(self) -> dict[str, Any]:
        return {"schema": SIDECAR_SCHEMA, "image": self.name, "layout": self.layout, "version": self.version,
                "arch": self.arch, "writer": self.writer, "offset": self.offset, "sha256": self.sha256,
                "produced": self.produced, "expected": self.expected}


def images_dir(root: AbiRoot) -> Path:
    return root.path / "images"


def _shown(root: AbiRoot, path: Path) -> str:
    try:
        return str(path.relative_to(root.display_base))
    except ValueError:
        return str(path)


def _read_json(path: Path, shown: str, limit: int) -> Any:
    try:
        return json.loads(read_regular(path, shown, limit).decode("utf-8"))
    except (ValueError, RecursionError) as e:
        raise InputError(f"malformed JSON: {excerpt(str(e), 80)}", shown) from None


def read_sidecar(root: AbiRoot, path: Path) -> Image:
    """One sidecar, checked against its schema and its own file name."""
    shown = _shown(root, path)
    data = _read_json(path, shown, MAX_SIDECAR_BYTES)
    errors = sorted(schema_violations("image.schema.json", data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in schema_error_path(err)) or None
        raise InputError(schema_message(err), shown, None, where)
    if data["image"] != path.with_suffix(".bin").name:
        raise InputError(f"names image {data['image']!r}, but a sidecar describes the image of its own name "
                         f"({path.with_suffix('.bin').name})", shown, None, "image")
    return Image(data["image"], path.with_suffix(".bin"), shown, data["layout"], data["version"], data["arch"],
                 data["writer"], data["offset"], data["sha256"], data["produced"], data["expected"])


def load_corpus(root: AbiRoot) -> list[Image]:
    """Every image of the corpus, by name; an ABI without ``images/`` has none."""
    d = images_dir(root)
    if not d.is_dir():
        return []
    sidecars = sorted(p for p in d.iterdir() if p.suffix == ".json" and p.name != INDEX_NAME
                      and not p.name.startswith("."))
    if len(sidecars) > MAX_IMAGES:
        raise InputError(f"{len(sidecars)} sidecars, more than the {MAX_IMAGES} a corpus may hold", _shown(root, d))
    return [read_sidecar(root, p) for p in sidecars]


def image_bytes(img: Image) -> bytes:
    """The image file's bytes, refused when they are not the ones its sidecar recorded."""
    data = read_regular(img.path, img.shown, MAX_IMAGE_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    if digest != img.sha256:
        raise InputError(f"does not match its sidecar: SHA-256 {digest[:12]}..., the sidecar records "
                         f"{img.sha256[:12]}... (a changed image needs a new name and sidecar)", img.shown)
    return data


def layout_bytes(img: Image, data: bytes, size: int) -> bytes:
    """The ``size`` bytes of the layout at the image's offset; a short or overlong file is refused.

    With offset 0 the file must hold exactly the layout (a longer one is a dump
    that needs its offset in the sidecar); at an offset it must reach that far.
    """
    end = img.offset + size
    if len(data) < end:
        raise InputError(f"image is {len(data)} bytes, too short for {img.layout} ({size} bytes on {img.arch}) "
                         f"at offset {img.offset}", img.shown)
    if img.offset == 0 and len(data) > size:
        raise InputError(f"image is {len(data)} bytes, longer than {img.layout} ({size} bytes on {img.arch}); "
                         "a layout inside a larger dump needs its offset in the sidecar", img.shown)
    return data[img.offset:end]


def expected_values(decoded: Decoded, writer: str) -> dict[str, Any]:
    """What a sidecar records: every field ``writer`` writes, at its dotted path, as ``decode --json`` prints it."""
    return {path: json_value(s.value) for path, s in decoded.slots.items() if written_by(s, writer)}


# --- the hash lock ------------------------------------------------------------------------------------------

def read_index(root: AbiRoot) -> dict[str, str]:
    """``{image file name: SHA-256}`` of every locked image."""
    path = images_dir(root) / INDEX_NAME
    shown = _shown(root, path)
    if not (path.exists() or path.is_symlink()):
        return {}
    data = _read_json(path, shown, MAX_INDEX_BYTES)
    images = data.get("images") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("schema") != INDEX_SCHEMA or not isinstance(images, dict):
        raise InputError(f"not a {INDEX_SCHEMA} index (an object with 'schema' and 'images')", shown)
    for name, digest in images.items():
        if not (isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)):
            raise InputError("is not a SHA-256 digest", shown, None, f"images.{excerpt(name, 60)}")
    return dict(images)


def write_index(root: AbiRoot, locked: dict[str, str]) -> None:
    doc = {"schema": INDEX_SCHEMA, "images": dict(sorted(locked.items()))}
    write_atomic(images_dir(root) / INDEX_NAME, (json.dumps(doc, indent=2) + "\n").encode())


def verify(root: AbiRoot, frozen: set[str] | None = None) -> list[InputError]:
    """Locked images whose bytes changed or vanished, and images of frozen versions that are not locked.

    ``pvabi validate`` calls this next to the frozen versions' own hash check.
    """
    problems: list[InputError] = []
    try:
        locked = read_index(root)
        corpus = load_corpus(root)
        if frozen is None:
            frozen = {v.name for v in VersionIndex.read(root).versions}
    except InputError as e:
        return [e]
    d = images_dir(root)
    for name, digest in sorted(locked.items()):
        path = d / name
        shown = _shown(root, path)
        if "/" in name or not name.endswith(".bin") or not (path.exists() or path.is_symlink()):
            problems.append(InputError("locked image is missing; images of released versions are never removed",
                                       shown))
            continue
        try:
            actual = hashlib.sha256(read_regular(path, shown, MAX_IMAGE_BYTES)).hexdigest()
        except InputError as e:
            problems.append(e)
            continue
        if actual != digest:
            problems.append(InputError("locked image was modified (SHA-256 no longer matches images/index.json); "
                                       "images of released versions are never rewritten: add a new image instead",
                                       shown))
    for img in corpus:
        if img.version in frozen and img.name not in locked:
            problems.append(InputError(f"image of frozen {img.version} is not locked in images/index.json",
                                       img.shown))
        elif img.name in locked and locked[img.name] != img.sha256:
            problems.append(InputError("the sidecar's sha256 differs from images/index.json", img.sidecar, None,
                                       "sha256"))
    return problems


# --- registering a captured image (pvabi images add) -------------------------------------------------------

def register(root: AbiRoot, source: Path, layout: Any, version: str, writer: str, offset: int, note: str,
             name: str | None = None) -> Image:
    """Copy a captured image into the corpus with its sidecar; lock it when its version is frozen.

    ``layout`` is the resolved layout under ``version`` (the caller resolves it,
    so the version and architecture are checked where every command checks them).
    The image must decode: constants in place, and as long as the layout at ``offset``.
    """
    if writer not in PARTIES:
        raise InputError(f"--writer must be host or guest, not {excerpt(writer)}")
    data = read_regular(source, str(source), MAX_IMAGE_BYTES)
    img = Image(name or f"{layout.name}-{layout.arch}-{version}-{writer}-captured.bin", images_dir(root) / "x.bin",
                str(source), layout.name, version, layout.arch, writer, offset,
                hashlib.sha256(data).hexdigest(), {"by": "captured", "note": note}, {})
    try:
        decoded = decode(layout, layout_bytes(img, data, layout.size))
    except PvabiError as e:
        raise InputError(f"does not decode as {layout.name} on {layout.arch} under {version}: {e}",
                         str(source)) from None
    if decoded.consts:
        c = decoded.consts[0]
        raise InputError(f"{layout.name}.{c.path} at offset {c.offset}: bytes {c.found.hex(' ')}, but the layout "
                         f"requires the constant {c.expected.hex(' ')}", str(source))
    d = images_dir(root)
    d.mkdir(parents=True, exist_ok=True)
    with locked(root):  # the writer lock freeze takes: one registration at a time updates the index
        return _store(root, img, decoded, data, d / img.name)


def _store(root: AbiRoot, img: Image, decoded: Decoded, data: bytes, target: Path) -> Image:
    sidecar = target.with_suffix(".json")
    if target.exists() or sidecar.exists() or target.is_symlink() or sidecar.is_symlink():
        raise InputError("already in the corpus; registered images are never overwritten", _shown(root, target))
    img = Image(img.name, target, _shown(root, sidecar), img.layout, img.version, img.arch, img.writer, img.offset,
                img.sha256, img.produced, expected_values(decoded, img.writer))
    write_atomic(target, data)
    write_atomic(sidecar, (json.dumps(img.to_json(), indent=2) + "\n").encode())
    if img.version != WORKING:
        index = read_index(root)
        index[img.name] = img.sha256
        write_index(root, index)
    return img
