"""Reading a package's `poetry.lock` (lock versions 1.x and 2.x) into the lock model.

A `poetry.lock` holds what one package needs, but not the package itself: monolock adds
it as the lock's one member, its edges taken from the manifest, so that projection, why
and export work on a Poetry lock exactly as on `uv.lock`. Poetry writes dependency edges
as constraints; each is pointed at the locked version it selects.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from monolock import fsutil
from monolock import markers as mk
from monolock.errors import LockError
from monolock.manifest.constraint import ConstraintError, to_specifier
from monolock.manifest.poetry import marker_of
from monolock.manifest.schema import POETRY_DEPENDENCY
from monolock.manifest.toml import loads
from monolock.model import (
    Artifact,
    Dependency,
    Lock,
    LockDep,
    LockedPackage,
    LockSource,
    Package,
    normalize,
)
from monolock.shape import (
    HASH,
    MARKER,
    NAME,
    PATH,
    STR,
    STRS,
    URL,
    VERSION,
    ListOf,
    MapOf,
    OneOf,
    Table,
    Text,
    validate,
)

LOCK = "poetry.lock"
PYPI = "https://pypi.org/simple"
SUPPORTED = (1, 2)  # lock-version majors Poetry 1.x and 2.x write


def lock_path(root: Path, package: Package) -> Path:
    return root / package.path / LOCK


def display(package: Package) -> str:
    return LOCK if package.path == "." else f"{package.path}/{LOCK}"


def present(root: Path, package: Package) -> bool:
    """Whether the package has a poetry.lock (a directory in its place is an error)."""
    return fsutil.present(
        lock_path(root, package),
        where=display(package),
        hint=f"remove what is there, then `monolock lock` (or `poetry lock` in {package.path})",
    )


def _source(raw: Any) -> LockSource:
    if not isinstance(raw, dict) or "type" not in raw:
        return LockSource("registry", PYPI)
    kind, url = str(raw["type"]), str(raw.get("url", ""))
    if kind == "legacy":
        return LockSource("registry", url.rstrip("/"))
    if kind == "directory":
        return LockSource("directory", url)
    if kind == "file":
        return LockSource("path", url)
    if kind == "git":
        commit = raw.get("resolved_reference") or raw.get("reference") or ""
        subdirectory = raw.get("subdirectory")
        query = f"?subdirectory={subdirectory}" if subdirectory else ""
        return LockSource("git", f"{url}{query}#{commit}" if commit else url + query)
    return LockSource("url", url)


def specifier(constraint: Any) -> str:
    """A Poetry constraint as PEP 440 ('' when PEP 440 cannot say it)."""
    try:
        return to_specifier(str(constraint))
    except ConstraintError:
        return ""  # an edge whose constraint PEP 440 cannot say still points somewhere


def _marker(entry: dict[str, Any]) -> str | None:
    try:
        return marker_of(entry)
    except ConstraintError:
        # a Python range PEP 508 cannot say: the edge keeps its other conditions
        return marker_of({k: v for k, v in entry.items() if k != "python"})


def edges(raw: dict[str, Any]) -> list[tuple[str, str, str | None, tuple[str, ...], bool]]:
    """A Poetry dependency table as (name, PEP 440 specifier, marker, extras, optional),
    one row per constraint of a multiple-constraints list."""
    out = []
    for raw_name, spec in raw.items():
        if raw_name.lower() == "python":
            continue
        for one in spec if isinstance(spec, list) else [spec]:
            entry = one if isinstance(one, dict) else {"version": one}
            out.append(
                (
                    normalize(raw_name),
                    specifier(entry["version"]) if "version" in entry else "",
                    _marker(entry),
                    tuple(sorted(normalize(e) for e in entry.get("extras", ()))),
                    bool(entry.get("optional", False)),
                )
            )
    return out


def _both(a: str | None, b: str | None) -> str | None:
    """Both markers hold (written once when they say the same)."""
    if not a or not b:
        return a or b
    return a if mk.equivalent(a, b) else f"({a}) and ({b})"


def _allows(spec: str, version: str) -> bool:
    try:
        return SpecifierSet(spec).contains(version, prereleases=True)
    except InvalidSpecifier:
        return True  # a constraint PEP 440 cannot say: every candidate stays possible


# poetry-core writes a marker no environment satisfies as "<empty>" (a dependency of
# another group only, say, whose main marker is a Python the project excludes)
EMPTY = "<empty>"
_NEVER = 'python_version < "0"'


class _Pointer:
    """Points an edge at the locked versions it reaches, when a name is locked at
    several versions: Poetry does that for marker-split requirements (urllib3 1.26 for
    older Pythons, 2.x for the rest), and installs each version only where its marker
    holds. An edge that several of them satisfy becomes one edge per version, each
    under that version's marker, so a projection holds both with complementary markers.

    The marker of each version is the lock's own (`markers`, lock 2.1); an older lock
    has none, and the markers of the split requirements that select exactly one version
    stand in for it, as Poetry's solver forks on them."""

    def __init__(
        self, packages: list[dict[str, Any]], rows: list[tuple[str, str, str | None]]
    ) -> None:
        self.versions: dict[str, list[str]] = {}
        self.markers: dict[tuple[str, str], str] = {}
        for entry in packages:
            name, version = normalize(entry["name"]), entry["version"]
            self.versions.setdefault(name, []).append(version)
            marker = entry.get("markers")
            if isinstance(marker, dict):
                # per group where they differ (Poetry 2): what `--only main` installs by
                marker = marker.get("main")
            if marker == EMPTY:
                marker = _NEVER
            if marker:
                self.markers[(name, version)] = marker
        derived: dict[tuple[str, str], list[str]] = {}
        for name, spec, marker in rows:
            chosen = [v for v in self.versions.get(name, ()) if _allows(spec, v)]
            if len(chosen) == 1 and marker and (name, chosen[0]) not in self.markers:
                derived.setdefault((name, chosen[0]), []).append(marker)
        for key, found in derived.items():
            self.markers[key] = " or ".join(f"({m})" for m in found)

    def deps(
        self, name: str, spec: str, marker: str | None, extras: tuple[str, ...]
    ) -> list[LockDep]:
        versions = self.versions.get(name, [])
        if len(versions) < 2:
            return [LockDep(name, None, None, marker, extras)]
        chosen = [v for v in versions if _allows(spec, v)] or versions[:1]
        if len(chosen) > 1 and all((name, v) in self.markers for v in chosen):
            return [
                LockDep(name, v, None, _both(marker, self.markers[(name, v)]), extras)
                for v in chosen
            ]
        # no marker tells them apart: Poetry's solver takes the highest it allows
        best = max(chosen, key=Version)
        return [LockDep(name, best, None, marker, extras)]


