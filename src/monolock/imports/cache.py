"""Scanning every file of a repository, parsing only what changed since the last run.

Entries are keyed by path and validated by content: a file whose size and mtime are
unchanged is taken as is (as git's index does); otherwise its bytes are hashed, and only
a new hash is parsed again. Large cold runs are parsed by one process per core.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from monolock.cachedir import settled
from monolock.fsutil import cache_write
from monolock.imports.scan import FileScan, Import, scan_source
from monolock.imports.sources import SourceFile

_FORMAT = 5  # 2: suppress(ImportError), 3-4: find_spec, sys.modules guards: optional
MAX_BYTES = 8_000_000  # a source file larger than this is reported, not parsed
_PARALLEL_FROM = 400  # below this, starting workers costs more than it saves
_Entry = tuple[int, int, bytes, Any]  # size, mtime_ns, digest, packed scan


def _key(f: SourceFile) -> str:
    # the module name is part of the answer: it resolves the file's relative imports
    return f"{f.path}\0{f.module or ''}"


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _pack(scan: FileScan) -> Any:
    imports = tuple(
        (i.module, i.line, i.names, i.function, i.typing, i.optional, i.dynamic)
        for i in scan.imports
    )
    return (imports, scan.ignores, scan.error)


def _unpack(packed: Any) -> FileScan:
    imports, ignores, error = packed
    return FileScan(tuple(Import(*i) for i in imports), ignores, error)


def _scan_one(args: tuple[str, str | None, bool]) -> tuple[int, int, bytes, Any] | None:
    path, module, is_init = args
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            if stat.st_size > MAX_BYTES:  # generated data, not code: parsing it costs gigabytes
                why = f"too large to scan ({stat.st_size // 1_000_000} MB; monolock reads up to "
                error = why + f"{MAX_BYTES // 1_000_000} MB)"
                return stat.st_size, stat.st_mtime_ns, b"", _pack(FileScan((), (), error))
            data = handle.read()
    except OSError:
        return None
    return (
        stat.st_size,
        stat.st_mtime_ns,
        _digest(data),
        _pack(scan_source(data, module, is_init)),
    )


def _context() -> Any:
    # fork starts workers in milliseconds and they inherit the loaded modules
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context(
        "fork" if "fork" in methods and sys.platform == "linux" else None
    )


class Scans(Mapping[str, FileScan]):
    """Scans by path, unpacked from the cache's compact form only when read; `parsed`
    counts the files this run had to parse."""

    def __init__(self, packed: dict[str, Any], parsed: int) -> None:
        self._packed = packed
        self.parsed = parsed
        self._memo: dict[str, FileScan] = {}

    def __getitem__(self, path: str) -> FileScan:
        found = self._memo.get(path)
        if found is None:
            found = self._memo[path] = _unpack(self._packed[path])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)


def _settled(mtime: int) -> int:
    """A file's mtime as an entry may trust it: one too recent (`cachedir.settled`) is
    checked by digest next time (-1 never matches)."""
    return mtime if settled(mtime) else -1


class ScanCache:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, _Entry] = {}
        self.changed = False
        if path is not None and path.is_file():
            try:
                loaded = marshal.loads(path.read_bytes())
                if loaded.get("format") == _FORMAT and loaded.get("python") == sys.version_info[:2]:
                    self.entries = loaded["files"]
            except (ValueError, EOFError, TypeError, KeyError, AttributeError):
                self.entries = {}  # an unreadable cache is an empty one

    def save(self, keep: set[str]) -> None:
        if self.path is None:
            return
        if set(self.entries) - keep:
            self.entries = {k: v for k, v in self.entries.items() if k in keep}
            self.changed = True
        if self.changed:
            payload = {"format": _FORMAT, "python": sys.version_info[:2], "files": self.entries}
            cache_write(self.path, marshal.dumps(payload))

    def scan(
        self,
        root: Path,
        files: Sequence[SourceFile],
        jobs: int | None = None,
        known: Mapping[str, tuple[int, int]] | None = None,
    ) -> Scans:
        """Every file's scan: from the cache where its size and mtime (asked now, or
        `known` from a moment ago) or else its digest match, parsed otherwise."""
        out: dict[str, Any] = {}
        todo: list[SourceFile] = []
        base = str(root)
        for f in files:
            entry = self.entries.get(_key(f))
            if entry is not None:
                now = known.get(f.path) if known is not None else None
                if now is None:
                    try:
                        stat = os.stat(f"{base}/{f.path}")
                    except OSError:
                        continue
                    now = (stat.st_size, stat.st_mtime_ns)
                if entry[0] == now[0] and entry[1] == now[1]:
                    out[f.path] = entry[3]
                    continue
                data = (root / f.path).read_bytes()
                if _digest(data) == entry[2]:
                    self.entries[_key(f)] = (now[0], _settled(now[1]), entry[2], entry[3])
                    self.changed = True
                    out[f.path] = entry[3]
                    continue
            todo.append(f)
        args = [(str(root / f.path), f.module, f.is_init) for f in todo]
        workers = min(jobs or os.cpu_count() or 1, max(1, len(args) // 100))
        if len(args) >= _PARALLEL_FROM and workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(workers, mp_context=_context()) as pool:
                results = list(pool.map(_scan_one, args, chunksize=64))
        else:
            results = [_scan_one(a) for a in args]
        for f, result in zip(todo, results, strict=True):
            if result is None:
                continue
            result = (result[0], _settled(result[1]), result[2], result[3])
            self.entries[_key(f)] = result
            self.changed = True
            out[f.path] = result[3]
        return Scans(out, len(todo))

    def fingerprint(self, files: Sequence[SourceFile]) -> bytes:
        """The content of these files, in one digest (from the hashes already known)."""
        digest = hashlib.blake2b(digest_size=16)
        for key in sorted(_key(f) for f in files):
            entry = self.entries.get(key)
            digest.update(os.fsencode(key) + b"\0" + (entry[2] if entry else b"-") + b"\0")
        return digest.digest()

    def keys(self, files: Sequence[SourceFile]) -> set[str]:
        return {_key(f) for f in files}
