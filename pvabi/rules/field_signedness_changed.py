"""FIELD_SIGNEDNESS_CHANGED: the same bytes, read as signed instead of unsigned (or back)."""

from __future__ import annotations

from ..findings import Category
from ._typechange import TypeChangeRule


class FieldSignednessChanged(TypeChangeRule):
    id = "FIELD_SIGNEDNESS_CHANGED"
    title = "Field signedness changed"
    category = Category.WIRE
    kinds = ("signedness",)
    doc = ("A scalar field keeps its offset and width but changes between signed and unsigned. Every value "
           "with the top bit set decodes differently on the other version (tsc_shift is a signed shift: "
           "read unsigned, a right shift becomes a huge left shift).")
    fix = "Restore the old signedness; a different interpretation needs a new field."
    backward = "breaking when a peer other than the writer reads it"
    forward = "breaking when a peer other than the writer reads it"
    witness_doc = ("An image with the top bit of the field set: the two versions decode different numbers."
                   " When the search finds none, the finding says so (no image "
                   "witness): the values legal writers store may all survive.")
