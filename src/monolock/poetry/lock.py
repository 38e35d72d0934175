"""Reading a package's `poetry.lock` (lock versions 1.x and 2.x) into the lock model.

A `poetry.lock` holds what one package needs, but not the package itself: monolock adds
it as the lock's one member, its edges taken from the manifest, so that projection, why
and export work on a Poetry lock exactly as on `uv.lock`. Poetry writes dependency edges
as constraints; each is pointed at the locked version it selects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

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
from monolock.shape import HASH, NAME, PATH, STR, STRS, URL, VERSION, ListOf, MapOf, Table, validate

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


class _Pointer:
    """Points an edge at the locked version its constraint selects, when a name is
    locked at several versions (Poetry does that for marker-split requirements)."""

    def __init__(self, packages: Iterable[tuple[str, str | None]]) -> None:
        self.versions: dict[str, list[str]] = {}
        for name, version in packages:
            if version is not None:
                self.versions.setdefault(name, []).append(version)

    def dep(self, name: str, spec: str, marker: str | None, extras: tuple[str, ...]) -> LockDep:
        versions = self.versions.get(name, [])
        version = None
        if len(versions) > 1:
            try:
                allowed = SpecifierSet(spec)
            except InvalidSpecifier:
                allowed = SpecifierSet()
            version = next((v for v in versions if allowed.contains(v, prereleases=True)), None)
        return LockDep(name, version, None, marker, extras)


def extra_name(entry: str) -> str:
    """`"Sphinx (>=8.2,<9.0)"`, `"anyio[trio]"`, `"x ; marker"` -> the normalised name."""
    head = entry.split(";", 1)[0].split("(", 1)[0].split("[", 1)[0]
    return normalize(head.strip())


def _package(raw: dict[str, Any], pointer: _Pointer) -> LockedPackage:
    rows = edges(raw.get("dependencies", {}))
    deps = tuple(pointer.dep(n, s, m, e) for n, s, m, e, optional in rows if not optional)
    optional: dict[str, tuple[LockDep, ...]] = {}
    for raw_extra, names in raw.get("extras", {}).items():
        extra = normalize(raw_extra)
        wanted = {extra_name(str(n)) for n in names}
        found = []
        for name, spec, marker, extras, _ in rows:
            # Poetry writes an optional edge's marker with its `extra == "…"` clause
            held = mk.under_extra(marker, extra)
            if name in wanted and held is not False:
                found.append(pointer.dep(name, spec, held, extras))
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

    def to_dep(d: Dependency) -> LockDep:
        r = d.requirement
        return pointer.dep(d.name, r.specifier, r.marker, r.extras)

    optional: dict[str, list[LockDep]] = {}
    groups: dict[str, list[LockDep]] = {}
    for d in package.dependencies:
        if d.kind == "extra" and d.context:
            optional.setdefault(d.context, []).append(to_dep(d))
        elif d.kind == "group" and d.context:
            groups.setdefault(d.context, []).append(to_dep(d))
    return LockedPackage(
        name=package.name,
        version=package.version,
        source=LockSource("editable", "."),
        dependencies=tuple(to_dep(d) for d in package.runtime()),
        optional={k: tuple(v) for k, v in optional.items()},
        groups={k: tuple(v) for k, v in groups.items()},
    )


_HINT = "regenerate it with `poetry lock` (or `monolock lock`)"
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
    pointer = _Pointer((normalize(e["name"]), e.get("version")) for e in entries)
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


def read(root: Path, package: Package) -> Lock:
    path = lock_path(root, package)
    if not present(root, package):
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
