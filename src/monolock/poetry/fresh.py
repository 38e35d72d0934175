"""Whether each package's `poetry.lock` still matches what it locks.

Poetry compares a `content-hash` of the package's own dependency tables, and nothing
else: adding a dependency to `core` leaves `api-gateway`'s lock "fresh" although it
records core's old dependencies. monolock checks both: the hash, and every path
dependency the lock records (version, Python range, dependencies, extras) against that
package's manifest as it is now.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from monolock import markers as mk
from monolock.errors import LockError
from monolock.findings import Finding, Location
from monolock.manifest.toml import load_toml
from monolock.model import Package, Workspace, normalize
from monolock.poetry.lock import (
    LOCK,
    display,
    edges,
    extra_name,
    load,
    lock_path,
    present,
    specifier,
)

Status = Literal["fresh", "stale", "missing", "conflicted"]

# what Poetry hashes (poetry/packages/locker.py, unchanged in meaning since 1.2)
_LEGACY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
_KEYS = (*_LEGACY_KEYS, "group")
_PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")


@dataclass(frozen=True)
class State:
    package: str
    lock: str  # repo-relative path of its poetry.lock
    status: Status
    reasons: tuple[str, ...] = ()


def content_hash(data: dict[str, Any], *, with_groups: bool = True) -> str:
    """Poetry's `metadata.content-hash` of a parsed pyproject. Poetry before 2.3 left
    `[dependency-groups]` out: `with_groups=False` computes that older hash."""
    project = data.get("project", {})
    groups = data.get("dependency-groups", {}) if with_groups else {}
    tool = data.get("tool", {}).get("poetry", {})
    relevant_project = {k: project[k] for k in _PROJECT_KEYS if project.get(k) is not None}
    relevant_tool = {
        k: tool.get(k)
        for k in _KEYS
        if tool.get(k) is not None or (k in _LEGACY_KEYS and not relevant_project and not groups)
    }
    content: dict[str, Any] = {}
    if relevant_project:
        content["project"] = relevant_project
    if groups:
        content["dependency-groups"] = groups
    if content:
        content["tool"] = {"poetry": relevant_tool}
    else:
        content = relevant_tool  # Poetry keeps the old layout when there is nothing else
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


_SHOWN = 4  # changes named per path dependency; the rest are counted

Row = tuple[str, str, str | None, tuple[str, ...], bool]  # as `lock.edges` gives them


def _same_rows(old: list[Row], new: list[Row]) -> bool:
    """Same constraints, extras and (equivalent) markers. Whether an edge is optional is
    not compared: the extras table says which optional edges exist."""
    if len(old) != len(new):
        return False

    def key(r: Row) -> tuple[str, tuple[str, ...]]:
        return (str(_set(r[1])), r[3])

    for a, b in zip(sorted(old, key=key), sorted(new, key=key), strict=True):
        if key(a) != key(b) or not mk.equivalent(a[2], b[2]):
            return False
    return True


def _set(spec: str) -> SpecifierSet | str:
    try:
        return SpecifierSet(spec)
    except InvalidSpecifier:
        return spec


def _describe(rows: list[Row]) -> str:
    return " | ".join(sorted(r[1] or "*" for r in rows))


def _declared(package: Package, activated: set[str], recorded: set[str]) -> list[Row]:
    """The edges a lock records of a path dependency: its runtime ones, and those of the
    extras the lock's packages activate (Poetry 2 leaves the others out, and optional
    ones no extra names; Poetry 1 kept them, marked optional, which `recorded` names).
    An edge whose marker no Python of the package satisfies is never recorded."""
    space = mk.Space(package.requires_python)
    return [
        (
            d.name,
            d.requirement.specifier,
            d.requirement.marker,
            d.requirement.extras,
            d.kind == "extra",
        )
        for d in package.dependencies
        if (
            (d.kind == "runtime" and (not d.root_only or d.name in recorded))
            or (d.kind == "extra" and (d.context in activated or d.name in recorded))
        )
        and (d.name in recorded or mk.conj_of(d.requirement.marker, space) is not None)
    ]


def _path_changes(entry: dict[str, Any], member: Package, activated: set[str]) -> list[str]:
    """How a path dependency's manifest differs from what the lock recorded of it, as
    far as the lock's packages use it (`activated`: the extras they ask of it)."""
    changes: list[str] = []
    if member.version is not None and str(entry.get("version")) != member.version:
        changes.append(f"version {entry.get('version')} → {member.version}")
    locked_python = entry.get("python-versions")
    recorded = _set(specifier(locked_python) or "") if locked_python not in (None, "*") else None
    current = _set(member.requires_python) if member.requires_python is not None else None
    if recorded is not None and current is not None and recorded != current:
        changes.append(f"Python {locked_python} → {member.requires_python}")
    old: dict[str, list[Row]] = {}
    for row in edges(entry.get("dependencies", {})):
        old.setdefault(row[0], []).append(row)
    new: dict[str, list[Row]] = {}
    for row in _declared(member, activated, set(old)):
        new.setdefault(row[0], []).append(row)
    for name in sorted(set(old) | set(new)):
        if name not in old:
            changes.append(f"+ {name}")
        elif name not in new:
            changes.append(f"- {name}")
        elif not _same_rows(old[name], new[name]):
            changes.append(f"~ {name} {_describe(old[name])} → {_describe(new[name])}")
    locked_extras = {
        normalize(k): sorted({extra_name(str(n)) for n in v})
        for k, v in entry.get("extras", {}).items()
        if normalize(k) in activated
    }
    extras: dict[str, set[str]] = {}
    for d in member.dependencies:
        if d.kind == "extra" and d.context in activated:
            extras.setdefault(d.context, set()).add(d.name)
    if locked_extras != {k: sorted(v) for k, v in extras.items()}:
        changes.append(f"extras changed ({', '.join(sorted(activated))})")
    return changes


