"""What a task's result depends on, hashed into its cache key.

A member's key covers: every file below its directory as git sees it (tracked content
from the index, edits and untracked files from their bytes; ignored files never), nested
members' files included, since `ruff check .` at the root reads them; the same for every
member it depends on (through runtime edges, the extras those activate, and its dev
groups); the root files that configure uv and the tools; its projection of the lock (with
its dev groups); the command, the environment kind, the Python the environment is asked
for, and the values of the environment variables the task names. A task's `inputs`
patterns narrow the files, in each member relative to its directory. Equal keys mean a
rerun would see the same inputs.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from monolock import git
from monolock.affected import GLOBAL_FILES, ROOT_MANIFEST
from monolock.graph import Graph
from monolock.model import Lock, Task, Workspace
from monolock.projection import project

VERSION = "monolock-task-2"  # bump when the meaning of a key changes
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
    contents: Mapping[str, str]  # path -> content id
    files: Mapping[str, tuple[str, ...]]  # member -> every file below its directory
    paths: Mapping[str, str]  # member -> its directory
    shared: str  # digest of the root files every task reads

    def digest(self, member: str, inputs: tuple[str, ...] = ()) -> str:
        files = self.files[member]
        if inputs:
            import pathspec

            spec = pathspec.GitIgnoreSpec.from_lines(inputs)
            at = len(self.paths[member]) + 1 if self.paths[member] != "." else 0
            files = tuple(f for f in files if spec.match_file(f[at:]))
        return _digest(f"{f}\0{self.contents[f]}" for f in files)


def _digest(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8", "surrogateescape"))
        h.update(b"\n")
    return h.hexdigest()


def group(ws: Workspace, contents: Mapping[str, str]) -> Snapshot:
    """Every file under each member's directory, files of members nested in it too."""
    paths = {p.path: p.name for p in ws.packages}
    owned: dict[str, list[str]] = {p.name: [] for p in ws.packages}
    shared: list[str] = []
    root = paths.get(".")
    for path in sorted(contents):
        if path == ROOT_MANIFEST or path in GLOBAL_FILES:
            shared.append(f"{path}\0{contents[path]}")
            continue
        parts = path.split("/")
        for depth in range(1, len(parts)):
            holder = paths.get("/".join(parts[:depth]))
            if holder is not None:
                owned[holder].append(path)
        if root is not None:
            owned[root].append(path)
    return Snapshot(
        contents=contents,
        files={m: tuple(files) for m, files in owned.items()},
        paths={p.name: p.path for p in ws.packages},
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


def _variables(names: tuple[str, ...]) -> list[str]:
    """NAME=value of each variable named (or matching a `PREFIX*`), unset ones included:
    setting one is a change too."""
    out: list[str] = []
    for name in names:
        if name.endswith("*"):
            out += sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith(name[:-1]))
        else:
            value = os.environ.get(name)
            out.append(f"{name}={value}" if value is not None else f"{name} unset")
    return out


def keys(
    ws: Workspace,
    graph: Graph,
    lock: Lock | None,
    snap: Snapshot,
    commands: Mapping[str, str],
    *,
    task: Task,
    env: str,
) -> dict[str, str]:
    """member -> key, for the members `commands` names (member -> its command)."""
    out: dict[str, str] = {}
    digests: dict[str, str] = {}
    for member, command in commands.items():
        needed = sorted(graph.tested(member))
        for m in needed:
            if m not in digests:
                digests[m] = snap.digest(m, task.inputs)
        out[member] = _digest(
            [
                VERSION,
                task.name,
                command,
                env,
                python_request(ws, member),
                snap.shared,
                _projection(ws, lock, member),
                *_variables(task.env),
                *(f"{m}\0{digests[m]}" for m in needed),
            ]
        )
    return out
