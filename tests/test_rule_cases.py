"""Every compatibility rule over every case in ``tests/rule_cases/`` (in the style of cargo-semver-checks).

A case file holds ``doc`` (what the case is about), ``old`` and ``new`` (one complete layout file each,
with the same ``meta.id``) and ``expect``: the complete list of findings all registered rules must
report, each as rule, layout, path, architectures and the severity per direction. A case fails on a
missing or an extra finding, so each case is a firing case for the rules it lists and a near miss
for every other rule.

On top of the expectations this module checks that the corpus covers the registry (every rule fires
somewhere and stays silent somewhere it was tempted), that the registry covers the rule modules,
and that every witness a rule attaches really is one: the construct codec, which the rules do not
use, decodes the image under the writer's and the reader's layout, and the two disagree.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import witnesscheck
import yaml

import pvabi.rules
from pvabi.compare import Comparison
from pvabi.diff import run_rules
from pvabi.engine import Layout
from pvabi.errors import DecodeError
from pvabi.findings import BREAKING, SEVERITIES, Finding, Witness
from pvabi.loader import load_abi
from pvabi.model import Abi
from pvabi.rules import REGISTRY, Rule

CASES_DIR = Path(__file__).resolve().parent / "rule_cases"
CASE_NAMES = sorted(p.stem for p in CASES_DIR.glob("*.yaml"))
RULES_DIR = Path(pvabi.rules.__file__).resolve().parent
RULES = {cls.id: cls for cls in REGISTRY}

CASE_KEYS = {"doc", "old", "new", "expect"}
EXPECT_KEYS = {"rule", "layout", "path", "arches", "backward", "forward"}
# How a rule's witness_doc says that some breaking findings can come without an image.
ADMITS_NO_WITNESS = re.compile(r"\bno (image )?witness\b|\bno image\b|\botherwise none\b", re.IGNORECASE)

Row = tuple[str, str, str, tuple[str, ...], str, str]


@dataclass(frozen=True)
class CaseRun:
    """One case file, loaded, with the comparison it describes and the findings every rule reported."""

    name: str
    doc: str
    expect: list[dict[str, Any]] = field(repr=False)
    cmp: Comparison = field(repr=False)
    findings: list[Finding] = field(repr=False)


def read_case(name: str) -> dict[str, Any]:
    """The parsed case file, after checking its shape (so a typo in a case fails loudly, not silently)."""
    case = yaml.safe_load((CASES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    assert isinstance(case, dict) and set(case) == CASE_KEYS, f"{name}: keys must be {sorted(CASE_KEYS)}"
    assert isinstance(case["doc"], str) and case["doc"].strip(), f"{name}: doc must be a sentence"
    assert case["old"]["meta"]["id"] == case["new"]["meta"]["id"], f"{name}: old and new meta.id differ"
    assert isinstance(case["expect"], list), f"{name}: expect must be a list (empty when nothing fires)"
    for item in case["expect"]:
        assert set(item) == EXPECT_KEYS, f"{name}: expectation {item} must have keys {sorted(EXPECT_KEYS)}"
        assert item["rule"] in RULES, f"{name}: unknown rule {item['rule']}"
        assert item["backward"] in SEVERITIES and item["forward"] in SEVERITIES, f"{name}: bad severity in {item}"
        assert isinstance(item["arches"], list) and item["arches"], f"{name}: arches must be a non-empty list"
    return case


def load_side(directory: Path, layout_file: dict[str, Any], version: str) -> Abi:
    """Write one version's layout file as ``<meta.id>.yaml`` in its own directory and load it."""
    directory.mkdir(parents=True)
    path = directory / f"{layout_file['meta']['id']}.yaml"
    path.write_text(yaml.safe_dump(layout_file, sort_keys=False), encoding="utf-8")
    return load_abi(directory, version)


def run_case(name: str, tmp: Path) -> CaseRun:
    """Load both versions of a case and run every registered rule over them."""
    case = read_case(name)
    old = load_side(tmp / name / "old", case["old"], "old")
    new = load_side(tmp / name / "new", case["new"], "new")
    cmp = Comparison(old, new, "old", "new")
    return CaseRun(name, case["doc"], case["expect"], cmp, run_rules(cmp))


