"""The public API: a guarded ``__all__``, nothing heavy at import time, and the README's example runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pvabi

REPO = Path(__file__).resolve().parents[1]


def test_all_is_exactly_the_exports_and_each_resolves() -> None:
    assert sorted(pvabi.__all__) == sorted(pvabi._EXPORTS) and len(set(pvabi.__all__)) == len(pvabi.__all__)
    for name in pvabi.__all__:
        assert getattr(pvabi, name) is not None
    assert set(pvabi.__all__) <= set(dir(pvabi))


def test_import_pvabi_loads_no_heavy_library() -> None:
    code = ("import sys, pvabi\n"
            "print(sorted(m for m in ('construct', 'jsonschema', 'deepdiff', 'yaml', 'typer', 'rich') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_readme_python_example_runs(capsys: object) -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    block = re.search(r"## Using it from Python\n.*?```python\n(.*?)```", readme, re.S)
    assert block, "README has no Python example"
    run = subprocess.run([sys.executable, "-c", block.group(1)], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["v1.3 -> v2.0 passed 12"]  # not transitive: the one pair, 12 findings
