"""Where `run` looks for results and stores them: the machine's cache first, then the
shared remote (if one is configured), each remote entry checked before it is believed;
new results written back to both after the run.

Modes: read-write (the default), read-only (replay from either, store nothing: for
builds that must not be trusted, such as pull requests from forks), local (this machine's
cache only) and off.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from monolock.tasks import entry
from monolock.tasks.remote import KEY_VARIABLE, Remote, local_directory, settings
from monolock.tasks.results import Results, Stored

Mode = Literal["read-write", "read-only", "local", "off"]
_PARALLEL = 16  # requests in flight to the remote
T = TypeVar("T")
R = TypeVar("R")


def _within(remote: Remote, work: Callable[[T], R | None], items: Sequence[T]) -> list[R | None]:
    """`work` on every item, in parallel, all within one timeout: a remote that answers
    slowly costs that much once, not once per request. What is unanswered by then is
    None, and the remote is not asked again."""
    pool = ThreadPoolExecutor(max_workers=min(_PARALLEL, len(items)))
    futures = [pool.submit(work, item) for item in items]
    done, late = wait(futures, timeout=remote.timeout)
    pool.shutdown(wait=False, cancel_futures=True)
    if late:
        remote.give_up(
            f"{len(late)} of {len(items)} requests unanswered after {remote.timeout:g} s"
        )
    return [f.result() if f in done else None for f in futures]


@dataclass(frozen=True)
class Hit:
    stored: Stored
    where: Literal["local", "remote"]


class Cache:
    def __init__(
        self,
        local: Results,
        remote: Remote | None,
        *,
        writes: bool,
        secret: bytes | None,
        warn: Callable[[str], None],
    ) -> None:
        self.local = local
        self.remote = remote
        self.writes = writes
        self._secret = secret
        self._warn = warn
        self._lock = threading.Lock()
        self._outgoing: list[tuple[str, Stored]] = []

    def lookup(self, keys: Iterable[str]) -> dict[str, Hit]:
        """The results stored under these keys; the remote asked in parallel for those
        this machine does not have."""
        hits: dict[str, Hit] = {}
        missing: list[str] = []
        for key in dict.fromkeys(keys):
            stored = self.local.get(key)
            if stored is not None:
                hits[key] = Hit(stored, "local")
            else:
                missing.append(key)
        if self.remote is None or not missing:
            return hits
        found = _within(self.remote, self.remote.get, missing)
        for key, data in zip(missing, found, strict=True):
            if data is None:
                continue
            try:
                stored = entry.unseal(key, data, self._secret)
            except entry.Rejected as exc:
                self._warn(f"remote cache entry {key[:12]}… not used: {exc}; the task runs")
                continue
            hits[key] = Hit(stored, "remote")
            if self.writes:
                self.local.put(key, stored)
        return hits

    def put(self, key: str, stored: Stored) -> None:
        if not self.writes:
            return
        self.local.put(key, stored)
        if self.remote is not None:
            with self._lock:
                self._outgoing.append((key, stored))

    def flush(self) -> None:
        """Write this run's new results to the remote, in parallel."""
        with self._lock:
            outgoing, self._outgoing = self._outgoing, []
        if self.remote is None or not outgoing:
            return
        remote = self.remote
        sealed = [(key, entry.seal(key, stored, self._secret)) for key, stored in outgoing]
        _within(remote, lambda item: remote.put(*item), sealed)


def open_cache(root: Path, mode: Mode, warn: Callable[[str], None]) -> Cache | None:
    """The cache `run` uses in this mode, None when off. Signing: with
    MONOLOCK_CACHE_SIGNING_KEY set, remote entries are signed and unsigned ones refused;
    a remote configured `signed = true` is not used without the key."""
    if mode == "off":
        return None
    config = settings(root)
    secret = os.environ.get(KEY_VARIABLE, "").encode("utf-8", "surrogateescape") or None
    remote = None
    disk = local_directory(config.url) if config.url else None
    # a shared disk nobody wrote to yet holds nothing, and read-only creates nothing
    untouched = mode == "read-only" and disk is not None and not disk.is_dir()
    if config.url is not None and mode != "local" and not untouched:
        if config.signed and secret is None:
            warn(
                f"remote cache {config.url} not used: its entries are signed and "
                f"{KEY_VARIABLE} is not set"
            )
        else:
            remote = Remote(config.url, config.timeout, warn)
    return Cache(Results(), remote, writes=mode != "read-only", secret=secret, warn=warn)
