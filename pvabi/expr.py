"""Array-count expressions such as ``sizeof(xen_ulong_t) * 8``.

Counts that depend on the architecture are written as small integer
expressions. They come from untrusted files, so they are parsed into a tree of
a handful of node kinds and evaluated by walking it; nothing is executed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

MAX_EXPR = 200

_OPS: dict[type, Callable[[int, int], int]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: _c_div(a, b),
    ast.Mod: lambda a, b: a - _c_div(a, b) * b,
}


def _c_div(a: int, b: int) -> int:
    """C's integer division: the quotient truncated toward zero (Python's // floors)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q
_FUNCS = ("sizeof", "alignof")


class ExprError(ValueError):
    pass


def parse(text: str) -> ast.expr:
    """Parse and check an expression; ExprError says what is wrong."""
    if len(text) > MAX_EXPR:
        raise ExprError(f"expression longer than {MAX_EXPR} characters")
    # Only literals C reads the same way: Python's 0o17, 0b1 and 1_000 are not C.
    for literal in re.findall(r"(?<!\w)\d\w*", text):
        if not re.fullmatch(r"0[xX][0-9a-fA-F]+|[1-9][0-9]*|0", literal):
            raise ExprError(f"{literal!r} is not a decimal or 0x hexadecimal literal")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ExprError(f"cannot parse expression {text!r}") from None
    _check(tree)
    return tree


def names(tree: ast.expr) -> set[str]:
    """Type names used in sizeof()/alignof()."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            arg = node.args[0]
            assert isinstance(arg, ast.Name)
            found.add(arg.id)
    return found


def constants(tree: ast.expr) -> set[str]:
    """Named constants used (bare names, outside sizeof()/alignof())."""
    inside = {id(node.args[0]) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in inside
            and node.id not in _FUNCS}


def _no_constants(name: str) -> int:
    raise ExprError(f"unknown constant {name!r}")


def evaluate(tree: ast.expr, sizeof: Callable[[str], int], alignof: Callable[[str], int],
             constant: Callable[[str], int] = _no_constants) -> int:
    if isinstance(tree, ast.Constant):
        assert isinstance(tree.value, int)
        return tree.value
    if isinstance(tree, ast.Name):
        return constant(tree.id)
    if isinstance(tree, ast.UnaryOp):
        v = evaluate(tree.operand, sizeof, alignof, constant)
        return -v if isinstance(tree.op, ast.USub) else v
    if isinstance(tree, ast.BinOp):
        a = evaluate(tree.left, sizeof, alignof, constant)
        b = evaluate(tree.right, sizeof, alignof, constant)
        if isinstance(tree.op, (ast.Div, ast.Mod)) and b == 0:
            raise ExprError("division by zero")
        return _OPS[type(tree.op)](a, b)
    assert isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)
    arg = tree.args[0]
    assert isinstance(arg, ast.Name)
    return sizeof(arg.id) if tree.func.id == "sizeof" else alignof(arg.id)


def _check(node: ast.AST, depth: int = 0) -> None:
    if depth > 20:
        raise ExprError("expression nested too deeply")
    if isinstance(node, ast.Constant):
        if type(node.value) is not int:
            raise ExprError(f"only integers are allowed, not {node.value!r}")
    elif isinstance(node, ast.Name) and node.id not in _FUNCS:
        pass  # a named constant, looked up when evaluated
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, depth + 1)
    elif isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        _check(node.left, depth + 1)
        _check(node.right, depth + 1)
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS
          and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Name)):
        pass
    else:
        raise ExprError("allowed: integers, named constants, + - * / %, parentheses, sizeof(T), alignof(T)")
