"""``pvabi changelog``: the human summary of each release, from the diff itself.

Each frozen version between OLD (exclusive) and NEW gets a section: its date and
summary from the version index, the verdict under the project's gate, one line
per finding, and the hand-written notes in ``abi/notes/<version>.md`` (what the
change mirrors, why it was made). ``abi/CHANGES.md`` holds this output.
"""

from __future__ import annotations

from .abiroot import WORKING, AbiRoot
from .diff import Policy
from .diffrun import run_diff
from .errors import InputError
from .formats.common import arches
from .project import Project


def render_changelog(root: AbiRoot | Project, old: str, new: str) -> str:
    """The sections from OLD (exclusive) to NEW, newest first; one project, so each version loads once."""
    project = Project.of(root)
    index = project.index
    if old == WORKING:
        raise InputError("the old side of a changelog must be a frozen version (the release notes start after it)")
    first = index.resolve(old)
    last = None if new == WORKING else index.resolve(new)
    steps = [v.name for v in index.versions if first.key < v.key and (last is None or v.key <= last.key)]
    if last is None:
        steps.append(WORKING)
    if not steps:
        raise InputError(f"no release after {first.name} up to {new}: name an older version first")
    cfg = project.config
    policy = Policy(cfg.mode, cfg.category)
    previous = [first.name, *steps[:-1]]
    sections = [_section(project, a, b, policy) for a, b in zip(previous, steps, strict=True)]
    return "\n".join(reversed(sections))


def _section(project: Project, old: str, new: str, policy: Policy) -> str:
    report = run_diff(project, old, new, policy).reports[0]
    root = project.root
    if new == WORKING:
        head = f"## {WORKING} — not frozen"
    else:
        v = project.index.resolve(new)
        head = f"## {v.name} — {v.date} — {v.summary}"
    bump = "no bump declared" if report.declared_bump is None else f"{report.declared_bump} declared"
    lines = [head, "",
             f"Against {old}, under mode {policy.mode} and gate {policy.category}: {report.required_bump} bump "
             f"required, {bump}{'' if report.bump_ok else ' (NOT ENOUGH)'}.", ""]
    if not report.findings:
        lines.append("- No changes.")
    for f in report.findings:
        sev = f"backward {f.severity_in('backward')}, forward {f.severity_in('forward')}"
        path = f"{f.layout}.{f.shown_path}" if f.path else f.layout
        lines.append(f"- `{f.rule}` `{path}` on {arches(f.arches)}: {f.message} ({sev}).")
    notes = root.path / "notes" / f"{new}.md"
    if notes.is_file():
        try:
            lines += ["", notes.read_text("utf-8").rstrip()]
        except (OSError, UnicodeDecodeError) as e:
            reason = e.strerror if isinstance(e, OSError) else f"not UTF-8 text (byte {e.start})"
            raise InputError(f"cannot read release notes: {reason}", str(notes.relative_to(root.display_base))) \
                from None
    return "\n".join(lines) + "\n"
