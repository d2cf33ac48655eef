"""pvabi: keeps the binary ABI between a hypervisor and its paravirtualized guests from breaking.

The public API: open the ABI on disk (``Project.find``: its versions, config,
``validate()``, ``load(version)``, ``layout(name, version, arch)``; or the
one-off ``find_root``, ``load``, ``load_abi``), lay out a layout on an
architecture (``layout_of``, shared per ABI; ``Resolver``), get its
construct (``layout_construct``), decode and encode images
(``ConstructCodec``), and compare two versions (``run_diff`` with a
``Policy``). Names are imported on first use, so ``import pvabi`` (and
``pvabi --help``) does not pay for construct, jsonschema or deepdiff.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> the module that defines it
_EXPORTS = {
    "WORKING": "abiroot", "AbiRoot": "abiroot", "find_root": "abiroot",
    "Project": "project", "load": "project", "validate_root": "project",
    "ConstructCodec": "codec", "inspect": "codec",
    "compiled_construct": "constructs", "layout_construct": "constructs",
    "decode": "decoder", "encode": "decoder",
    "Layout": "engine", "Member": "engine", "Resolver": "engine", "layout_of": "engine",
    "Slot": "slots", "slots": "slots",
    "DecodeError": "errors", "EncodeError": "errors", "InputError": "errors", "InputErrors": "errors",
    "PvabiError": "errors",
    "load_abi": "loader",
    "Abi": "model",
    "Policy": "diff", "DiffResult": "diff",
    "run_diff": "diffrun",
}

__all__ = [
    "WORKING",
    "Abi",
    "AbiRoot",
    "ConstructCodec",
    "DecodeError",
    "DiffResult",
    "EncodeError",
    "InputError",
    "InputErrors",
    "Layout",
    "Member",
    "Policy",
    "Project",
    "PvabiError",
    "Resolver",
    "Slot",
    "compiled_construct",
    "decode",
    "encode",
    "find_root",
    "inspect",
    "layout_construct",
    "layout_of",
    "load",
    "load_abi",
    "run_diff",
    "slots",
    "validate_root",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pvabi' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from .abiroot import WORKING, AbiRoot, find_root
    from .codec import ConstructCodec, inspect
    from .constructs import compiled_construct, layout_construct
    from .decoder import decode, encode
    from .diff import DiffResult, Policy
    from .diffrun import run_diff
    from .engine import Layout, Member, Resolver, layout_of
    from .errors import DecodeError, EncodeError, InputError, InputErrors, PvabiError
    from .loader import load_abi
    from .model import Abi
    from .project import Project, load, validate_root
    from .slots import Slot, slots
