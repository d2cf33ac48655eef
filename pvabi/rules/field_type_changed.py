"""FIELD_TYPE_CHANGED: a field changed kind (scalar, array, struct) or became another struct."""

from __future__ import annotations

from ..findings import Category
from ._typechange import TypeChangeRule


class FieldTypeChanged(TypeChangeRule):
    id = "FIELD_TYPE_CHANGED"
    title = "Field type changed"
    category = Category.WIRE
    kinds = ("kind", "record")
    doc = ("A field changed between scalar, array and struct, or now holds a different struct type. Its bytes "
           "are cut up differently, so at least one element decodes to something else on the other "
           "version. (Changes of width, signedness, byte order and array length have their own rules.) A "
           "struct type renamed but byte for byte the same is only a source break.")
    fix = "Keep the old type; introduce the new representation as a new field."
    backward = "breaking when a peer other than the writer reads it"
    forward = "breaking when a peer other than the writer reads it"
    witness_doc = ("An old image whose bytes decode to a different value under the new shape."
                   " When the search finds none, the finding says so (no image "
                   "witness): the values legal writers store may all survive.")
