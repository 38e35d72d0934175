"""What a task's result depends on, hashed into its cache key.

A member's key covers: its files as git sees them (tracked content from the index,
edits and untracked files from their bytes; ignored files never), the files of every
member it depends on through any edge, the root files that configure uv and the tools,
its projection of the lock (with its dev groups), the command, the environment kind and
the Python the environment is asked for. Equal keys mean a rerun would see the same inputs.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from monolock import git
from monolock.affected import GLOBAL_FILES, ROOT_MANIFEST, owner
from monolock.graph import ALL_KINDS, Graph
from monolock.model import Lock, Workspace
from monolock.projection import project

VERSION = "monolock-task-1"  # bump when the meaning of a key changes
_SKIP = {"__pycache__", "node_modules", "build", "dist", "venv", "site-packages"}


def _walk(root: Path) -> dict[str, str]:
    """Outside git: every file below root but hidden directories, environments and builds."""
    ids: dict[str, str] = {}
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIP]
        if "pyvenv.cfg" in files:
            dirs[:] = []
            continue
        rel = os.path.relpath(directory, root)
        for name in files:
            path = name if rel == "." else f"{rel}/{name}".replace(os.sep, "/")
            try:
                with open(os.path.join(directory, name), "rb") as handle:
                    ids[path] = git.blob_id(handle.read())
            except OSError:
                continue
    return ids


def snapshot(root: Path) -> dict[str, str]:
    """path -> content id of every file a task may read below root."""
    return git.contents(root) if git.is_repository(root) else _walk(root)


@dataclass(frozen=True)
class Snapshot:
    members: Mapping[str, str]  # member -> digest of its own files
    files: Mapping[str, tuple[str, ...]]  # member -> its files
    shared: str  # digest of the root files every task reads


def _digest(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8", "surrogateescape"))
        h.update(b"\n")
    return h.hexdigest()


def group(ws: Workspace, contents: Mapping[str, str]) -> Snapshot:
    paths = {p.path: p.name for p in ws.packages}
    owned: dict[str, list[str]] = {p.name: [] for p in ws.packages}
    shared: list[str] = []
    for path in sorted(contents):
        if path == ROOT_MANIFEST or path in GLOBAL_FILES:
            shared.append(f"{path}\0{contents[path]}")
            continue
        holder = owner(paths, path)
        if holder is not None:
            owned[holder].append(path)
    return Snapshot(
        members={m: _digest(f"{f}\0{contents[f]}" for f in files) for m, files in owned.items()},
        files={m: tuple(files) for m, files in owned.items()},
        shared=_digest(shared),
    )


def _projection(ws: Workspace, lock: Lock | None, member: str) -> str:
    if lock is None and ws.kind == "paths":
        # a Poetry repository: the member's own poetry.lock
        from monolock.poetry.lock import present, read

        if present(ws.root, ws.by_name[member]):
            lock = read(ws.root, ws.by_name[member])
    if lock is None:
        return ""
    found = project(lock, member, groups=ws.by_name[member].groups)
    return _digest(
        f"{p.name}\0{p.version}\0{p.package.source}\0{p.marker}\0{','.join(p.package.hashes())}"
        for p in found.third_party
    )


def python_request(ws: Workspace, member: str) -> str:
    """What decides the interpreter uv picks: UV_PYTHON, then .python-version files."""
    parts = [os.environ.get("UV_PYTHON", "")]
    for directory in (ws.root / ws.by_name[member].path, ws.root):
        try:
            parts.append((directory / ".python-version").read_text().strip())
        except OSError:
            parts.append("")
    return "\0".join(parts)


def keys(
    ws: Workspace,
    graph: Graph,
    lock: Lock | None,
    snap: Snapshot,
    commands: Mapping[str, str],
    *,
    task: str,
    env: str,
) -> dict[str, str]:
    """member -> key, for the members `commands` names (member -> its command)."""
    needs = graph.requirements(ALL_KINDS)
    out: dict[str, str] = {}
    for member, command in commands.items():
        out[member] = _digest(
            [
                VERSION,
                task,
                command,
                env,
                python_request(ws, member),
                snap.shared,
                _projection(ws, lock, member),
                *(f"{m}\0{snap.members[m]}" for m in sorted({member} | needs[member])),
            ]
        )
    return out
