"""pvabi's import graph, read from the source: no cycle among module-level imports, and a light start.

Module-level imports (run when a module is first imported) and function-level
ones (run when the function is called: the lazy imports that keep ``pvabi
--help`` fast) are listed separately; imports under ``if TYPE_CHECKING:`` are
for type checkers only and are not edges at all.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "pvabi"
HEAVY = ("construct", "jsonschema", "deepdiff", "rich", "yaml")  # rich: typer's fancy help, off


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _targets(module: str, is_package: bool, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The pvabi modules one import statement imports (a name imported from a package is its
    submodule when one exists, else the package)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in MODULES]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    out = []
    for alias in node.names:
        sub = f"{source}.{alias.name}"
        out.append(sub if sub in MODULES else source)
    return [t for t in out if t in MODULES]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str, path: Path) -> tuple[set[str], set[str]]:
    """(module-level, function-level) pvabi imports of one module."""
    top: set[str] = set()
    lazy: set[str] = set()
    is_package = path.name == "__init__.py"

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child, in_function)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            (lazy if in_function else top).update(_targets(module, is_package, node))
            return
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(path.read_text("utf-8")), False)
    top.discard(module)
    lazy.discard(module)
    return top, lazy - top


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    component.append(m)
                    if m == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_graph_is_read_from_every_module() -> None:
    assert {"pvabi", "pvabi.cli", "pvabi.project", "pvabi.rules", "pvabi.rules.base"} <= set(GRAPH)
    assert {"pvabi.abiroot", "pvabi.versions", "pvabi.loader", "pvabi.config"} <= GRAPH["pvabi.project"][0]
    assert "pvabi.typeview" in GRAPH["pvabi.cli"][1]  # imported inside show()
    assert {"pvabi.compare", "pvabi.findings", "pvabi.model"} <= GRAPH["pvabi.rules.base"][0]  # from ..x import
    identity = GRAPH["pvabi.identity"]
    assert "pvabi.engine" in identity[0] and "pvabi.compare" not in identity[0] | identity[1]  # TYPE_CHECKING


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_cycle_among_module_level_imports() -> None:
    assert _cycles({m: top for m, (top, _) in GRAPH.items()}) == []


@pytest.mark.parametrize(("importer", "imported"), [
    ("pvabi.abiroot", "pvabi.versions"),  # where the ABI lives does not depend on what versions exist
    ("pvabi.config", "pvabi.rules"),  # the config reads one integer, pvabi.ruleset
    ("pvabi.model", "pvabi.engine"),  # the model is a leaf; the engine builds on it
])
def test_seams_stay_cut_at_any_level(importer: str, imported: str) -> None:
    top, lazy = GRAPH[importer]
    assert imported not in top | lazy


@pytest.mark.parametrize("argv", [["-c", "import pvabi"], ["-c", "from pvabi.cli import main; main()", "--help"]])
def test_starting_pvabi_imports_no_heavy_library(argv: list[str]) -> None:
    code = ("import sys, runpy\n"
            f"sys.argv = ['pvabi', *{argv[2:]!r}]\n"
            "try:\n"
            f"    exec({argv[1]!r})\n"
            "except SystemExit:\n"
            "    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "[]"
    if "--help" in argv:
        assert "Usage: pvabi" in run.stdout


# Commands that read a valid ABI run on the schema closures (schemacheck) and the struct fast path: jsonschema
# is for explaining a bad file, construct for the reference codec, deepdiff for the diff's safety net. Run a
# second time, every layout document comes from the cache (doccache), so PyYAML is not imported either.
@pytest.mark.parametrize("argv", [["validate"], ["show", "shared_info_page"], ["show", "vcpu_info", "--json"],
                                  ["decode", "shared_info_page", "abi/images/shared_info_page-x86_64-v2.0-guest.bin"]])
def test_commands_on_a_valid_abi_import_no_validator_or_reference_codec(argv: list[str], tmp_path: Path) -> None:
    code = ("import sys\n"
            f"sys.argv = ['pvabi', *{argv!r}]\n"
            "from pvabi.cli import main\n"
            "try:\n"
            "    main()\n"
            "except SystemExit as e:\n"
            "    code = e.code\n"
            "heavy = ('construct', 'jsonschema', 'deepdiff', 'rich', 'yaml')\n"
            "print(sorted(m for m in heavy if m in sys.modules), code)\n")
    env = {**os.environ, "PVABI_CACHE_DIR": str(tmp_path / "cache")}
    cold, warm = (subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                                 cwd=REPO, env=env) for _ in range(2))
    assert cold.stdout.splitlines()[-1] in ("['yaml'] 0", "['yaml'] None"), cold.stdout[-500:] + cold.stderr
    assert warm.stdout.splitlines()[-1] in ("[] 0", "[] None"), warm.stdout[-500:] + warm.stderr
