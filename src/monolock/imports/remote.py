"""Reading files behind HTTP: one pool of kept-alive connections per process, retries
with backoff on what is transient (a reset connection, 429, 5xx), and zip archives read
in ranges so that the file list of a 100 MB wheel costs one or two small requests.

Proxies come from the usual `https_proxy`/`no_proxy` variables; credentials from the
URL's user part or `~/.netrc`, as pip and uv take them.
"""

from __future__ import annotations

import io
import netrc
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

if TYPE_CHECKING:
    import urllib3

_TAIL = 64 * 1024  # a wheel's central directory is almost always within its last 64 KiB
_RETRIES = 4
_BACKOFF = 0.25  # seconds, doubled at each retry
_POOL = 16  # connections kept per host: as many as listings read at once
_LIMIT = 64 * 1024 * 1024  # the most one answer may bring
_lock = threading.Lock()
_pools: dict[str, urllib3.PoolManager] = {}
_down: dict[str, str] = {}  # host:port -> why: once unreachable after retries, not asked again


class FetchError(OSError):
    """A file could not be read over HTTP: the message says what answered, or did not."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    url: str  # after redirects
    content_type: str
    content_range: str | None


def _pool(url: str) -> urllib3.PoolManager:
    import urllib.request

    import urllib3

    proxy = None
    host = urlsplit(url).hostname or ""
    if not urllib.request.proxy_bypass(host):
        proxy = urllib.request.getproxies().get(urlsplit(url).scheme)
    with _lock:
        key = proxy or ""
        if key not in _pools:
            retries = urllib3.Retry(
                total=_RETRIES,
                connect=1,  # a host that does not answer at all is tried twice, not five times
                backoff_factor=_BACKOFF,
                status_forcelist=(429, 500, 502, 503, 504),
                allowed_methods=("GET",),
                respect_retry_after_header=True,
                raise_on_status=False,
            )
            timeout = urllib3.Timeout(connect=10, read=30)
            _pools[key] = (
                urllib3.ProxyManager(
                    proxy, num_pools=32, maxsize=_POOL, retries=retries, timeout=timeout
                )
                if proxy
                else urllib3.PoolManager(
                    num_pools=32, maxsize=_POOL, retries=retries, timeout=timeout
                )
            )
        return _pools[key]


def _credentials(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its user part, and the Authorization header it or ~/.netrc gives."""
    import urllib3

    parts = urlsplit(url)
    user, password = parts.username, parts.password
    if user is None and parts.hostname:
        try:
            found = netrc.netrc(os.environ.get("NETRC")).authenticators(parts.hostname)
        except (OSError, netrc.NetrcParseError):
            found = None
        if found is not None:
            user, password = found[0], found[2]
    if user is None:
        return url, {}
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, urllib3.make_headers(basic_auth=f"{user}:{password or ''}")


def get(url: str, headers: dict[str, str] | None = None) -> Response:
    """GET `url`, following redirects and retrying what is transient; any status but
    200 and 206 is a FetchError."""
    import urllib3

    target, auth = _credentials(url)
    host = urlsplit(target).netloc
    if host in _down:
        raise FetchError(_down[host])
    sent = {"User-Agent": "monolock", **auth, **(headers or {})}
    try:
        answer = _pool(target).request(
            "GET", target, headers=sent, redirect=True, preload_content=False
        )
        try:
            if answer.status not in (200, 206):
                raise FetchError(f"{urlsplit(target).hostname} answered HTTP {answer.status}")
            # a server that ignores Range sends the whole file: never more than this
            body = answer.read(_LIMIT + 1)
            if len(body) > _LIMIT:
                raise FetchError(f"{urlsplit(target).hostname} sent more than 64 MB")
        finally:
            answer.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        reason = getattr(exc, "reason", None) or exc
        _down[host] = f"{host} could not be reached ({reason})"
        raise FetchError(_down[host]) from None
    final = urljoin(target, answer.geturl() or "")  # urllib3 may give the path alone
    return Response(
        answer.status,
        body,
        final,
        answer.headers.get("Content-Type", ""),
        answer.headers.get("Content-Range"),
    )


class RemoteFile(io.RawIOBase):
    """A read-only, seekable view of a file behind HTTP, fetched in ranges on demand."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.pos = 0
        data, total = self._get(f"bytes=-{_TAIL}")
        self.size = total
        self.blocks: list[tuple[int, bytes]] = [(total - len(data), data)]

    def _get(self, span: str) -> tuple[bytes, int]:
        answer = get(self.url, {"Range": span})
        if answer.status == 206 and answer.content_range:
            return answer.body, int(answer.content_range.rsplit("/", 1)[1])
        return answer.body, len(answer.body)  # the server sent the whole file

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def read(self, size: int | None = -1) -> bytes:
        end = self.size if size is None or size < 0 else min(self.size, self.pos + size)
        if end <= self.pos:
            return b""
        for start, data in self.blocks:
            if start <= self.pos and end <= start + len(data):
                chunk = data[self.pos - start : end - start]
                self.pos = end
                return chunk
        data, _ = self._get(f"bytes={self.pos}-{end - 1}")
        self.blocks.append((self.pos, data))
        chunk = data[: end - self.pos]
        self.pos += len(chunk)
        return chunk

    def readall(self) -> bytes:
        return self.read(-1)
