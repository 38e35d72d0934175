"""Writing several files of a repository as one change: all of them, or none.

The new contents are staged and a journal is committed (written, synced, renamed into
place) before the first file of the repository changes; then each file is renamed into
place. A kill at any instant leaves the repository as it was (no journal yet) or a
journal, which the next monolock command finds and finishes (or, if it cannot, rolls
back) before it does anything else. Staging and journal live inside `.git` when the
repository has one (git keeps its own merge state there), else in `.monolock/` at the
root; either way they are gone once the change is complete.

A journal is read as untrusted input: it names files inside the repository only, each
of which must still hold its old or its new content, or nothing is done.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from monolock import replay
from monolock.errors import MonolockError
from monolock.fsutil import atomic_write

JOURNAL = "journal.json"
_PENDING = JOURNAL + ".tmp"
_STAGED = "staged"
_FORMAT = 1
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Change:
    path: str  # POSIX, relative to the root
    new: bytes | None  # None: delete the file


@dataclass(frozen=True)
class _Entry:
    path: str
    old: bytes | None  # None: the file did not exist
    mode: int
    staged: str | None  # the staged file's name; None: the change deletes the file
    sha256: str | None  # of the new content


def state_dir(root: Path) -> Path:
    """Where a change in progress is kept for `root`."""
    top = root
    for directory in (root, *root.parents):
        dotgit = directory / ".git"
        replay.kind(dotgit)
        if dotgit.is_dir() or dotgit.is_file():
            top = directory
            git_dir = dotgit
            if dotgit.is_file():  # a worktree or a submodule: "gitdir: PATH"
                try:
                    raw = dotgit.read_bytes()
                except OSError:
                    break
                replay.file(dotgit, raw)
                text = raw.decode("utf-8", errors="replace").strip()
                if not text.startswith("gitdir:"):
                    break
                git_dir = (directory / text.removeprefix("gitdir:").strip()).absolute()
            replay.kind(git_dir)
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


def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _current(target: Path) -> bytes | None:
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None


def _safe(root: Path, path: str) -> Path:
    """`root / path`, if `path` stays inside the repository (and out of `.git`)."""
    parts = PurePosixPath(path).parts
    if (
        not parts
        or PurePosixPath(path).is_absolute()
        or ".." in parts
        or ".git" in parts
        or "\0" in path
    ):
        raise ValueError(f"{path!r} is not a path inside the repository")
    target = root / path
    if not target.parent.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"{path!r} leads out of the repository")
    return target


def _read_old(root: Path, path: str) -> tuple[bytes | None, int]:
    target = _safe(root, path)
    if not os.path.lexists(target):
        return None, 0o644
    if target.is_symlink() or not target.is_file():
        raise MonolockError(
            "is not a regular file: monolock will not write over it",
            where=path,
            hint="move what is there out of the way, then run the command again",
        )
    return target.read_bytes(), target.stat().st_mode & 0o777


def _own(state: Path) -> None:
    """The state directory holds nothing but monolock's own files (or does not exist)."""
    if os.path.lexists(state) and not state.is_dir():
        raise MonolockError(
            "exists and is not a directory monolock keeps its journal in",
            where=str(state),
            hint="move it out of the way, then run the command again",
        )


def commit(root: Path, command: str, changes: Sequence[Change]) -> None:
    """Make every change, or (on an error) none; a kill leaves a journal the next
    command completes."""
    state = state_dir(root)
    _own(state)
    if (state / JOURNAL).exists():
        raise MonolockError(
            f"an interrupted change has not been completed (before `monolock {command}`)",
            where=str(state / JOURNAL),
            hint="run any monolock command (e.g. `monolock list`) to complete it first",
        )
    olds = [_read_old(root, change.path) for change in changes]  # refused before any write
    _clear(state)  # what an earlier interrupted run may have staged
    staged = state / _STAGED
    try:
        staged.mkdir(parents=True, exist_ok=True)
        entries: list[_Entry] = []
        for i, (change, (old, mode)) in enumerate(zip(changes, olds, strict=True)):
            name = None
            if change.new is not None:
                name = str(i)
                _write(staged / name, change.new, mode)
            entries.append(_Entry(change.path, old, mode, name, _digest(change.new)))
        _sync_dir(staged)
        _write(state / _PENDING, _dump(command, entries), 0o644)
    except BaseException:
        _clear(state)  # nothing was committed: the repository never changed
        raise
    os.replace(state / _PENDING, state / JOURNAL)  # the commit point
    _sync_dir(state)
    try:
        _apply(root, state, entries)
    except BaseException:
        _roll_back(root, entries)
        _clear(state)
        raise
    _clear(state)


def _dump(command: str, entries: list[_Entry]) -> bytes:
    data = {
        "format": _FORMAT,
        "command": command,
        "entries": [
            {
                "path": e.path,
                "old": None if e.old is None else base64.b64encode(e.old).decode("ascii"),
                "mode": e.mode,
                "staged": e.staged,
                "sha256": e.sha256,
            }
            for e in entries
        ],
    }
    return json.dumps(data).encode()


