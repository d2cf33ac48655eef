"""FIELD_WIDTH_CHANGED: a scalar field got wider or narrower."""

from __future__ import annotations

from ..findings import Category
from ._typechange import TypeChangeRule


class FieldWidthChanged(TypeChangeRule):
    id = "FIELD_WIDTH_CHANGED"
    title = "Field width changed"
    category = Category.WIRE
    kinds = ("width",)
    doc = ("A scalar field present in both layouts changed size (u32 to u64, or an alias such as "
           "xen_ulong_t resolving to another width on one architecture). Peers on different versions "
           "read a different number of bytes. One case is half-safe: an unsigned little-endian field "
           "widened into bytes that were reserved-zero keeps its value for new readers of old images, "
           "and only breaks old readers of large new values.")
    fix = ("Keep the old field and add a new, wider one in reserved space (for example, Xen added wc_sec_hi "
           "beside wc_sec).")
    backward = "breaking when a peer other than the writer reads it"
    forward = "breaking when a peer other than the writer reads it"
    witness_doc = ("An image whose field decodes to another number under the other width."
                   " When the search finds none, the finding says so (no image "
                   "witness): the values legal writers store may all survive.")
