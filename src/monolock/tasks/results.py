"""Results of passing (and test-less) runs, stored by key so an identical run is replayed.

One small JSON file per key under the cache directory (MONOLOCK_CACHE_DIR, else the XDG
cache): deleting it, wholly or in part, only costs reruns.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from monolock.fsutil import cache_root, cache_write


@dataclass(frozen=True)
class Stored:
    member: str
    task: str
    command: str
    status: str  # "passed" or "skipped"
    reason: str | None
    seconds: float
    output: str


class Results:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or cache_root() / "tasks" / "results"

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Stored | None:
        try:
            return Stored(**json.loads(self._path(key).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None  # absent, or unreadable: a miss either way

    def put(self, key: str, stored: Stored) -> None:
        cache_write(self._path(key), json.dumps(asdict(stored), sort_keys=True))
