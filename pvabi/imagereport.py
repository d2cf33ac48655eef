"""A ``checker.CheckResult`` as a ``Report``: one section per pair of versions, as ``pvabi diff`` has.

A section holds every image written under one version and read under one
version (its own included): "v1.0 -> v1.1" is what a v1.1 reader makes of
v1.0 writers' bytes, whichever party wrote them, so the sections line up with
the comparisons of ``pvabi diff`` over the same versions. The image file,
its bytes and both decoded values are each entry's ``facts``; each section's
facts list its readings (image, writer, direction, fields compared).

Every image finding fails the check: there is no policy that lets bytes a
reader misreads through. The gate (issue 13) reuses ``image_sections``.
"""

from __future__ import annotations

from typing import Any

from .checker import SELF, CheckResult, Comparison
from .config import Config
from .findings import MODES, Finding
from .imagerules import IMAGE_RULES
from .report import Entry, Metadata, Report, Section, count
from .witnessdoc import value_json

SCHEMA = "pvabi.check-images/2"  # the JSON document's id: pvabi/schemas/check-images.schema.json, docs/json.md
KIND = "images"
LABEL = "BREAKING (fails the check)"


def images_report(result: CheckResult, config: Config | None = None) -> Report:
    """The whole report of ``pvabi check-images``; ``config`` gives the metadata's ruleset and category."""
    from . import __version__

    cfg = config or Config()
    meta = Metadata(cfg.ruleset, result.mode, cfg.category, result.transitive, __version__)
    return Report("check-images", SCHEMA, image_sections(result), meta, result.exit_code)


def image_sections(result: CheckResult) -> tuple[Section, ...]:
    """One section per (written under, read under) pair, ordered by the versions' order."""
    pairs: dict[tuple[str, str], list[Comparison]] = {}
    for c in result.comparisons:
        pairs.setdefault((c.image.version, c.read_under), []).append(c)
    at = {name: i for i, name in enumerate(result.versions)}

    def order(pair: tuple[str, str]) -> tuple[int, int, int]:
        written, read = pair
        # Its own version first: a broken image is the thing to see before what other readers make of it.
        return at.get(written, len(at)), written != read, at.get(read, len(at))

    return tuple(_section(w, r, pairs[(w, r)], result.mode) for w, r in sorted(pairs, key=order))


def _section(written: str, read: str, readings: list[Comparison], mode: str) -> Section:
    entries = tuple(entry(c, f, mode) for c in readings for f in c.findings)
    title = f"{written} (read under their own version)" if written == read else f"{written} -> {read}"
    compared = sum(c.compared for c in readings)
    unchecked = sum(c.unchecked for c in readings)
    n, images = len(entries), len(readings)
    verdict = (f"{title}: {'FAILED' if n else 'passed'}: {n} failure{'s' if n != 1 else ''} in {images} "
               f"image{'s' if images != 1 else ''}; {compared} field value{'s' if compared != 1 else ''} compared")
    if unchecked:
        verdict += f"; {unchecked} new field{'s' if unchecked != 1 else ''} without a known absent value not checked"
    facts: tuple[tuple[str, Any], ...] = (
        ("written_under", written), ("read_under", read),
        ("readings", [{"image": c.image.name, "layout": c.image.layout, "arch": c.image.arch,
                       "writer": c.image.writer, "direction": c.direction, "compared": c.compared,
                       "new_fields": c.new_fields, "unchecked": c.unchecked, "failures": len(c.findings)}
                      for c in readings]))
    return Section(KIND, title, entries, bool(n), verdict, count(entries), facts)


def entry(c: Comparison, f: Finding, mode: str) -> Entry:
    """One finding of one reading, with what only the image knows in ``facts`` (who wrote and read it under
    which versions is the finding's witness, and its section's)."""
    w = f.witness
    assert w is not None and f.new_range is not None  # the checker gives every finding both
    directions = tuple(MODES[mode]) if c.direction != SELF else ("backward", "forward")
    facts: tuple[tuple[str, Any], ...] = (
        ("image", c.image.shown),
        ("range", list(f.new_range)),
        ("file_offset", c.image.offset + f.new_range[0]),
        ("bytes", w.bytes_at.hex()),
        ("written", value_json(w.writer_value)),
        ("read", value_json(w.reader_value)),
    )
    return Entry(f, IMAGE_RULES[f.rule], f.worst(directions), True, LABEL, fails=True, facts=facts)


__all__ = ["KIND", "SCHEMA", "entry", "image_sections", "images_report"]
