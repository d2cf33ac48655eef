"""The image checker's rules: one registry line each, ID, title and the paragraph `docs/images.md` shows.

They are not compatibility rules of `pvabi diff` (pvabi/rules/): those judge two
layout descriptions; these judge real bytes, an image one version's writer
produced read with another version's layout (pvabi/checker.py).
"""

from __future__ import annotations

from .report import CheckInfo, register_check

# Not layout rules, so no gate category (SOURCE/LAYOUT/WIRE) applies: every image finding fails the check.
IMAGE_RULES: dict[str, CheckInfo] = {r.id: register_check(r) for r in (
    CheckInfo("IMAGE_VALUE_CHANGED", "A shared field reads differently", None,
              "A field both versions have (the same dotted path) decodes to a different value under the "
              "reader's layout than under the layout the image was written with: the field moved, changed "
              "width, signedness or byte order, or an array was re-indexed. The reader acts on a value the "
              "writer never stored. Read under its own version, an image whose bytes no longer hold the values its "
              "sidecar records fails this rule too.",
              "Put the field back where, and as wide and signed as, the writer's version has it; a new meaning "
              "needs a new field (carved from reserved-zero bytes) and a major version bump."),
    CheckInfo("IMAGE_NEW_FIELD_NOT_ABSENT", "A new field does not read as absent", None,
              "A field the reader's version has and the writer's lacks holds something other than its absent "
              "value: the field's declared `absent`, or zero when the writer's version kept those bytes "
              "reserved-zero or declared its memory `initial: zero`. With no known absent value, any non-zero "
              "content is a failure (the reader takes what the writer left, or another field's bytes, for a "
              "value); zero content is not, and the summary counts such fields as not checked.",
              "Declare the field's `absent` value, or carve it only from bytes the writer's version kept `reserved:"
              " zero` (or memory it declares `initial: zero`); readers must treat that value as 'not written'."),
    CheckInfo("IMAGE_RESERVED_NONZERO", "Reserved-zero bytes are not zero", None,
              "Bytes the writer's own layout declares `reserved: zero` hold a non-zero byte: the writer broke "
              "the promise that lets a later version carve a field out of them, and that version would misread "
              "this image. Checked when an image is read under its own version; a reader's reserved bytes are "
              "never interpreted, so other readings leave them to the new-field rule.",
              "Fix the writer to zero the reserved bytes (or, if they were never zeroed in practice, declare them "
              "`reserved: any` so no later version reuses them)."),
    CheckInfo("IMAGE_CONSTANT_WRONG", "A constant does not hold", None,
              "A field the reader's layout declares `const` (a signature, a magic number, a fixed version) "
              "holds other bytes. A reader that checks it rejects the image; one that does not misidentifies "
              "it.",
              "Keep the constant as released; a new format needs a new layout or a field that says which format "
              "follows."),
    CheckInfo("IMAGE_UNKNOWN_ENUM", "An enum field holds a value the reader does not know", None,
              "An enum field decodes to a number the reader's enum does not name (typically a value a newer "
              "writer added). The reader cannot act on it.",
              "Give the reader's enum the value (or have the writer not store values older readers do not know); a "
              "reader must handle unknown values before the enum may grow."),
    CheckInfo("IMAGE_UNKNOWN_FLAGS", "Flag bits no version defines are set", None,
              "A flags field has bits set that neither the writer's nor the reader's flags type names, and the "
              "reader's type declares its other bits reserved-zero. (A bit the writer's newer version defines "
              "is the compatible way to add a flag and is not reported.)",
              "Define the bit in the flags type, or have the writer not set it; declare the other bits "
              "`reserved_bits: any` only if readers ignore unknown bits."),
)}
