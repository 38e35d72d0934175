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
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from monolock import uv
from monolock.errors import BuildError, UvError
from monolock.model import normalize

ZIP_EPOCH = 315532800  # 1980-01-01: the earliest time a zip file can hold
# name-version(-build)?-python-abi-platform.whl, as the binary distribution format has it
_WHEEL = re.compile(
    r"^(?P<name>[A-Za-z0-9_.]+)-(?P<version>[A-Za-z0-9_.!+]+)(?:-\d[A-Za-z0-9_.]*)?"
    r"-(?P<tag>[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+)\.whl$"
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

    @property
    def pure(self) -> bool:
        return self.tag.endswith("-none-any")


def source_date_epoch(root: Path) -> int:
    """SOURCE_DATE_EPOCH if the caller set it, else the last commit's time, else 1980."""
    given = os.environ.get("SOURCE_DATE_EPOCH", "")
    if given.isdigit():
        return max(int(given), ZIP_EPOCH)
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return ZIP_EPOCH
    return max(int(out), ZIP_EPOCH) if out.isdigit() else ZIP_EPOCH


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _build_one(root: Path, source: Source, out: Path, epoch: int) -> Wheel:
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
    found = [(w, _WHEEL.match(w.name)) for w in built]
    if len(built) != 1 or found[0][1] is None:
        names = ", ".join(w.name for w in built) or "nothing"
        raise BuildError(f"building {source.name} ({source.path}) produced {names}, not one wheel")
    path, match = found[0]
    assert match is not None
    if normalize(match["name"]) != source.name:
        raise BuildError(
            f"{source.path} built a wheel named {match['name']}, expected {source.name}",
            hint="the build backend's project name differs from pyproject.toml's",
        )
    target = out / path.name
    path.replace(target)
    shutil.rmtree(scratch)  # uv leaves a .gitignore next to the wheel
    return Wheel(source.name, match["version"], path.name, _sha256(target), match["tag"])


def build_wheels(
    root: Path, sources: Sequence[Source], out: Path, *, epoch: int, jobs: int | None = None
) -> list[Wheel]:
    """Build every source into `out`, in parallel; the first failure is raised."""
    out.mkdir(parents=True, exist_ok=True)
    workers = max(1, min(len(sources), jobs or os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_build_one, root, s, out, epoch) for s in sources]
        return sorted((f.result() for f in futures), key=lambda w: w.name)
