"""``pvabi validate`` as a library call: every problem of an ABI root, found in one pass.

The working layouts, the project config, and every frozen version (hashes
first: a tampered version's layouts are not what was frozen, so checking them
would only add noise) are all checked, and all problems are reported at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import images
from .abiroot import WORKING, AbiRoot, load
from .config import load_config
from .errors import InputError, InputErrors
from .versions import VersionIndex


@dataclass(frozen=True)
class ValidationSummary:
    files: int
    layouts: int
    versions: int
    config: str | None  # the config file checked, or None when the ABI has none


def validate_root(root: AbiRoot) -> ValidationSummary:
    """Raise ``InputErrors`` with every problem found; otherwise say what was checked."""
    problems: list[InputError] = []
    abi = None
    try:
        abi = load(root, WORKING)
    except InputErrors as e:
        problems.extend(e.errors)
    config = None
    try:
        config = load_config(root.path, str((root.path / "pvabi.yaml").relative_to(root.display_base)))
    except InputErrors as e:
        problems.extend(e.errors)
    except InputError as e:
        problems.append(e)
    index = None
    try:
        index = VersionIndex.read(root)
    except InputError as e:
        problems.append(e)
    if index is not None:
        problems.extend(index.orphans())
        for v in index.versions:
            tampered = index.verify(v.name)
            problems.extend(tampered)
            if tampered:
                continue
            try:
                load(root, v.name)
            except InputErrors as e:
                problems.extend(e.errors)
        problems.extend(images.verify(root, {v.name for v in index.versions}))  # released images are locked too
    if problems:
        raise InputErrors(problems)
    assert abi is not None and index is not None
    return ValidationSummary(len(abi.files), len(abi.records()), len(index.versions),
                             config.path if config is not None else None)
