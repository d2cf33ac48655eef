"""FIELD_ADDED_OVER_FIELD: a new field on bytes an old, different field held."""

from __future__ import annotations

from ..findings import Category
from ._added import AddedFieldRule


class FieldAddedOverField(AddedFieldRule):
    id = "FIELD_ADDED_OVER_FIELD"
    title = "Field added over an old field"
    category = Category.WIRE
    space = "field"
    doc = ("A new field occupies bytes that a live field of the old layout held (one that moved away or "
           "was removed). Old writers still put the old field's value there; a new reader takes it for "
           "the new field, and a new writer's value lands in an old reader's field.")
    fix = "Never reuse bytes of a live field in a minor version; put the new field in reserved space."
    backward = "breaking when a peer other than the writer reads the bytes"
    forward = "breaking when a peer other than the writer reads the bytes"
    witness_doc = "An old image whose old field's value decodes as the new field."
