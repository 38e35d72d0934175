"""The one place that runs Poetry: found on PATH, or named by MONOLOCK_POETRY."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from monolock.errors import UsageError

ENV_OVERRIDE = "MONOLOCK_POETRY"


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    output: str  # stdout and stderr, interleaved as Poetry wrote them


def binary() -> str:
    return _binary(os.environ.get(ENV_OVERRIDE) or None)


@functools.cache
def _binary(override: str | None) -> str:
    found = shutil.which(override or "poetry")
    if found is None or (override and _version(found) is None):
        where = f"{ENV_OVERRIDE}={override} does not name a Poetry executable" if override else ""
        raise UsageError(
            where or "Poetry is not installed (no `poetry` on PATH)",
            hint=f"install it (`pipx install poetry`), or set {ENV_OVERRIDE} to its path",
        )
    return found


def _version(binary: str) -> str | None:
    """What `binary --version` says if it answers as Poetry does ("Poetry (version 2.1.3)")."""
    try:
        out = subprocess.run(
            [binary, "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env(),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"Poetry \(version ([0-9][^)\s]*)\)", out.stdout)
    return found[1] if out.returncode == 0 and found else None


def env() -> dict[str, str]:
    """Poetry's environment: never interactive, never asking for a keyring password."""
    out = dict(os.environ)
    out.update(
        {
            "POETRY_NO_INTERACTION": "1",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "NO_COLOR": "1",
        }
    )
    out.pop("VIRTUAL_ENV", None)  # Poetry would take monolock's own environment for the package's
    return out


def run(args: Sequence[str], *, cwd: Path) -> Result:
    argv = (binary(), *args)
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise UsageError(f"cannot run Poetry: {exc.strerror}", hint=f"check {argv[0]}") from None
    return Result(argv, proc.returncode, proc.stdout)


@functools.cache
def major() -> int:
    """Poetry's major version: 1.x needs `lock --no-update` to keep locked versions."""
    version = _version(binary()) or "2"
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 2
