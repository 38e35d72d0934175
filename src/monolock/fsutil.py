"""Atomic writes (a temp file in the same directory, fsynced, then renamed over the target)
and where monolock keeps its caches."""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from monolock.cachedir import cache_dir
from monolock.errors import MonolockError


def atomic_write(path: Path, data: str | bytes) -> None:
    raw = data.encode() if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# the names of a directory being replaced and of the one replacing it, beside the target:
# what a killed run leaves there is found by these names, and removed by the next
NEW = "monolock-new-"
OLD = "monolock-old-"


def staging_dir(target: Path) -> Path:
    """An empty directory beside `target`, to be filled and then put in its place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.{NEW}", dir=target.parent))
    staged.chmod(0o755)  # a directory like any other, not mkdtemp's private one
    return staged


def replace_dir(staged: Path, target: Path) -> None:
    """Put a fully written directory in place of `target` (absent or replaceable): a reader
    sees the old tree or the new one, and for a moment at most neither, never a mix."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.{OLD}", dir=target.parent))
        os.replace(target, old / "tree")
    try:
        os.replace(staged, target)
    except BaseException:
        if old is not None:
            os.replace(old / "tree", target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def is_file(entry: os.DirEntry[str]) -> bool:
    """A regular file, links followed; a link that cannot be followed (dead, a loop) is
    not one, where `DirEntry.is_file` would raise."""
    try:
        return entry.is_file()
    except OSError:
        return False


def is_dir(entry: os.DirEntry[str]) -> bool:
    """A directory, links followed; a link that cannot be followed is not one."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def restore(path: Path, before: bytes | None) -> None:
    """A file monolock let another program write, as it was before: its old bytes, or no
    file (it made none)."""
    if before is None:
        path.unlink(missing_ok=True)
    elif not path.is_file() or path.read_bytes() != before:
        atomic_write(path, before)


def present(path: Path, *, where: str, hint: str) -> bool:
    """Whether a file monolock reads is there. Nothing at all is False; anything else in
    its place (a directory, a broken link, a symlink loop) is an error, never "absent"."""
    if not os.path.lexists(path):
        return False
    if path.is_file():
        return True
    raise MonolockError(
        "is not a readable file (a directory, a pipe or a broken link?)", where=where, hint=hint
    )


def on_path(directory: Path) -> str:
    """`directory` as an entry of PATH, which cannot hold the separator itself: a program
    found there would otherwise be some other one, silently."""
    text = str(directory)
    if os.pathsep in text:
        raise MonolockError(
            f"{text} holds {os.pathsep!r}, which PATH cannot hold: its programs would not be "
            "found, others would run in their place",
            hint=f"move it to a path without {os.pathsep!r}",
        )
    return text


def cache_root() -> Path:
    """MONOLOCK_CACHE_DIR, else the XDG cache directory: safe to delete at any time."""
    return Path(cache_dir())


def cache_write(path: Path, data: str | bytes) -> None:
    """Store a cache entry, atomically; a cache that cannot be written (read-only, full,
    a file where a directory belongs) only costs the work again next time."""
    with contextlib.suppress(OSError):
        atomic_write(path, data)


_SEAL = 16  # bytes of the checksum in front of a sealed entry


def sealed_write(path: Path, value: Any) -> None:
    """Store plain data (marshal) behind a checksum of itself. Data marshal cannot hold
    (a date in some tool's table) is not stored: it is worked out again next time."""
    try:
        payload = marshal.dumps(value)
    except ValueError:
        return
    cache_write(path, hashlib.blake2b(payload, digest_size=_SEAL).digest() + payload)


def sealed_read(path: Path) -> Any | None:
    """What `sealed_write` stored, or None: absent, cut short or damaged is no entry."""
    try:
        raw = path.read_bytes()
        payload = raw[_SEAL:]
        if hashlib.blake2b(payload, digest_size=_SEAL).digest() != raw[:_SEAL]:
            return None
        return marshal.loads(payload)
    except (OSError, ValueError, EOFError, TypeError):
        return None
