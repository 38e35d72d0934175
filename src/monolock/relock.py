"""`monolock lock`: one `uv lock` at the root, then what it changed in every app's projection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monolock import uv
from monolock.errors import LockError, MonolockError
from monolock.fsutil import atomic_write
from monolock.lockfile import parse_lock, read_lock
from monolock.model import Lock, Workspace
from monolock.projection import Change, diff, project


@dataclass(frozen=True)
class Outcome:
    created: bool
    changes: dict[str, list[Change]]  # app (or member) -> changes in its projection
    message: str  # uv's own summary line(s)


def targets(workspace: Workspace) -> dict[str, str]:
    """Display name -> member: the configured apps, or every member when none are."""
    if workspace.apps:
        return {a.name: a.package for a in workspace.apps}
    return {p.name: p.name for p in workspace.packages}


def require_uv_workspace(workspace: Workspace) -> None:
    if workspace.kind != "uv":
        raise LockError(
            "this repository has no uv workspace, so there is no shared lock to write",
            where="pyproject.toml",
            hint="declare [tool.uv.workspace] members in the root pyproject.toml",
        )


def relock(workspace: Workspace, uv_args: Sequence[str] = ()) -> Outcome:
    require_uv_workspace(workspace)
    path = workspace.lock_path
    before = path.read_bytes() if path.exists() else None
    old: Lock | None = None
    if before is not None:
        try:
            old = parse_lock(before, path)
        except MonolockError:
            old = None  # an unreadable old lock only means there is nothing to compare with
    try:
        result = uv.lock(workspace.root, uv_args)
    except MonolockError:
        # uv replaces its lockfile only on success; make sure of it, whatever happened
        if before is not None and path.exists() and path.read_bytes() != before:
            atomic_write(path, before)
        elif before is None:
            path.unlink(missing_ok=True)
        raise
    new = read_lock(path)
    changes: dict[str, list[Change]] = {}
    for name, member in targets(workspace).items():
        old_projection = project(old, member) if old and old.member(member) else None
        new_projection = project(new, member) if new.member(member) else None
        changes[name] = diff(old_projection, new_projection)
    return Outcome(before is None, changes, uv.tail(result.stderr, 3))


def check(workspace: Workspace, uv_args: Sequence[str] = ()) -> tuple[bool, str]:
    require_uv_workspace(workspace)
    if not workspace.lock_path.exists():
        return False, "uv.lock does not exist"
    return uv.lock_is_fresh(workspace.root, uv_args)
