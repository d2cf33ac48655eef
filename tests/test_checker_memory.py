"""The image checker holds one image at a time: a large corpus is checked in bounded memory.

A corpus is generated the way ``pvabi images add`` registers a capture (the image
file beside a ``pvabi.image/1`` sidecar naming its layout, offset, hash and the
values its writer set): page dumps of 64 KiB, each holding a legal ``vcpu_info``
(made by fuzz's generator) at an offset, written by the host under the working
layouts, so each is read under its own version and under v2.0. Nothing is timed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tracemalloc
import weakref
from pathlib import Path

import pytest
from conftest import SHIPPED_ABI

import pvabi.checker as checker
from pvabi.abiroot import AbiRoot
from pvabi.checker import check_images
from pvabi.fuzz import generate
from pvabi.imagedecode import Decoded, decode
from pvabi.images import Image, expected_values
from pvabi.project import Project

DUMP = 64 << 10  # bytes in one image file
AT = 8192  # where vcpu_info sits in it


def _corpus(dest: Path, count: int) -> AbiRoot:
    shutil.copytree(SHIPPED_ABI, dest / "abi", ignore=shutil.ignore_patterns("images"))
    root = AbiRoot(dest / "abi")
    layout = Project(root).layout("vcpu_info", "working", "x86_64")
    images = root.path / "images"
    images.mkdir()
    for i in range(count):
        legal = generate(layout, "host", i)
        # a dump: the layout at AT, other memory varied too (so no two files are alike)
        data = i.to_bytes(4, "little") * (AT // 4) + legal
        data += bytes(DUMP - len(data))
        name = f"vcpu_info-x86_64-working-host-{i:05d}.bin"
        img = Image(name, images / name, "", layout.name, "working", "x86_64", "host", AT,
                    hashlib.sha256(data).hexdigest(), {"by": "captured", "note": "generated for a test"},
                    expected_values(decode(layout, legal), "host"))
        (images / name).write_bytes(data)
        (images / name).with_suffix(".json").write_text(json.dumps(img.to_json(), indent=2) + "\n")
    return root


def _peak(root: AbiRoot) -> tuple[int, checker.CheckResult]:
    tracemalloc.start()
    try:
        result = check_images(root)
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def test_more_images_do_not_raise_the_peak_by_their_bytes(tmp_path: Path) -> None:
    small, large = 20, 240
    a, b = _corpus(tmp_path / "a", small), _corpus(tmp_path / "b", large)
    check_images(a)  # the same caches (document cache, codecs) warm for both measured runs
    peak_a, result_a = _peak(a)
    peak_b, result_b = _peak(b)
    assert (len(result_a.images), len(result_b.images)) == (small, large)
    assert result_b.exit_code == 0 and len(result_b.comparisons) == 2 * large  # own version, and v2.0
    assert {c.read_under for c in result_b.comparisons} == {"working", "v2.0"}
    extra = sum((b.path / "images" / img.name).stat().st_size for img in result_b.images[small:])
    # Holding the extra images' bytes alone would add `extra`; their decoded values and sidecars, more.
    # What the result keeps of an image (its name and readings) is a small part of its bytes.
    assert peak_b - peak_a < extra / 4, (peak_a, peak_b, extra)


def test_one_image_is_decoded_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _corpus(tmp_path, 30)
    alive: set[int] = set()
    most = 0

    def counted(layout: object, data: bytes) -> Decoded:
        nonlocal most
        d = decode(layout, data)  # type: ignore[arg-type]
        alive.add(id(d))
        weakref.finalize(d, alive.discard, id(d))
        most = max(most, len(alive))
        return d

    monkeypatch.setattr(checker, "decode", counted)
    result = check_images(root, mode="full", transitive=True)
    assert len(result.comparisons) == 30 * 6 and result.exit_code == 0  # its own version and the five before
    # Of 180 decodes, at most three alive at once, all of one image: its own version's, and a reader's
    # while the next reader's replaces it. The previous image's are gone when the next is read.
    assert most <= 3, most
    assert not any(img.expected for img in result.images)  # checked, not kept
