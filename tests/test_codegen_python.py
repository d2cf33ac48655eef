"""The generated Python module against pvabi's codec, on random images of every shipped layout.

``pvabi gen python`` writes a module that imports construct and nothing of pvabi;
it is imported here in a fresh namespace and must parse random images (with
the magic a layout demands) to the values pvabi's own codec decodes, and build
them back to the same bytes.
"""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import REPO, run_in_process
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_roundtrip import random_image

from pvabi.arch import ARCH_NAMES
from pvabi.codec import ConstructCodec, plain
from pvabi.engine import Resolver
from pvabi.loader import load_abi
from shipped import shipped_layouts
from strategies import abi_files, dump_all, write_layouts

LAYOUTS = shipped_layouts()


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    path = tmp_path_factory.mktemp("gen") / "shipped_abi.py"
    run = run_in_process(["gen", "python", "-o", path, "--root", REPO])
    assert run.exit_code == 0 and "Traceback" not in run.output, run.output
    spec = importlib.util.spec_from_file_location("shipped_abi", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_layout_is_there(module: ModuleType) -> None:
    assert set(module.LAYOUTS) == {(lay.name, lay.arch) for lay in LAYOUTS}
    assert module.ABI_VERSION == (2, 0)
    assert module.FLAG_BITS["pvclock_flags"] == {"TSC_STABLE": 0, "GUEST_STOPPED": 1}


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: f"{lay.name}-{lay.arch}")
def test_parses_and_builds_like_pvabi(module: ModuleType, layout: object) -> None:
    from pvabi.engine import Layout

    assert isinstance(layout, Layout)
    rng = random.Random(f"{layout.name}-{layout.arch}")
    codec = ConstructCodec(layout)
    for _ in range(20):
        image = random_image(layout, rng.randbytes(layout.size))
        parsed = module.parse(layout.name, layout.arch, image)
        assert plain(layout, parsed) == codec.parse(image)
        assert module.build(layout.name, layout.arch, parsed) == image


def test_module_needs_no_pvabi(tmp_path: Path) -> None:
    """Run it where pvabi cannot be imported: only construct is needed."""
    path = tmp_path / "abi_mod.py"
    assert run_in_process(["gen", "python", "-o", path, "--root", REPO]).exit_code == 0
    code = ("import sys; sys.modules['pvabi'] = None; import abi_mod; "
            "print(abi_mod.parse('vcpu_time_info', 'x86_64', bytes(32)).version)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == "0\n", proc.stderr
    assert "pvabi" not in [line.split()[1] for line in path.read_text().splitlines()
                           if line.startswith(("import ", "from "))]


def test_python_check(tmp_path: Path) -> None:
    path = tmp_path / "abi_mod.py"
    assert run_in_process(["gen", "python", "-o", path, "--root", REPO]).exit_code == 0
    assert run_in_process(["gen", "python", "--check", "-o", path, "--root", REPO]).exit_code == 0
    path.write_text(path.read_text().replace("ABI_FROZEN = True", "ABI_FROZEN = False"))
    run = run_in_process(["gen", "python", "--check", "-o", path, "--root", REPO])
    assert run.exit_code == 1 and "-ABI_FROZEN = False" in run.stdout and "+ABI_FROZEN = True" in run.stdout


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=abi_files(), seed=st.integers(0, 2**32 - 1))
def test_random_layouts_parse_like_pvabi(files: dict[str, dict[str, Any]], seed: int) -> None:
    """Random ABIs (unions, packed and aligned records, enums, arrays of records) give the same values too."""
    with tempfile.TemporaryDirectory(prefix="pvabi-genpy-") as tmp:
        root = Path(tmp) / "abi"
        write_layouts(files, root / "layouts")
        path = Path(tmp) / "random_abi.py"
        run = run_in_process(["gen", "python", "-o", path, "--root", root])
        assert run.exit_code == 0, run.output + dump_all(files)
        spec = importlib.util.spec_from_file_location("random_abi", path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        abi = load_abi(root / "layouts")
        rng = random.Random(seed)
        for arch in ARCH_NAMES:
            r = Resolver(abi, arch)
            for rec in abi.records():
                layout = r.layout(rec.name)
                image = random_image(layout, rng.randbytes(layout.size))
                parsed = mod.parse(layout.name, arch, image)
                assert plain(layout, parsed) == ConstructCodec(layout, compiled=False).parse(image)
                assert mod.build(layout.name, arch, parsed) == ConstructCodec(layout).build(plain(layout, parsed))
