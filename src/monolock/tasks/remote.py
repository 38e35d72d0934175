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
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monolock.errors import ManifestError

URL_VARIABLE = "MONOLOCK_CACHE_URL"
KEY_VARIABLE = "MONOLOCK_CACHE_SIGNING_KEY"
_SCHEMES = ("s3", "s3a", "gs", "az", "azure", "abfs", "abfss", "file")
_WHERE = "pyproject.toml"
_PREFIX = "tasks"


@dataclass(frozen=True)
class Settings:
    url: str | None
    timeout: float = 10.0
    signed: bool = False  # configured to require signatures


def settings(root: Path) -> Settings:
    """The root manifest's `[tool.monolock.cache]`, with the environment's override of
    the URL."""
    from monolock.manifest.toml import load_toml, table

    data = load_toml(root / _WHERE, display=_WHERE)
    config = table(data, "tool.monolock.cache")
    url = config.get("url")
    timeout = config.get("timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ManifestError(
            f"tool.monolock.cache.timeout: expected a number of seconds above 0, found {timeout!r}",
            where=_WHERE,
        )
    if URL_VARIABLE in os.environ:
        url = os.environ[URL_VARIABLE] or None
    if url is not None:
        url = _checked(root, url)
    return Settings(url, float(timeout), config.get("signed") is True)


def _checked(root: Path, url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _SCHEMES or not rest.strip("/"):
        raise ManifestError(
            f"tool.monolock.cache.url: {url!r} is not a store monolock can use",
            where=_WHERE,
            hint="use s3://bucket/prefix, gs://bucket/prefix, az://container/prefix or "
            "file:///absolute/path (a shared disk); MONOLOCK_CACHE_URL overrides it",
        )
    if scheme == "file" and not rest.startswith("/"):
        raise ManifestError(
            f"tool.monolock.cache.url: {url!r} must be an absolute path (file:///…)",
            where=_WHERE,
        )
    return url


def _store(url: str, timeout: float) -> Any:
    from obstore.store import from_url

    if url.startswith("file://"):
        Path(url[len("file://") :]).mkdir(parents=True, exist_ok=True)
        return from_url(url)
    client: dict[str, Any] = {
        "timeout": f"{timeout:g}s",
        "connect_timeout": f"{min(timeout, 5.0):g}s",
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
        self._timeout = timeout
        self._warn = warn
        self._lock = threading.Lock()
        self._store: Any = None
        self.down = False

    def _path(self, key: str) -> str:
        return f"{_PREFIX}/{key[:2]}/{key}"

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            if self.down:
                return
            self.down = True
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        self._warn(f"remote cache {self.url} not used for the rest of this run: {first}")

    def _client(self) -> Any:
        with self._lock:
            if self._store is None:
                self._store = _store(self.url, self._timeout)
            return self._store

    def get(self, key: str) -> bytes | None:
        if self.down:
            return None
        import obstore

        try:
            return bytes(obstore.get(self._client(), self._path(key)).bytes())
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
