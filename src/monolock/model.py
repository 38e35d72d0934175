"""The data monolock reasons about: frozen, typed, free of I/O.

Manifests (PEP 621 or Poetry) are read into `Package`s, a repository into a `Workspace`,
and `uv.lock` into a `Lock`. Every name held here is normalised (PEP 503).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

DepKind = Literal["runtime", "extra", "group"]
SourceKind = Literal["workspace", "path", "git", "url", "index"]


_SEPARATORS = re.compile(r"[-_.]+")
_NAME = re.compile(r"[A-Z0-9](?:[A-Z0-9._-]*[A-Z0-9])?", re.IGNORECASE)


def normalize(name: str) -> str:
    """PEP 503 normalisation: `thds.core` and `Thds_Core` are both `thds-core`."""
    return _SEPARATORS.sub("-", name).lower()


def version_order(text: str) -> tuple[int, Any]:
    """PEP 440 order; what is no version sorts before every version, as text."""
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(text))
    except InvalidVersion:
        return (0, text)


def is_name(text: str) -> bool:
    """A valid PEP 508 distribution (or extra, or group) name: ASCII letters and digits,
    with '.', '-' and '_' inside."""
    return _NAME.fullmatch(text) is not None


@dataclass(frozen=True)
class Source:
    """Where a dependency comes from when it is not the default index."""

    kind: SourceKind
    path: str | None = None  # path sources: as written, relative to the declaring manifest
    url: str | None = None
    rev: str | None = None  # git branch, tag or commit
    subdirectory: str | None = None
    editable: bool = False
    index: str | None = None


@dataclass(frozen=True)
class Requirement:
    """One PEP 508 requirement."""

    name: str
    specifier: str = ""
    extras: tuple[str, ...] = ()
    marker: str | None = None
    url: str | None = None  # a direct reference (`name @ url`)

    def pep508(self) -> str:
        text = self.name
        if self.extras:
            text += f"[{','.join(self.extras)}]"
        if self.url:
            text += f" @ {self.url}"
            if self.marker:
                text += " "
        else:
            text += self.specifier
        if self.marker:
            text += f"; {self.marker}"
        return text


@dataclass(frozen=True)
class Dependency:
    """A requirement as a package declares it: at runtime, in an extra, or in a group."""

    requirement: Requirement
    kind: DepKind = "runtime"
    context: str | None = None  # the extra's or the group's name
    source: Source | None = None
    # Poetry's `optional = true` that no extra names: installed when the package is the
    # one installed, never through a dependent (whose lock leaves it out)
    root_only: bool = False

    @property
    def name(self) -> str:
        return self.requirement.name

    @property
    def label(self) -> str:
        return self.kind if self.context is None else f"{self.kind}:{self.context}"


@dataclass(frozen=True)
class Index:
    """A package index a manifest names (`[[tool.poetry.source]]` or `[[tool.uv.index]]`)."""

    name: str
    url: str | None  # None: PyPI named as a Poetry source
    priority: str = "primary"  # Poetry's: primary, supplemental, explicit (uv: default too)


@dataclass(frozen=True)
class CheckSettings:
    """`[tool.monolock.check]` of one manifest."""

    ignore: tuple[str, ...] = ()  # "ML103" everywhere, or "ML103:uvicorn" for one name
    private: tuple[str, ...] = ()  # modules of this package other packages may not import
    # the root's licence policy (ML207): SPDX licence keys every app may ship, or not
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


@dataclass(frozen=True)
class Task:
    """A command run in each member's directory by `monolock run`."""

    name: str
    command: str
    after_dependencies: bool = False  # wait for the members this one depends on
    timeout: float | None = None  # seconds
    # gitignore-style patterns, relative to the member, narrowing the files its key covers
    inputs: tuple[str, ...] = ()
    env: tuple[str, ...] = ()  # environment variables whose values are part of the key


@dataclass(frozen=True)
class Package:
    """A project found in the repository (one `pyproject.toml`)."""

    name: str
    display_name: str
    version: str | None
    path: str  # POSIX, relative to the repository root ("." for the root itself)
    dialect: Literal["pep621", "poetry"]
    requires_python: str | None = None
    dependencies: tuple[Dependency, ...] = ()
    dynamic: tuple[str, ...] = ()  # dependency fields a build hook fills in: unknown statically
    import_names: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    # what the build backend packs: (import name, directory or file relative to `path`)
    shipped: tuple[tuple[str, str], ...] = ()
    check: CheckSettings = field(default_factory=lambda: CheckSettings())
    # `[tool.monolock.tasks]` of the member: task -> its own command, or None for "not here"
    tasks: tuple[tuple[str, str | None], ...] = ()
    indexes: tuple[Index, ...] = ()  # in the manifest's order

    @property
    def manifest(self) -> str:
        return "pyproject.toml" if self.path == "." else f"{self.path}/pyproject.toml"

    def runtime(self) -> tuple[Dependency, ...]:
        return tuple(d for d in self.dependencies if d.kind == "runtime")


