"""`monolock lock` in a Poetry repository: `poetry lock` for every stale package.

Packages are locked in dependency order (a package after the path dependencies it
locks), independent ones in parallel. A package's lock is left byte for byte as it was
unless Poetry succeeds and writes one monolock can read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from monolock.errors import MonolockError
from monolock.fsutil import atomic_write, restore
from monolock.graph import Graph
from monolock.merging.conflict import settle
from monolock.model import Workspace
from monolock.poetry import tool
from monolock.poetry.fresh import State
from monolock.poetry.lock import lock_path, present, read
from monolock.uv import tail


@dataclass(frozen=True)
class Locked:
    package: str
    ok: bool
    seconds: float
    output: str  # the end of Poetry's output when it failed


def _order(workspace: Workspace, names: list[str]) -> dict[str, set[str]]:
    """Each package -> the selected packages it must wait for: those its lock records
    (path dependencies of any group), except around a cycle, which cannot be ordered."""
    needs = Graph(workspace).requirements(("runtime", "extra", "group"))
    chosen = set(names)
    return {n: {m for m in needs[n] & chosen if n not in needs[m]} for n in names}


def relock(
    workspace: Workspace,
    stale: list[State],
    *,
    jobs: int,
    on_done: Callable[[Locked], None] = lambda _: None,
) -> list[Locked]:
    args = ["lock", "--no-interaction"] + (["--no-update"] if tool.major() < 2 else [])
    waits = _order(workspace, [s.package for s in stale])
    done: dict[str, Locked] = {}

    def one(name: str) -> Locked:
        package = workspace.by_name[name]
        path = lock_path(workspace.root, package)
        before = path.read_bytes() if present(workspace.root, package) else None
        started = time.monotonic()
        try:
            if before is not None:
                _prefer_both_sides(workspace.root, path, before)
            result = tool.run(args, cwd=workspace.root / package.path)
            output = tail(result.output)
            ok = result.returncode == 0
            if ok:
                try:
                    settle(path)
                    read(workspace.root, package)  # what Poetry wrote must be a lock
                except MonolockError as exc:
                    ok, output = False, f"Poetry wrote a lock monolock cannot read: {exc}"
        except BaseException:
            restore(path, before)  # a conflicted one too: its markers are all there may be
            raise
        if not ok:
            restore(path, before)
        return Locked(name, ok, time.monotonic() - started, "" if ok else output)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        running: dict[Future[Locked], str] = {}
        while len(done) < len(waits):
            for name in sorted(waits):
                ready = all(d in done for d in waits[name])
                if name not in done and name not in running.values() and ready:
                    running[pool.submit(one, name)] = name
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                locked = future.result()
                done[running.pop(future)] = locked
                on_done(locked)
    return [done[n] for n in sorted(done)]


def _prefer_both_sides(root: Path, path: Path, raw: bytes) -> None:
    """A conflicted poetry.lock: replaced by one holding each distribution at the newer of
    the versions the two sides locked, which `poetry lock` then keeps where it can."""
    from monolock.merging import prefer
    from monolock.merging.conflict import read

    name = path.relative_to(root).as_posix()
    sides = read(root, name, raw)
    if sides is not None:
        ours = prefer.read(sides.ours, f"{name} (ours: {sides.ours_label})")
        theirs = prefer.read(sides.theirs, f"{name} (theirs: {sides.theirs_label})")
        atomic_write(path, prefer.preferred(ours, theirs, edges=True))
