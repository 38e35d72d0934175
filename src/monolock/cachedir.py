"""Where monolock keeps its caches: cheap enough to ask before anything else is imported."""

from __future__ import annotations

import functools
import os


def cache_dir() -> str:
    """MONOLOCK_CACHE_DIR, else the XDG cache directory: safe to delete at any time."""
    env = os.environ
    return _cache_dir(env.get("MONOLOCK_CACHE_DIR"), env.get("XDG_CACHE_HOME"), env.get("HOME"))


@functools.lru_cache(maxsize=8)  # asked once per manifest: a thousand times at scale
def _cache_dir(given: str | None, xdg: str | None, home: str | None) -> str:
    # `home` only keys the memo: expanduser reads HOME itself
    if given:
        return given
    if xdg and os.path.isabs(xdg):  # a relative XDG_CACHE_HOME is invalid: the spec ignores it
        return os.path.join(xdg, "monolock")
    base = os.path.expanduser("~")
    if base == "~" or not os.path.isabs(base):
        # no home directory at all (a bare CI user): a private temporary one
        import tempfile

        return os.path.join(tempfile.gettempdir(), f"monolock-cache-{os.getuid()}", "monolock")
    return os.path.join(base, ".cache", "monolock")


# A file or directory written this recently may change again within the same clock tick
# without its mtime moving (FAT's tick is 2 s): no cache trusts such an mtime.
RACY_NS = 2_000_000_000


def settled(mtime_ns: int) -> bool:
    """Whether an mtime is old enough for a cache to trust it."""
    import time

    return mtime_ns < time.time_ns() - RACY_NS
