"""Finding an ABI on disk: where its working layouts and frozen versions live.

An ABI root is a directory ``abi/`` holding ``layouts/`` (the working copy) and
``versions/`` (frozen snapshots). Like git with its repository, pvabi finds it
upward from the current directory unless told where it is. Reading what is
there (the index, the config, the versions) is ``project.Project``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

WORKING = "working"


@dataclass(frozen=True)
class AbiRoot:
    path: Path

    @property
    def layouts(self) -> Path:
        return self.path / "layouts"

    @property
    def versions(self) -> Path:
        return self.path / "versions"

    @property
    def display_base(self) -> Path:
        return self.path.parent


def _as_root(candidate: Path) -> AbiRoot | None:
    if (candidate / "abi" / "layouts").is_dir():
        return AbiRoot((candidate / "abi").resolve())
    if (candidate / "layouts").is_dir():
        return AbiRoot(candidate.resolve())
    return None


def find_root(root: str | Path | None = None, start: Path | None = None) -> AbiRoot:
    """The ABI at ``root`` (a directory holding abi/, or abi/ itself), else found upward from ``start``."""
    if root is not None:
        found = _as_root(Path(root))
        if found is None:
            raise InputError("not an ABI root: expected abi/layouts/ or layouts/ inside", str(root))
        return found
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        found = _as_root(candidate)
        if found is not None:
            return found
    raise InputError(f"no abi/ directory found in {here} or any parent (pass ROOT)")

