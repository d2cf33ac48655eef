"""The HTML report in a real browser: headless Chromium renders it (not blank) and its DOM holds every finding.

Chromium is Debian's ``chromium`` package, which .ci/run installs. Outside CI a
machine without it skips these tests, saying so; under CI a missing browser fails.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from conftest import PVABI, SHIPPED_ABI

from pvabi.diff import Policy
from pvabi.diffreport import diff_report
from pvabi.diffrun import run_diff
from pvabi.project import Project

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
if BROWSER is None and os.environ.get("CI"):
    pytest.fail("chromium is not installed, but .ci/run installs it: the browser tests must run in CI",
                pytrace=False)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="chromium not installed (apt-get install chromium)")

# Flags for a sandboxed, offline headless run: no first-run work, no network, a throwaway profile.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def browse(tmp: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    assert BROWSER is not None
    cmd = [BROWSER, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, timeout=180, check=False)


def png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the decompressed scanlines (filter byte + RGB(A) each) of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    run = subprocess.run([*PVABI, "diff", "v1.3", "v2.0", "--root", str(SHIPPED_ABI), "--format", f"html:{out}",
                          "--quiet"], capture_output=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr.decode()
    return out


def test_screenshot_is_not_blank(report_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    run = browse(tmp_path, f"--screenshot={shot}", "--window-size=1280,1600", report_file.as_uri())
    assert shot.exists(), run.stderr.decode()[-2000:]
    width, height, pixels = png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 1600)
    # A blank page is one colour: count bytes that are not white background.
    ink = sum(1 for b in pixels[:: 7] if b < 0xF0)
    assert ink > len(pixels[:: 7]) // 50, "the screenshot is (nearly) blank"
    assert len(set(pixels[:: 3])) > 16  # many colours: the byte map's kinds and verdicts


def test_dom_holds_every_finding(report_file: Path, tmp_path: Path) -> None:
    run = browse(tmp_path, "--dump-dom", report_file.as_uri())
    dom = run.stdout.decode("utf-8")
    assert "<table class=\"bytemap\"" in dom, run.stderr.decode()[-2000:]
    project = Project.find(SHIPPED_ABI)
    report = diff_report(run_diff(project, "v1.3", "v2.0", Policy("backward", "LAYOUT")))
    shown = 0
    for si, section in enumerate(report.in_display_order()):
        for i, e in enumerate(section.entries):
            if e.shown:
                assert f'id="f{si}-{i}"' in dom and e.info.id in dom
                shown += 1
    assert shown >= 10
    assert "arm32" in dom
