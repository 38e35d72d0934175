"""The lock uv reads its preferences from when it relocks a merge.

uv keeps, for every distribution, the version the existing uv.lock holds, as long as the
manifests admit it. A merge has two such locks. This one holds, for each distribution,
the entries of the side that locked the newer version (the other side's when told to),
and no dependency edges: edges name packages by name alone, and one side's edges into
the other side's entries need not line up. Members keep no recorded requirements either,
so uv never finds it satisfied as it stands: it reads versions from it, and resolves the
edges anew from the merged manifests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from monolock.errors import LockError
from monolock.manifest.toml import loads
from monolock.merging.conflict import PENDING
from monolock.model import normalize, version_order

EDGES = ("dependencies", "optional-dependencies", "dev-dependencies")
# what uv's preferences need of an entry is its name, version and source; a member's
# recorded requirements would let uv call an edgeless lock satisfied and keep it as it is
_DROPPED = (*EDGES, "metadata")
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
    return {name: tuple(sorted(set(v), key=version_order)) for name, v in found.items()}


def newer(ours: tuple[str, ...], theirs: tuple[str, ...]) -> bool:
    """Whether theirs locked a newer version than ours (the newest of each side)."""
    if not ours or not theirs:
        return not ours
    return version_order(theirs[-1]) > version_order(ours[-1])


def preferred(
    ours: dict[str, Any], theirs: dict[str, Any], older: Iterable[str] = (), *, edges: bool = False
) -> bytes:
    """The preference lock, under the PENDING line: ours' header, each distribution from
    the side with the newer version (the older side for the names in `older`), members
    from ours. `edges` keeps each entry's dependencies: a poetry.lock's are constraints,
    not pointers, and Poetry reads a locked package's requirements from them."""
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
                kept.append({k: v for k, v in package.items() if edges or k not in _DROPPED})
    document = {k: v for k, v in ours.items() if k != "package"}
    document["package"] = sorted(kept, key=lambda p: (normalize(p["name"]), str(p.get("version"))))
    return PENDING + dumps(document).encode()


def _member(package: dict[str, Any]) -> bool:
    """A workspace member or a path dependency (uv's source keys, Poetry's source type)."""
    source = package.get("source")
    if not isinstance(source, dict):
        return False
    return any(k in source for k in _MEMBER_SOURCES) or source.get("type") == "directory"


_BARE = re.compile(r"[A-Za-z0-9_-]+")


def dumps(document: dict[str, Any]) -> str:
    """TOML for a parsed lock: top-level values, then tables, then arrays of tables, every
    nested value inline. A writer that keeps formatting (tomlkit) takes half a second for
    fifty packages; a lock has no formatting worth keeping, and uv rewrites it."""
    lines = [f"{_key(k)} = {_inline(v)}" for k, v in document.items() if not _table(v)]
    for key, value in document.items():
        if isinstance(value, dict):
            lines += ["", f"[{_key(key)}]"]
            lines += [f"{_key(k)} = {_inline(v)}" for k, v in value.items()]
    for key, value in document.items():
        if _table(value) and isinstance(value, list):
            for entry in value:
                lines += ["", f"[[{_key(key)}]]"]
                lines += [f"{_key(k)} = {_inline(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def _table(value: object) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
    )


def _key(key: str) -> str:
    return key if _BARE.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    # JSON's escapes are TOML's, but for DEL, which TOML's basic strings do not allow raw
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _inline(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return _string(str(value))  # dates and times: none in a lock uv or Poetry writes
