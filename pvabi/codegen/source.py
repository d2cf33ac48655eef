"""What generated code is generated from: an ABI version, its files' hashes, its version number.

Every target prints these in its banner so a reader can tell which layouts a
generated file came from and whether it is stale, without running pvabi.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..abiroot import WORKING, AbiRoot
from ..model import Abi
from ..project import Project
from ..versions import parse_name, sha256


@dataclass(frozen=True)
class Source:
    abi: Abi
    version: str  # the version name as resolved (v2.0, or working)
    major: int
    minor: int
    frozen: bool  # False: unfrozen working layouts; major/minor are those of the newest frozen version
    hashes: tuple[tuple[str, str], ...]  # (layout file name, SHA-256), sorted by name

    def hash_of(self, file_id: str) -> str:
        return dict(self.hashes).get(f"{file_id}.yaml", "")


def read_source(root: AbiRoot | Project, version: str = WORKING) -> Source:
    """Load ``version`` of the ABI at ``root`` with the facts a generated banner states."""
    project = Project.of(root)
    abi = project.load(version)
    index = project.index
    root = project.root
    if version != WORKING:
        entry = index.resolve(version)
        major, minor = parse_name(entry.name)
        return Source(abi, entry.name, major, minor, True, tuple(sorted(entry.files.items())))
    hashes = tuple((p.name, sha256(p)) for p in sorted(Path(root.layouts).glob("*.yaml")))
    newest = index.versions[-1] if index.versions else None
    if newest is None:
        return Source(abi, WORKING, 0, 0, False, hashes)
    major, minor = newest.key
    # The working tree right after a freeze is that version, byte for byte: say so.
    same = dict(hashes) == newest.files
    return Source(abi, newest.name if same else WORKING, major, minor, same, hashes)
