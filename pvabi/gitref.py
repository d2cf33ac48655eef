"""Reading ``abi/`` as it was at a git ref, without a checkout.

``pvabi check --against REF`` compares the working tree with what the base branch
had. The base's files are read straight from the object database (``git
ls-tree`` lists them, one ``git cat-file --batch`` streams the blobs) into a
private temporary directory, so the user's work tree, index and HEAD are never
touched. A pull request is compared with its merge base: changes that landed on
the base branch after the pull request branched off are not the pull request's.

The base is data from a repository anyone may have pushed to: paths are checked
to stay inside the copy, symbolic links and submodules are not followed, and
the number and size of files are bounded.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .abiroot import AbiRoot
from .errors import InputError

MAX_FILES = 20_000
MAX_BLOB_BYTES = 16 << 20   # the version index may be this large (versions.VersionIndex.read)
MAX_TOTAL_BYTES = 256 << 20
GIT_TIMEOUT = 120.0
UNSHALLOW_FIX = "fetch the history: git fetch --unshallow origin (GitHub actions/checkout: fetch-depth: 0; " \
                "GitLab CI: GIT_DEPTH: 0)"


@dataclass(frozen=True)
class BaseRef:
    """The commit a check compares with: the ref the user named, and the merge base it resolved to."""

    ref: str
    commit: str
    merge_base: bool  # True: ``commit`` is the merge base of HEAD and ``ref``, not ``ref`` itself

    @property
    def short(self) -> str:
        return self.commit[:12]

    def describe(self) -> str:
        return f"{self.ref} (merge base {self.short})" if self.merge_base else f"{self.ref} ({self.short})"


def _git(top: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    # A user's git config may set a pager or colour: neither can apply to plumbing read through a pipe,
    # but GIT_* variables from an outer git (a hook) would point git at another repository.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    try:
        return subprocess.run(["git", "-C", str(top), *args], input=stdin, capture_output=True, check=False,
                              env=env, timeout=GIT_TIMEOUT)
    except FileNotFoundError:
        raise InputError("--against reads the base from git, but git is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"git {args[0]} took more than {GIT_TIMEOUT:.0f} s", str(top)) from None


def repository_of(path: Path) -> Path:
    """The top of the git work tree holding ``path``."""
    run = _git(path, "rev-parse", "--show-toplevel")
    if run.returncode != 0:
        said = _first_line(run.stderr)
        if "dubious ownership" in said:  # git's own safety check, whose fix is git's too
            raise InputError("git refuses to read this repository (owned by another user); mark it safe with "
                             "git config --global --add safe.directory DIR", str(path))
        raise InputError("is not inside a git repository, which --against needs (run pvabi check in a clone, "
                         "or drop --against)", str(path))
    return Path(run.stdout.decode("utf-8", "replace").strip())


def _is_shallow(top: Path) -> bool:
    run = _git(top, "rev-parse", "--is-shallow-repository")
    return run.returncode == 0 and run.stdout.strip() == b"true"


def resolve(top: Path, ref: str) -> BaseRef:
    """``ref`` as a commit, then the merge base of HEAD with it (the point the change branched from)."""
    if not ref or ref.startswith("-") or any(c.isspace() or not c.isprintable() for c in ref):
        raise InputError(f"--against {ref!r} is not a git ref (a branch, tag or commit, e.g. origin/main)")
    run = _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if run.returncode != 0:
        if _is_shallow(top):
            raise InputError(f"git ref {ref!r} is not in this shallow clone; {UNSHALLOW_FIX}")
        raise InputError(f"git ref {ref!r} does not exist in this repository (fetch it first, e.g. "
                         f"git fetch origin {ref.removeprefix('origin/')})")
    commit = run.stdout.decode().strip()
    head = _git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if head.returncode != 0:
        return BaseRef(ref, commit, False)  # no commit yet on this branch: the ref itself is the base
    base = _git(top, "merge-base", head.stdout.decode().strip(), commit)
    if base.returncode == 0:
        found = base.stdout.decode().strip()
        return BaseRef(ref, found, found != commit)
    if _is_shallow(top):
        raise InputError(f"HEAD and {ref!r} have no common commit in this shallow clone; {UNSHALLOW_FIX}")
    return BaseRef(ref, commit, False)  # unrelated histories: compare with the ref as it is


def read_abi(top: Path, base: BaseRef, abi_path: Path, dest: Path) -> AbiRoot:
    """Copy ``abi_path`` (the ABI root here, inside ``top``) as it was at ``base`` into ``dest``.

    Returns the copy as an ABI root whose messages name files as they are named here
    (``abi/layouts/x.yaml``).
    """
    try:
        rel = PurePosixPath(Path(os.path.realpath(abi_path)).relative_to(os.path.realpath(top)).as_posix())
    except ValueError:
        raise InputError("the ABI root is outside the git repository", str(abi_path)) from None
    prefix = "" if str(rel) == "." else f"{rel}/"
    listing = _git(top, "ls-tree", "-r", "-z", "-l", "--full-tree", base.commit, "--", prefix or ".")
    if listing.returncode != 0:
        raise InputError(f"cannot list {prefix or 'the tree'} at {base.describe()}: "
                         f"{_first_line(listing.stderr)}")
    blobs: list[tuple[str, PurePosixPath]] = []
    total = 0
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, sha, size = meta.decode().split()
        path = PurePosixPath(raw_path.decode("utf-8", "surrogateescape"))
        # Only regular files: a symlink at the base is not followed (the loader refuses links here too),
        # and a submodule has no blob to read.
        if kind != "blob" or mode not in ("100644", "100755"):
            continue
        if path.is_absolute() or ".." in path.parts:
            raise InputError(f"unsafe path {str(path)!r} at {base.describe()}")
        if int(size) > MAX_BLOB_BYTES:
            raise InputError(f"{path} is {size} bytes at {base.describe()}, larger than the {MAX_BLOB_BYTES}-byte "
                             "limit")
        total += int(size)
        blobs.append((sha, path))
    if total > MAX_TOTAL_BYTES:
        raise InputError(f"the ABI at {base.describe()} is larger than {MAX_TOTAL_BYTES} bytes")
    if len(blobs) > MAX_FILES:
        raise InputError(f"{prefix or 'the tree'} has {len(blobs)} files at {base.describe()}, more than "
                         f"the {MAX_FILES} pvabi reads")
    if not any(p.parts[:len(rel.parts) + 1] == (*_parts(rel), "layouts") for _, p in blobs):
        raise InputError(f"there is no {prefix}layouts/ at {base.describe()}: the base has no ABI to compare "
                         "with (drop --against for the first pull request that adds abi/)")
    for _sha, path, data in _cat(top, blobs):
        target = dest.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return AbiRoot(dest.joinpath(*_parts(rel)))


def _parts(rel: PurePosixPath) -> tuple[str, ...]:
    return () if str(rel) == "." else rel.parts


def _cat(top: Path, blobs: list[tuple[str, PurePosixPath]]) -> list[tuple[str, PurePosixPath, bytes]]:
    """Every blob's content through one ``git cat-file --batch`` (their sizes were bounded by the listing)."""
    if not blobs:
        return []
    run = _git(top, "cat-file", "--batch", stdin="".join(f"{sha}\n" for sha, _ in blobs).encode())
    if run.returncode != 0:
        raise InputError(f"git cat-file failed: {_first_line(run.stderr)}")
    out, at = [], 0
    data = run.stdout
    for sha, path in blobs:
        end = data.index(b"\n", at)
        header = data[at:end].split()
        if len(header) != 3 or header[1] != b"blob":
            raise InputError(f"git cat-file could not read {path} ({sha[:12]})")
        size = int(header[2])
        out.append((sha, path, data[end + 1:end + 1 + size]))
        at = end + 1 + size + 1  # the content is followed by a newline
    return out


def _first_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip().splitlines()
    return text[0][:200] if text else "no message"


__all__ = ["UNSHALLOW_FIX", "BaseRef", "read_abi", "repository_of", "resolve"]
