"""Answers of read-only commands, replayed while nothing they were computed from changed.

`list`, `graph`, `why` and `export` are functions of what they read: the manifests,
uv.lock, and the directories the member globs and the layouts were read from. A run of
one records each input (a file by the digest of its bytes, or its absence; a directory
by its mtime) with what the command printed and its exit code. The same command, typed
again in the same place with the same environment, checks every input and, when all
hold, prints the same bytes without loading the rest of monolock. An input that changed,
a directory too recently written to trust its mtime, a glob no list of directories can
witness, a Poetry repository (whose discovery walks the whole tree): the command runs.

This module is imported before anything else: it keeps to the standard library's
cheapest modules.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import stat
import sys

from monolock import __version__

TYPE_CHECKING = False  # typing itself costs more than replaying an answer
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, BinaryIO

_FORMAT = 2
_COMMANDS = frozenset({"list", "graph", "why", "export"})
_SEAL = 16
# what a command's output may depend on besides its inputs
_ENV_PREFIXES = ("MONOLOCK_", "UV_")
_ENV = ("COLUMNS", "NO_COLOR", "TERM", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONIOENCODING")

# --- recording -------------------------------------------------------------------------


class _Reads:
    def __init__(self) -> None:
        self.inputs: dict[tuple[str, str], Any] = {}
        self.trusted = True

    def add(self, kind: str, path: str, value: Any) -> None:
        self.inputs.setdefault((kind, path), value)


_reads: _Reads | None = None


def file(path: os.PathLike[str] | str, raw: bytes | None) -> None:
    """The command read this file (None: found absent)."""
    if _reads is not None:
        digest = None if raw is None else hashlib.sha256(raw).hexdigest()
        _reads.add("file", os.fspath(path), digest)


def directories(seen: dict[str, int]) -> None:
    """The command read these directories' listings, each at this mtime (-1: absent)."""
    if _reads is not None:
        from monolock.cachedir import settled

        for path, mtime in seen.items():
            if not settled(mtime):
                _reads.trusted = False
            _reads.add("dir", path, mtime)


def directory(path: os.PathLike[str] | str) -> None:
    """The command read this directory's listing, now."""
    if _reads is not None:
        directories({os.fspath(path): _mtime(os.fspath(path))})


def kind(path: os.PathLike[str] | str) -> None:
    """The command asked what is at this path: a directory, a file, or nothing."""
    if _reads is not None:
        _reads.add("kind", os.fspath(path), _kind(os.fspath(path)))


def resolved(path: os.PathLike[str] | str) -> None:
    """The command followed this path's links: where they lead is an input too."""
    if _reads is not None:
        _reads.add("real", os.fspath(path), _real(os.fspath(path)))


def unwitnessed() -> None:
    """The command read something no list of inputs can stand for: not replayed."""
    if _reads is not None:
        _reads.trusted = False


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _kind(path: str) -> str:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "-"
    return "d" if stat.S_ISDIR(mode) else "l" if stat.S_ISLNK(mode) else "f"


def _digest(path: str) -> str | None:
    """The digest of a regular file's bytes; None when there is nothing there. Anything
    else (a pipe would never end) is "unreadable", which no recorded digest equals."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return "unreadable"
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return "unreadable"


def _real(path: str) -> str:
    try:
        return os.path.realpath(path, strict=True)
    except (OSError, ValueError):
        return "-"


def _holds(kind: str, path: str, value: Any) -> bool:
    if kind == "file":
        return bool(_digest(path) == value)
    if kind == "dir":
        return bool(_mtime(path) == value)
    if kind == "real":
        return bool(_real(path) == value)
    return bool(_kind(path) == value)


class _Tee:
    """A binary stream that also keeps what is written to it, in `kept` (shared by both
    streams, so that their order is kept too) under its number."""

    def __init__(self, stream: BinaryIO, number: int, kept: list[tuple[int, bytes]]) -> None:
        self._stream = stream
        self._number = number
        self.kept = kept
        self.failed = False  # a reader that went away: what was kept is not the answer

    def write(self, data: bytes) -> int:
        self.kept.append((self._number, bytes(data)))
        try:
            return self._stream.write(data)
        except OSError:
            self.failed = True
            raise

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            self.failed = True
            raise

    def close(self) -> None:
        """The wrapper around this tee is dropped, the real stream stays open."""
        import contextlib

        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


# --- the cache -------------------------------------------------------------------------


def _key(argv: list[str]) -> str | None:
    """What names a command's answer, or None for one that is never replayed."""
    if not argv or argv[0] not in _COMMANDS or not sys.stdout or not sys.stderr:
        return None
    if any(a.startswith(("-o", "--output")) or a in ("-h", "--help") for a in argv):
        return None  # writes a file (`-oFILE` too), or prints help (cheap, and click's own)
    try:
        cwd = os.getcwd()
    except OSError:
        return None
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES) or k in _ENV)
    streams = tuple(
        (_isatty(s), getattr(s, "encoding", None), getattr(s, "errors", None))
        for s in (sys.stdout, sys.stderr)
    )
    text = repr((__version__, _FORMAT, sys.executable, cwd, argv, env, streams))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _slot(key: str) -> str:
    from monolock.cachedir import cache_dir

    return os.path.join(cache_dir(), "answers", key[:2], f"{key}.marshal")


