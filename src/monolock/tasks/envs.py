"""The environments tasks run in, made by uv from the lock as it is (`--frozen`).

shared: the workspace's own environment (`.venv`, or UV_PROJECT_ENVIRONMENT) holding
every member and every dependency group, synced once per run without removing what else
is installed. isolated: one environment per member under the cache directory, holding
only that member's projection and its dependency groups; uv makes it exact on each run,
which is a no-op when nothing changed. poetry: in a Poetry repository, each package's
own Poetry environment, installed from its poetry.lock as `poetry install` does.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from monolock import uv
from monolock.errors import MonolockError
from monolock.fsutil import cache_root


def shared(root: Path) -> Path:
    uv.check_required_version(root)
    uv.run(["sync", "--all-packages", "--all-groups", "--frozen", "--inexact", "--quiet"], cwd=root)
    given = os.environ.get("UV_PROJECT_ENVIRONMENT")
    return (root / given).resolve() if given else root / ".venv"


def isolated(root: Path, member: str) -> Path:
    repo = hashlib.sha256(os.fsencode(root.resolve())).hexdigest()[:16]
    venv = cache_root() / "tasks" / "envs" / repo / member
    uv.check_required_version(root)
    uv.run(
        ["sync", "--package", member, "--all-groups", "--frozen", "--quiet"],
        cwd=root,
        env={"UV_PROJECT_ENVIRONMENT": str(venv)},
    )
    return venv


def poetry(directory: Path) -> Path:
    from monolock.poetry import tool

    installed = tool.run(["install", "--no-interaction"], cwd=directory)
    if installed.returncode != 0:
        raise MonolockError(f"`poetry install` failed:\n{uv.tail(installed.output)}")
    found = tool.run(["env", "info", "--path"], cwd=directory)
    lines = found.output.strip().splitlines()
    if found.returncode != 0 or not lines:
        raise MonolockError(f"`poetry env info --path` failed:\n{uv.tail(found.output)}")
    return Path(lines[-1].strip())
