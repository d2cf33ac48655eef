"""The ABI on disk as one object: its index, its config, and its versions, each loaded once.

A ``Project`` is what every command works on. It reads ``versions/index.json``
and ``pvabi.yaml`` when first asked and keeps them, and it loads (parses and
validates) each version at most once, so a changelog over ten releases or a
transitive diff reads each file once however many comparisons use it. The
loaded ``Abi`` keeps its own layouts (``engine.resolver_for``), so everything that
reads a layout of a cached version shares one laying-out of it too.

A project describes the disk as it was when first read: a command that writes
versions (``freeze``) works on a fresh ``Project`` under the writer lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from . import loader
from .abiroot import WORKING, AbiRoot, find_root
from .config import CONFIG_NAME, Config, load_config
from .engine import Layout, find_layout
from .errors import InputError, InputErrors
from .model import Abi
from .versions import Version, VersionIndex


@dataclass(frozen=True)
class Side:
    """One side of a comparison: what it was called, its ABI, and its place in the history."""

    name: str
    abi: Abi
    key: tuple[int, int] | None  # (major, minor) of a frozen version of this root


@dataclass(frozen=True)
class ValidationSummary:
    files: int
    layouts: int
    versions: int
    config: str | None  # the config file checked, or None when the ABI has none
    root: Path | None = None  # the ABI directory validated


class Project:
    """An ABI root with its index, config and versions, read lazily and cached."""

    def __init__(self, root: AbiRoot) -> None:
        self.root = root
        self._loaded: dict[str, Abi] = {}
        self._others: dict[Path, Project] = {}

    @classmethod
    def find(cls, root: str | Path | None = None, start: Path | None = None) -> Project:
        """The ABI at ``root`` (a directory holding abi/, or abi/ itself), else found upward from ``start``."""
        return cls(find_root(root, start))

    @classmethod
    def of(cls, root: AbiRoot | Project) -> Project:
        """A project for callers that may hold either (the library's older signatures take an ``AbiRoot``)."""
        return root if isinstance(root, Project) else cls(root)

    @property
    def path(self) -> Path:
        return self.root.path

    @cached_property
    def index(self) -> VersionIndex:
        return VersionIndex.read(self.root)

    @property
    def versions(self) -> tuple[Version, ...]:
        """The frozen versions, oldest first."""
        return self.index.versions

    @property
    def config_path(self) -> str:
        """``abi/pvabi.yaml`` as messages name it: relative to the repository holding the ABI."""
        return str((self.root.path / CONFIG_NAME).relative_to(self.root.display_base))

    @cached_property
    def config(self) -> Config:
        return load_config(self.root.path, self.config_path)

    def load(self, version: str = WORKING) -> Abi:
        """The working layouts or a frozen version (``v1`` names the newest v1.x), hashes verified first."""
        if version == WORKING:
            return self._cached(WORKING, self.root.layouts)
        entry = self.index.resolve(version)
        if entry.name not in self._loaded:
            problems = self.index.verify(entry.name)
            if problems:
                raise InputErrors(problems)
        return self._cached(entry.name, self.root.versions / entry.name)

    def _cached(self, name: str, directory: Path) -> Abi:
        found = self._loaded.get(name)
        if found is None:
            # Through the module, so a test can count the loads by replacing loader.load_abi.
            # Cached documents are keyed by the bytes read, so an edited working file simply misses.
            found = self._loaded[name] = loader.load_abi(directory, name, self.root.display_base, cached=True)
        return found

    def layout(self, name: str, version: str = WORKING, arch: str | None = None) -> Layout:
        """Layout ``name`` of ``version`` on ``arch`` (a name, an alias, or None for its default), as the
        commands that take ``LAYOUT --abi-version --arch`` name it."""
        return find_layout(self.load(version), name, arch)

    def resolve(self, spec: str, label: str = "") -> Side:
        """A side by name: a frozen version (``v1.2``, ``v1``), ``working``, or another ABI directory.

        Errors say which side (``label``: "old side", "new side") they concern.
        """
        return resolve_side(self, spec, label)

    def other(self, directory: str | Path) -> Project:
        """Another ABI root named by a directory (the other side of a diff), cached like a version."""
        found = find_root(directory)
        if found.path not in self._others:
            self._others[found.path] = Project(found)
        return self._others[found.path]

    def validate(self) -> ValidationSummary:
        """Every problem of the working layouts, the config and every frozen version, raised at once as
        ``InputErrors``; otherwise what was checked.

        A tampered version's layouts are not checked (they are not what was frozen, so their errors
        would only add noise): its hash mismatches are the problem reported.
        """
        problems: list[InputError] = []
        abi = None
        try:
            abi = self.load(WORKING)
        except InputErrors as e:
            problems.extend(e.errors)
        config = None
        try:
            config = self.config
        except InputErrors as e:
            problems.extend(e.errors)
        except InputError as e:
            problems.append(e)
        index = None
        try:
            index = self.index
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
                    self._cached(v.name, self.root.versions / v.name)
                except InputErrors as e:
                    problems.extend(e.errors)
            from .images import verify as verify_images  # images decode: construct only when validating

            problems.extend(verify_images(self.root, {v.name for v in index.versions}))  # released images are locked
        if problems:
            raise InputErrors(problems)
        assert abi is not None and index is not None
        return ValidationSummary(len(abi.files), len(abi.records()), len(index.versions),
                                 config.path if config is not None else None, self.root.path)


def load(root: AbiRoot, version: str = WORKING) -> Abi:
    """Load one version of the ABI at ``root`` (a one-off: a ``Project`` caches across calls)."""
    return Project(root).load(version)


def validate_root(root: AbiRoot | Project) -> ValidationSummary:
    """``pvabi validate`` as a function: ``Project.of(root).validate()``."""
    return Project.of(root).validate()


def resolve_side(project: Project | None, spec: str, label: str = "") -> Side:
    """A side by name, in ``project`` if there is one; with none, ``spec`` must be an ABI directory."""
    try:
        if project is not None and spec == WORKING:
            return Side(WORKING, project.load(WORKING), None)
        if project is not None:
            try:
                v = project.index.resolve(spec)
            except InputError:
                if not Path(spec).is_dir():
                    raise
            else:
                return Side(v.name, project.load(v.name), v.key)
        if Path(spec).is_dir():
            other = project.other(spec) if project is not None else Project.find(spec)
            return Side(spec, other.load(WORKING), None)
        raise InputError(f"{spec!r} is not an ABI directory, and no ABI root was found to look it up in as a "
                         "version (run inside a repository with abi/, or pass --root)")
    except InputErrors as e:
        raise InputErrors([_labelled(x, label) for x in e.errors]) from None
    except InputError as e:
        raise _labelled(e, label) from None


def _labelled(e: InputError, label: str) -> InputError:
    if not label:
        return e
    return InputError(f"{e.message} ({label})", e.file, e.line, e.field)


__all__ = ["Project", "Side", "ValidationSummary", "load", "resolve_side", "validate_root"]
