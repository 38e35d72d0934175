"""Finding the repository root: cheap enough to run before anything else is imported."""

from __future__ import annotations

import tomllib
from pathlib import Path


def _declares_root(manifest: Path) -> bool:
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # discovery reads it again and reports the problem with its position
    tool = data.get("tool", {})
    return isinstance(tool, dict) and ("monolock" in tool or "workspace" in (tool.get("uv") or {}))


def find_root(start: Path) -> Path:
    """The nearest directory at or above `start` whose pyproject.toml declares a uv
    workspace or a `[tool.monolock]` table; `start` itself when there is none."""
    start = start.resolve()
    for directory in (start, *start.parents):
        manifest = directory / "pyproject.toml"
        if manifest.is_file() and _declares_root(manifest):
            return directory
    return start


def is_uv_workspace(root: Path) -> bool:
    manifest = root / "pyproject.toml"
    if not manifest.is_file():
        return False
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True  # let uv and discovery report the syntax error with its position
    return "workspace" in (data.get("tool", {}).get("uv") or {})
