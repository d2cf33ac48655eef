"""FIELD_ADDED_IN_RESERVED_ZERO: a new field carved out of reserved-must-be-zero space."""

from __future__ import annotations

from ..findings import Category
from ._added import AddedFieldRule


class FieldAddedInReservedZero(AddedFieldRule):
    id = "FIELD_ADDED_IN_RESERVED_ZERO"
    title = "Field added in reserved-zero space"
    category = Category.WIRE
    space = "zero"
    doc = ("A new field occupies bytes the old layout declared reserved, must be zero. Old writers leave "
           "zero there, so a new reader of an old image sees zero, which must mean \"absent\" or the "
           "conservative default; old readers ignore the bytes a new writer fills. This is the intended "
           "way to grow a shared page (pad1[3] becoming flags plus pad1[2] in vcpu_time_info).")
    fix = "Nothing to fix; make sure zero is the field's \"not set\" value."
    backward = "compatible"
    forward = "compatible"
    witness_doc = "Never breaking, so no witness."
