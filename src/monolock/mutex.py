"""One writer at a time: monolock processes that change a repository (or write into one
directory) take an exclusive lock on it, and a second one waits, saying so.

The lock is `flock` on the directory itself: no lock file is left in the repository,
and the kernel releases it when the process ends, however it ends (kill -9 included).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no locking, as before
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def exclusive(directory: Path, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold `directory` for this process; `on_wait` runs once if another holds it."""
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        yield  # cannot be opened (it does not exist yet): nothing to serialise against
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass  # a file system without flock: proceed unserialised rather than fail
        yield
    finally:
        os.close(fd)  # releases the lock
