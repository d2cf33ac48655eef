"""``pvabi fuzz`` output: the seed, each shrunk failing image as a block, one summary line.

``pvabi check-images`` renders through the report model (``imagereport``, ``formats``); a fuzz run is
not a list of findings over versions but a seed, a count and shrunk images, so it keeps this small
text renderer.
"""

from __future__ import annotations

from .checker import SELF, Comparison
from .findings import DIRECTION_TEXT, Finding
from .formats.common import byte_range
from .fuzz import FuzzResult
from .imagerules import IMAGE_RULES


def _read_text(c: Comparison) -> str:
    if c.direction == SELF:
        return f"under {c.read_under}, the version it was written with"
    return f"under {c.read_under}: {c.direction} ({DIRECTION_TEXT[c.direction]})"


def _block(c: Comparison, f: Finding) -> list[str]:
    img, w = c.image, f.witness
    assert w is not None
    at = f" (file offset {img.offset + w.offset})" if img.offset else ""
    lines = ["", f"FAILED  {f.rule}  {IMAGE_RULES[f.rule].title}",
             f"  image:    {img.shown} (written by the {img.writer} under {img.version})",
             f"  where:    {f.layout}.{f.path} on {img.arch}; bytes {byte_range(f.new_range)}{at}",
             f"  read:     {_read_text(c)}",
             f"  bytes:    {w.bytes_at.hex(' ')}",
             f"  change:   {f.message}"]
    if f.old or f.new:
        lines.append(f"  old/new:  {img.version} {f.old or '(no such field)'} -> {c.read_under} {f.new or '-'}")
    return lines


def render_fuzz(result: FuzzResult, command: str) -> str:
    """``pvabi fuzz``: the seed and how to reproduce the run, each failure's shrunk image, one summary line."""
    out = [f"pvabi fuzz {result.old} {result.new}: seed {result.seed}, {result.count} images per layout, "
           f"architecture and writer (reproduce: {command})"]
    for c in result.failures:
        for f in c.findings:
            out.extend(_block(c, f))
            assert f.witness is not None
            read = f.witness.image  # as the reader saw it: past a shorter writer's end, zero
            nonzero = [i for i, b in enumerate(read) if b]
            out.append(f"  as read:  {read.hex()}" if len(read) <= 64 else
                       f"  as read:  {len(read)} bytes, {len(nonzero)} non-zero, at offsets "
                       + _spans(nonzero))
    n = len(result.failures)
    out.append("")
    out.append(f"fuzz: {'FAILED' if n else 'passed'}: {n} failure{'s' if n != 1 else ''} in {result.images} images "
               f"of {len({(r.task.layout, r.task.arch) for r in result.results})} layouts and architectures")
    return "\n".join(out) + "\n"


def _spans(offsets: list[int], limit: int = 8) -> str:
    """``[0, 4), [16, 24)``: runs of offsets as half-open byte ranges, the first ``limit`` of them."""
    runs: list[list[int]] = []
    for i in offsets:
        if runs and runs[-1][1] == i:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    text = ", ".join(f"[{a}, {b})" for a, b in runs[:limit])
    return text + (f" and {len(runs) - limit} more" if len(runs) > limit else "")