Corpus = dict[str, CaseRun | str]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Every case, run once for all the tests of this module; a case that cannot run maps to its error."""
    tmp = tmp_path_factory.mktemp("rule_cases")
    out: Corpus = {}
    for name in CASE_NAMES:
        try:
            out[name] = run_case(name, tmp)
        except Exception as e:  # a broken case fails its own tests, not the whole corpus
            out[name] = f"{type(e).__name__}: {e}"
    return out


def case_run(corpus: Corpus, name: str) -> CaseRun:
    """The run of one case, failing the test when the case itself is broken."""
    run = corpus[name]
    if isinstance(run, str):
        pytest.fail(f"case {name} does not load: {run}")
    return run


def runs(corpus: Corpus) -> list[CaseRun]:
    """Every case that loads (the broken ones fail their own tests)."""
    return [run for run in corpus.values() if not isinstance(run, str)]


def finding_row(f: Finding) -> Row:
    """What a case states about a finding: rule, layout, path, architectures, severity per direction."""
    return (f.rule, f.layout, f.path, tuple(f.arches), f.severity_in("backward"), f.severity_in("forward"))


def expected_row(item: dict[str, Any]) -> Row:
    """An ``expect`` item in the form of ``finding_row``."""
    return (item["rule"], item["layout"], item["path"], tuple(item["arches"]), item["backward"], item["forward"])


def show_row(row: Row) -> str:
    """A row as a YAML flow mapping, ready to paste into a case's ``expect``."""
    rule, layout, path, arches, backward, forward = row
    return (f"{{rule: {rule}, layout: {layout}, path: {path!r}, arches: [{', '.join(arches)}], "
            f"backward: {backward}, forward: {forward}}}")


def findings_diff(run: CaseRun) -> str:
    """A readable account of where the findings and the expectations part ways; empty when they agree."""
    got = sorted(finding_row(f) for f in run.findings)
    want = sorted(expected_row(e) for e in run.expect)
    missing = [r for r in want if r not in got or want.count(r) > got.count(r)]
    extra = [r for r in got if r not in want or got.count(r) > want.count(r)]
    if not missing and not extra:
        return ""
    lines = [f"case {run.name}: {run.doc}"]
    lines += ["expected but not reported:"] + [f"  - {show_row(r)}" for r in dict.fromkeys(missing)]
    lines += ["reported but not expected:"] + [f"  - {show_row(r)}" for r in dict.fromkeys(extra)]
    lines += ["every finding reported:"] + [f"  {f.rule} {f.layout} {f.path!r} {','.join(f.arches)}: {f.message}"
                                            for f in run.findings]
    return "\n".join(lines)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_findings(corpus: Corpus, name: str) -> None:
    """All registered rules report exactly the expected findings, no more and no fewer."""
    problem = findings_diff(case_run(corpus, name))
    assert not problem, problem


# --- coverage of the registry -------------------------------------------------------------------

SCOPES = {"check_record": "record", "check_remaining": "record", "check_enum": "enum", "check_flags": "flags"}


def scope(cls: type[Rule]) -> str:
    """What a rule looks at: record pairs, enum pairs or flags pairs (by the checks it overrides)."""
    found = {kind for method, kind in SCOPES.items() if method in vars_of_rule(cls)}
    assert len(found) == 1, f"{cls.id} overrides checks of {sorted(found)}"
    return found.pop()


def vars_of_rule(cls: type[Rule]) -> set[str]:
    """Names a rule class defines itself or inherits from an intermediate (shared) class, not from Rule."""
    return {name for klass in cls.__mro__ if klass not in (Rule, object) for name in vars(klass)}


def test_every_rule_fires_and_has_a_near_miss(corpus: Corpus) -> None:
    """Each rule fires in some case and stays silent in another where a rule of its scope fired.

    The near miss proves the rule ran over something that changed and rightly said nothing: a rule
    about records over a changed record, a rule about enums (flags) over a changed enum (flags).
    """
    fired: dict[str, list[str]] = {rid: [] for rid in RULES}
    near: dict[str, list[str]] = {rid: [] for rid in RULES}
    for run in runs(corpus):
        here = {f.rule for f in run.findings}
        scopes = {scope(RULES[r]) for r in here}
        for rid, cls in RULES.items():
            if rid in here:
                fired[rid].append(run.name)
            elif scope(cls) in scopes:
                near[rid].append(run.name)
    never = [rid for rid, cases in fired.items() if not cases]
    no_near = [rid for rid, cases in near.items() if not cases]
    assert not never, f"rules no case makes fire: {never}"
    assert not no_near, f"rules without a near-miss case: {no_near}"


