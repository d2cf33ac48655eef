"""The checker's flat-tuple compare (pvabi/imagecompare.py) finds exactly what a field-by-field compare finds.

Generated images of every shipped layout, written under each version and read
under the next (both parties), are checked twice: through ``FastCodec.flat``
and ``==`` (the plan's picks), and with the picks removed, so every shared
field's typed values are compared one by one. The findings must be identical,
and the images must include differing ones, or the test proves nothing.
"""

from __future__ import annotations

import dataclasses

import pytest
from conftest import SHIPPED_ABI

from pvabi import imagecompare
from pvabi.abiroot import find_root
from pvabi.checker import compare, direction, load_version
from pvabi.engine import Resolver
from pvabi.fuzz import _image, generate, tasks
from pvabi.imagedecode import decode
from pvabi.versions import VersionIndex

# (writers, readers, whether generated images read differently: v1.1 only adds fields; v2.0 moves some)
PAIRS = [("v1.0", "v1.1", False), ("v1.3", "v2.0", True), ("v2.0", "v1.0", True)]


@pytest.mark.parametrize("old,new,differs", PAIRS)
def test_flat_compare_finds_what_the_field_by_field_compare_finds(old: str, new: str, differs: bool) -> None:
    root = find_root(SHIPPED_ABI)
    order = [v.name for v in VersionIndex.read(root).versions]
    wa, ra = load_version(root, old), load_version(root, new)
    fast_plans = slow_plans = differing = 0
    for t in tasks(wa, ra):
        writer, reader = Resolver(wa, t.arch).layout(t.layout), Resolver(ra, t.arch).layout(t.layout)
        d = direction(t.party, order.index(old), order.index(new))
        for i in range(8):
            data = generate(writer, t.party, 1000 + i)
            img = _image(t, old, i)
            written = decode(writer, data)
            read = decode(reader, data[:reader.size].ljust(reader.size, b"\0"))
            p = imagecompare.plan(written, read, t.party, "guest" if t.party == "host" else "host")
            fast = compare(img, written, read, new, d)
            slow_plan = dataclasses.replace(p, pick_written=None, pick_read=None)
            assert slow_plan.mismatched(written, read) == p.mismatched(written, read)
            fast_plans += p.pick_written is not None
            slow_plans += bool(p.shared)  # with nothing shared there is nothing to pick
            differing += bool(p.mismatched(written, read))
            assert fast.compared == len(p.shared)
    assert fast_plans == slow_plans  # every shipped layout has a flat form: the fast path was what ran
    assert bool(differing) == differs  # where images read differently, the mismatch path ran too
