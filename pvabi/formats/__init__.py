"""Output formats for ``pvabi diff``: one module each, registered here by name.

A format is a module with ``render(result: DiffResult, color: bool) -> str``.
Adding one: write ``pvabi/formats/<name>.py`` and add a line to ``FORMATS``.
"""

from __future__ import annotations

from collections.abc import Callable

from ..diff import DiffResult
from . import json_format, markdown, text

Renderer = Callable[[DiffResult, bool], str]

FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_format.render,
    "markdown": markdown.render,
}

__all__ = ["FORMATS", "Renderer"]
