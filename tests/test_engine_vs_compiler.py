"""The layout engine against real compilers.

Random layout files (``strategies.abi_files``) are written as YAML, loaded with
``load_abi`` (schema, definitions, engine), turned into C by
``c_check_source`` and compiled: every ``sizeof``, ``_Alignof`` and
``offsetof`` the engine computed is a ``_Static_assert`` the compiler must
accept. GCC checks x86_64 and x86_32 (``-m32``); clang, when present, checks
the other architectures through ``--target``. Neither needs a libc.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings

from pvabi.arch import ARCHES
from pvabi.codegen.check import c_check_source, c_type
from pvabi.engine import resolver_for
from pvabi.loader import load_abi
from pvabi.model import Abi, PerArch
from strategies import abi_files, dump_all, features, write_layouts

SHIPPED = Path(__file__).resolve().parent.parent / "abi" / "layouts"
GCC_ARCHES = ("x86_64", "x86_32")
CLANG_ARCHES = ("arm32", "aarch64", "ppc64", "s390x")
PARALLEL = max(1, min(4, os.cpu_count() or 1))

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLANG_PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- compilers ---------------------------------------------------------------------------------------------------

def compiler(tool: str) -> str:
    """The path of ``tool``; without it, fail under CI (which must have it) and skip elsewhere."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool!r} is not on PATH: the layout engine cannot be checked against it"
        if os.environ.get("CI"):
            pytest.fail(f"{message}, and CI must install it (CI is set)", pytrace=False)
        pytest.skip(f"{message} (install {tool}; under CI this is a failure)")
    return path


