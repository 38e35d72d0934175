"""Reading uv's `uv.lock` into the lock model.

monolock answers projection, why and affected questions from this model alone: no
interpreter, no network, no second call to uv.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from monolock import __version__, fsutil, replay
from monolock.errors import LockError
from monolock.manifest.toml import loads
from monolock.merging.conflict import refuse
from monolock.model import Artifact, Lock, LockDep, LockedPackage, LockSource, normalize
from monolock.shape import (
    HASH,
    INT,
    MARKER,
    NAME,
    PATH,
    SPECIFIER,
    URL,
    VERSION,
    ListOf,
    MapOf,
    Table,
    validate,
)

SUPPORTED_VERSION = 1
KNOWN_REVISION = 5  # what the uv monolock bundles writes; older revisions read the same
_SOURCE_KINDS = ("registry", "editable", "virtual", "directory", "path", "git", "url")
_HINT = "regenerate it with `monolock lock`"

# every value that reaches a requirements file or a Dockerfile is checked whole: a name,
# a version, a hash, a URL, a marker (a newline in any of them would add a line of its own)
_SOURCE = Table(
    {k: URL if k in ("registry", "git", "url") else PATH for k in _SOURCE_KINDS},
    what="a source table",
    hint=_HINT,
)
_DEP = Table(
    {
        "name": NAME,
        "version": VERSION,
        "source": _SOURCE,
        "marker": MARKER,
        "extra": ListOf(NAME, "an array of extra names"),
    },
    required=("name",),
    hint=_HINT,
)
_DEPS = ListOf(_DEP, "an array of dependency tables", _HINT)
_ARTIFACT = Table({"url": URL, "path": PATH, "hash": HASH, "size": INT}, hint=_HINT)
SHAPE = Table(
    {
        "version": INT,
        "revision": INT,
        "requires-python": SPECIFIER,
        "manifest": Table({"members": ListOf(NAME, "an array of member names")}, hint=_HINT),
        "package": ListOf(
            Table(
                {
                    "name": NAME,
                    "version": VERSION,
                    "source": _SOURCE,
                    "dependencies": _DEPS,
                    "optional-dependencies": MapOf(_DEPS, hint=_HINT),
                    "dev-dependencies": MapOf(_DEPS, hint=_HINT),
                    "sdist": _ARTIFACT,
                    "wheels": ListOf(_ARTIFACT, hint=_HINT),
                },
                required=("name", "source"),
                hint=_HINT,
            ),
            "an array of package tables",
            _HINT,
        ),
    },
    required=("version",),
    hint=_HINT,
)


def _source(raw: dict[str, str], where: str) -> LockSource:
    kinds = [kind for kind in _SOURCE_KINDS if kind in raw]
    if len(kinds) != 1:
        raise LockError(f"{where}: unrecognised source {raw!r}", where="uv.lock", hint=_HINT)
    return LockSource(kinds[0], raw[kinds[0]])


def _deps(raw: list[dict[str, Any]], where: str) -> tuple[LockDep, ...]:
    out = []
    for i, entry in enumerate(raw):
        source = entry.get("source")
        out.append(
            LockDep(
                name=normalize(entry["name"]),
                version=entry.get("version"),
                source=_source(source, f"{where}[{i}].source") if source is not None else None,
                marker=entry.get("marker"),
                extras=tuple(sorted(normalize(e) for e in entry.get("extra", ()))),
            )
        )
    return tuple(out)


def _artifact(raw: dict[str, Any]) -> Artifact:
    return Artifact(
        url=raw.get("url"), path=raw.get("path"), hash=raw.get("hash"), size=raw.get("size")
    )


def _check_version(data: dict[str, Any], display: str) -> None:
    version, revision = data["version"], data.get("revision", 0)
    if version != SUPPORTED_VERSION or revision > KNOWN_REVISION:
        raise LockError(
            f"lockfile version {version}, revision {revision} is not one this monolock reads "
            f"(version {SUPPORTED_VERSION}, revisions up to {KNOWN_REVISION})",
            where=display,
            hint="it was written by another uv: relock with the uv monolock bundles "
            "(`monolock lock`), or upgrade monolock",
        )


def _dangling(packages: list[LockedPackage], lock: Lock, display: str) -> None:
    """Every edge must point at a package the lock holds: an edge into nothing would make
    every projection through it silently smaller."""
    for package in packages:
        edges = [("dependencies", package.dependencies)]
        edges += [(f"optional-dependencies.{k}", v) for k, v in package.optional.items()]
        edges += [(f"dev-dependencies.{k}", v) for k, v in package.groups.items()]
        for key, deps in edges:
            for dep in deps:
                if lock.resolve(dep) is None:
                    wanted = dep.name + (f" {dep.version}" if dep.version else "")
                    raise LockError(
                        f"package '{package.name}' {key} names {wanted}, which the lock does "
                        "not hold: the lockfile is damaged",
                        where=display,
                        hint=_HINT,
                    )


def _unique(packages: list[LockedPackage], display: str) -> None:
    seen: set[tuple[str, str | None, LockSource]] = set()
    for package in packages:
        if package.key in seen:
            raise LockError(
                f"package '{package.name}' {package.version or ''} is listed twice",
                where=display,
                hint=_HINT,
            )
        seen.add(package.key)


def parse_lock(raw: bytes, path: Path, *, display: str = "uv.lock") -> Lock:
    replay.file(path, raw)
    refuse(raw, display)
    digest = hashlib.sha256(raw).hexdigest()
    known = _PARSED.get((str(path), digest))
    if known is not None:
        return known  # read twice in one command (discovery, then the command itself)
    data = _remembered(digest)
    if data is None:
        data = loads(raw, where=display, error=LockError, hint=_HINT)
        validate(data, SHAPE, where=display, error=LockError, hint=_HINT)
        _check_version(data, display)
        _remember(digest, data)
    packages = []
    for i, entry in enumerate(data.get("package", [])):
        name = normalize(entry["name"])
        where = f"package[{i}] ({name})"
        packages.append(
            LockedPackage(
                name=name,
                version=entry.get("version"),
                source=_source(entry["source"], f"{where}.source"),
                dependencies=_deps(entry.get("dependencies", []), f"{where}.dependencies"),
                optional={
                    normalize(k): _deps(v, f"{where}.optional-dependencies.{k}")
                    for k, v in entry.get("optional-dependencies", {}).items()
                },
                groups={
                    normalize(k): _deps(v, f"{where}.dev-dependencies.{k}")
                    for k, v in entry.get("dev-dependencies", {}).items()
                },
                sdist=_artifact(entry["sdist"]) if "sdist" in entry else None,
                wheels=tuple(_artifact(w) for w in entry.get("wheels", ())),
            )
        )
    members = tuple(normalize(m) for m in data.get("manifest", {}).get("members", ()))
    lock = Lock(
        path=path,
        digest=digest,
        requires_python=data.get("requires-python"),
        members=members,
        packages=tuple(packages),
    )
    _dangling(packages, lock, display)
    _unique(packages, display)
    if len(_PARSED) > 8:
        _PARSED.clear()  # a long-lived process (tests, a server) keeps only the recent
    _PARSED[(str(path), digest)] = lock
    return lock


# a lock already read in this process, by path and digest: frozen, so shared as it is
_PARSED: dict[tuple[str, str], Lock] = {}


def _slot(digest: str) -> Path:
    # monolock's version in the key: a lock is checked against the shape this one reads
    key = hashlib.sha256(f"{__version__}\0{digest}".encode()).hexdigest()
    return fsutil.cache_root() / "locks" / f"{key}.marshal"


def _remembered(digest: str) -> dict[str, Any] | None:
    """The parsed, checked form of a lock with this digest, as an earlier run left it:
    TOML is the slow part of a large lock. A damaged entry is no entry."""
    data = fsutil.sealed_read(_slot(digest))
    return data if isinstance(data, dict) else None


def _remember(digest: str, data: dict[str, Any]) -> None:
    fsutil.sealed_write(_slot(digest), data)


def present(path: Path, *, display: str = "uv.lock") -> bool:
    """Whether there is a uv.lock (a directory in its place is an error)."""
    return fsutil.present(
        path, where=display, hint="remove what is there, then run `monolock lock`"
    )


def read_lock(path: Path, *, display: str = "uv.lock") -> Lock:
    if not present(path, display=display):
        raise LockError("no lockfile", where=display, hint="create it with `monolock lock`")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LockError(
            f"cannot read the lockfile: {exc.strerror}",
            where=display,
            hint="uv.lock must be a readable file; remove what is there and run `monolock lock`",
        ) from None
    return parse_lock(raw, path, display=display)
