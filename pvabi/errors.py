"""The error hierarchy of pvabi.

    PvabiError                 anything pvabi reports to a user (exit code 2)
    +-- InputError             one problem in one input file, at a line and field
    |   +-- DecodeError        an image that does not decode under a layout (path and byte offset as data)
    +-- InputErrors            several InputErrors, reported together
    +-- EncodeError            values that cannot be encoded under a layout

Every message is one line a reviewer can act on: ``file:line: field: what``.
"""

from __future__ import annotations

from collections.abc import Iterable


class PvabiError(Exception):
    """Base of every error pvabi reports without a traceback."""


class InputError(PvabiError):
    """One problem in one input file."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[InputError], tuple[object, ...]]:
        # Pickled by what it was made from, so it crosses a process boundary (--jobs) with its file and line.
        return type(self), (self.message, self.file, self.line, self.field)

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class InputErrors(PvabiError):
    """Several input problems found in one pass, so a user fixes them all at once."""

    def __init__(self, errors: Iterable[InputError]) -> None:
        unique = {str(e): e for e in errors}
        self.errors = sorted(unique.values(), key=_sort_key)
        super().__init__("\n".join(str(e) for e in self.errors))

    def __reduce__(self) -> tuple[type[InputErrors], tuple[object, ...]]:
        return type(self), (self.errors,)


def _sort_key(e: InputError) -> tuple[str, int, str]:
    return (e.file or "", e.line or 0, str(e))


class DecodeError(InputError):
    """An image that cannot be decoded (wrong length, wrong magic), where: the layout path and byte offset.

    ``path`` starts with the layout's name (``vrom_header.signature``); ``offset`` is the byte offset
    of that member in the image (None when the whole image is at fault, as with a wrong length).
    The image file, when known, is the ``file`` of the InputError (``with_file``).
    """

    def __init__(self, message: str, path: str = "", offset: int | None = None, file: str | None = None) -> None:
        self.path = path
        self.offset = offset
        where = path + (f" (offset {offset})" if offset is not None else "")
        super().__init__(message, file, None, where or None)

    def __reduce__(self) -> tuple[type[DecodeError], tuple[object, ...]]:
        return type(self), (self.message, self.path, self.offset, self.file)

    def with_file(self, file: str) -> DecodeError:
        return DecodeError(self.message, self.path, self.offset, file)


class EncodeError(PvabiError):
    """Values that cannot be encoded (missing field, out of range)."""
