"""Wheels of internal packages, built by uv, reproducibly.

SOURCE_DATE_EPOCH is the time of the repository's last commit (or a fixed date outside
git), so two builds of the same commit give the same bytes wherever the backend honours
it (hatchling, uv's own backend, setuptools with recent `wheel`, poetry-core do).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from monolock import git, uv
from monolock.errors import BuildError, UsageError, UvError
from monolock.fsutil import cache_root
from monolock.model import normalize

ZIP_EPOCH = 315532800  # 1980-01-01: the earliest time a zip file can hold
_LAST_ZIP_TIME = 4102444800  # 2100-01-01: well inside what a zip file can hold
# name-version(-build)?-python-abi-platform.whl, as the binary distribution format has it
_WHEEL = re.compile(
    r"(?P<name>[A-Za-z0-9_.]+)-(?P<version>[A-Za-z0-9_.!+]+)(?:-[0-9][A-Za-z0-9_.]*)?"
    r"-(?P<tag>[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+)\.whl"
)


@dataclass(frozen=True)
class Source:
    """An internal package to build: its name and its directory relative to the root."""

    name: str
    path: str


@dataclass(frozen=True)
class Wheel:
    name: str  # normalized distribution name
    version: str
    filename: str
    sha256: str
    tag: str  # python-abi-platform
    cached: bool = False  # reused from the cache, not built by this run

    @property
    def pure(self) -> bool:
        return self.tag.endswith("-none-any")


def source_date_epoch(root: Path) -> int:
    """SOURCE_DATE_EPOCH if the caller set it, else the last commit's time, else 1980."""
    given = os.environ.get("SOURCE_DATE_EPOCH")
    if given is not None:
        if not re.fullmatch(r"[0-9]{1,10}", given) or int(given) > _LAST_ZIP_TIME:
            raise UsageError(
                f"SOURCE_DATE_EPOCH={given!r} is not a time a wheel can hold",
                hint="give seconds since 1970 (before 2100), or unset it to use the last "
                "commit's time",
            )
        return max(int(given), ZIP_EPOCH)
    out = (git.output(root, "log", "-1", "--format=%ct") or "").strip()
    return max(int(out), ZIP_EPOCH) if out.isdigit() else ZIP_EPOCH


@dataclass(frozen=True)
class Cache:
    """Wheels built from a clean commit, kept for the next build of that same commit.

    Only a work tree without any change (tracked or untracked) is cached: then the commit
    alone decides every input a backend may read, inside the package or outside it."""

    directory: Path
    key: str  # commit, uv version and epoch

    def slot(self, source: Source) -> Path:
        name = hashlib.sha256(os.fsencode(f"{self.key}\0{source.path}")).hexdigest()[:32]
        return self.directory / name

    def get(self, source: Source) -> Path | None:
        found = sorted(self.slot(source).glob("*.whl"))
        return found[0] if len(found) == 1 else None

    def put(self, source: Source, wheel: Path) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            staged = Path(tempfile.mkdtemp(prefix=".put.", dir=self.directory))
        except OSError:
            return  # the cache cannot be written: the next build builds again
        try:
            shutil.copyfile(wheel, staged / wheel.name)
            os.replace(staged, self.slot(source))
        except OSError:
            pass  # another build stored it first, or the cache is read-only: no matter
        finally:
            shutil.rmtree(staged, ignore_errors=True)


def wheel_cache(root: Path, *, epoch: int, uv_version: str) -> Cache | None:
    head = (git.output(root, "rev-parse", "HEAD") or "").strip()
    if not head or git.output(root, "status", "--porcelain") != "":
        return None
    return Cache(cache_root() / "wheels", f"{head}\0{uv_version}\0{epoch}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _build_one(root: Path, source: Source, out: Path, epoch: int, cache: Cache | None) -> Wheel:
    cached = cache.get(source) if cache is not None else None
    if cached is not None:
        target = out / cached.name
        shutil.copyfile(cached, target)
        return _wheel(source, target, cached=True)
    scratch = out / f".build-{source.name}"
    scratch.mkdir(parents=True)
    try:
        uv.run(
            ["build", "--wheel", "--out-dir", str(scratch), str(root / source.path)],
            cwd=root,
            env={"SOURCE_DATE_EPOCH": str(epoch)},
        )
    except UvError as exc:
        raise BuildError(
            f"building the wheel of {source.name} ({source.path}) failed:\n"
            + exc.message.split("\n", 1)[-1],
            hint=f"reproduce with `uv build --wheel {source.path}` at the repository root",
        ) from None
    built = sorted(scratch.glob("*.whl"))
    if len(built) != 1:
        names = ", ".join(w.name for w in built) or "nothing"
        raise BuildError(f"building {source.name} ({source.path}) produced {names}, not one wheel")
    target = out / built[0].name
    built[0].replace(target)
    shutil.rmtree(scratch)  # uv leaves a .gitignore next to the wheel
    wheel = _wheel(source, target)
    if cache is not None:
        cache.put(source, target)
    return wheel


def _wheel(source: Source, path: Path, *, cached: bool = False) -> Wheel:
    match = _WHEEL.fullmatch(path.name)
    if match is None:
        raise BuildError(f"building {source.name} ({source.path}) produced {path.name}")
    if normalize(match["name"]) != source.name:
        raise BuildError(
            f"{source.path} built a wheel named {match['name']}, expected {source.name}",
            hint="the build backend's project name differs from pyproject.toml's",
        )
    return Wheel(source.name, match["version"], path.name, _sha256(path), match["tag"], cached)


def build_wheels(
    root: Path,
    sources: Sequence[Source],
    out: Path,
    *,
    epoch: int,
    cache: Cache | None = None,
    jobs: int | None = None,
) -> list[Wheel]:
    """Build every source into `out`, in parallel; the first failure is raised."""
    out.mkdir(parents=True, exist_ok=True)
    workers = max(1, min(len(sources), jobs or os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_build_one, root, s, out, epoch, cache) for s in sources]
        return sorted((f.result() for f in futures), key=lambda w: w.name)
