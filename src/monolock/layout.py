"""Which import names a package ships, read from its source layout.

Directory, distribution and import names often differ (`pydantic_ai_slim/` ships the
distribution `pydantic-ai-slim`, which is imported as `pydantic_ai`), so the names come
from the files the build backend would pack, never from the distribution's name.
Namespace packages (no `__init__.py`) are followed down to the first regular package,
giving dotted names such as `opentelemetry.sdk`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from monolock.fsutil import is_dir, is_file
from monolock.manifest.toml import table

_NOT_SHIPPED = {
    "tests",
    "test",
    "testing",
    "docs",
    "doc",
    "examples",
    "example",
    "scripts",
    "benchmarks",
    "build",
    "dist",
    "node_modules",
    "__pycache__",
    "site-packages",
    "venv",
    "env",
}
_NOT_MODULES = {"setup", "conftest", "noxfile", "fabfile", "tasks", "manage"}
_MAX_NAMESPACE_DEPTH = 6


def _is_identifier(name: str) -> bool:
    return name.isidentifier() and not name.startswith(".")


def _is_project(directory: Path) -> bool:
    return (directory / "pyproject.toml").is_file() or (directory / "setup.py").is_file()


def _has_python(directory: Path, depth: int = 0) -> bool:
    if depth > _MAX_NAMESPACE_DEPTH:
        return False
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return False
    for entry in entries:
        if is_file(entry) and entry.name.endswith(".py"):
            return True
        if (
            is_dir(entry)
            and _is_identifier(entry.name)
            and _has_python(Path(entry.path), depth + 1)
        ):
            return True
    return False


def _names_in(directory: Path, prefix: str = "", depth: int = 0) -> list[tuple[str, Path]]:
    """Top-level importable names below `directory` (dotted below namespace packages),
    each with the directory or file that holds it."""
    names: list[tuple[str, Path]] = []
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return names
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if is_dir(entry):
            if not _is_identifier(entry.name) or (not prefix and entry.name in _NOT_SHIPPED):
                continue
            path = Path(entry.path)
            if _is_project(path):
                continue  # a project of its own (a nested member): it ships its own names
            if (path / "__init__.py").is_file():
                names.append((prefix + entry.name, path))
            elif depth < _MAX_NAMESPACE_DEPTH and _has_python(path):
                # a namespace package: what it ships is named below it
                names.extend(_names_in(path, f"{prefix}{entry.name}.", depth + 1))
        elif is_file(entry) and entry.name.endswith((".py", ".pyi")) and prefix:
            stem = entry.name.rsplit(".", 1)[0]
            if stem not in ("__init__", "__main__") and _is_identifier(stem):
                names.append((prefix + stem, Path(entry.path)))
        elif is_file(entry) and entry.name.endswith(".py"):
            stem = entry.name[:-3]
            if _is_identifier(stem) and stem not in _NOT_MODULES:
                names.append((stem, Path(entry.path)))
    return names


def _configured_roots(data: dict[str, Any], directory: Path) -> list[Path] | None:
    """Package directories named by the build backend's configuration, if any."""
    hatch = table(data, "tool.hatch.build.targets.wheel").get("packages")
    if isinstance(hatch, list):
        return [directory / str(p) for p in hatch]
    poetry = table(data, "tool.poetry").get("packages")
    if isinstance(poetry, list):
        roots = []
        for entry in poetry:
            if isinstance(entry, dict) and "include" in entry:
                roots.append(directory / str(entry.get("from", ".")) / str(entry["include"]))
        return roots or None
    setuptools = table(data, "tool.setuptools")
    if isinstance(setuptools.get("packages"), list):
        base = directory / str(setuptools.get("package-dir", {}).get("", "."))
        return [base / str(p).replace(".", "/") for p in setuptools["packages"] if "." not in p]
    return None


def shipped(directory: Path, data: dict[str, Any]) -> tuple[tuple[str, Path], ...]:
    """What the build backend would pack: (import name, package directory or module file)."""
    roots = _configured_roots(data, directory)
    found: list[tuple[str, Path]] = []
    if roots is None:
        src = directory / "src"
        if src.is_dir():
            found = _names_in(src)
        else:
            # flat layout: a package named after the project is what backends ship
            # (hatchling's default); scripts next to it (`update_readme.py`) are not
            name = table(data, "project").get("name") or table(data, "tool.poetry").get("name")
            own = str(name).lower().replace("-", "_").replace(".", "_") if name else ""
            if own and (directory / own / "__init__.py").is_file():
                return ((own, directory / own),)
            found = _names_in(directory)
    else:
        for root in roots:
            # backends ship a configured path under its last component (`src/acme` -> `acme`)
            if (root / "__init__.py").is_file():
                found.append((root.name, root))
            elif root.is_dir():
                found.extend(_names_in(root, f"{root.name}.", 1))  # a namespace: name below
            elif root.with_suffix(".py").is_file():
                found.append((root.name, root.with_suffix(".py")))
    return tuple(sorted(set(found)))

