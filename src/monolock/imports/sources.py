"""Which files of a member are scanned, and as what.

Shipped code is what the build backend packs (the member's package directories); the
rest of the member's Python files (tests, scripts, benchmarks) is dev code, and so are
tests kept inside a package. Documentation and examples are not scanned: they
illustrate other people's code more often than they run this package's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from monolock.fsutil import is_file
from monolock.model import Package

_NEVER = {
    "__pycache__",
    "node_modules",
    "build",
    "dist",
    "site-packages",
    "venv",
    "env",
    "__pypackages__",
    "docs",
    "doc",
    "examples",
    "example",
}
_TEST_DIRS = {"tests", "test", "testing"}


@dataclass(frozen=True)
class SourceFile:
    path: str  # POSIX, relative to the repository root
    package: str  # the member it belongs to
    module: str | None  # dotted name when it is part of a package
    is_init: bool = False
    dev: bool = False


def _is_test(parts: tuple[str, ...]) -> bool:
    name = parts[-1]
    return (
        any(p in _TEST_DIRS for p in parts[:-1])
        or name == "conftest.py"
        or name.startswith("test_")
        or name.endswith("_test.py")
    )


def _walk(directory: str, skip: frozenset[str] = frozenset()) -> list[tuple[str, ...]]:
    """Python files below `directory` as path parts relative to it, without hidden or
    build directories, virtual environments, projects of their own (other members) or
    the paths in `skip`. Strings, not Paths: this runs for every file of the repository."""
    found: list[tuple[str, ...]] = []
    stack: list[tuple[str, tuple[str, ...]]] = [(directory, ())]
    while stack:
        current, parts = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        if parts and any(e.name in ("pyvenv.cfg", "pyproject.toml", "setup.py") for e in entries):
            continue
        for entry in entries:
            name = entry.name
            if name.startswith(".") or entry.path in skip:
                continue
            if entry.is_dir(follow_symlinks=False):
                if name not in _NEVER:
                    stack.append((entry.path, (*parts, name)))
            elif name.endswith(".py") and is_file(entry):  # not a pipe, a socket, a dead link
                found.append((*parts, name))
    return found


def member_files(root: Path, package: Package) -> list[SourceFile]:
    base = root / package.path
    at = "" if package.path == "." else package.path + "/"
    out: list[SourceFile] = []
    for name, rel in package.shipped:
        location = base / rel
        prefix = name.split(".")
        if location.is_file():
            out.append(SourceFile(at + rel, package.name, name))
            continue
        for inner in _walk(str(location)):
            is_init = inner[-1] == "__init__.py"
            dotted = [*prefix, *inner[:-1]] + ([] if is_init else [inner[-1][:-3]])
            dev = _is_test(inner)  # the package's own name may be `test`
            path = f"{at}{rel}/{'/'.join(inner)}"
            out.append(SourceFile(path, package.name, ".".join(dotted), is_init, dev))
    skip = frozenset(str(base / rel) for _, rel in package.shipped)
    out += [
        SourceFile(at + "/".join(inner), package.name, None, dev=True)
        for inner in _walk(str(base), skip)
    ]
    return sorted(out, key=lambda f: f.path)
