"""Large layouts take the paths built for them (issue 14, Scale), and those paths give what the general ones give.

No timing here: benchmarks/scale.py measures. These tests hold each shortcut to the code it replaces
or stands beside: the witness search's branch walks to the one flattening (``slots``), its pruned
image writer to the unpruned one, FIELD_OFFSET_CHANGED's runs to the pairwise scan it replaced, and
the safety net's reduced input to DeepDiff over every member.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from deepdiff import DeepDiff

from pvabi import witness
from pvabi.compare import Comparison, Match, RecordPair, Span, is_live, spans
from pvabi.decoder import decode
from pvabi.diff import Policy, diff_abis
from pvabi.engine import Layout, layout_of
from pvabi.loader import load_abi
from pvabi.model import Abi
from pvabi.rules.field_offset_changed import FieldOffsetChanged
from pvabi.rules.unclassified_change import changed_paths, differing, facts
from pvabi.slots import slots
from shipped import shipped_layouts

LAYOUTS = shipped_layouts()
HEADER = "meta:\n  id: {id}\n  doc: Test.\n  arches: [x86_64]\ntypes:\n"


def _abi(tmp: Path, name: str, text: str) -> Abi:
    d = tmp / name
    d.mkdir()
    (d / "big.yaml").write_text(HEADER.format(id="big") + text, "utf-8")
    return load_abi(d, name)


def _array_abi(tmp: Path, name: str, head: str, count: int, elem_extra: str = "") -> Abi:
    return _abi(tmp, name, f"""  pair:
    kind: struct
    doc: Two bytes and more.
    fields:
      - {{name: a, type: u8, doc: A.}}
      - {{name: b, type: u8, doc: B.}}
{elem_extra}  big:
    kind: struct
    doc: A head, then a large array of structs.
    fields:
      - {{name: head, type: {head}, doc: Head.}}
      - {{name: arr, type: pair, count: {count}, doc: The array.}}
      - {{name: tail, type: u16, doc: Tail.}}
