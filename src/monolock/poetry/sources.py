"""The package indexes of a Poetry repository, as uv names them.

Poetry's priorities map onto uv's index order: primary sources first, then
supplemental ones; explicit sources serve only the dependencies that name them. A
primary source switches PyPI off in Poetry, so the last one becomes uv's default index
(which replaces PyPI) unless PyPI itself is named as a source.
"""

from __future__ import annotations

from typing import Any

from monolock.model import Index, Workspace

_ORDER = {"primary": 0, "default": 1, "supplemental": 2, "explicit": 3}


def indexes(workspace: Workspace) -> list[Index]:
    """Every index any package names, once per name, in Poetry's priority order."""
    seen: dict[str, Index] = {}
    for package in workspace.packages:
        for index in package.indexes:
            seen.setdefault(index.name.lower(), index)
    return sorted(seen.values(), key=lambda i: _ORDER.get(i.priority, 0))


def uv_indexes(found: list[Index]) -> list[dict[str, Any]]:
    """`[[tool.uv.index]]` tables for them."""
    pypi_named = any(i.url is None or "pypi.org" in i.url for i in found)
    serving = [i for i in found if i.url is not None and i.priority in ("primary", "default")]
    default = None if pypi_named or not serving else serving[-1].name
    out: list[dict[str, Any]] = []
    for index in found:
        if index.url is None:
            continue  # PyPI: uv's default already
        table: dict[str, Any] = {"name": index.name, "url": index.url}
        if index.priority == "explicit":
            table["explicit"] = True
        if index.name == default:
            table["default"] = True
        out.append(table)
    return out
