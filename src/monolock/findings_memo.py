"""Findings remembered between `check` runs, so that one edit re-runs one member's rules.

A member's import findings depend on its own files and on what every manifest and the
lock say (who provides which name, what is declared, what is locked): they are kept
under a key of exactly those, so an entry is reused only where nothing it read changed.
The policy findings depend on the manifests and the lock alone. Entries are plain data
(marshal) behind a checksum: a file that is damaged is computed again, never trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from monolock.findings import Finding, Location
from monolock.fsutil import sealed_read, sealed_write

Packed = tuple[Any, ...]


def pack(findings: Iterable[Finding]) -> tuple[Packed, ...]:
    return tuple(
        (
            f.code,
            f.package,
            f.subject,
            f.message,
            f.hint,
            f.location.path,
            f.location.line,
            tuple((a.path, a.line) for a in f.also),
        )
        for f in findings
    )


def unpack(data: Iterable[Packed]) -> tuple[Finding, ...]:
    return tuple(
        Finding(
            code,
            package,
            subject,
            message,
            hint,
            Location(path, line),
            tuple(Location(p, n) for p, n in also),
        )
        for code, package, subject, message, hint, path, line, also in data
    )


class Memo:
    """name -> (key, findings), in one file; `None` for a run without a cache."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        loaded = sealed_read(path) if path is not None else None
        self.entries: dict[str, tuple[str, tuple[Packed, ...]]] = (
            loaded if isinstance(loaded, dict) else {}
        )

    def get(self, name: str, key: str) -> tuple[Finding, ...] | None:
        entry = self.entries.get(name)
        if entry is None or not isinstance(entry, tuple) or entry[0] != key:
            return None
        try:
            return unpack(entry[1])
        except (ValueError, TypeError):
            return None

    def put(self, name: str, key: str, findings: Iterable[Finding]) -> None:
        self.entries[name] = (key, pack(findings))

    def save(self, keep: Iterable[str]) -> None:
        if self.path is not None:
            kept = set(keep)
            sealed_write(self.path, {k: v for k, v in self.entries.items() if k in kept})
