"""FIELD_ADDED_IN_UNDECLARED_SPACE: a new field carved out of padding or reserved-any bytes."""

from __future__ import annotations

from ..findings import Category
from ._added import AddedFieldRule


class FieldAddedInUndeclaredSpace(AddedFieldRule):
    id = "FIELD_ADDED_IN_UNDECLARED_SPACE"
    title = "Field added in undeclared space"
    category = Category.WIRE
    space = "undeclared"
    doc = ("A new field occupies bytes the old layout never promised to be zero: GCC padding, a region "
           "reserved with any content, or, in a union, bytes old writers filled through another member. "
           "An old writer may leave garbage there, so a new reader of an old image can decode a value "
           "nobody wrote. It is compatible when the field's use is gated by a "
           "feature the old version's peers never negotiate (the new reader only looks once the old "
           "peer has said it knows the field), when the new reader runs on the same side as the "
           "writer, or when the old version declares that the memory starts zeroed (memory: initial: zero; "
           "old writers fill only their fields) and the field's absent value is 0, so an old peer's image "
           "holds 'absent' there.")
    fix = ("Gate the field behind a feature flag that old peers never set, place it in reserved-zero "
           "space instead, or declare (when true) that the memory starts zeroed and that zero means absent.")
    backward = "breaking when an old guest writes the space and the new host reads the field"
    forward = "breaking when an old host writes the space and the new guest reads the field"
    witness_doc = "An old image with non-zero bytes in the old padding, decoded under the new layout."
