"""Edits to a copy of the shipped image corpus, shared by the image-checker tests.

Each plants what a real mistake would leave behind: bytes a writer did not
produce but whose hash was recorded anyway (so the hash lock cannot be what
objects), or a working layout that misreads what released writers stored.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from conftest import SHIPPED_ABI


def copy_abi(dest: Path) -> Path:
    """A copy of the shipped ABI (layouts, versions, corpus) at ``dest/abi``."""
    shutil.copytree(SHIPPED_ABI, dest / "abi")
    return dest / "abi"


def reseal(abi: Path, name: str, data: bytes) -> None:
    """Write changed bytes and record their hash, as if a writer had produced them: the check must still object."""
    (abi / "images" / name).write_bytes(data)
    sidecar = abi / "images" / name.replace(".bin", ".json")
    doc = json.loads(sidecar.read_text())
    doc["sha256"] = hashlib.sha256(data).hexdigest()
    sidecar.write_text(json.dumps(doc))


def sign_virtual_top(abi: Path) -> Path:
    """Make the working VMI ROM read ``virtual_top`` as signed: every released host ROM (0xfc000000) then
    reads as a negative number. Returns the edited layout file."""
    layout = abi / "layouts" / "vmi_rom.yaml"
    text = layout.read_text()
    old = "      - name: virtual_top\n        type: u32\n"
    assert old in text
    layout.write_text(text.replace(old, "      - name: virtual_top\n        type: s32\n"))
    return layout
