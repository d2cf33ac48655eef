"""``pvabi extract``: one struct of a built binary, as a layout file and as pvabi lays it out.

DWARF is preferred when present (it names typedefs and enums with their C
spelling); otherwise a ``.BTF`` section or a raw BTF blob is read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..engine import Layout, layout_of
from ..errors import InputError
from ..model import Abi
from . import layoutfile
from .builder import Builder, Built
from .elf import Binary, open_binary
from .facts import CRecord


@dataclass(frozen=True)
class Extracted:
    binary: str
    arch: str
    form: str  # "DWARF" or "BTF"
    built: Built
    text: str  # the layout file

    def abi(self) -> Abi:
        return layoutfile.load_text(self.built.root, self.text)

    def layout(self) -> Layout:
        return layout_of(self.abi(), self.built.root, self.arch)


class TypeSource:
    """The debug information of one binary: DWARF or BTF, whichever it carries."""

    def __init__(self, binary: Binary) -> None:
        from . import btf, dwarf

        self.binary = binary
        self._reader: dwarf.DwarfTypes | btf.BtfTypes
        if dwarf.has_dwarf(binary):
            self.form = "DWARF"
            self._reader = dwarf.DwarfTypes(binary)
        else:
            blob = binary.data if binary.elf is None else binary.section(".BTF")
            if blob is None:
                raise InputError("no debug info: neither DWARF (.debug_info) nor a .BTF section; rebuild it with -g",
                                 binary.path)
            self.form = "BTF"
            self._reader = btf.BtfTypes(binary, blob)
        if binary.arch is None:
            raise InputError("a raw BTF blob does not say its architecture: give --arch", binary.path)
        self.arch: str = binary.arch

    @property
    def records_alignment(self) -> bool:
        """Whether an aligned(N) attribute would show in this debug info (DWARF 5), so its absence counts."""
        return self._reader.records_alignment

    def names(self) -> list[str]:
        return self._reader.names()

    def record(self, name: str) -> CRecord:
        return self._reader.record(name)

    def build(self, name: str, *more: str) -> Built:
        """``name`` and every type it uses (and ``more`` structs, sharing those types)."""
        builder = Builder(self.arch, f"{self.form} of {Path(self.binary.path).name}")
        built = builder.build(self.record(name))
        for other in more:
            builder.add(self.record(other))
        return built


def extract(path: str | Path, struct: str, arch: str | None = None) -> Extracted:
    src = TypeSource(open_binary(path, arch))
    built = src.build(struct)
    name = Path(str(path)).name
    order = [built.root] + [n for n in built.types if n != built.root]
    text = layoutfile.render(
        built.root, f"{struct} as compiled into {name} ({src.arch}, read from its {src.form}).",
        f"{name} ({src.form}, {src.arch})", built.types, order, (src.arch,),
        header=(f"# Extracted by pvabi from the {src.form} of {name} ({src.arch}): offsets and sizes are the "
                "compiler's.",))
    return Extracted(str(path), src.arch, src.form, built, text)
