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
from typing import Any

from monolock import __version__
from monolock.fsutil import is_file, sealed_read, sealed_write
from monolock.layout import Witness, unchanged
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


def _walk(
    directory: str, skip: frozenset[str] = frozenset(), seen: Witness | None = None
) -> list[tuple[str, ...]]:
    """Python files below `directory` as path parts relative to it, without hidden or
    build directories, virtual environments, projects of their own (other members) or
    the paths in `skip`; each directory listed is witnessed in `seen`. Strings, not
    Paths: this runs for every file of the repository."""
    found: list[tuple[str, ...]] = []
    stack: list[tuple[str, tuple[str, ...]]] = [(directory, ())]
    while stack:
        current, parts = stack.pop()
        if seen is not None:
            seen.look(current)
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
                if seen is not None and entry.is_symlink():
                    seen.trusted = False  # what a link leads to changes no mtime here
    return found


def member_files(root: Path, package: Package, seen: Witness | None = None) -> list[SourceFile]:
    """The member's Python files, shipped and dev; with `seen`, every directory whose
    listing the answer depends on is witnessed there."""
    base = root / package.path
    at = "" if package.path == "." else package.path + "/"
    out: list[SourceFile] = []
    for name, rel in package.shipped:
        location = base / rel
        prefix = name.split(".")
        if seen is not None:
            seen.look(str(location.parent))
        if location.is_file():
            out.append(SourceFile(at + rel, package.name, name))
            continue
        for inner in _walk(str(location), seen=seen):
            is_init = inner[-1] == "__init__.py"
            dotted = [*prefix, *inner[:-1]] + ([] if is_init else [inner[-1][:-3]])
            dev = _is_test(inner)  # the package's own name may be `test`
            path = f"{at}{rel}/{'/'.join(inner)}"
            out.append(SourceFile(path, package.name, ".".join(dotted), is_init, dev))
    skip = frozenset(str(base / rel) for _, rel in package.shipped)
    out += [
        SourceFile(at + "/".join(inner), package.name, None, dev=True)
        for inner in _walk(str(base), skip, seen)
    ]
    return sorted(out, key=lambda f: f.path)


class FileLists:
    """Each member's files as listed last time, kept while every directory listed for
    them is as it was (by mtime, never one written in the last two seconds): a warm
    check of twenty thousand files lists two hundred directories' mtimes, not their
    entries. A damaged or foreign entry is listed anew."""

    def __init__(self, slot: Path | None) -> None:
        self._slot = slot
        found = sealed_read(slot) if slot is not None else None
        self._old: dict[str, Any] = found if isinstance(found, dict) else {}
        self._new: dict[str, Any] = {}

    def files(self, root: Path, package: Package) -> list[SourceFile]:
        key = repr((__version__, _FORMAT, str(root), package.path, package.name, package.shipped))
        entry = self._old.get(package.name)
        if entry is not None and entry[0] == key and unchanged(entry[1]):
            try:
                files = [SourceFile(*f) for f in entry[2]]
            except TypeError:
                files = None
            if files is not None:
                self._new[package.name] = entry
                return files
        seen = Witness()
        files = member_files(root, package, seen)
        packed = [(f.path, f.package, f.module, f.is_init, f.dev) for f in files]
        # listed anew: the old entry goes, whether or not this listing can be kept
        self._new[package.name] = (key, seen.seen, packed) if seen.trusted else None
        return files

    def save(self, members: set[str]) -> None:
        """Keep the members listed this time, and the others of `members` as they were."""
        merged = {**self._old, **self._new}.items()
        kept = {n: e for n, e in merged if n in members and e is not None}
        if self._slot is not None and kept != self._old:
            sealed_write(self._slot, kept)


_FORMAT = 1  # bump when what a member's files are changes
