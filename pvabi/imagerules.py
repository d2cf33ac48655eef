"""The image checker's rules: one registry line each, ID, title and the paragraph `docs/images.md` shows.

They are not compatibility rules of `pvabi diff` (pvabi/rules/): those judge two
layout descriptions; these judge real bytes, an image one version's writer
produced read with another version's layout (pvabi/checker.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageRule:
    id: str
    title: str
    doc: str


IMAGE_RULES: dict[str, ImageRule] = {r.id: r for r in (
    ImageRule("IMAGE_VALUE_CHANGED", "A shared field reads differently",
              "A field both versions have (the same dotted path) decodes to a different value under the "
              "reader's layout than under the layout the image was written with: the field moved, changed "
              "width, signedness or byte order, or an array was re-indexed. The reader acts on a value the "
              "writer never stored. Read under its own version, an image whose bytes no longer hold the values its "
              "sidecar records fails this rule too."),
    ImageRule("IMAGE_NEW_FIELD_NOT_ABSENT", "A new field does not read as absent",
              "A field the reader's version has and the writer's lacks holds something other than its absent "
              "value: the field's declared `absent`, or zero when the writer's version kept those bytes "
              "reserved-zero or declared its memory `initial: zero`. With no known absent value, any non-zero "
              "content is a failure (the reader takes what the writer left, or another field's bytes, for a "
              "value); zero content is not, and the summary counts such fields as not checked."),
    ImageRule("IMAGE_RESERVED_NONZERO", "Reserved-zero bytes are not zero",
              "Bytes the writer's own layout declares `reserved: zero` hold a non-zero byte: the writer broke "
              "the promise that lets a later version carve a field out of them, and that version would misread "
              "this image. Checked when an image is read under its own version; a reader's reserved bytes are "
              "never interpreted, so other readings leave them to the new-field rule."),
    ImageRule("IMAGE_CONSTANT_WRONG", "A constant does not hold",
              "A field the reader's layout declares `const` (a signature, a magic number, a fixed version) "
              "holds other bytes. A reader that checks it rejects the image; one that does not misidentifies "
              "it."),
    ImageRule("IMAGE_UNKNOWN_ENUM", "An enum field holds a value the reader does not know",
              "An enum field decodes to a number the reader's enum does not name (typically a value a newer "
              "writer added). The reader cannot act on it."),
    ImageRule("IMAGE_UNKNOWN_FLAGS", "Flag bits no version defines are set",
              "A flags field has bits set that neither the writer's nor the reader's flags type names, and the "
              "reader's type declares its other bits reserved-zero. (A bit the writer's newer version defines "
              "is the compatible way to add a flag and is not reported.)"),
)}
