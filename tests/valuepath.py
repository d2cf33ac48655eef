"""Navigating decoded values by a witness or leaf path (``a.b``, ``arr[3]``, ``vcpu_info[1].time.version``)."""

from __future__ import annotations

import re
from typing import Any

_STEP = re.compile(r"\.?([A-Za-z_]\w*)|\[(\d+)\]")
MISSING = object()


def walk(values: Any, path: str) -> Any:
    """The value at ``path`` in decoded values, or MISSING when the layout has no such field or element."""
    pos = 0
    node = values
    while pos < len(path):
        m = _STEP.match(path, pos)
        assert m is not None and m.end() > pos, f"cannot parse path {path!r} at {pos}"
        name, index = m.groups()
        if name is not None:
            if not isinstance(node, dict) or name not in node:
                return MISSING
            node = node[name]
        else:
            if not isinstance(node, list) or int(index) >= len(node):
                return MISSING
            node = node[int(index)]
        pos = m.end()
    return node