@dataclass(frozen=True)
class App:
    """A deployable: a member whose projection becomes an image."""

    name: str
    package: str
    command: str | None = None  # what the image runs
    smoke: str | None = None  # a shell command that proves the environment works
    python: str | None = None  # X.Y (or X.Y.Z) of the image's interpreter
    base_image: str | None = None  # default: python:<python>-slim
    files: tuple[str, ...] = ()  # repo-relative paths shipped into the image's /app


@dataclass(frozen=True)
class Workspace:
    root: Path
    kind: Literal["uv", "paths"]  # a uv workspace, or projects linked only by path dependencies
    packages: tuple[Package, ...]
    apps: tuple[App, ...] = ()
    warnings: tuple[str, ...] = ()
    # manifests found below the root that could not be read (path-linked repositories
    # only), by path: reading commands skip them with a warning, writing commands refuse
    skipped: tuple[str, ...] = ()
    check: CheckSettings = field(default_factory=lambda: CheckSettings())  # the root's
    # `[tool.monolock.import-names]`: distribution -> the import names it provides
    import_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    root_groups: frozenset[str] = frozenset()  # dev tools the root's groups declare
    tasks: tuple[Task, ...] = ()  # the root's [tool.monolock.tasks]
    by_name: Mapping[str, Package] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {p.name: p for p in self.packages})

    def get(self, name: str) -> Package | None:
        return self.by_name.get(normalize(name))

    def app(self, name: str) -> App | None:
        key = normalize(name)
        return next((a for a in self.apps if normalize(a.name) == key), None)

    @property
    def lock_path(self) -> Path:
        return self.root / "uv.lock"


# --- uv.lock -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LockSource:
    """A locked package's `source`: kind is registry, editable, virtual, directory, path,
    git or url; value is the index URL, the path or the URL."""

    kind: str
    value: str

    @property
    def is_member(self) -> bool:
        return self.kind in ("editable", "virtual")

    @property
    def is_local(self) -> bool:
        return self.kind in ("editable", "virtual", "directory", "path")


@dataclass(frozen=True)
class LockDep:
    """An edge of the lock: which package (disambiguated by version/source when the name
    resolves to several), under which marker, with which extras activated."""

    name: str
    version: str | None = None
    source: LockSource | None = None
    marker: str | None = None
    extras: tuple[str, ...] = ()


@dataclass(frozen=True)
class Artifact:
    url: str | None
    path: str | None
    hash: str | None
    size: int | None = None
    name: str | None = None  # the file's name when neither URL nor path is known (Poetry)

    @property
    def filename(self) -> str:
        where = self.url or self.path or self.name or ""
        return where.rsplit("/", 1)[-1].split("#", 1)[0]


@dataclass(frozen=True)
class LockedPackage:
    name: str
    version: str | None
    source: LockSource
    dependencies: tuple[LockDep, ...] = ()
    optional: Mapping[str, tuple[LockDep, ...]] = field(default_factory=dict)
    groups: Mapping[str, tuple[LockDep, ...]] = field(default_factory=dict)
    sdist: Artifact | None = None
    wheels: tuple[Artifact, ...] = ()

    @property
    def key(self) -> tuple[str, str | None, LockSource]:
        return (self.name, self.version, self.source)

    def hashes(self) -> tuple[str, ...]:
        found = [a.hash for a in (*self.wheels, *((self.sdist,) if self.sdist else ())) if a.hash]
        return tuple(sorted(set(found)))


@dataclass(frozen=True)
class Lock:
    path: Path
    digest: str  # sha256 of the file's bytes: names the exact lock an artefact came from
    requires_python: str | None
    members: tuple[str, ...]
    packages: tuple[LockedPackage, ...]
    by_name: Mapping[str, tuple[LockedPackage, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        index: dict[str, list[LockedPackage]] = {}
        for package in self.packages:
            index.setdefault(package.name, []).append(package)
        object.__setattr__(self, "by_name", {k: tuple(v) for k, v in index.items()})

    def resolve(self, dep: LockDep) -> LockedPackage | None:
        """The package an edge points to (several candidates only in a forked resolution)."""
        candidates = self.by_name.get(dep.name, ())
        if dep.version is not None or dep.source is not None:
            candidates = tuple(
                c
                for c in candidates
                if (dep.version is None or c.version == dep.version)
                and (dep.source is None or c.source == dep.source)
            )
        return candidates[0] if candidates else None

    def above(self, names: Iterable[str], *, groups: bool = False) -> set[str]:
        """`names` and every name from which an edge chain leads to one of them, through
        dependencies and extras (and dev groups, with `groups`): one reverse walk."""
        parents: dict[str, set[str]] = {}
        for package in self.packages:
            edges = [*package.dependencies, *(d for ds in package.optional.values() for d in ds)]
            if groups:
                edges += [d for ds in package.groups.values() for d in ds]
            for dep in edges:
                parents.setdefault(dep.name, set()).add(package.name)
        seen = set(names)
        stack = list(seen)
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    def member(self, name: str) -> LockedPackage | None:
        return next((p for p in self.by_name.get(name, ()) if p.source.is_member), None)