def _load(slot: str) -> dict[str, Any] | None:
    try:
        with open(slot, "rb") as handle:
            raw = handle.read()
        payload = raw[_SEAL:]
        if hashlib.blake2b(payload, digest_size=_SEAL).digest() != raw[:_SEAL]:
            return None
        found = marshal.loads(payload)
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return found if isinstance(found, dict) else None


def serve(argv: list[str]) -> int | None:
    """Print the recorded answer of `argv` and return its exit code, when every input it
    was computed from is as it was; None otherwise (the command must run)."""
    key = _key(argv)
    if key is None:
        return None
    entry = _load(_slot(key))
    if entry is None:
        return None
    try:
        inputs, chunks, code = entry["inputs"], entry["chunks"], int(entry["code"])
        if not all(_holds(k, p, v) for k, p, v in inputs):
            return None
        streams = (sys.stdout.buffer, sys.stderr.buffer)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    try:
        for number, chunk in chunks:  # in the order they were written: 2>&1 sees the same
            streams[number].write(chunk)
            streams[number].flush()
    except BrokenPipeError:
        # the reader went away (`monolock list | head`): quietly, as a computed answer does
        os.dup2(os.open(os.devnull, os.O_WRONLY), streams[0].fileno())
        return 1
    except OSError as exc:  # a full disk, a terminal gone: said, as a computed run says it
        try:
            streams[1].write(f"error: {exc.strerror or exc}\n".encode())
            streams[1].flush()
        except OSError:
            pass
        return 2
    return code


class Recording:
    """Run a command, and keep its answer if it is one to replay: its exit code 0 or 1
    (an error is never kept), all it printed reached its reader, and every input it read
    was witnessed."""

    def __init__(self, argv: list[str]) -> None:
        self._key = _key(argv)
        self._streams = (sys.stdout, sys.stderr)
        buffers = [getattr(s, "buffer", None) for s in self._streams]
        self._kept: list[tuple[int, bytes]] = []
        self._tees = tuple(_Tee(b, n, self._kept) for n, b in enumerate(buffers) if b is not None)
        if len(self._tees) != 2:
            self._key = None  # streams that are not files: nothing to keep

    def __enter__(self) -> None:
        global _reads
        if self._key is None:
            return
        import io

        sys.stdout, sys.stderr = (
            io.TextIOWrapper(
                tee,
                encoding=s.encoding,
                errors=s.errors,
                line_buffering=bool(s.line_buffering),
                write_through=True,
            )
            for s, tee in zip(self._streams, self._tees, strict=True)
        )
        _reads = _Reads()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        global _reads
        if self._key is None:
            return
        import contextlib

        reads, _reads = _reads, None
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        sys.stdout, sys.stderr = self._streams
        code = exc.code if isinstance(exc, SystemExit) else None if exc else 0
        code = 0 if isinstance(exc, SystemExit) and code is None else code
        fine = code in (0, 1) and not any(t.failed for t in self._tees)
        if fine and reads is not None and reads.trusted and reads.inputs:
            _keep(self._key, reads, self._kept, int(code))  # type: ignore[arg-type]


def _keep(key: str, reads: _Reads, kept: list[tuple[int, bytes]], code: int) -> None:
    from monolock.fsutil import cache_write

    chunks: list[tuple[int, bytes]] = []
    for number, chunk in kept:  # consecutive writes to one stream as one
        if chunks and chunks[-1][0] == number:
            chunks[-1] = (number, chunks[-1][1] + chunk)
        else:
            chunks.append((number, chunk))
    inputs = [(k, p, v) for (k, p), v in reads.inputs.items()]
    entry = {"inputs": inputs, "chunks": chunks, "code": code}
    payload = marshal.dumps(entry)
    from pathlib import Path

    cache_write(Path(_slot(key)), hashlib.blake2b(payload, digest_size=_SEAL).digest() + payload)
