"""Names that cannot be C identifiers in a generated header are bad input at validation, not compile errors.

C11 7.1.3 reserves ``_X`` and ``__x`` for any use and ``_x`` at file scope; pvabi
allows ``__x`` for members only, since kernel and Xen headers use it (``__pad``); the
headers include <stdint.h> and <stddef.h>; GCC's GNU modes (``-std=gnu89``, the
default ``gnu17``) predefine ``linux``, ``unix`` and ``i386`` as macros. The
positive cases are compiled: a name the loader accepts must compile.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import assert_one_bad_input, layout_file, line_of, run_in_process, shown


def _record(type_name: str, field_name: str) -> str:
    return layout_file("names", f"""
        {type_name}:
          kind: struct
          doc: A record.
          fields:
            - name: "{field_name}"
              type: u32
              doc: A field.
        """)


@pytest.mark.parametrize("name", ["_Foo", "_foo", "__foo", "uint128_t", "int_fast8_t", "size_t", "constexpr"])
def test_reserved_type_names(name: str, make_abi: Callable[..., Path]) -> None:
    text = _record(name, "x")
    root = make_abi({"names": text})
    run = run_in_process(["validate", root])
    assert_one_bad_input(run, shown("names"), line_of(text, f"{name}:"), f"type name {name!r} is reserved")


@pytest.mark.parametrize("name", ["__X", "_X", "offsetof", "NULL", "linux", "unix", "i386", "INT8_MAX", "UINT64_C"])
def test_reserved_field_names(name: str, make_abi: Callable[..., Path]) -> None:
    text = _record("rec", name)
    root = make_abi({"names": text})
    run = run_in_process(["validate", root])
    assert_one_bad_input(run, shown("names"), line_of(text, f"name: \"{name}\""), f"field name {name!r} is reserved")


@pytest.mark.parametrize("std", ["gnu89", "gnu11", "c11"])
def test_accepted_names_compile(std: str, make_abi: Callable[..., Path], tmp_path: Path) -> None:
    """Near misses the loader accepts (a member may start with _ and a lower-case letter) compile in every mode."""
    text = layout_file("names", """
        Linux:
          kind: struct
          doc: Upper-case first letter; not the predefined macro.
          fields:
            - {name: _pad, type: u8, doc: Member names may start with _x.}
            - {name: __pad, type: u8, doc: And with __x as kernel and Xen headers write them.}
            - {name: uint8, type: u8, doc: Not a _t name.}
            - {name: int_t_count, type: u16, doc: Not int*_t.}
            - {name: unix_time, type: u32, doc: Contains unix.}
        """)
    root = make_abi({"names": text})
    assert run_in_process(["validate", root]).exit_code == 0
    out = tmp_path / "inc"
    run = run_in_process(["gen", "c", "-o", out, "--root", root])
    assert run.exit_code == 0, run.output
    proc = subprocess.run(["gcc", f"-std={std}", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only",
                           "-I", str(out), "-x", "c", "-"], input='#include "names.h"\n', capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
