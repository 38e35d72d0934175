"""`add` and `remove` in a Poetry repository: a package's `[tool.poetry]` tables edited in
Poetry's dialect, then every lock that went stale relocked with Poetry, in dependency
order (the package, then those that reach it by path).

There is no shared lock to keep a version in: the policy is kept across the packages'
own locks. A distribution other packages already lock is added with a range that admits
the versions they hold, and a range that admits none of them is refused.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from packaging.version import Version

from monolock.authoring.edit import (
    Place,
    add_poetry,
    asked,
    remove_each,
    remove_poetry,
    text_of,
    unified,
)
from monolock.errors import LockError, UsageError
from monolock.fsutil import atomic_write, restore
from monolock.model import Package, Workspace


def add(
    workspace: Workspace, package: Package, wanted: Sequence[str], place: Place, dry_run: bool
) -> tuple[list[str], str, tuple[str, ...]]:
    """(what changed, the manifest's diff, the packages relocked)."""
    text = before = text_of(workspace.root / package.manifest)
    said = []
    for raw in wanted:
        name, value, told = _value(workspace, package, raw)
        edit = add_poetry(text, name, value, place, replace=told)
        text = edit.text
        said.append(edit.said)
    return said, *_write(workspace, package, before, text, dry_run)


def remove(
    workspace: Workspace, package: Package, names: Sequence[str], place: Place, dry_run: bool
) -> tuple[list[str], str, tuple[str, ...]]:
    before = text_of(workspace.root / package.manifest)
    text, said = remove_each(before, names, place, package, remove_poetry)
    return said, *_write(workspace, package, before, text, dry_run)


def _value(workspace: Workspace, package: Package, raw: str) -> tuple[str, object, bool]:
    """(name, what Poetry's table gets, whether the user said more than a name)."""
    requirement, name = asked(raw, package)
    told = bool(requirement.specifier or requirement.extras or requirement.marker)
    target = workspace.get(name)
    if target is not None:
        where = os.path.relpath(workspace.root / target.path, workspace.root / package.path)
        return name, {"path": Path(where).as_posix(), "develop": True}, told
    held = _held(workspace, name)
    versions = sorted({v for vs in held.values() for v in vs}, key=Version)
    spec = str(requirement.specifier)
    if versions and not any(requirement.specifier.contains(v, True) for v in versions):
        raise UsageError(
            f"'{raw}' excludes {name} {', '.join(versions)}, which "
            f"{', '.join(sorted(held))} lock: one version for every package",
            hint=f"drop the range (monolock adds one that admits {versions[0]})",
        )
    constraint = spec or (f">={versions[0]}" if versions else "*")
    if not (requirement.extras or requirement.marker):
        return name, constraint, told
    table: dict[str, object] = {"version": constraint}
    if requirement.extras:
        table["extras"] = sorted(requirement.extras)
    if requirement.marker:
        table["markers"] = str(requirement.marker)
    return name, table, told


def _held(workspace: Workspace, name: str) -> dict[str, list[str]]:
    """Package -> the versions of `name` its own poetry.lock holds."""
    from monolock.poetry.lock import present, read

    found: dict[str, list[str]] = {}
    for package in workspace.packages:
        if present(workspace.root, package):
            versions = [
                p.version
                for p in read(workspace.root, package).packages
                if p.name == name and p.version and not p.source.is_local
            ]
            if versions:
                found[package.name] = versions
    return found


def _write(
    workspace: Workspace, package: Package, before: str, after: str, dry_run: bool
) -> tuple[str, tuple[str, ...]]:
    """(the diff, the packages relocked): every poetry.lock that went stale, relocked; on
    any failure the manifest and every lock as they were."""
    from monolock.poetry.fresh import states
    from monolock.poetry.lock import lock_path
    from monolock.poetry.relock import relock
    from monolock.workspace import discover

    root = workspace.root
    path = root / package.manifest
    diff = unified(package.manifest, before, after)
    if after == before or dry_run:
        return diff, ()
    locks = {p.name: lock_path(root, p) for p in workspace.packages}
    saved = {n: (p.read_bytes() if p.is_file() else None) for n, p in locks.items()}
    atomic_write(path, after)
    try:
        current = discover(root)
        stale = [s for s in states(current) if s.status != "fresh"]
        done = relock(current, stale, jobs=os.cpu_count() or 1)
        failed = [d for d in done if not d.ok]
        if failed:
            raise LockError(
                f"Poetry could not lock {failed[0].package}:\n{failed[0].output}",
                where=locks[failed[0].package].relative_to(root).as_posix(),
                hint="every file is as it was; see Poetry's message above",
            )
    except BaseException:
        restore(path, before.encode("utf-8"))
        for name, old in saved.items():
            restore(locks[name], old)
        raise
    return diff, tuple(d.package for d in done)
