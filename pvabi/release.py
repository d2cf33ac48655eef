"""``pvabi freeze`` as a release: the checks to pass before a version becomes history.

``versions.freeze`` writes a snapshot. A release first refuses what should not be
frozen: an empty summary (it heads the version's changelog section), a working tree
identical to the previous version, and, through the project's gate (the policy of
``abi/pvabi.yaml`` run by the diff machinery against the previous version, or every
earlier one when the config is transitive), a breaking change under a version name
that does not declare the major bump it needs. An explicit override with a reason
freezes it anyway and records the reason in the summary, so the history says why.
All of it runs under the ABI root's writer lock, so the gate judges exactly the
history the version is added to.
"""

from __future__ import annotations

from .abiroot import WORKING, AbiRoot
from .diff import DiffResult, Policy, diff_abis
from .errors import InputError, PvabiError
from .project import Project
from .versions import (
    Version,
    check_date,
    check_new_name,
    check_summary,
    freeze_locked,
    locked,
    working_digests,
)


class GateRefused(PvabiError):
    """The gate found breaking changes the new version's name does not allow."""

    def __init__(self, name: str, result: DiffResult) -> None:
        self.result = result
        failed = [r for r in result.reports if r.failed]
        count = sum(len(r.violations) for r in failed)
        super().__init__(f"{name} would freeze {count} breaking change(s) against "
                         f"{', '.join(r.old for r in failed)} without a major version; name it "
                         f"v{int(name[1:].split('.')[0]) + 1}.0, or pass --allow-break REASON to record why not")


def release(root: AbiRoot, name: str, summary: str, date: str | None = None,
            allow_break: str | None = None) -> tuple[Version, DiffResult | None]:
    """Freeze the working layouts as ``name`` after the release checks; returns the version and the gate's result."""
    summary = check_summary(summary).strip()
    if not summary:
        raise InputError("a release needs a summary (--summary): one line saying what changed")
    if allow_break is not None:
        reason = check_summary(allow_break).strip()
        if not reason:
            raise InputError("--allow-break needs a reason, which is recorded in the version's summary")
    if date is not None:
        check_date(date)
    with locked(root):
        project = Project(root)  # read under the lock: the history the gate judges is the one frozen into
        index = project.index
        check_new_name(index, name)
        result = None
        if index.versions:
            previous = index.versions[-1]
            if working_digests(root) == previous.files:
                raise InputError(f"the working layouts are identical to {previous.name}: there is nothing to freeze")
            result = gate(project, name)
            if result.failed:
                if allow_break is None:
                    raise GateRefused(name, result)
                summary = check_summary(f"{summary} (breaking change allowed: {allow_break.strip()})")
        # The gate loaded (so validated) the working layouts under this lock: no second load.
        return freeze_locked(root, name, summary, date, validated=result is not None), result


def gate(project: Project, name: str) -> DiffResult:
    """The project's gate on the working layouts as if already named ``name``."""
    cfg = project.config
    policy = Policy(cfg.mode, cfg.category)
    new = project.load(WORKING)
    olds = project.versions if cfg.transitive else project.versions[-1:]
    reports = tuple(diff_abis(project.load(v.name), new, v.name, name, policy) for v in olds)
    return DiffResult(reports, policy, cfg.transitive)
