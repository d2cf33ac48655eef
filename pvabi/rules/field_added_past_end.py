"""FIELD_ADDED_PAST_END: a new field beyond the old end of its layout."""

from __future__ import annotations

from ..findings import Category
from ._added import AddedFieldRule


class FieldAddedPastEnd(AddedFieldRule):
    id = "FIELD_ADDED_PAST_END"
    title = "Field added past the old end"
    category = Category.WIRE
    space = "past_end"
    doc = ("A new field lies (partly) past the old size of its layout. An old writer's record ends before "
           "it, so a new reader of an old image decodes whatever follows in memory. It is compatible when a "
           "feature old peers never negotiate gates the field; when the record carries its own size "
           "(size_field: a shorter record tells the reader the field is absent); or when the layout owns the "
           "room after it (placement page or fixed, within max_size), the old version declares that memory "
           "zeroed (memory: initial: zero) and the field's absent value is 0, so an old peer leaves 'absent' "
           "there. Whether the layout may grow at all is judged where it lives: RECORD_SIZE_CHANGED checks "
           "every layout that embeds it and the room left in its page (max_size), and LAYOUT_OUTGROWS_BOUND "
           "the page or ROM bound.")
    fix = ("Gate the field behind a feature flag old peers never set, or carve it out of reserved-zero space, or "
           "declare (when true) that the memory starts zeroed and that zero means absent.")
    backward = "breaking when an old guest writes the record and the new host reads the field"
    forward = "breaking when an old host writes the record and the new guest reads the field"
    witness_doc = "An old image followed by non-zero memory, decoded under the new, longer layout."