def state(root: Path, package: Package, by_dir: dict[Path, Package]) -> State:
    where = display(package)
    path = lock_path(root, package)
    if not present(root, package):
        return State(package.name, where, "missing", ("no poetry.lock",))
    raw = path.read_bytes()
    from monolock.merging.conflict import conflicted

    if conflicted(raw):
        return State(package.name, where, "conflicted", ("git conflict markers: a merge left it",))
    data = load(raw, where)
    manifest = load_toml(root / package.manifest, display=package.manifest)
    reasons: list[str] = []
    recorded = data.get("metadata", {}).get("content-hash")
    if recorded not in (content_hash(manifest), content_hash(manifest, with_groups=False)):
        reasons.append(f"{package.manifest} changed since {LOCK} was written (content-hash)")
    base = path.parent
    asked: dict[str, set[str]] = {}  # path package -> the extras the lock's packages ask of it
    rows = [r for e in data.get("package", []) for r in edges(e.get("dependencies", {}))]
    rows += [(d.name, "", None, d.requirement.extras, False) for d in package.dependencies]
    for row in rows:
        asked.setdefault(row[0], set()).update(row[3])
    for entry in data.get("package", []):
        source = entry.get("source") or {}
        if source.get("type") != "directory":
            continue
        target = (base / str(source.get("url", ""))).resolve()
        member = by_dir.get(target)
        name = normalize(str(entry.get("name", "")))
        if member is None:
            if not (target / "pyproject.toml").is_file():
                reasons.append(f"path dependency '{name}' ({source.get('url')}) is gone")
            continue
        changes = _path_changes(entry, member, asked.get(member.name, set()))
        if changes:
            shown = changes[:_SHOWN] + (
                [f"{len(changes) - _SHOWN} more"] if len(changes) > _SHOWN else []
            )
            reasons.append(f"{member.manifest} changed since it was locked: {'; '.join(shown)}")
    return State(package.name, where, "stale" if reasons else "fresh", tuple(reasons))


def require_current(root: Path, package: Package) -> None:
    """Poetry refuses to install from a lock its pyproject.toml has moved away from
    (content-hash): so does a projection that claims to be what Poetry installs."""
    where = display(package)
    data = load(lock_path(root, package).read_bytes(), where)
    manifest = load_toml(root / package.manifest, display=package.manifest)
    recorded = data.get("metadata", {}).get("content-hash")
    if recorded not in (content_hash(manifest), content_hash(manifest, with_groups=False)):
        raise LockError(
            f"{package.manifest} changed since {LOCK} was written (content-hash): Poetry "
            "would not install from it",
            where=where,
            hint="run `monolock lock` (it relocks with Poetry), then export again",
        )


def states(workspace: Workspace) -> list[State]:
    """Every Poetry-managed package's lock state, sorted by package name."""
    by_dir = {(workspace.root / p.path).resolve(): p for p in workspace.packages}
    return [state(workspace.root, p, by_dir) for p in poetry_packages(workspace)]


def poetry_packages(workspace: Workspace) -> list[Package]:
    """The packages Poetry manages: those with a poetry.lock or a [tool.poetry] table."""
    return [p for p in workspace.packages if p.dialect == "poetry" or present(workspace.root, p)]


def findings(workspace: Workspace) -> list[Finding]:
    """ML201 for every stale or missing poetry.lock."""
    out = []
    for s in states(workspace):
        if s.status == "fresh":
            continue
        manifest = workspace.by_name[s.package].manifest
        out.append(
            Finding(
                "ML201",
                s.package,
                s.lock,
                f"{s.lock} is {s.status}: {'; '.join(s.reasons)}",
                "run `monolock lock` (it runs `poetry lock` in every stale package; a "
                "conflicted lock is regenerated keeping the versions both sides locked)",
                Location(s.lock if s.status == "stale" else manifest),
            )
        )
    return out