def rule_classes_in(module_name: str) -> list[type[Rule]]:
    """The concrete rule classes a module defines itself (not the ones it imports)."""
    module = importlib.import_module(f"pvabi.rules.{module_name}")
    return [cls for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, Rule) and cls.__module__ == module.__name__ and "id" in vars(cls)]


def test_registry_covers_rule_modules() -> None:
    """Each public rule module holds one rule, named after it, and every such rule is registered once."""
    modules = sorted(p.stem for p in RULES_DIR.glob("*.py")
                     if not p.name.startswith("_") and p.name not in ("base.py", "__init__.py"))
    assert modules, RULES_DIR
    ids = [cls.id for cls in REGISTRY]
    assert len(ids) == len(set(ids)), f"duplicate rule IDs: {sorted(i for i in ids if ids.count(i) > 1)}"
    for module_name in modules:
        classes = rule_classes_in(module_name)
        assert len(classes) == 1, f"pvabi/rules/{module_name}.py defines {len(classes)} rules"
        assert classes[0] in REGISTRY, f"{classes[0].__name__} (pvabi/rules/{module_name}.py) is not in REGISTRY"
    for cls in REGISTRY:
        assert cls.__module__ == f"pvabi.rules.{cls.id.lower()}", f"{cls.id} lives in {cls.__module__}"


# --- witnesses, checked with the construct codec ------------------------------------------------

def side_layout(cmp: Comparison, w: Witness, version: str) -> Layout:
    side = "old" if version == cmp.old_name else "new"
    layout = cmp.layout(side, w.layout, w.arch)
    assert layout is not None, f"no {side} layout {w.layout} on {w.arch} to decode the witness under"
    return layout


def decode_side(cmp: Comparison, w: Witness, version: str) -> tuple[Any, DecodeError | None]:
    """Decode the witness image as the named version lays it out."""
    return witnesscheck.decode_side(side_layout(cmp, w, version), w)


def witness_problem(cmp: Comparison, f: Finding) -> str:
    """Why the finding's witness does not prove what it says (tests/witnesscheck.py); empty when it does."""
    w = f.witness
    assert w is not None
    return witnesscheck.witness_problem(side_layout(cmp, w, w.written_under), side_layout(cmp, w, w.read_under),
                                        w, f.rule)


# Who runs which version in each direction (docs/diff.md): backward is an old guest on a new host.
RUNS = {("backward", "host"): "new", ("backward", "guest"): "old",
        ("forward", "host"): "old", ("forward", "guest"): "new"}


def flow_problem(cmp: Comparison, f: Finding) -> str:
    """The witness shows the flow its verdict comes from: a direction judged breaking, the declared writer
    party writing under the version it runs there, the other party reading under the one it runs."""
    w = f.witness
    assert w is not None
    if not w.direction:
        return "the witness does not say in which direction, and between which parties, it breaks"
    if f.severity_in(w.direction) != BREAKING:
        return f"the witness proves the {w.direction} direction, which the finding judges {f.severity_in(w.direction)}"
    version = {"old": cmp.old_name, "new": cmp.new_name}
    if (w.written_under, w.read_under) != (version[RUNS[w.direction, w.writer]], version[RUNS[w.direction, w.reader]]):
        return (f"{w.direction}: the {w.writer} writes under {version[RUNS[w.direction, w.writer]]} and the {w.reader} "
                f"reads under {version[RUNS[w.direction, w.reader]]}, but the image is written under "
                f"{w.written_under} and read under {w.read_under}")
    return ""


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_witnesses(corpus: Corpus, name: str) -> None:
    """Every breaking finding carries a real witness, or says why none exists where the rule admits it."""
    run = case_run(corpus, name)
    problems = []
    for f in run.findings:
        rule = RULES[f.rule]
        where = f"{f.rule} {f.layout} {f.path!r} {','.join(f.arches)}"
        breaking = any(s == BREAKING for _, s in f.severity)
        if f.witness is not None:
            if not breaking:
                problems.append(f"{where}: a witness on a finding that breaks nothing")
            elif problem := witness_problem(run.cmp, f) or flow_problem(run.cmp, f):
                problems.append(f"{where}: {problem}")
        elif breaking:  # whatever the rule's category: every breaking finding proves itself or says why not
            if not f.witness_note:
                problems.append(f"{where}: breaking, but neither a witness nor a witness_note")
            elif not ADMITS_NO_WITNESS.search(rule.witness_doc):
                problems.append(f"{where}: no witness ({f.witness_note}), but {f.rule}'s witness_doc "
                                f"does not say there can be none: {rule.witness_doc!r}")
    assert not problems, f"case {name}:\n" + "\n".join(problems)


