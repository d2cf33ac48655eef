"""The shipped ABI, loaded once for the tests that check it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pvabi import arch as archmod
from pvabi.abiroot import AbiRoot
from pvabi.engine import Layout, resolver_for
from pvabi.model import Abi
from pvabi.project import load

REPO = Path(__file__).resolve().parent.parent
ROOT = AbiRoot(REPO / "abi")


@cache
def working() -> Abi:
    return load(ROOT)


def shipped_layouts(abi: Abi | None = None) -> list[Layout]:
    """Every (layout, architecture) pair the shipped working ABI defines."""
    abi = abi or working()
    out = []
    for a in archmod.ARCHES:
        r = resolver_for(abi, a)
        out.extend(r.layout(rec.name) for rec in abi.records() if rec.exists_on(a))
    return out
