"""A conflicted uv.lock regenerated from the merged manifests.

uv relocks the workspace as the merge left it, reading its preferences from a lock that
holds, for each distribution, the newer of the two versions the sides locked. Where the
merged manifests exclude that newer version, uv would move to whatever they admit; a
second pass prefers the older side's version there instead. So a distribution moves to a
version neither side had only when the merged manifests admit none that they had.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monolock import uv
from monolock.errors import LockError
from monolock.fsutil import atomic_write, restore
from monolock.merging import prefer
from monolock.merging.conflict import PENDING, Sides
from monolock.model import Lock, Workspace, version_order
from monolock.projection import Change, diff, project


@dataclass(frozen=True)
class Merged:
    ours: str  # the sides' labels: a branch, a commit
    theirs: str
    against_ours: dict[str, list[Change]]  # app -> what changed in its projection
    against_theirs: dict[str, list[Change]]
    moved: tuple[Change, ...]  # versions neither side locked: before holds both sides'


def relock(
    root: Path,
    sides: Sides,
    workspace: Workspace,
    shown: Mapping[str, str],
    uv_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> tuple[Merged, str]:
    """Write the regenerated lock to `root/uv.lock`; return what changed against each side
    and uv's summary (`env` for uv, on top of monolock's). On any failure the file is
    left as it was."""
    from monolock.lockfile import parse_lock, read_lock

    path = root / "uv.lock"
    ours = prefer.read(sides.ours, f"uv.lock (ours: {sides.ours_label})")
    theirs = prefer.read(sides.theirs, f"uv.lock (theirs: {sides.theirs_label})")
    locks = [
        parse_lock(raw, path, display=f"uv.lock ({side}: {label})")
        for raw, side, label in (
            (sides.ours, "ours", sides.ours_label),
            (sides.theirs, "theirs", sides.theirs_label),
        )
    ]
    before = path.read_bytes() if path.is_file() else None

    def explain(result: uv.Result) -> LockError:
        return _unsatisfiable(result, workspace, sides, ours, theirs)

    older: set[str] = set()
    try:
        while True:
            preferences = prefer.preferred(ours, theirs, older)
            result = _attempt(root, preferences, sides.ours, uv_args, env, explain)
            moved = _moved(ours, theirs, prefer.read(path.read_bytes(), "uv.lock"))
            # where the newer version was excluded, the older one may still be admitted
            retry = {c.name for c in moved if len(c.before) > 1} - older
            if not retry or older:
                break
            older = retry
        new = read_lock(path)
    except BaseException:
        restore(path, before)
        raise
    merged = Merged(
        sides.ours_label,
        sides.theirs_label,
        _changes(locks[0], new, shown),
        _changes(locks[1], new, shown),
        tuple(moved),
    )
    return merged, uv.tail(result.stderr, 3)


def _attempt(
    root: Path,
    preferences: bytes,
    fallback: bytes,
    uv_args: Sequence[str],
    env: Mapping[str, str] | None,
    explain: Callable[[uv.Result], LockError],
) -> uv.Result:
    """One `uv lock` from these preferences; a failed resolution explained."""
    path = root / "uv.lock"
    atomic_write(path, preferences)
    result = uv.start_lock(root, uv_args, env).wait(check=False)
    if result.returncode != 0:
        if "no solution found" not in result.stderr.lower():
            raise uv.failure(result)  # the index, the interpreter: not the merge
        raise explain(result)
    if path.read_bytes().startswith(PENDING):
        # uv kept the preferences as they were (a workspace that requires nothing):
        # ours, edges and all, is a lock to relock from
        atomic_write(path, fallback)
        return uv.start_lock(root, uv_args, env).wait()
    return result


def _changes(old: Lock, new: Lock, shown: Mapping[str, str]) -> dict[str, list[Change]]:
    return {
        name: diff(
            project(old, member) if old.member(member) else None,
            project(new, member) if new.member(member) else None,
        )
        for name, member in shown.items()
    }


def _moved(ours: dict[str, Any], theirs: dict[str, Any], merged: dict[str, Any]) -> list[Change]:
    """Distributions now at a version neither side locked (new ones are not moves)."""
    mine, other = prefer.versions(ours), prefer.versions(theirs)
    moved = []
    for name, now in sorted(prefer.versions(merged).items()):
        had = set(mine.get(name, ())) | set(other.get(name, ()))
        if had and not set(now) <= had:
            moved.append(Change(name, tuple(sorted(had, key=version_order)), now))
    return moved


def _unsatisfiable(
    result: uv.Result,
    workspace: Workspace,
    sides: Sides,
    ours: dict[str, Any],
    theirs: dict[str, Any],
) -> LockError:
    """uv's failure, with the merged requirements it names and the side each came from."""
    from monolock.merging.explain import requirements

    said = uv.tail(result.stderr or result.stdout)
    lines = requirements(workspace, said, {sides.ours_label: ours, sides.theirs_label: theirs})
    message = "the merged manifests cannot be locked together"
    if lines:
        message += ":\n" + "\n".join(f"  {line}" for line in lines)
    return LockError(
        f"{message}\nuv says:\n{said}",
        where="uv.lock",
        hint="change one side's requirement so that one version satisfies both, then run "
        "`monolock lock`; uv.lock is left as it was",
    )
