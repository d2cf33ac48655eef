"""``pvabi check-images`` and ``pvabi fuzz`` output: text in the style of ``pvabi diff``, and JSON.

The JSON is ``pvabi.check-images/1``. They render a ``checker.CheckResult`` (or a
``fuzz.FuzzResult``); when the shared report model lands, these are what moves onto it.
"""

from __future__ import annotations

from typing import Any

from .checker import SELF, CheckResult, Comparison
from .findings import DIRECTION_TEXT, Finding
from .formats.common import MODE_TEXT, byte_range
from .fuzz import FuzzResult
from .imagerules import IMAGE_RULES

JSON_SCHEMA = "pvabi.check-images/1"


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


def summary(result: CheckResult) -> str:
    n, readings = len(result.findings), len(result.comparisons)
    images = len(result.images)
    unchecked = sum(c.unchecked for c in result.comparisons)
    state = "FAILED" if n else "passed"
    text = (f"check-images: {state}: {n} failure{'s' if n != 1 else ''} in {readings} reading"
            f"{'s' if readings != 1 else ''} of {images} image{'s' if images != 1 else ''}")
    if unchecked:
        text += f"; {unchecked} new field{'s' if unchecked != 1 else ''} without a known absent value not checked"
    return text


def render_text(result: CheckResult) -> str:
    scope = (f"read under {result.against}" if result.against else
             "read under every version the mode reaches" if result.transitive else "read under the next version")
    out = [f"pvabi check-images: mode {MODE_TEXT[result.mode]}; {scope}"]
    for c in result.comparisons:
        for f in c.findings:
            out.extend(_block(c, f))
    out.append("")
    out.append(summary(result))
    return "\n".join(out) + "\n"


def _finding_json(c: Comparison, f: Finding) -> dict[str, Any]:
    w = f.witness
    assert w is not None and f.new_range is not None
    return {"rule": f.rule, "title": IMAGE_RULES[f.rule].title, "image": c.image.name, "layout": f.layout,
            "path": f.path, "arch": c.image.arch, "range": list(f.new_range),
            "file_offset": c.image.offset + f.new_range[0], "bytes": w.bytes_at.hex(),
            "written_under": c.image.version, "read_under": c.read_under, "written": f.old or None,
            "read": f.new or None, "message": f.message}


def to_json(result: CheckResult) -> dict[str, Any]:
    return {
        "schema": JSON_SCHEMA, "mode": result.mode, "transitive": result.transitive, "against": result.against,
        "readings": [{"image": c.image.name, "layout": c.image.layout, "arch": c.image.arch,
                      "writer": c.image.writer, "written_under": c.image.version, "read_under": c.read_under,
                      "direction": c.direction, "compared": c.compared, "new_fields": c.new_fields,
                      "unchecked": c.unchecked, "findings": [_finding_json(c, f) for f in c.findings]}
                     for c in result.comparisons],
        "failures": len(result.findings),
        "exit_code": result.exit_code,
    }


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
