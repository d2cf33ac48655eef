"""Output formats: one module each, registered here by name.

A format is a module with ``render(report: Report, color: bool) -> str`` (``pvabi.report``).
Adding one: write ``pvabi/formats/<name>.py`` and add a line to ``FORMATS``; ``common`` holds
wording the formats share and is not a format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..report import Report
from . import github, gitlab, html, json_format, junit, markdown, sarif, text

Renderer = Callable[[Report, bool], str]

FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_format.render,
    "markdown": markdown.render,
    "github": github.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "gitlab": gitlab.render,
    "html": html.render,
}



@dataclass(frozen=True)
class Target:
    """One ``--format`` choice: a registered format, written to a file or (``file`` None) to stdout."""

    format: str
    file: Path | None = None


def parse_targets(specs: list[str]) -> list[Target]:
    """``FORMAT`` or ``FORMAT:FILE`` each; at most one goes to stdout. Raises InputError naming the bad one."""
    from ..errors import InputError

    targets = []
    for spec in specs:
        name, sep, file = spec.partition(":")
        if name not in FORMATS:
            raise InputError(f"unknown format {name!r} in --format {spec!r} (known: {', '.join(FORMATS)})")
        if sep and not file:
            raise InputError(f"--format {spec!r} names no file after the colon (FORMAT or FORMAT:FILE)")
        targets.append(Target(name, Path(file) if sep else None))
    to_stdout = [t.format for t in targets if t.file is None]
    if len(to_stdout) > 1:
        raise InputError(f"more than one format to stdout ({', '.join(to_stdout)}): give all but one a file, "
                         "as FORMAT:FILE")
    files = [t.file for t in targets if t.file is not None]
    twice = next((f for f in files if files.count(f) > 1), None)
    if twice is not None:
        raise InputError(f"two formats would write {str(twice)!r}")
    return targets


def write_report(report: Report, target: Target) -> None:
    """Render to ``target.file`` atomically (without colour); InputError when it cannot be written."""
    from ..errors import InputError
    from ..versions import write_atomic

    assert target.file is not None
    try:
        target.file.parent.mkdir(parents=True, exist_ok=True)  # `--format junit:reports/pvabi.xml` in a fresh CI
        write_atomic(target.file, FORMATS[target.format](report, False).encode("utf-8"))
    except OSError as e:
        raise InputError(f"cannot write the {target.format} report: {e.strerror}", str(target.file)) from None


__all__ = ["FORMATS", "Renderer", "Target", "parse_targets", "write_report"]
