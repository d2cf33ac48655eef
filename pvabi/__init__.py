"""pvabi: keeps the binary ABI between a hypervisor and its paravirtualized guests from breaking.

The public API: load an ABI (``find_root``, ``load``, ``load_abi``), lay out a
layout on an architecture (``layout_of``, ``Resolver``), get its construct
(``layout_construct``), decode and encode images (``ConstructCodec``).
"""

from .abiroot import WORKING, AbiRoot, find_root, load
from .codec import ConstructCodec, inspect
from .constructs import compiled_construct, layout_construct
from .engine import Layout, Member, Resolver, layout_of, leaves
from .errors import DecodeError, EncodeError, InputError, InputErrors, PvabiError
from .loader import load_abi
from .model import Abi

__version__ = "0.1.0"

__all__ = [
    "WORKING",
    "Abi",
    "AbiRoot",
    "ConstructCodec",
    "DecodeError",
    "EncodeError",
    "InputError",
    "InputErrors",
    "Layout",
    "Member",
    "PvabiError",
    "Resolver",
    "compiled_construct",
    "find_root",
    "inspect",
    "layout_construct",
    "layout_of",
    "leaves",
    "load",
    "load_abi",
]
