"""`monolock lock`: one `uv lock` at the root, then what it changed in every app's projection.

uv starts first; reading the workspace and projecting the old lock happen while it
resolves, so monolock adds little more than its own start-up to uv's time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from monolock import uv
from monolock.errors import LockError, MonolockError
from monolock.fsutil import restore
from monolock.lockfile import present
from monolock.root import is_uv_workspace

if TYPE_CHECKING:
    from monolock.merging.conflict import Sides
    from monolock.merging.resolve import Merged
    from monolock.merging.unmet import Unmet
    from monolock.model import Workspace
    from monolock.projection import Change, Projection


CONFLICTED = "conflict markers in uv.lock: run `monolock lock`"


@dataclass(frozen=True)
class Outcome:
    created: bool
    unchanged: bool  # uv.lock is byte for byte what it was
    changes: dict[str, list[Change]]  # app (or member) -> changes in its projection
    message: str  # uv's own summary line(s)
    warnings: tuple[str, ...] = ()
    merged: Merged | None = None  # a conflicted lock regenerated: what changed against each side


def targets(workspace: Workspace) -> dict[str, str]:
    """Display name -> member: the configured apps, or every member when none are."""
    if workspace.apps:
        return {a.name: a.package for a in workspace.apps}
    return {p.name: p.name for p in workspace.packages}


def require_uv_workspace(root: Path) -> None:
    if not is_uv_workspace(root):
        raise LockError(
            "this repository has no uv workspace, so it has no shared uv.lock",
            where="pyproject.toml",
            hint="declare [tool.uv.workspace] members in the root pyproject.toml (Poetry "
            "repositories: one lock per package is not supported yet)",
        )


def relock(root: Path, uv_args: Sequence[str] = ()) -> Outcome:
    require_uv_workspace(root)
    uv.check_required_version(root)
    path = root / "uv.lock"
    if path.is_symlink():
        raise LockError(
            "is a symlink: uv would write through it, wherever it leads",
            where="uv.lock",
            hint="replace the link with the file itself",
        )
    before = path.read_bytes() if present(path) else None
    if before is not None:
        from monolock.merging.conflict import read

        sides = read(root, "uv.lock", before)
        if sides is not None:
            return _merge(root, sides, uv_args)
    found = _unmet(before)
    # uv calls such a lock satisfied: the distributions are named for it to move
    moving = [a for u in found for a in ("--upgrade-package", u.name)]
    running = uv.start_lock(root, [*uv_args, *moving])
    try:
        # imported here, not at the top: this work overlaps with uv's resolution
        from monolock.lockfile import parse_lock, read_lock
        from monolock.projection import diff, project
        from monolock.workspace import discover

        workspace = discover(root)
        shown = targets(workspace)
        old: dict[str, Projection] = {}
        if before is not None:
            try:
                old_lock = parse_lock(before, path)
                old = {
                    name: project(old_lock, member)
                    for name, member in shown.items()
                    if old_lock.member(member)
                }
            except MonolockError:
                pass  # an unreadable old lock only means there is nothing to compare with
        result = running.wait()
    except BaseException:
        running.stop()
        # uv replaces its lockfile only on success; make sure of it, whatever happened
        restore(path, before)
        raise
    try:
        new = read_lock(path)
    except LockError:
        restore(path, before)  # what uv wrote is no lock: the old one stays
        raise
    changes = {
        name: diff(old.get(name), project(new, member) if new.member(member) else None)
        for name, member in shown.items()
    }
    unchanged = before is not None and path.read_bytes() == before
    warnings = workspace.warnings + ((f"{excluded(found)}: relocked them",) if found else ())
    return Outcome(before is None, unchanged, changes, uv.tail(result.stderr, 3), warnings)


def _unmet(before: bytes | None) -> list[Unmet]:
    """What an unreadable old lock holds is uv's to say."""
    if before is None:
        return []
    try:
        return unmet(before)
    except MonolockError:
        return []


def _merge(root: Path, sides: Sides, uv_args: Sequence[str]) -> Outcome:
    """A conflicted uv.lock: regenerated from the merged manifests, keeping the sides'
    versions; its changes are against ours, and against each side in `merged`."""
    from monolock.merging import resolve
    from monolock.workspace import discover

    workspace = discover(root)
    merged, message = resolve.relock(root, sides, workspace, targets(workspace), uv_args)
    # what discovery says of the conflicted lock it could not read is what this resolves
    warnings = tuple(w for w in workspace.warnings if "uv.lock cannot be read" not in w)
    return Outcome(False, False, merged.against_ours, message, warnings, merged=merged)


@dataclass(frozen=True)
class Freshness:
    fresh: bool
    message: str  # uv's words
    why: str | None = None  # what monolock found where uv looks no further


def check(root: Path, uv_args: Sequence[str] = ()) -> Freshness:
    require_uv_workspace(root)
    uv.check_required_version(root)
    path = root / "uv.lock"
    if not present(path):
        return Freshness(False, "uv.lock does not exist")
    from monolock.merging.conflict import conflicted

    raw = path.read_bytes()
    if conflicted(raw):
        return Freshness(False, CONFLICTED, CONFLICTED)
    fresh, message = uv.lock_is_fresh(root, uv_args)
    found = unmet(raw) if fresh else []
    if not found:
        return Freshness(fresh, message)
    return Freshness(False, message, f"{excluded(found)}: run `monolock lock`")


def unmet(raw: bytes) -> list[Unmet]:
    """What a lock uv calls fresh holds that the members' own requirements exclude (as a
    text merge of two locks can leave it)."""
    from monolock.manifest.toml import loads
    from monolock.merging.unmet import unmet as find

    return find(loads(raw, where="uv.lock", error=LockError))


def excluded(found: Sequence[object]) -> str:
    return "uv.lock holds versions the manifests exclude (a text merge of two locks?): " + (
        "; ".join(map(str, found))
    )
