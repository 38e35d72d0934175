"""`monolock add` and `remove`: a member's requirements changed under the Single Version
Policy, then one lock.

A distribution the shared lock already holds is added with a range that admits the
locked version: under one lock every member gets that version, so a range that excludes
it is refused (with the apps that ship it) rather than quietly moving it for all of them.
An internal member is added with `{ workspace = true }`. A distribution new to the lock
is added as asked, then, when no range was given, at `>=` the version uv resolved (as
`uv add` does). If uv fails, every file is left as it was.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

from monolock import relock
from monolock.authoring.edit import (
    Place,
    add_pep621,
    asked,
    remove_each,
    remove_pep621,
    text_of,
    unified,
)
from monolock.errors import UsageError, known
from monolock.fsutil import atomic_write, restore
from monolock.model import Lock, Package, Workspace, normalize


@dataclass(frozen=True)
class Done:
    said: tuple[str, ...]  # what changed in the manifest, one line each
    diff: str  # the manifest's unified diff
    outcome: relock.Outcome | None  # None: nothing to lock, or a dry run
    relocked: tuple[str, ...] = ()  # a Poetry repository: the packages locked again

    def lost(self, names: Sequence[str]) -> dict[str, list[str]]:
        """Distribution -> the apps whose projection no longer holds it at all."""
        wanted = {normalize(n) for n in names}
        found: dict[str, list[str]] = {}
        for app, changes in (self.outcome.changes if self.outcome else {}).items():
            for change in changes:
                if change.kind == "removed" and change.name in wanted:
                    found.setdefault(change.name, []).append(app)
        return found


def add(
    root: Path,
    member: str,
    wanted: Sequence[str],
    place: Place,
    *,
    dry_run: bool = False,
    uv_args: Sequence[str] = (),
) -> Done:
    from monolock.lockfile import present, read_lock
    from monolock.workspace import discover

    workspace = discover(root)
    package = _member(workspace, member)
    if workspace.kind == "paths":
        from monolock.authoring import poetry_deps

        said, diff, locked = poetry_deps.add(workspace, package, wanted, place, dry_run)
        return Done(tuple(said), diff, None, relocked=locked)
    lock = read_lock(workspace.lock_path) if present(workspace.lock_path) else None
    path = root / package.manifest
    before = text_of(path)
    text, said = before, []
    unpinned: list[tuple[str, Place]] = []
    for raw in wanted:
        requirement, internal, pin = requirement_for(workspace, lock, package, raw)
        edit = add_pep621(text, requirement, place, workspace=internal, replace=_told(raw))
        text = edit.text
        said.append(edit.said)
        if pin:
            unpinned.append((requirement, place))
    change = _Edit(path, before, text, said)
    return _apply(root, change, dry_run=dry_run, uv_args=uv_args, unpinned=unpinned)


def remove(
    root: Path,
    member: str,
    names: Sequence[str],
    place: Place,
    *,
    dry_run: bool = False,
    uv_args: Sequence[str] = (),
) -> Done:
    from monolock.workspace import discover

    workspace = discover(root)
    package = _member(workspace, member)
    if workspace.kind == "paths":
        from monolock.authoring import poetry_deps

        said, diff, locked = poetry_deps.remove(workspace, package, names, place, dry_run)
        return Done(tuple(said), diff, None, relocked=locked)
    path = root / package.manifest
    before = text_of(path)
    hint = functools.partial(_declared_where, package)
    text, said = remove_each(before, names, place, package, remove_pep621, hint)
    change = _Edit(path, before, text, said)
    return _apply(root, change, dry_run=dry_run, uv_args=uv_args, unpinned=[])


def _member(workspace: Workspace, name: str) -> Package:
    """The member edited: in a uv workspace written as PEP 621, in a Poetry repository
    in Poetry's dialect."""
    package = workspace.get(name)
    if package is None:
        raise UsageError(f"no member is called '{name}'", hint=known(name, workspace.by_name))
    wanted = "pep621" if workspace.kind == "uv" else "poetry"
    if package.dialect != wanted:
        raise UsageError(
            f"{package.name} is written in {'Poetry' if wanted == 'pep621' else 'PEP 621'}'s "
            "dialect, not the one this repository locks with",
            where=package.manifest,
            hint="move it to [project] (`monolock init --from-poetry`), or use `poetry add`"
            if wanted == "pep621"
            else "use `uv add` in it, or give it a [tool.poetry] table",
        )
    return package