def extra_name(entry: str) -> str:
    """`"Sphinx (>=8.2,<9.0)"`, `"anyio[trio]"`, `"x ; marker"`, `"plugin @ file:///…"`
    -> the normalised name."""
    head = re.split(r"[\s;(\[@<>=!~]", entry.strip(), maxsplit=1)[0]
    return normalize(head)


def _package(raw: dict[str, Any], pointer: _Pointer) -> LockedPackage:
    rows = edges(raw.get("dependencies", {}))
    deps = tuple(
        d for n, s, m, e, optional in rows if not optional for d in pointer.deps(n, s, m, e)
    )
    optional: dict[str, tuple[LockDep, ...]] = {}
    for raw_extra, names in raw.get("extras", {}).items():
        extra = normalize(raw_extra)
        wanted = {extra_name(str(n)) for n in names}
        found = []
        for name, spec, marker, extras, _ in rows:
            # Poetry writes an optional edge's marker with its `extra == "…"` clause
            held = mk.under_extra(marker, extra)
            if name in wanted and held is not False:
                found.extend(pointer.deps(name, spec, held, extras))
        optional[extra] = tuple(found)
    files = raw.get("files", [])
    artifacts = [
        Artifact(url=f.get("url"), path=None, hash=f.get("hash"), name=f.get("file"))
        for f in files
        if isinstance(f, dict)
    ]
    sdists = [a for a in artifacts if not a.filename.endswith(".whl")]
    return LockedPackage(
        name=normalize(raw["name"]),
        version=str(raw["version"]) if "version" in raw else None,
        source=_source(raw.get("source")),
        dependencies=deps,
        optional=optional,
        sdist=sdists[0] if sdists else None,
        wheels=tuple(a for a in artifacts if a.filename.endswith(".whl")),
    )


def _member(package: Package, pointer: _Pointer) -> LockedPackage:
    """The package itself, as the lock's member: its declared edges, by kind."""

    def to_deps(d: Dependency) -> list[LockDep]:
        r = d.requirement
        return pointer.deps(d.name, r.specifier, r.marker, r.extras)

    optional: dict[str, list[LockDep]] = {}
    groups: dict[str, list[LockDep]] = {}
    for d in package.dependencies:
        if d.kind == "extra" and d.context:
            optional.setdefault(d.context, []).extend(to_deps(d))
        elif d.kind == "group" and d.context:
            groups.setdefault(d.context, []).extend(to_deps(d))
    return LockedPackage(
        name=package.name,
        version=package.version,
        source=LockSource("editable", "."),
        dependencies=tuple(x for d in package.runtime() for x in to_deps(d)),
        optional={k: tuple(v) for k, v in optional.items()},
        groups={k: tuple(v) for k, v in groups.items()},
    )


