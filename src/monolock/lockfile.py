"""Reading uv's `uv.lock` into the lock model.

monolock answers projection, why and affected questions from this model alone: no
interpreter, no network, no second call to uv.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Any

from monolock.errors import LockError
from monolock.model import Artifact, Lock, LockDep, LockedPackage, LockSource, normalize

SUPPORTED_VERSION = 1
_SOURCE_KINDS = ("registry", "editable", "virtual", "directory", "path", "git", "url")


def _source(raw: Any, where: str) -> LockSource:
    if isinstance(raw, dict):
        for kind in _SOURCE_KINDS:
            if kind in raw:
                return LockSource(kind, str(raw[kind]))
    raise LockError(f"unrecognised package source {raw!r}", where=where)


def _deps(raw: Any, where: str) -> tuple[LockDep, ...]:
    out = []
    for entry in raw or ():
        source = entry.get("source")
        out.append(
            LockDep(
                name=normalize(entry["name"]),
                version=entry.get("version"),
                source=_source(source, where) if source is not None else None,
                marker=entry.get("marker"),
                extras=tuple(sorted(normalize(e) for e in entry.get("extra", ()))),
            )
        )
    return tuple(out)


def _artifact(raw: dict[str, Any]) -> Artifact:
    return Artifact(
        url=raw.get("url"), path=raw.get("path"), hash=raw.get("hash"), size=raw.get("size")
    )


def parse_lock(raw: bytes, path: Path, *, display: str = "uv.lock") -> Lock:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LockError(
            f"unreadable lockfile: {exc}", where=display, hint="regenerate it with `monolock lock`"
        ) from None
    version = data.get("version")
    if not isinstance(version, int) or version > SUPPORTED_VERSION:
        raise LockError(
            f"lockfile version {version!r} is not supported (this monolock reads version "
            f"{SUPPORTED_VERSION})",
            where=display,
            hint="upgrade monolock, or relock with the uv it bundles: `monolock lock`",
        )
    packages = []
    try:
        for entry in data.get("package", []):
            name = normalize(entry["name"])
            where = f"{display}: package '{name}'"
            packages.append(
                LockedPackage(
                    name=name,
                    version=entry.get("version"),
                    source=_source(entry.get("source"), where),
                    dependencies=_deps(entry.get("dependencies"), where),
                    optional={
                        normalize(k): _deps(v, where)
                        for k, v in entry.get("optional-dependencies", {}).items()
                    },
                    groups={
                        normalize(k): _deps(v, where)
                        for k, v in entry.get("dev-dependencies", {}).items()
                    },
                    sdist=_artifact(entry["sdist"]) if "sdist" in entry else None,
                    wheels=tuple(_artifact(w) for w in entry.get("wheels", ())),
                )
            )
    except (KeyError, TypeError, AttributeError) as exc:
        raise LockError(
            f"malformed lockfile entry ({exc!r})",
            where=display,
            hint="regenerate it with `monolock lock`",
        ) from None
    members = tuple(normalize(m) for m in data.get("manifest", {}).get("members", ()))
    return Lock(
        path=path,
        digest=hashlib.sha256(raw).hexdigest(),
        requires_python=data.get("requires-python"),
        members=members,
        packages=tuple(packages),
    )


def read_lock(path: Path, *, display: str = "uv.lock") -> Lock:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LockError(
            "no lockfile", where=display, hint="create it with `monolock lock`"
        ) from None
    return parse_lock(raw, path, display=display)
