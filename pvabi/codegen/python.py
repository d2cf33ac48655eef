"""The Python target (placeholder until written)."""
from __future__ import annotations

from typing import Any

from .source import Source


def generate(src: Source, options: Any) -> dict[str, bytes]:
    raise NotImplementedError
