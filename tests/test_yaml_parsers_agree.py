"""The C parser (libyaml) and PyYAML's pure-Python parser feed the same event builder: same data, same lines.

pvabi reads layouts through libyaml for speed; the pure-Python parser remains for
installations without it. Both must give identical documents, and every safety
bound must hold on either.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pvabi import yamlparse, yamlsafe
from pvabi.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "abi").rglob("*.yaml")) + sorted((ROOT / "pvabi").rglob("*.yaml"))
PARSERS = [yamlparse.PurePythonLoader, yamlparse.LOADER]

pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml: one parser only")


def _both(text: str) -> list[yamlsafe.Document | str]:
    out: list[yamlsafe.Document | str] = []
    for parser in PARSERS:
        try:
            out.append(yamlparse.parse(text, "f.yaml", parser))
        except InputError as e:
            out.append(f"{e.file}:{e.line}:{e.field}")
    return out


def test_the_fast_parser_is_libyaml() -> None:
    assert yamlparse.LOADER.__mro__[1] is yaml.CSafeLoader


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_files_load_identically(path: Path) -> None:
    py, c = _both(path.read_text())
    assert isinstance(py, yamlsafe.Document) and isinstance(c, yamlsafe.Document)
    assert py.data == c.data
    assert py.lines == c.lines
    assert len(c.lines) > 3


TRICKY = [
    "a: &x {b: 1, c: [1, 2]}\nd: *x\ne: *x\n",
    "- &k 1\n- *k\n- [*k, *k]\n",
    "? complex\n: value\n'quoted: key': 0x10\n\"dq\": 0o17\n",
    "a: |\n  block\n  text\nb: >\n  folded\n  text\nc: null\nd: ~\ne: true\nf: yes\n",
    "---\na: 1\n...\n",
    "",
    "# only a comment\n",
    "a:\n  - b: 1\n    c: 2\n  - b: 3\n",
]

BAD = [
    "a: 1\na: 2\n",                       # duplicate key
    "a: !!python/object:os.system x\n",   # a tag
    "a: 1.5\n",                           # a float
    "a: 010\n",                           # a leading zero
    "---\na: 1\n---\nb: 2\n",             # two documents
    "a: *nothing\n",                      # an undefined alias
    "<<: {a: 1}\n",                       # a merge key is a plain string here; data, not a merge
    "a: [1, 2\n",                         # malformed
    "a: 2024-01-01\n",                    # a date
    "? [1, 2]\n: x\n",                    # a non-scalar key
]


@pytest.mark.parametrize("text", TRICKY + BAD)
def test_tricky_and_bad_input_agree(text: str) -> None:
    py, c = _both(text)
    if isinstance(py, yamlsafe.Document):
        assert isinstance(c, yamlsafe.Document), c
        assert (py.data, py.lines) == (c.data, c.lines)
    else:
        assert py == c  # the same file, line and field, whatever the parser's wording


def test_aliases_expand_with_their_lines() -> None:
    doc = yamlparse.parse("a: &x\n  b: 1\nd: *x\n", "f.yaml", yamlparse.LOADER)
    assert doc.data == {"a": {"b": 1}, "d": {"b": 1}}
    assert doc.data["a"] is not doc.data["d"]  # expanded, not shared: consumers may not mutate one through the other
    assert doc.lines[("d",)] == 3 and doc.lines[("d", "b")] == 2


def test_billion_laughs_stops_at_the_node_bound() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    for parser in PARSERS:
        with pytest.raises(InputError, match="YAML nodes"):
            yamlparse.parse("\n".join(lines) + "\n", "f.yaml", parser)


@pytest.mark.parametrize("style", ["flow", "block"])
def test_depth_bound_on_both_parsers(style: str) -> None:
    depth = yamlsafe.MAX_DEPTH + 2
    text = "[" * depth + "]" * depth if style == "flow" else "".join(" " * i + "k:\n" for i in range(depth))
    for parser in PARSERS:
        with pytest.raises(InputError, match="nested"):
            yamlparse.parse(text, "f.yaml", parser)


def test_alias_cannot_smuggle_depth() -> None:
    inner = "[" * 20 + "]" * 20
    text = f"a: &x {inner}\nb: [[[[[[[[[[[[[[[*x]]]]]]]]]]]]]]]\n"
    for parser in PARSERS:
        with pytest.raises(InputError, match="nested"):
            yamlparse.parse(text, "f.yaml", parser)


keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
scalars = st.one_of(st.integers(-(2**63), 2**64 - 1), st.booleans(), st.none(),
                    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=4)), max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(data=st.dictionaries(keys, values, min_size=1, max_size=5), flow=st.booleans())
def test_generated_documents_agree(data: dict[str, object], flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, sort_keys=False)
    py, c = _both(text)
    assert (isinstance(py, yamlsafe.Document) and isinstance(c, yamlsafe.Document)) or py == c
    if isinstance(py, yamlsafe.Document) and isinstance(c, yamlsafe.Document):
        assert (py.data, py.lines) == (c.data, c.lines)