def test_witness_check_rejects_false_witnesses(corpus: Corpus) -> None:
    """The checker above is not vacuous: a witness that lies about the reader's value, or that points at a
    field the writer and the reader decode alike, is rejected."""
    run, f = next((run, f) for run in runs(corpus) for f in run.findings
                  if f.witness is not None and f.rule == "FIELD_OFFSET_CHANGED")
    w = f.witness
    assert w is not None and not witness_problem(run.cmp, f)
    lying = replace(f, witness=replace(w, reader_value=w.writer_value))
    assert "the witness says" in witness_problem(run.cmp, lying)
    reader, _ = decode_side(run.cmp, w, w.read_under)
    moved = {d.split(":")[0] for d in f.details}
    still = next(name for name, value in reader.items() if name not in moved and isinstance(value, int))
    unmoved = replace(f, witness=replace(w, field=still, reader_value=reader[still]))
    assert "both decode" in witness_problem(run.cmp, unmoved)


def test_witness_values_are_typed_never_text(corpus: Corpus) -> None:
    """Witnesses carry the decoder's values (the formats word them): across the cases, every kind turns up."""
    kinds: set[str] = set()
    for run in runs(corpus):
        for f in run.findings:
            if f.witness is not None:
                w = f.witness
                kinds |= {type(v).__name__ for v in (w.writer_value, w.reader_value, w.required)}
                kinds |= {type(v).__name__ for _, a, b in w.differing for v in (a, b)}
    assert "str" not in kinds, kinds
    assert {"int", "EnumValue", "FlagsValue", "NoneType"} <= kinds, kinds


def test_backward_witness_of_a_host_written_field_is_a_new_host_image(corpus: Corpus) -> None:
    """Backward (old guest, new host), a host-written field flows from a new-layout image to an old-layout
    reader; the witness must show that flow, not an old image read under the new layout."""
    run = case_run(corpus, "field_moved_host_to_guest")
    f = next(f for f in run.findings if f.rule == "FIELD_OFFSET_CHANGED")
    w = f.witness
    assert w is not None
    assert (w.direction, w.writer, w.reader) == ("backward", "host", "guest")
    assert (w.written_under, w.read_under) == ("new", "old")


def test_array_witness_counts_the_differing_elements(corpus: Corpus) -> None:
    """An array witness names its first differing element and counts them all, listing a few."""
    found = [f.witness for run in runs(corpus) for f in run.findings
             if f.witness is not None and f.witness.elements_differing > 1]
    assert found, "no array witness with several differing elements in the corpus"
    for w in found:
        assert 0 < len(w.differing) <= min(4, w.elements_differing)
        assert w.differing[0][0] == w.field or w.field == w.differing[0][0].split("[")[0]


PROJECT_WORDS = re.compile(r"\b(Xen|VMI|KVM|shared.info|wc_sec\w*|vcpu_\w+)\b")


@pytest.mark.parametrize("cls", REGISTRY, ids=lambda c: c.id)
def test_fix_texts_are_generic(cls: type[Rule]) -> None:
    """pvabi guards any ABI: a fix text names a particular project only as an example after the advice."""
    for m in PROJECT_WORDS.finditer(cls.fix):
        before = cls.fix[:m.start()]
        assert "for example" in before or "e.g." in before, f"{cls.id}: {cls.fix!r} relies on {m.group(0)!r}"