def _load(root: Path, raw: bytes) -> tuple[str, list[_Entry]]:
    """A journal's command and entries, each checked: anything else is a ValueError."""
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise ValueError("not a journal of this format")
    command, raw_entries = data.get("command"), data.get("entries")
    if not isinstance(command, str) or not isinstance(raw_entries, list):
        raise ValueError("no command or no entries")
    entries = []
    for item in raw_entries:
        if not isinstance(item, dict):
            raise ValueError("an entry is not a table")
        path, old, mode = item.get("path"), item.get("old"), item.get("mode")
        staged, sha = item.get("staged"), item.get("sha256")
        if not isinstance(path, str):
            raise ValueError("an entry names no path")
        _safe(root, path)
        if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 0o777:
            raise ValueError(f"{path}: a mode that is not one")
        if staged is not None and not (isinstance(staged, str) and staged.isdigit()):
            raise ValueError(f"{path}: a staged name that is not one")
        if (staged is None) != (sha is None) or (sha is not None and not _HEX.fullmatch(sha)):
            raise ValueError(f"{path}: a digest that does not go with its content")
        if old is not None and not isinstance(old, str):
            raise ValueError(f"{path}: old content that is not text")
        try:
            content = None if old is None else base64.b64decode(old, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"{path}: old content that is not base64") from None
        entries.append(_Entry(path, content, mode, staged, sha))
    return command, entries


def _apply(root: Path, state: Path, entries: list[_Entry]) -> None:
    parents: set[Path] = set()
    for entry in entries:
        target = _safe(root, entry.path)
        parents.add(target.parent)
        if entry.staged is None:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            continue
        staged = state / _STAGED / entry.staged
        if staged.is_file() and _digest(staged.read_bytes()) == entry.sha256:
            _place(staged, target)
        elif _digest(_current(target)) != entry.sha256:
            raise MonolockError(f"the staged content of {entry.path} is missing")
    for parent in parents:
        _sync_dir(parent)


def _roll_back(root: Path, entries: list[_Entry]) -> None:
    for entry in entries:
        with contextlib.suppress(OSError, ValueError):
            target = _safe(root, entry.path)
            if entry.old is None:
                target.unlink(missing_ok=True)
            elif _digest(_current(target)) != _digest(entry.old):
                atomic_write(target, entry.old)
                os.chmod(target, entry.mode)


def _clear(state: Path) -> None:
    """Remove what monolock keeps in `state`, journal first (the change is complete),
    then what was staged; nothing else that may be there."""
    if not state.is_dir():
        return
    for name in (JOURNAL, _PENDING):
        with contextlib.suppress(FileNotFoundError):
            (state / name).unlink()
    _sync_dir(state)
    staged = state / _STAGED
    if staged.is_dir():
        for item in staged.iterdir():
            if item.name.isdigit() and item.is_file():
                item.unlink()
    for directory in (staged, state, state.parent if state.parent.name == "monolock" else None):
        if directory is not None:
            with contextlib.suppress(OSError):
                directory.rmdir()  # only once empty: a directory of someone else's stays


def pending(root: Path) -> bool:
    """Whether a change was interrupted here (or is being made by another process)."""
    state = state_dir(root)
    for name in (JOURNAL, _PENDING, _STAGED):
        replay.kind(state / name)
    return any(os.path.lexists(state / name) for name in (JOURNAL, _PENDING, _STAGED))


def recover(root: Path) -> str | None:
    """Complete (or roll back) an interrupted change; what was done, for the user, or None
    when there was nothing to do. The caller holds the repository's lock."""
    state = state_dir(root)
    if not pending(root):
        return None
    _own(state)
    path = state / JOURNAL
    if not path.exists():
        # interrupted before its commit point (the repository never changed), or after its
        # last step (it had changed completely): either way only the staging is left
        _clear(state)
        return f"removed what an interrupted monolock command left in {state}"
    refused = MonolockError(
        "this journal of an interrupted change was not written by this monolock, or no "
        "longer matches the repository: nothing was done",
        where=str(path),
        hint=f"compare the repository with git (`git status`), then remove {path}",
    )
    try:
        command, entries = _load(root, path.read_bytes())
    except (OSError, ValueError):
        raise refused from None
    for entry in entries:
        now = _digest(_current(root / entry.path))
        if now not in (_digest(entry.old), entry.sha256):
            raise refused  # a file was changed since: finishing would overwrite that
    try:
        _apply(root, state, entries)
    except (OSError, MonolockError):
        _roll_back(root, entries)
        _clear(state)
        return f"rolled back an interrupted `monolock {command}`: the repository is as before"
    _clear(state)
    return f"completed an interrupted `monolock {command}` ({len(entries)} file(s))"