def requires(tool: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """For @given tests: without ``tool`` the test is replaced by one that fails (CI) or skips.

    Checking inside a Hypothesis test would turn the missing tool into a
    falsifying example; checking in a fixture would report an error, not a failure.
    """
    def wrap(test: Callable[..., None]) -> Callable[..., None]:
        if shutil.which(tool):
            return test

        @functools.wraps(test, assigned=("__module__", "__name__", "__qualname__", "__doc__"))
        def missing() -> None:
            compiler(tool)

        return missing

    return wrap


def compile_command(arch: str, gcc: str | None = None, clang: str | None = None) -> list[str]:
    """Syntax-only, freestanding compile of C read from stdin, for ``arch``."""
    if arch in GCC_ARCHES and gcc is not None:
        return [gcc, *(["-m32"] if arch == "x86_32" else ["-m64"]), "-ffreestanding", "-fsyntax-only", "-x", "c", "-"]
    assert clang is not None, f"no compiler for {arch}"
    return [clang, f"--target={ARCHES[arch].clang_target}", "-ffreestanding", "-fsyntax-only", "-x", "c", "-"]


def run_compilers(jobs: list[tuple[str, list[str], str]]) -> list[tuple[str, list[str], str, int, str]]:
    """Run (label, argv, source) jobs, a few at a time; returns (label, argv, source, returncode, stderr)."""
    results = []
    for start in range(0, len(jobs), PARALLEL):
        batch = jobs[start:start + PARALLEL]
        procs = []
        for label, argv, source in batch:
            p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
            procs.append((label, argv, source, p))
        for label, argv, source, p in procs:
            _, err = p.communicate(source, timeout=120)
            results.append((label, argv, source, p.returncode, err))
    return results


def numbered(source: str) -> str:
    return "\n".join(f"{i:5} | {line}" for i, line in enumerate(source.splitlines(), 1))


def failure_report(label: str, argv: list[str], source: str, rc: int, stderr: str, layouts: str = "") -> str:
    parts = [f"{label}: the compiler rejected the engine's layout (exit {rc})",
             f"--- command: {' '.join(argv)} < generated.c",
             "--- compiler error:", stderr.strip() or "(none)",
             "--- generated C (stdin):", numbered(source)]
    if layouts:
        parts += ["--- layout files:", layouts]
    return "\n".join(parts)


def assert_compiles(jobs: list[tuple[str, list[str], str]], layouts: str = "") -> None:
    failures = [failure_report(*r, layouts=layouts) for r in run_compilers(jobs) if r[3] != 0]
    assert not failures, "\n\n".join(failures)


# --- the C that must compile -------------------------------------------------------------------------------------

COUNT_CALL = re.compile(r"\b(sizeof|alignof)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)")


def count_assertions(abi: Abi, arch: str, names: list[str] | None = None) -> list[str]:
    """Each count expression (``sizeof(T) * 2``) evaluated by the compiler instead of the engine.

    codegen.check writes the engine's value of a count as a number; these assertions make
    the compiler evaluate the same expression in C (``alignof`` is C11
    ``_Alignof``) and compare it with the array dimension it declared.
    """
    resolver = resolver_for(abi, arch)

    def c_spelling(match: re.Match[str]) -> str:
        ctype = c_type(resolver.named_type(match.group(2), "native", 0, None))
        return f"{'sizeof' if match.group(1) == 'sizeof' else '_Alignof'}({ctype})"

    out = []
    wanted = names if names is not None else [r.name for r in abi.records() if r.exists_on(arch)]
    for name in wanted:
        layout = resolver.layout(name)
        tag = f"{layout.kind} {layout.name}"
        for m in layout.members:
            access = f"(({tag} *)0)->{m.name}" + ("[0]" if m.field.flexible else "")  # a FAM has no sizeof
            for dim in m.field.dims:
                d = dim.get(arch) if isinstance(dim, PerArch) else dim
                if isinstance(d, str):
                    c_expr = COUNT_CALL.sub(c_spelling, d).replace("//", "/")  # Python's // would be a C comment
                    out.append(f"_Static_assert(sizeof({access}) == ({c_expr}) * "
                               f"sizeof({access}[0]), \"{name}.{m.name}: count {d}\");")
                access += "[0]"
    return out


def check_source(abi: Abi, arch: str, names: list[str] | None = None) -> str:
    """codegen.check's proof of every size, alignment and offset, plus the count expressions checked by the compiler."""
    extra = count_assertions(abi, arch, names)
    return c_check_source(abi, arch, names) + "".join(line + "\n" for line in extra)


# --- random layouts ----------------------------------------------------------------------------------------------

def load_drawn(files: dict[str, dict[str, Any]]) -> Abi:
    note(dump_all(files))
    with tempfile.TemporaryDirectory(prefix="pvabi-") as tmp:
        layouts = Path(tmp) / "layouts"
        write_layouts(files, layouts)
        return load_abi(layouts)


def check_drawn(files: dict[str, dict[str, Any]], arches: tuple[str, ...], gcc: str | None = None,
                clang: str | None = None) -> None:
    abi = load_drawn(files)
    jobs = [(arch, compile_command(arch, gcc, clang), check_source(abi, arch)) for arch in arches]
    assert_compiles(jobs, dump_all(files))


@requires("gcc")
@PROPERTY
@given(files=abi_files())
def test_random_layouts_match_gcc_x86(files: dict[str, dict[str, Any]]) -> None:
    """Each example is checked on x86_64 and on x86_32: 200 random ABIs per architecture."""
    check_drawn(files, GCC_ARCHES, gcc=compiler("gcc"))


@requires("clang")
@CLANG_PROPERTY
@given(files=abi_files())
def test_random_layouts_match_clang_other_arches(files: dict[str, dict[str, Any]]) -> None:
    """Each example is checked on arm32, aarch64, ppc64 and s390x: 100 random ABIs per architecture."""
    check_drawn(files, CLANG_ARCHES, clang=compiler("clang"))


REQUIRED_FEATURES = {
    *(f"type:{t}" for t in ("u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "char", "ulong", "slong", "uptr")),
    "type:named", "array:one", "array:multi", "array:zero", "array:named", "count:sizeof", "count:alignof",
    "kind:struct", "kind:union", "kind:alias", "alias:per_arch", "alias:single", "alias:default",
    "struct:empty", "union:empty", "struct:packed", "struct:aligned", "struct:packed+aligned", "union:packed",
    "union:aligned", "field:aligned", "field:reserved", "field:only_arch", "field:except_arch",
    "field:bits", "field:flexible", "member:anonymous", "member:named_inline", "count:constant", "count:per_arch",
    "field:per_arch_contract", "alias:no_doc",
    *(f"type:{t}" for t in ("__u8", "__s16", "uint32_t", "int64_t", "__le16", "__be32", "__be64")),
}


def test_strategy_covers_the_layout_language() -> None:
    """The random layouts really use every feature the engine has a rule for (no compiler needed)."""
    seen: set[str] = set()

    @settings(max_examples=200, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(files=abi_files())
    def collect(files: dict[str, dict[str, Any]]) -> None:
        seen.update(features(files))

    collect()
    assert seen >= REQUIRED_FEATURES, f"never drawn: {sorted(REQUIRED_FEATURES - seen)}"


# --- the shipped layouts -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped() -> Abi:
    return load_abi(SHIPPED)


@pytest.mark.parametrize("arch", [*GCC_ARCHES, *CLANG_ARCHES])
def test_shipped_layouts_compile(shipped: Abi, arch: str) -> None:
    names = [r.name for r in shipped.records() if r.exists_on(arch)]
    if not names:
        pytest.skip(f"no shipped layout exists on {arch}")
    tool = compiler("gcc" if arch in GCC_ARCHES else "clang")
    argv = compile_command(arch, gcc=tool, clang=tool)
    source = check_source(shipped, arch, names)
    for name in names:  # every layout of this arch is really in the check
        assert f"sizeof(struct {name})" in source or f"sizeof(union {name})" in source, name
    assert_compiles([(arch, argv, source)])


def test_shipped_layouts_cover_x86_and_arm(shipped: Abi) -> None:
    for arch in ("x86_64", "x86_32", "arm32", "aarch64"):
        assert any(r.exists_on(arch) for r in shipped.records()), arch


# --- negative controls: the harness can fail ----------------------------------------------------------------------

ASSERTION = re.compile(r"^(_Static_assert\((?P<what>sizeof|_Alignof|__builtin_offsetof)\(.*?\) == )(?P<n>\d+)(,.*)$",
                       re.M)


def corrupt(source: str, what: str) -> tuple[str, str]:
    """``source`` with the first asserted ``what`` number off by one; also the corrupted line."""
    for m in ASSERTION.finditer(source):
        if m.group("what") == what:
            bad = f"{m.group(1)}{int(m.group('n')) + 1}{m.group(4)}"
            return source[:m.start()] + bad + source[m.end():], bad
    raise AssertionError(f"no {what} assertion in the generated source")


@pytest.mark.parametrize("arch", ["x86_64", "x86_32", "aarch64"])
@pytest.mark.parametrize("what", ["sizeof", "_Alignof", "__builtin_offsetof"])
def test_corrupted_assertion_is_rejected(shipped: Abi, arch: str, what: str) -> None:
    tool = compiler("gcc" if arch in GCC_ARCHES else "clang")
    argv = compile_command(arch, gcc=tool, clang=tool)
    source = c_check_source(shipped, arch)
    [(_, _, _, rc, err)] = run_compilers([(arch, argv, source)])
    assert rc == 0, failure_report(arch, argv, source, rc, err)
    bad_source, bad_line = corrupt(source, what)
    [(_, _, _, rc, err)] = run_compilers([(arch, argv, bad_source)])
    assert rc != 0, f"{arch}: the compiler accepted a wrong number:\n{bad_line}"
    assert "static assert" in err.lower() or "static_assert" in err.lower(), err


@requires("gcc")
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=abi_files())
def test_corrupted_random_layout_is_rejected(files: dict[str, dict[str, Any]]) -> None:
    """A random layout that compiles stops compiling when any one asserted number is wrong."""
    gcc = compiler("gcc")
    abi = load_drawn(files)
    source = c_check_source(abi, "x86_64")
    kinds = [w for w in ("__builtin_offsetof", "sizeof", "_Alignof") if any(
        m.group("what") == w for m in ASSERTION.finditer(source))]
    argv = compile_command("x86_64", gcc=gcc)
    jobs = [("x86_64 as generated", argv, source)]
    jobs += [(f"x86_64 with a wrong {w}", argv, corrupt(source, w)[0]) for w in kinds]
    results = run_compilers(jobs)
    assert results[0][3] == 0, failure_report(*results[0], layouts=dump_all(files))
    for label, _, bad, rc, _ in results[1:]:
        assert rc != 0, f"{label}: accepted\n{numbered(bad)}"


def load_yaml_text(text: str, file_id: str = "probe") -> Abi:
    with tempfile.TemporaryDirectory(prefix="pvabi-") as tmp:
        layouts = Path(tmp) / "layouts"
        layouts.mkdir()
        (layouts / f"{file_id}.yaml").write_text(text, "utf-8")
        return load_abi(layouts)


COUNTS_YAML = """\
meta: {id: probe, doc: Count expressions.}
types:
  word: {kind: alias, doc: A word., arch: {x86_32: u32, default: u64}}
  counted:
    kind: struct
    doc: Arrays sized by expressions.
    fields:
      - {name: a, type: u16, count: "sizeof(word) * 2", doc: Per-arch count.}
      - {name: b, type: u8, count: ["alignof(u64) + 1", "sizeof(u32) / alignof(u16)"], doc: Two dimensions.}
"""


@pytest.mark.parametrize("arch", GCC_ARCHES)
def test_count_assertions_are_checked(arch: str) -> None:
    """The compiler, not the engine, evaluates each count expression; a wrong dimension fails."""
    gcc = compiler("gcc")
    abi = load_yaml_text(COUNTS_YAML)
    extra = count_assertions(abi, arch)
    assert len(extra) == 3
    assert "sizeof(word)" in extra[0] and "_Alignof(uint64_t)" in extra[1], extra
    argv = compile_command(arch, gcc=gcc)
    source = check_source(abi, arch)
    elements = 8 if arch == "x86_32" else 16  # sizeof(word) * 2
    declared = f"uint16_t a[{elements}];"
    assert declared in source
    bad = source.replace(declared, f"uint16_t a[{elements + 1}];")
    [(_, _, _, rc, err), (_, _, _, bad_rc, bad_err)] = run_compilers([(arch, argv, source), (arch, argv, bad)])
    assert rc == 0, failure_report(arch, argv, source, rc, err)
    assert bad_rc != 0 and "count sizeof(word) * 2" in bad_err, bad_err


# --- engine bugs this harness found, kept as regression tests ---------------------------------------------------

TRUNCATION_YAML = """\
meta: {id: probe, doc: C integer division and remainder truncate toward zero.}
types:
  truncated:
    kind: struct
    doc: Counts whose intermediate values are negative.
    fields:
      - {name: quotient, type: u8, count: "(1 - 4) / 2 + 3", doc: "C: -3 / 2 == -1, so 2 elements."}
      - {name: remainder, type: u8, count: "-3 % 2 + 1", doc: "C: -3 % 2 == -1, so 0 elements."}
"""


def test_count_division_truncates_toward_zero_like_c() -> None:
    gcc = compiler("gcc")
    abi = load_yaml_text(TRUNCATION_YAML)
    argv = compile_command("x86_64", gcc=gcc)
    assert_compiles([("x86_64", argv, check_source(abi, "x86_64"))], TRUNCATION_YAML)
