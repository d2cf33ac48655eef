"""Count expressions: C's arithmetic, C's literals, and nothing that could run."""

from __future__ import annotations

import pytest

from pvabi import expr


def _eval(text: str) -> int:
    return expr.evaluate(expr.parse(text), lambda name: {"xen_ulong_t": 8, "u64x2": 16}[name], lambda name: 4)


@pytest.mark.parametrize(("text", "value"), [
    ("sizeof(xen_ulong_t) * 8", 64),
    ("(1 - 4) / 2 + 3", 2),      # C truncates toward zero: -3 / 2 == -1
    ("-3 % 2 + 1", 0),           # and -3 % 2 == -1
    ("7 / 2", 3),
    ("0x10 * alignof(xen_ulong_t)", 64),
    ("sizeof(u64x2) - 1", 15),
])
def test_c_arithmetic(text: str, value: int) -> None:
    assert _eval(text) == value


@pytest.mark.parametrize("text", ["0o17", "1_000", "0b11", "1 // 2", "2 ** 8", "1.5", "True",
                                  "__import__('os')", "a.b", "sizeof(a, b)", "f(x)", "[1]"])
def test_rejected(text: str) -> None:
    with pytest.raises(expr.ExprError):
        expr.parse(text)


def test_division_by_zero_is_an_error() -> None:
    with pytest.raises(expr.ExprError, match="division by zero"):
        _eval("8 / (4 - 4)")
