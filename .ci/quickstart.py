"""Print the README's quick-start commands, one per line, so CI runs exactly what a newcomer reads.

The commands are the lines of the first ```sh block after the "## Quick start"
heading; tests/test_fresh_install.py reads them the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path


def quick_start(readme: str) -> list[str]:
    lines = readme.splitlines()
    try:
        start = lines.index("## Quick start")
    except ValueError:
        raise SystemExit("README.md has no '## Quick start' section") from None
    block: list[str] = []
    inside = False
    for line in lines[start + 1:]:
        if not inside and line.strip() == "```sh":
            inside = True
        elif inside and line.strip() == "```":
            return block
        elif inside and line.strip():
            block.append(line.strip())
    raise SystemExit("README.md's quick start has no closed ```sh block")


if __name__ == "__main__":
    print("\n".join(quick_start(Path(sys.argv[1]).read_text("utf-8"))))
