"""A shared task cache on an object store (`s3://`, `gs://`, `az://`, or `file://` for a
shared disk), through obstore: one small native library for all four, configured the way
each store's own tools are (AWS_*, GOOGLE_*, AZURE_* variables; with boto3 installed,
AWS profiles and config files too).

The root's `[tool.monolock.cache]` names it:

    [tool.monolock.cache]
    url = "s3://bucket/monolock"   # MONOLOCK_CACHE_URL overrides it ("" switches it off)
    timeout = 10                   # seconds a request may take
    signed = true                  # entries must carry MONOLOCK_CACHE_SIGNING_KEY's HMAC

A remote that fails once (down, slow, refused) is not asked again in the same run: it
costs at most one timeout and a warning, and the tasks run.
"""

from __future__ import annotations

import datetime
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from monolock.errors import ManifestError, UsageError

URL_VARIABLE = "MONOLOCK_CACHE_URL"
KEY_VARIABLE = "MONOLOCK_CACHE_SIGNING_KEY"
_SCHEMES = ("s3", "s3a", "gs", "az", "azure", "abfs", "abfss", "file")
_WHERE = "pyproject.toml"
_PREFIX = "tasks"
_LONGEST = 300  # seconds: a request that may take longer is no cache
_LARGEST = 64 << 20  # bytes: an entry larger than any task's output is not read whole


@dataclass(frozen=True)
class Settings:
    url: str | None
    timeout: float = 10.0
    signed: bool = False  # configured to require signatures


def settings(root: Path, *, environment: bool = True) -> Settings:
    """The root manifest's `[tool.monolock.cache]`, with the environment's override of
    the URL (unless `environment` is False)."""
    from monolock.manifest.toml import load_toml, table

    data = load_toml(root / _WHERE, display=_WHERE)
    config = table(data, "tool.monolock.cache")
    timeout = config.get("timeout", 10)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or not 0.1 <= timeout <= _LONGEST
    ):
        raise ManifestError(
            f"tool.monolock.cache.timeout: expected seconds from 0.1 to {_LONGEST}, "
            f"found {timeout!r}",
            where=_WHERE,
        )
    url = config.get("url")
    overridden = environment and URL_VARIABLE in os.environ
    if overridden:
        url = os.environ[URL_VARIABLE] or None
    problem = _problem(url) if url is not None else None
    if problem is not None and overridden:
        raise UsageError(f"{URL_VARIABLE}: {url!r} {problem}", hint=_HINT)
    if problem is not None:
        raise ManifestError(f"tool.monolock.cache.url: {url!r} {problem}", where=_WHERE, hint=_HINT)
    return Settings(url, float(timeout), config.get("signed") is True)


_HINT = (
    "use s3://bucket/prefix, gs://bucket/prefix, az://container/prefix or "
    "file:///absolute/path (a shared disk); MONOLOCK_CACHE_URL overrides the manifest's"
)


def _problem(url: str) -> str | None:
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _SCHEMES or not rest.strip("/"):
        return "is not a store monolock can use"
    if scheme == "file" and not rest.startswith("/"):
        return "must be an absolute path (file:///…)"
    return None


def local_directory(url: str) -> Path | None:
    """The directory a file:// URL names."""
    return Path(unquote(url[len("file://") :])) if url.startswith("file://") else None


def _store(url: str, timeout: float) -> Any:
    from obstore.store import LocalStore, from_url

    directory = local_directory(url)
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        return LocalStore(directory)
    client: dict[str, Any] = {
        "timeout": datetime.timedelta(seconds=timeout),
        "connect_timeout": datetime.timedelta(seconds=min(timeout, 5.0)),
    }
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or ""
    if url.startswith("s3") and endpoint.startswith("http://"):
        client["allow_http"] = True  # a local S3-compatible server (MinIO, moto)
    retry = {"max_retries": 1, "retry_timeout": datetime.timedelta(seconds=timeout)}
    extra: dict[str, Any] = {}
    if url.startswith("s3") and not os.environ.get("AWS_ACCESS_KEY_ID"):
        provider = _boto3_credentials()
        if provider is not None:
            extra["credential_provider"] = provider
    return from_url(url, client_options=client, retry_config=retry, **extra)  # type: ignore[call-overload]


def _boto3_credentials() -> Any | None:
    """boto3's chain (profiles, ~/.aws files, SSO, instance roles) when boto3 is there;
    obstore alone reads the variables and the instance metadata."""
    try:
        from obstore.auth.boto3 import Boto3CredentialProvider
    except ImportError:
        return None
    try:
        return Boto3CredentialProvider()
    except Exception:  # no credentials anywhere: obstore's own chain says so on first use
        return None


class Remote:
    """get/put of sealed entries by key. Every failure but "not there" switches it off for
    the rest of the run, and `warn` hears why, once."""

    def __init__(self, url: str, timeout: float, warn: Callable[[str], None]) -> None:
        self.url = url
        self.timeout = timeout
        self._warn = warn
        self._lock = threading.Lock()
        self._store: Any = None
        self.down = False

    def _path(self, key: str) -> str:
        return f"{_PREFIX}/{key[:2]}/{key}"

    def _failed(self, exc: BaseException) -> None:
        text = str(exc).strip()
        self.give_up(text.splitlines()[0] if text else type(exc).__name__)

    def give_up(self, why: str) -> None:
        with self._lock:
            if self.down:
                return
            self.down = True
        self._warn(f"remote cache {self.url} not used for the rest of this run: {why}")

    def _client(self) -> Any:
        with self._lock:
            if self._store is None:
                self._store = _store(self.url, self.timeout)
            return self._store

    def get(self, key: str) -> bytes | None:
        if self.down:
            return None
        import obstore

        try:
            found = obstore.get(self._client(), self._path(key))
            if found.meta["size"] > _LARGEST:
                return b""  # not an entry monolock writes: rejected as such
            return bytes(found.bytes())
        except FileNotFoundError:
            return None
        except Exception as exc:  # any failure of the store only costs the run
            self._failed(exc)
            return None

    def put(self, key: str, data: bytes) -> bool:
        if self.down:
            return False
        import obstore

        try:
            obstore.put(self._client(), self._path(key), data)
            return True
        except Exception as exc:  # as in get: a store that fails is not used again
            self._failed(exc)
            return False
