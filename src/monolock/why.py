"""Why a distribution is in the lock: every path from a member to it.

Paths follow runtime edges and the extras those edges activate, so they are the reasons a
distribution is in a member's projection. Enumeration is capped: dense graphs can have
exponentially many paths, and a handful already answers "why".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monolock.model import Lock, LockDep, LockedPackage, normalize

MAX_PATHS = 50


@dataclass(frozen=True)
class Paths:
    member: str
    paths: tuple[tuple[str, ...], ...]
    truncated: bool


def _out(package: LockedPackage, extras: frozenset[str]) -> list[LockDep]:
    deps = list(package.dependencies)
    for extra in sorted(extras):
        deps.extend(package.optional.get(extra, ()))
    return deps


def _can_reach(lock: Lock, target: str) -> frozenset[str]:
    """Names from which some edge chain leads to `target` (pruning the search to them,
    so that enumeration never wanders through the rest of a large lock). Worked out once
    per lock and target: `why` asks it for every member."""
    key = (lock.digest, str(lock.path), target)
    if key not in _REACHING:
        if len(_REACHING) > 64:
            _REACHING.clear()
        _REACHING[key] = frozenset(lock.above({target}))
    return _REACHING[key]


_REACHING: dict[tuple[str, str, str], frozenset[str]] = {}


def paths_to(
    lock: Lock, member: str, target: str, *, groups: Iterable[str] = (), limit: int = MAX_PATHS
) -> Paths:
    """Simple paths from `member` to any version of `target`, shortest first."""
    start = lock.member(member)
    target = normalize(target)
    if start is None:
        return Paths(member, (), False)
    reaches = _can_reach(lock, target)
    found: list[tuple[str, ...]] = []
    truncated = False
    first = list(start.dependencies)
    for group in groups:
        first.extend(start.groups.get(normalize(group), ()))
    # iterative DFS over (package, activated extras); the path itself prevents loops
    stack: list[tuple[tuple[str, ...], list[LockDep]]] = [((start.name,), first)]
    while stack:
        path, deps = stack.pop()
        for dep in deps:
            nxt = lock.resolve(dep)
            if nxt is None or nxt.name in path or nxt.name not in reaches:
                continue
            if nxt.name == target:
                if len(found) >= limit:
                    truncated = True
                    break
                found.append((*path, nxt.name))
                continue
            stack.append(((*path, nxt.name), _out(nxt, frozenset(dep.extras))))
        if truncated:
            break
    ordered = sorted(set(found), key=lambda p: (len(p), p))
    return Paths(member, tuple(ordered), truncated)
