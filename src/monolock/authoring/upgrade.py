"""`monolock upgrade`: the shared lock moved within the declared ranges (everything, or
the distributions named), and which apps that redeploys.

A dry run asks `uv lock --dry-run`, which resolves without writing and says what it
would update, add and remove; each app's part of that is read from its projection of
the lock as it is. A distribution new to the lock (a new dependency of an upgraded one)
is named, not placed: which apps take it is known once it is locked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from monolock import relock, uv
from monolock.errors import UsageError, UvError, known
from monolock.model import normalize
from monolock.projection import Change

# uv's dry-run lines: "Update pydantic v2.14.3 -> v2.14.4", "Add x v1", "Remove y v2";
# a distribution locked at several versions lists them: "Update a v1.0, v2.0 -> v1.1, v2.0"
_VERSIONS = r"v\S+(?:, v\S+)*"
_MOVE = re.compile(rf"^(Update|Add|Remove) (\S+) ({_VERSIONS})(?: -> ({_VERSIONS}))?$")
_ANY = re.compile(r"^(Update|Add|Remove) ")


@dataclass(frozen=True)
class Upgraded:
    outcome: relock.Outcome | None  # written: what changed per app
    planned: dict[str, list[Change]]  # a dry run: app -> what would change
    new: tuple[str, ...] = ()  # a dry run: "name version" new to the lock

    def redeploy(self) -> list[str]:
        changes = self.outcome.changes if self.outcome is not None else self.planned
        return sorted(app for app, found in changes.items() if found)


def upgrade(
    root: Path, names: Sequence[str], *, dry_run: bool = False, uv_args: Sequence[str] = ()
) -> Upgraded:
    from monolock.lockfile import read_lock
    from monolock.workspace import discover

    relock.require_uv_workspace(root)
    lock = read_lock(root / "uv.lock")
    held = {p.name for p in lock.packages if not p.source.is_local}
    for name in names:
        if normalize(name) not in held:
            raise UsageError(f"uv.lock holds no distribution '{name}'", hint=known(name, held))
    args = [a for n in names for a in ("--upgrade-package", n)] or ["--upgrade"]
    if not dry_run:
        return Upgraded(relock.relock(root, [*args, *uv_args]), {})
    said = uv.run(["lock", "--dry-run", *args, *uv_args], cwd=root).stderr
    moves = _moves(said)
    from monolock.projection import project

    workspace = discover(root)
    planned: dict[str, list[Change]] = {}
    for app, member in relock.targets(workspace).items():
        have = project(lock, member).versions() if lock.member(member) else {}
        planned[app] = [
            Change(name, have[name], versions)
            for name, (kind, versions) in sorted(moves.items())
            if name in have and kind != "Add"
        ]
    new = tuple(f"{n} {', '.join(v)}" for n, (kind, v) in sorted(moves.items()) if kind == "Add")
    return Upgraded(None, planned, new)


def _moves(said: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Name -> (what uv would do, the versions it would lock: none when it removes it).
    A line uv writes that this does not read is an error, never "nothing changes"."""
    moves: dict[str, tuple[str, tuple[str, ...]]] = {}
    for line in said.splitlines():
        if not _ANY.match(line):
            continue
        found = _MOVE.fullmatch(line.strip())
        if found is None:
            raise UvError(
                f"uv's dry run said a line monolock does not read: {line.strip()!r}",
                hint="run `monolock upgrade` without --dry-run, or report this",
            )
        kind, name, old, new = found.groups()
        after = "" if kind == "Remove" else (new or old)
        moves[normalize(name)] = (kind, tuple(v.removeprefix("v") for v in after.split(", ") if v))
    return moves
