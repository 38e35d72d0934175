"""Finding the repository root: cheap enough to run before anything else is imported."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from monolock import replay


def _tool(manifest: Path) -> dict[str, Any] | None:
    """The `[tool]` table of a manifest; None when it cannot be read (discovery reads it
    again and reports the problem with its position)."""
    try:
        raw = manifest.read_bytes()
    except OSError:
        return None
    replay.file(manifest, raw)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not TOML
        return None
    tool = data.get("tool", {})
    return tool if isinstance(tool, dict) else None


def _has_uv_workspace(tool: dict[str, Any]) -> bool:
    uv = tool.get("uv")
    return isinstance(uv, dict) and "workspace" in uv


def find_root(start: Path) -> Path:
    """The nearest directory at or above `start` whose pyproject.toml declares a uv
    workspace or a `[tool.monolock]` table; `start` itself when there is none."""
    start = start.absolute()
    for directory in (start, *start.parents):
        manifest = directory / "pyproject.toml"
        if not os.path.lexists(manifest):
            replay.file(manifest, None)
            continue
        tool = _tool(manifest)
        if tool is None or "monolock" in tool or _has_uv_workspace(tool):
            # a manifest that cannot be read stops the search: discovery says what is wrong
            # with it, rather than quietly taking some other directory for the root
            return directory
    return start


def is_uv_workspace(root: Path) -> bool:
    manifest = root / "pyproject.toml"
    if not os.path.lexists(manifest):
        return False
    tool = _tool(manifest)
    return tool is None or _has_uv_workspace(tool)  # unreadable: let uv report where
