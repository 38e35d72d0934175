"""Writing several files of a repository as one change: all of them, or none.

The new contents are staged and a journal is committed (written, synced, renamed into
place) before the first file of the repository changes; then each file is renamed into
place. A kill at any instant leaves the repository as it was (no journal yet) or a
journal, which the next monolock command finds and finishes (or, if it cannot, rolls
back) before it does anything else. Staging and journal live inside `.git` when the
repository has one (git keeps its own merge state there), else in `.monolock/` at the
root; either way they are gone once the change is complete.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monolock.errors import MonolockError
from monolock.fsutil import atomic_write

JOURNAL = "journal.json"
_FORMAT = 1


@dataclass(frozen=True)
class Change:
    path: str  # POSIX, relative to the root
    new: bytes | None  # None: delete the file


def state_dir(root: Path) -> Path:
    """Where a change in progress is kept for `root`."""
    top = root
    for directory in (root, *root.parents):
        dotgit = directory / ".git"
        if dotgit.is_dir() or dotgit.is_file():
            top = directory
            git_dir = dotgit
            if dotgit.is_file():  # a worktree or a submodule: "gitdir: PATH"
                try:
                    text = dotgit.read_text(encoding="utf-8", errors="replace").strip()
                except OSError:
                    break
                if not text.startswith("gitdir:"):
                    break
                git_dir = (directory / text.removeprefix("gitdir:").strip()).absolute()
            if not git_dir.is_dir():
                break
            # the root's place in the work tree names it: stable if the clone moves
            key = hashlib.sha256(os.fsencode(root.relative_to(top))).hexdigest()[:16]
            return git_dir / "monolock" / key
    return root / ".monolock"


def _sync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write(path: Path, data: bytes, mode: int) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, mode)


def _place(staged: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(staged, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        atomic_write(target, staged.read_bytes())  # another file system: copy, then rename
        staged.unlink()


def _encode(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _decode(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def _read_old(root: Path, path: str) -> tuple[bytes | None, int]:
    target = root / path
    if not os.path.lexists(target):
        return None, 0o644
    if target.is_symlink() or not target.is_file():
        raise MonolockError(
            "is not a regular file: monolock will not write over it",
            where=path,
            hint="move what is there out of the way, then run the command again",
        )
    return target.read_bytes(), target.stat().st_mode & 0o777


def commit(root: Path, command: str, changes: Sequence[Change]) -> None:
    """Make every change, or (on an error) none; a kill leaves a journal the next
    command completes."""
    state = state_dir(root)
    if (state / JOURNAL).exists():
        raise MonolockError(
            f"an interrupted `monolock {command}` has not been completed",
            where=str(state / JOURNAL),
            hint="run any monolock command (e.g. `monolock list`) to complete it first",
        )
    olds = [_read_old(root, change.path) for change in changes]  # refused before any write
    staged = state / "staged"
    shutil.rmtree(state, ignore_errors=True)
    try:
        staged.mkdir(parents=True)
        entries: list[dict[str, Any]] = []
        for i, (change, (old, mode)) in enumerate(zip(changes, olds, strict=True)):
            entry: dict[str, Any] = {"path": change.path, "old": _encode(old), "mode": mode}
            if change.new is not None:
                _write(staged / str(i), change.new, mode)
                entry["staged"] = str(i)
                entry["sha256"] = hashlib.sha256(change.new).hexdigest()
            entries.append(entry)
        _sync_dir(staged)
        journal = {"format": _FORMAT, "command": command, "entries": entries}
        pending = state / (JOURNAL + ".tmp")
        _write(pending, json.dumps(journal).encode(), 0o644)
    except BaseException:
        _clear(state)  # nothing was committed: the repository never changed
        raise
    os.replace(pending, state / JOURNAL)  # the commit point
    _sync_dir(state)
    try:
        _apply(root, state, entries)
    except BaseException:
        _roll_back(root, entries)
        _clear(state)
        raise
    _clear(state)


def _apply(root: Path, state: Path, entries: list[dict[str, Any]]) -> None:
    parents: set[Path] = set()
    for entry in entries:
        target = root / entry["path"]
        parents.add(target.parent)
        name = entry.get("staged")
        if name is None:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            continue
        staged = state / "staged" / name
        if staged.exists():
            _place(staged, target)
        elif _digest(target) != entry["sha256"]:
            raise MonolockError(f"the staged content of {entry['path']} is missing")
    for parent in parents:
        _sync_dir(parent)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _roll_back(root: Path, entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        target = root / entry["path"]
        old = _decode(entry["old"])
        with contextlib.suppress(OSError):
            if old is None:
                target.unlink(missing_ok=True)
            elif _digest(target) != hashlib.sha256(old).hexdigest():
                atomic_write(target, old)
                os.chmod(target, entry.get("mode", 0o644))


def _clear(state: Path) -> None:
    """Remove the journal first (the change is complete), then what was staged."""
    with contextlib.suppress(FileNotFoundError):
        (state / JOURNAL).unlink()
    _sync_dir(state)
    shutil.rmtree(state, ignore_errors=True)
    if state.parent.name == "monolock":
        with contextlib.suppress(OSError):
            state.parent.rmdir()  # .git/monolock, once no root has a change in progress


def pending(root: Path) -> bool:
    """Whether a change was interrupted here (or is being made by another process)."""
    return state_dir(root).exists()


def recover(root: Path) -> str | None:
    """Complete (or roll back) an interrupted change; what was done, for the user, or None
    when there was nothing to do. The caller holds the repository's lock."""
    state = state_dir(root)
    if not state.exists():
        return None
    path = state / JOURNAL
    if not path.exists():
        # interrupted before its commit point (the repository never changed), or after its
        # last step (it had changed completely): either way only the staging is left
        _clear(state)
        return f"removed what an interrupted monolock command left in {state}"
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
        entries: list[dict[str, Any]] = journal["entries"]
        command = str(journal["command"])
    except (OSError, ValueError, KeyError, TypeError):
        raise MonolockError(
            "the journal of an interrupted change cannot be read",
            where=str(path),
            hint="compare the repository with git (`git status`), fix it by hand, then "
            f"remove {state}",
        ) from None
    try:
        _apply(root, state, entries)
    except (OSError, MonolockError):
        _roll_back(root, entries)
        _clear(state)
        return f"rolled back an interrupted `monolock {command}`: the repository is as before"
    _clear(state)
    return f"completed an interrupted `monolock {command}` ({len(entries)} file(s))"
