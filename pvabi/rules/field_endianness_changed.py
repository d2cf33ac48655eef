"""FIELD_ENDIANNESS_CHANGED: a multi-byte field's byte order changed."""

from __future__ import annotations

from ..findings import Category
from ._typechange import TypeChangeRule


class FieldEndiannessChanged(TypeChangeRule):
    id = "FIELD_ENDIANNESS_CHANGED"
    title = "Field byte order changed"
    category = Category.WIRE
    kinds = ("endianness",)
    doc = ("A multi-byte field keeps its offset and width but its byte order changed (an explicit endian "
           "on the field or its layout). Any value whose bytes are not a palindrome decodes differently.")
    fix = "Restore the old byte order; declare the endianness once per layout file and never change it."
    backward = "breaking when a peer other than the writer reads it"
    forward = "breaking when a peer other than the writer reads it"
    witness_doc = ("An image whose field bytes are not a palindrome."
                   " When the search finds none, the finding says so (no image "
                   "witness): the values legal writers store may all survive.")