""")


# --- the witness search's walks ------------------------------------------------------------------


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def _prefixes(layout: Layout) -> list[str]:
    out = {""}
    for s in slots(layout):
        parts = s.path.replace("[", ".[").split(".")
        for i in range(1, len(parts) + 1):
            out.add(".".join(parts[:i]).replace(".[", "["))
    return sorted(out)


def _walked(layout: Layout, prefix: str) -> list[object]:
    return list(witness._live_walk(layout, 0, "", (), prefix))


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda x: f"{x.name}-{x.arch}")
def test_branch_walk_yields_the_flattenings_live_slots(layout: Layout) -> None:
    for prefix in _prefixes(layout):
        expected = [s for s in slots(layout) if s.live and (not prefix or _under(s.path, prefix))]
        assert _walked(layout, prefix) == expected, prefix


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda x: f"{x.name}-{x.arch}")
def test_pruned_writer_writes_what_the_flattening_does(layout: Layout) -> None:
    leaves = [s.path for s in slots(layout) if s.live and s.member is not None and s.member.bitfield is None]
    for seed in range(witness.SEEDS):
        pick = {leaves[seed % len(leaves)]: seed} if leaves and seed % 2 else {}
        expected = [s for s in slots(layout, seed) if witness._acts(s, pick)]
        assert list(witness._walk_written(layout, 0, "", (), seed, pick)) == expected, seed


@pytest.mark.parametrize("extra", ["", "      - {name: z, type: u8, reserved: zero}\n",
                                   "      - {name: c, type: u8, const: 7, doc: C.}\n"])
def test_large_array_image_is_the_one_the_full_walk_writes(tmp_path: Path, extra: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    layout = layout_of(_array_abi(tmp_path, "old", "u32", 8000, extra), "big", "x86_64")
    assert layout.values > witness.WALK_ABOVE  # the walk, not the flattening, serves it
    walked = [witness.write_image(layout, layout.size + 8, seed, {"arr[3].a": 9}) for seed in range(3)]
    monkeypatch.setattr(witness, "WALK_ABOVE", 1 << 30)
    flat = [witness.write_image(layout, layout.size + 8, seed, {"arr[3].a": 9}) for seed in range(3)]
    assert walked == flat
    assert decode(layout, walked[0][:layout.size])["arr"][3]["a"] == 9


def test_witness_of_a_moving_large_array_is_a_real_misread(tmp_path: Path) -> None:
    old = _array_abi(tmp_path, "old", "u32", 20000)
    new = _array_abi(tmp_path, "new", "u64", 20000)
    report = diff_abis(old, new, "old", "new", Policy("full", "SOURCE"))
    moved = [f for f in report.findings if f.rule == "FIELD_OFFSET_CHANGED" and f.witness is not None]
    assert moved
    w = moved[0].witness
    assert w is not None
    writer = layout_of(old if w.written_under == "old" else new, "big", "x86_64")
    reader = layout_of(new if w.written_under == "old" else old, "big", "x86_64")
    image = w.image[:writer.size]
    written, read = decode(writer, image), decode(reader, w.image[:reader.size].ljust(reader.size, b"\0"))

    def at(values: dict, path: str) -> object:
        name, rest = path.split("[", 1)
        index, field = rest.split("].")
        return values[name][int(index)][field]

    assert at(read, w.field) == w.reader_value
    assert w.writer_value != w.reader_value
    assert at(written, w.field) == w.writer_value


# --- FIELD_OFFSET_CHANGED's runs ------------------------------------------------------------------


def _runs_pairwise(pair: RecordPair) -> list[list[str]]:
    """The runs as the rule found them before (a scan of the record for every pair of neighbours)."""
    assert pair.new is not None

    def adjacent(a: Match, b: Match) -> bool:
        names = [m.name for m in pair.new.members if m.size > 0 and m.field.reserved is None]
        i, j = names.index(a.new.name), names.index(b.new.name)
        moved_names = {mt.new.name for mt in pair.matches if mt.old.offset != mt.new.offset}
        return all(n in moved_names for n in names[i + 1:j])

    moved = sorted((mt for mt in pair.matches if mt.old.offset != mt.new.offset and mt.new.size > 0
                    and mt.new.field.reserved is None), key=lambda mt: mt.new.offset)
    runs: list[list[Match]] = []
    for mt in moved:
        last = runs[-1][-1] if runs else None
        if (last is not None and last.new.offset - last.old.offset == mt.new.offset - mt.old.offset
                and adjacent(last, mt)):
            runs[-1].append(mt)
        else:
            runs.append([mt])
    return [[mt.new.name for mt in run] for run in runs]


def _fields(types: list[str]) -> str:
    lines = []
    for i, t in enumerate(types):
        if t == "reserved":
            lines.append(f"      - {{name: f{i}, type: u8, reserved: any}}")
        else:
            lines.append(f"      - {{name: f{i}, type: {t}, doc: F.}}")
    return "  big:\n    kind: struct\n    doc: Many fields.\n    fields:\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(6))
def test_offset_runs_are_the_pairwise_scans(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    n = 600
    old_types = [rng.choice(["u8", "u8", "u16", "u32", "reserved"]) for _ in range(n)]
    new_types = list(old_types)
    for _ in range(rng.randint(1, 12)):  # widen or narrow a few: shifts by various amounts, some undone
        i = rng.randrange(n)
        new_types[i] = rng.choice(["u8", "u16", "u32", "u64"])
    old, new = _abi(tmp_path, "old", _fields(old_types)), _abi(tmp_path, "new", _fields(new_types))
    cmp = Comparison(old, new, "old", "new", ("x86_64",))
    pair = RecordPair(cmp, "big", "x86_64", layout_of(old, "big", "x86_64"), layout_of(new, "big", "x86_64"))
    found = list(FieldOffsetChanged().check_record(pair))
    expected = _runs_pairwise(pair)
    assert [list(f.covers) for f in found] == expected
    assert sum(len(r) for r in expected) > 0


# --- the safety net's input -----------------------------------------------------------------------


def _items(diff: DeepDiff) -> list[tuple[str, str, object, object]]:
    return [(kind, str(item.path()), item.t1, item.t2) for kind, items in diff.items() for item in items]


@pytest.mark.parametrize("seed", range(8))
def test_safety_net_sees_what_deepdiff_over_every_member_sees(seed: int) -> None:
    rng = random.Random(seed)
    layout = max(LAYOUTS, key=lambda x: len(x.members))
    old = facts(layout)
    new = {**old, "members": {k: dict(v) for k, v in old["members"].items()}}
    names = list(new["members"])
    for _ in range(rng.randint(1, 4)):
        name = rng.choice(names)
        what = rng.choice(["offset", "type", "reserved", "drop", "add", "size"])
        if what == "drop":
            new["members"].pop(name, None)
        elif what == "add":
            new["members"][f"extra{rng.randrange(99)}"] = dict(old["members"][name])
        elif name in new["members"]:
            new["members"][name][what] = rng.choice([1, "u16", None, "zero", 8.0 if what == "size" else 3])
    if rng.random() < 0.5:
        new["size"] = old["size"] + 8
    full = DeepDiff(old, new, view="tree", threshold_to_diff_deeper=0)
    reduced = DeepDiff(*differing(old, new), view="tree", threshold_to_diff_deeper=0)
    assert _items(reduced) == _items(full)


@pytest.mark.parametrize("seed", range(40))
def test_changed_paths_are_deepdiffs_paths(seed: int) -> None:
    """The safety net skips DeepDiff (and its import) when every path ``changed_paths`` names is some
    finding's; that is sound only if those are the paths DeepDiff reports, here on random edits."""
    rng = random.Random(f"paths-{seed}")
    layout = rng.choice(LAYOUTS)
    old = facts(layout)
    new = {**old, "members": {k: dict(v) for k, v in old["members"].items()}}
    names = list(new["members"]) or ["x"]
    for _ in range(rng.randint(1, 5)):
        name = rng.choice(names)
        what = rng.choice(["offset", "type", "reserved", "const", "enum", "flags", "writer", "drop", "add",
                           "size", "align", "max_size", "kind"])
        if what == "drop":
            new["members"].pop(name, None)
        elif what == "add":
            new["members"][f"extra{rng.randrange(99)}"] = dict(old["members"].get(name) or {"offset": 0})
        elif what in ("size", "align", "max_size", "kind"):
            new[what] = rng.choice([None, 8, 8.0, "union", (old.get(what) or 0) if what != "kind" else "struct"])
        elif name in new["members"]:
            new["members"][name][what] = rng.choice([1, True, "u16", None, "zero", 8.0, b"\x01\x00", "host"])
    deep = DeepDiff(old, new, view="tree", threshold_to_diff_deeper=0)
    expected = sorted([str(p) for p in item.path(output_format="list")] for items in deep.values() for item in items)
    for a, b in ((old, new), differing(old, new)):
        found = changed_paths(a, b)
        assert found is not None and sorted(found) == expected, (seed, found, expected)


# --- byte ranges of a layout ----------------------------------------------------------------------


def _spans_scanned(layout: Layout, start: int, end: int) -> list[Span]:
    """``compare.spans`` as a scan of every member and hole (what it was before the offset index)."""
    out: list[Span] = []
    for m in layout.members:
        lo, hi = max(start, m.offset), min(end, m.end)
        if lo < hi:
            out.append(Span(lo, hi, "field" if is_live(m) else str(m.field.reserved), m))
    for h in layout.holes:
        lo, hi = max(start, h.offset), min(end, h.offset + h.size)
        if lo < hi:
            out.append(Span(lo, hi, "hole"))
    if end > layout.size:
        out.append(Span(max(start, layout.size), end, "past_end"))
    return sorted(out, key=lambda s: (s.start, s.end))


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda x: f"{x.name}-{x.arch}")
def test_spans_by_offset_are_the_scans(layout: Layout) -> None:
    edges = sorted({0, layout.size, layout.size + 3} | {m.offset for m in layout.members}
                   | {m.end for m in layout.members} | {m.offset + 1 for m in layout.members})
    for start in edges:
        for end in (e for e in edges if e > start):
            assert spans(layout, start, end) == _spans_scanned(layout, start, end), (start, end)