_HINT = "regenerate it with `poetry lock` (or `monolock lock`)"
_LOCK_MARKER = OneOf(
    (Text(lambda text: text == EMPTY, "<empty>"), MARKER), "a PEP 508 marker", _HINT
)
_FILES = ListOf(Table({"file": PATH, "hash": HASH, "url": URL}, hint=_HINT), hint=_HINT)
SHAPE = Table(
    {
        "metadata": Table(
            {
                "lock-version": STR,
                "python-versions": STR,
                "content-hash": STR,
                "files": MapOf(_FILES, hint=_HINT),
            },
            hint=_HINT,
        ),
        "package": ListOf(
            Table(
                {
                    "name": NAME,
                    "version": VERSION,
                    "dependencies": MapOf(POETRY_DEPENDENCY, hint=_HINT),
                    "extras": MapOf(STRS, hint=_HINT),
                    "files": _FILES,
                    # where this version is installed (lock 2.1): one marker, or one per
                    # group where the groups differ
                    "markers": OneOf(
                        (_LOCK_MARKER, MapOf(_LOCK_MARKER, hint=_HINT)),
                        "a marker or a table of them",
                        _HINT,
                    ),
                    "source": Table(
                        {
                            "type": STR,
                            "url": PATH,  # an index URL, or a directory's path
                            "reference": STR,
                            "resolved_reference": STR,
                            "subdirectory": STR,
                        },
                        hint=_HINT,
                    ),
                },
                required=("name", "version"),
                hint=_HINT,
            ),
            "an array of package tables",
            _HINT,
        ),
    },
    hint=_HINT,
)


def load(raw: bytes, where: str) -> dict[str, Any]:
    """The parsed file, its shape and lock version checked."""
    from monolock.merging.conflict import refuse

    refuse(raw, where)
    data = loads(raw, where=where, error=LockError, hint=_HINT)
    validate(data, SHAPE, where=where, error=LockError, hint=_HINT)
    version = str(data.get("metadata", {}).get("lock-version", ""))
    major = version.split(".", 1)[0]
    if not major.isdigit() or int(major) not in SUPPORTED:
        raise LockError(
            f"poetry.lock version {version or '(none)'!r} is not supported "
            "(this monolock reads versions 1.x and 2.x)",
            where=where,
            hint="regenerate it with a current Poetry, or upgrade monolock",
        )
    return data


def parse(raw: bytes, path: Path, package: Package, *, where: str) -> Lock:
    data = load(raw, where)
    entries = data.get("package", [])
    rows = [(n, s, m) for e in entries for n, s, m, _, _ in edges(e.get("dependencies", {}))]
    rows += [(d.name, d.requirement.specifier, d.requirement.marker) for d in package.dependencies]
    pointer = _Pointer(entries, rows)
    packages = [_package(e, pointer) for e in entries]
    # a package that lists itself (a path dependency on its own directory) stays as locked
    packages = [p for p in packages if p.name != package.name]
    python = data.get("metadata", {}).get("python-versions")
    return Lock(
        path=path,
        digest=hashlib.sha256(raw).hexdigest(),
        requires_python=specifier(python) or None if python not in (None, "*") else None,
        members=(package.name,),
        packages=(_member(package, pointer), *packages),
    )


def merged(root: Path, packages: Iterable[Package]) -> Lock:
    """Every given package's poetry.lock as one lock: each package a member, every
    distribution any of them locks (once per version and source). For questions about
    what is locked at all (which distribution provides an import, what a member reaches),
    never for a projection: each package installs from its own lock."""
    locks = [read(root, p) for p in packages]
    seen: dict[tuple[str, str | None, LockSource], LockedPackage] = {}
    for lock in locks:
        for locked in lock.packages:
            seen.setdefault(locked.key, locked)
    return Lock(
        path=root / LOCK,
        digest=hashlib.sha256("".join(lk.digest for lk in locks).encode()).hexdigest(),
        requires_python=None,
        members=tuple(sorted({m for lk in locks for m in lk.members})),
        packages=tuple(seen.values()),
    )


def read(root: Path, package: Package) -> Lock:
    path = lock_path(root, package)
    if not present(root, package):
        if package.dialect != "poetry":
            raise LockError(
                f"'{package.name}' is not managed by Poetry (no [tool.poetry], no poetry.lock): "
                "nothing locks what it installs",
                where=package.manifest,
                hint="give it a [tool.poetry] table and run `monolock lock`, or leave it out",
            )
        raise LockError(
            f"'{package.name}' has no poetry.lock",
            where=display(package),
            hint=f"create it with `monolock lock` (or `poetry lock` in {package.path})",
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LockError(
            f"cannot read the lockfile: {exc.strerror}", where=display(package), hint=_HINT
        ) from None
    return parse(raw, path, package, where=display(package))