def requirement_for(
    workspace: Workspace, lock: Lock | None, package: Package, raw: str
) -> tuple[str, bool, bool]:
    """(the requirement to write, whether it is a member, whether to pin it after the
    lock) for what the user typed."""
    requirement, name = asked(raw, package)
    target = workspace.get(name)
    if target is not None:
        if target.version and not requirement.specifier.contains(target.version, True):
            raise UsageError(
                f"'{raw}' excludes {name} {target.version}, the member in this workspace",
                hint="members are required without a range: drop it",
            )
        return _text(requirement, ""), True, False
    if requirement.url:
        return str(requirement), False, False  # a direct reference, as written: uv says if two meet
    locked = _locked(lock, name)
    if not locked:
        return str(requirement), False, not requirement.specifier
    admitted = [v for v in locked if requirement.specifier.contains(v, prereleases=True)]
    if not admitted:
        raise UsageError(
            f"'{raw}' excludes {name} {', '.join(locked)}, the version uv.lock holds for "
            f"every member; {_shipped_by(workspace, lock, name)}",
            hint=f"drop the range (monolock adds one that admits {locked[0]}), or move "
            f"{name} for every app deliberately: widen the range where it is declared and "
            f"run `monolock lock -P {name}`",
        )
    if requirement.specifier:
        return str(requirement), False, False
    return _text(requirement, f">={locked[0]}"), False, False


def _told(raw: str) -> bool:
    """Whether the user said more than a name: a range, extras, a marker or a URL."""
    requirement = Requirement(raw)
    return bool(
        requirement.specifier or requirement.extras or requirement.marker or requirement.url
    )


def _text(requirement: Requirement, specifier: str) -> str:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    marker = f"; {requirement.marker}" if requirement.marker else ""
    return f"{requirement.name}{extras}{specifier}{marker}"


def _locked(lock: Lock | None, name: str) -> list[str]:
    """The versions the shared lock holds of a third-party distribution, oldest first."""
    from packaging.version import Version

    if lock is None:
        return []
    found = {
        p.version
        for p in lock.packages
        if p.name == name and p.version is not None and not p.source.is_local
    }
    return sorted(found, key=Version)


def _shipped_by(workspace: Workspace, lock: Lock | None, name: str) -> str:
    from monolock.projection import project

    if lock is None:
        return "no app ships it yet"
    apps = sorted(
        app
        for app, member in relock.targets(workspace).items()
        if lock.member(member) and name in project(lock, member).versions()
    )
    return f"apps that ship it: {', '.join(apps)}" if apps else "no app ships it"


def _declared_where(package: Package, name: str) -> str:
    found = sorted({d.label for d in package.dependencies if d.name == name})
    if not found:
        return f"{package.name} does not declare it anywhere"
    return "it is declared as " + ", ".join(found) + " (--group G or --extra E for those)"


@dataclass(frozen=True)
class _Edit:
    """One manifest, before and after, and what the change says of itself."""

    path: Path
    before: str
    after: str
    said: list[str]


def _apply(
    root: Path,
    edit: _Edit,
    *,
    dry_run: bool,
    uv_args: Sequence[str],
    unpinned: list[tuple[str, Place]],
) -> Done:
    """The manifest written and locked once (a new distribution then pinned at `>=` what
    uv resolved, and locked again); on any failure the manifest and uv.lock as they were.
    A dry run writes nothing: it shows the edit, the policy's verdicts already given."""
    shown = edit.path.relative_to(root).as_posix()
    if edit.after == edit.before or dry_run:
        return Done(tuple(edit.said), unified(shown, edit.before, edit.after), None)
    lock_path = root / "uv.lock"
    old_lock = lock_path.read_bytes() if lock_path.is_file() else None
    atomic_write(edit.path, edit.after)
    try:
        outcome = relock.relock(root, uv_args)
        said = list(edit.said)
        if unpinned:
            for raw, pinned in _pin(root, edit.path, unpinned, uv_args).items():
                said = [s.replace(f"added {raw} to", f"added {pinned} to") for s in said]
    except BaseException:
        restore(edit.path, edit.before.encode("utf-8"))
        restore(lock_path, old_lock)  # a second lock (the pin) may fail after the first
        raise
    return Done(tuple(said), unified(shown, edit.before, text_of(edit.path)), outcome)


def _pin(
    root: Path, path: Path, unpinned: list[tuple[str, Place]], uv_args: Sequence[str]
) -> dict[str, str]:
    """A distribution new to the lock, added without a range: `>=` what uv resolved.
    Returns each requirement as added -> as pinned."""
    from monolock.lockfile import read_lock

    lock = read_lock(root / "uv.lock")
    text = text_of(path)
    pinned = {}
    for raw, place in unpinned:
        requirement = Requirement(raw)
        locked = _locked(lock, normalize(requirement.name))
        pinned[raw] = _text(requirement, f">={locked[0]}") if locked else raw
        text = add_pep621(text, pinned[raw], place, workspace=False).text
    atomic_write(path, text)
    relock.relock(root, uv_args)
    return pinned
