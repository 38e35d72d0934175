"""The lock uv reads its preferences from when it relocks a merge.

uv keeps, for every distribution, the version the existing uv.lock holds, as long as the
manifests admit it. A merge has two such locks. This one holds, for each distribution,
the entries of the side that locked the newer version (the other side's when told to),
and no dependency edges: edges name packages by name alone, and one side's edges into
the other side's entries need not line up. uv reads versions from it, and resolves the
edges anew from the merged manifests.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from monolock.errors import LockError
from monolock.manifest.toml import loads
from monolock.merging.conflict import PENDING
from monolock.model import normalize

_EDGES = ("dependencies", "optional-dependencies", "dev-dependencies")
_MEMBER_SOURCES = ("editable", "virtual", "directory")


def read(raw: bytes, where: str) -> dict[str, Any]:
    """One side of a conflict, parsed: `where` names the file and the side."""
    data = loads(
        raw,
        where=where,
        error=LockError,
        hint="this side of the conflict is no lockfile: take one side whole (`git checkout "
        "--ours FILE` or `--theirs`), then run `monolock lock`",
    )
    packages = data.get("package", [])
    if not isinstance(packages, list) or not all(
        isinstance(p, dict) and isinstance(p.get("name"), str) for p in packages
    ):
        raise LockError("[[package]] entries without a name", where=where)
    return data


def versions(data: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Distribution -> the versions this lock holds of it (members left out)."""
    found: dict[str, list[str]] = {}
    for package in data.get("package", []):
        if not _member(package) and isinstance(package.get("version"), str):
            found.setdefault(normalize(package["name"]), []).append(package["version"])
    return {name: tuple(sorted(set(v), key=order)) for name, v in found.items()}


def newer(ours: tuple[str, ...], theirs: tuple[str, ...]) -> bool:
    """Whether theirs locked a newer version than ours (the newest of each side)."""
    if not ours or not theirs:
        return not ours
    return order(theirs[-1]) > order(ours[-1])


def preferred(
    ours: dict[str, Any], theirs: dict[str, Any], older: Iterable[str] = (), *, edges: bool = False
) -> bytes:
    """The preference lock, under the PENDING line: ours' header, each distribution from
    the side with the newer version (the older side for the names in `older`), members
    from ours. `edges` keeps each entry's dependencies: a poetry.lock's are constraints,
    not pointers, and Poetry reads a locked package's requirements from them."""
    import tomlkit

    mine, other = versions(ours), versions(theirs)
    flip = {name for name in older if name in mine and name in other}
    from_theirs = {n for n in set(mine) | set(other) if newer(mine.get(n, ()), other.get(n, ()))}
    from_theirs ^= flip
    members = {normalize(p["name"]) for p in ours.get("package", []) if _member(p)}
    kept = []
    for side, data in (("ours", ours), ("theirs", theirs)):
        for package in data.get("package", []):
            name = normalize(package["name"])
            if _member(package):
                keep = side == "ours" or name not in members
            else:
                keep = (name in from_theirs) == (side == "theirs")
            if keep:
                kept.append({k: v for k, v in package.items() if edges or k not in _EDGES})
    document = {k: v for k, v in ours.items() if k != "package"}
    document["package"] = sorted(kept, key=lambda p: (normalize(p["name"]), str(p.get("version"))))
    return PENDING + tomlkit.dumps(document).encode()


def _member(package: dict[str, Any]) -> bool:
    """A workspace member or a path dependency (uv's source keys, Poetry's source type)."""
    source = package.get("source")
    if not isinstance(source, dict):
        return False
    return any(k in source for k in _MEMBER_SOURCES) or source.get("type") == "directory"


def order(version: str) -> tuple[int, Any]:
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)
