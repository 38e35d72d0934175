"""Import name -> distribution, from what the locked distributions really contain.

For each third-party distribution in the lock, one of its wheels is listed: a local
wheel is opened, a remote one is read with HTTP range requests (the zip's central
directory is at its end, so two small requests give the file list of a 100 MB wheel).
The listing gives every package directory the wheel ships, below namespace packages
too (`opentelemetry/sdk/` -> `opentelemetry.sdk`). Listings are cached by the wheel's
hash and the whole map by the lock's digest, so a second run reads one small file.

A distribution without a readable wheel (sdist only, offline, an index that needs
credentials) is looked up in the workspace's synced environment, then, as a last
resort, guessed from its name: such guesses are reported. Members map from their own
source layout; `[tool.monolock.import-names]` overrides anything.
"""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from monolock.fsutil import cache_write
from monolock.model import Artifact, Lock, LockedPackage, Workspace, normalize

_FORMAT = 1
_TAIL = 64 * 1024
_TIMEOUT = 30
# gone from the standard library, still imported by code that supports older Pythons
_OLD_STDLIB = {"distutils", "imp", "asynchat", "asyncore", "smtpd", "lib2to3"}
STDLIB = frozenset(sys.stdlib_module_names) | _OLD_STDLIB


class _Remote(io.RawIOBase):
    """A read-only, seekable view of a file behind HTTP, fetched in ranges on demand."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.pos = 0
        data, total = self._get(f"bytes=-{_TAIL}")
        self.size = total
        self.blocks: list[tuple[int, bytes]] = [(total - len(data), data)]

    def _get(self, span: str) -> tuple[bytes, int]:
        import urllib.request  # only a cold map reads the network

        request = urllib.request.Request(
            self.url, headers={"Range": span, "User-Agent": "monolock"}
        )
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            data = response.read()
            if response.status == 206:
                return data, int(response.headers["Content-Range"].rsplit("/", 1)[1])
            return data, len(data)  # the server sent the whole file

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


def provided(names: Iterable[str]) -> list[str]:
    """Importable names in a wheel's file list, as dotted names: the outermost regular
    packages, and modules that are not inside one (top-level modules, and modules in a
    namespace directory shared with other distributions)."""
    regular: set[str] = set()
    modules: set[str] = set()
    for name in names:
        parts = name.split("/")
        if parts[0].endswith(".dist-info"):
            continue
        if parts[0].endswith(".data"):
            if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                continue
            parts = parts[2:]
        leaf = parts[-1]
        if leaf.endswith((".py", ".pyc")) or ".cpython-" in leaf or leaf.endswith((".so", ".pyd")):
            stem = leaf.split(".", 1)[0]
            dirs = parts[:-1]
            if not all(p.isidentifier() for p in dirs):
                continue
            if stem == "__init__":
                regular.add(".".join(dirs))
            elif stem.isidentifier():
                modules.add(".".join([*dirs, stem]))

    def outside(name: str) -> bool:  # not inside a regular package of the same wheel
        return "." not in name or name.rsplit(".", 1)[0] not in regular

    out = {r for r in regular if outside(r)} | {m for m in modules if outside(m)}
    return sorted(n for n in out if n)


def _local(artifact: Artifact, lock_dir: Path) -> Path | None:
    if artifact.path:
        found = (lock_dir / artifact.path).resolve()
    elif artifact.url and artifact.url.startswith("file://"):
        found = Path(unquote(urlparse(artifact.url).path))
    else:
        return None
    if not found.is_file():  # a device or a pipe would never end: no listing from it
        raise OSError(f"{found} is not a regular file")
    return found


_LINK = re.compile(r"<a\s[^>]*?href=\"([^\"]+)\"[^>]*>([^<]*)</a>", re.IGNORECASE)


def _locate(package: LockedPackage, artifact: Artifact) -> str | None:
    """Where a file a lock names without a URL lies (Poetry's locks keep file names and
    hashes only): on its project's page of the lock's index, PEP 691 JSON or PEP 503
    HTML."""
    if package.source.kind != "registry" or not artifact.name:
        return None
    import html
    import urllib.request
    from urllib.parse import urljoin

    page = f"{package.source.value.rstrip('/')}/{package.name}/"
    accept = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
    request = urllib.request.Request(page, headers={"Accept": accept, "User-Agent": "monolock"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
        body = response.read().decode("utf-8", "replace")
        base = response.geturl()
        kind = response.headers.get("Content-Type", "")
    if "json" in kind:
        files = json.loads(body).get("files", [])
        found = [f["url"] for f in files if f.get("filename") == artifact.name]
    else:
        found = [
            html.unescape(href).split("#", 1)[0]
            for href, text in _LINK.findall(body)
            if html.unescape(text).strip() == artifact.name
        ]
    return urljoin(base, found[0]) if found else None


def _listing(package: LockedPackage, artifact: Artifact, lock_dir: Path) -> list[str]:
    local = _local(artifact, lock_dir)
    if local is not None:
        with zipfile.ZipFile(local) as archive:
            return archive.namelist()
    url = artifact.url or _locate(package, artifact)
    if not url:
        raise OSError("no location")
    with zipfile.ZipFile(_Remote(url)) as archive:
        return archive.namelist()


def _wheel(package: LockedPackage) -> Artifact | None:
    if not package.wheels:
        return None
    pure = [w for w in package.wheels if w.filename.endswith("-none-any.whl")]
    return (pure or list(package.wheels))[0]


def installed_names(root: Path) -> dict[str, list[str]]:
    """Import names of what is installed in the workspace's environment (`.venv`)."""
    out: dict[str, list[str]] = {}
    for site in sorted((root / ".venv").glob("lib/python*/site-packages")) + sorted(
        (root / ".venv").glob("Lib/site-packages")
    ):
        for record in site.glob("*.dist-info/RECORD"):
            if not record.is_file():
                continue  # a pipe would never end
            name = normalize(record.parent.name[: -len(".dist-info")].rsplit("-", 1)[0])
            try:
                lines = record.read_text(encoding="utf-8").splitlines()
            except OSError:
                continue
            out[name] = provided(line.split(",", 1)[0] for line in lines)
    return out


@dataclass(frozen=True)
class DistMap:
    """dist name -> the dotted names it provides; `guessed` names no metadata could give."""

    provides: Mapping[str, tuple[str, ...]]
    guessed: tuple[str, ...] = ()


def guess_names(name: str) -> tuple[str, ...]:
    return (name.replace("-", "_"),)


def read_dist_map(
    workspace: Workspace,
    digest: str,
    load: Callable[[], Lock],
    cache_dir: Path | None,
    listings: Path | None,
    *,
    jobs: int = 16,
) -> DistMap:
    """What every third-party distribution in the lock provides. The lock is parsed
    (`load`) only when the map of this exact lock (`digest`) is not in `cache_dir`;
    wheel listings are kept in `listings`, shared by every repository."""
    aggregate = cache_dir / f"map-{digest[:32]}.json" if cache_dir is not None else None
    if aggregate is not None and aggregate.is_file():
        try:
            raw = json.loads(aggregate.read_text())
            if raw.get("format") == _FORMAT:
                # only complete maps are stored: nothing in them is guessed
                return DistMap({k: tuple(v) for k, v in raw["provides"].items()})
        except (ValueError, KeyError, AttributeError, OSError):
            pass
    lock = load()
    # members map from their own layout, also where a lock holds them as path packages
    packages = {
        p.name: p
        for p in lock.packages
        if not p.source.is_member and p.name not in workspace.by_name
    }
    provides: dict[str, tuple[str, ...]] = {}
    pending: dict[str, Artifact] = {}
    for name, package in sorted(packages.items()):
        wheel = _wheel(package)
        if wheel is None:
            continue
        slot = _slot(listings, wheel)
        if slot is not None and slot.is_file():
            try:
                provides[name] = tuple(json.loads(slot.read_text()))
                continue
            except (ValueError, OSError):
                pass
        pending[name] = wheel
    lock_dir = lock.path.parent

    def fetch(item: tuple[str, Artifact]) -> tuple[str, list[str] | None]:
        name, wheel = item
        try:
            return name, provided(_listing(packages[name], wheel, lock_dir))
        except (OSError, zipfile.BadZipFile, ValueError, KeyError):
            return name, None

    complete = True
    if pending:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(jobs, len(pending))) as pool:
            for name, names in pool.map(fetch, sorted(pending.items())):
                if names is None:
                    complete = False
                    continue
                provides[name] = tuple(names)
                slot = _slot(listings, pending[name])
                if slot is not None:
                    cache_write(slot, json.dumps(names))
    missing = [n for n in packages if n not in provides]
    fallback = _without_wheels(workspace, missing)
    provides.update(fallback.provides)
    complete = complete and not missing
    result = DistMap(provides, fallback.guessed)
    if aggregate is not None and complete:
        payload = {"format": _FORMAT, "provides": {k: list(v) for k, v in provides.items()}}
        cache_write(aggregate, json.dumps(payload, sort_keys=True))
    return result


def _without_wheels(workspace: Workspace, names: list[str]) -> DistMap:
    """Names no wheel could give: from the synced environment, else guessed."""
    installed = installed_names(workspace.root) if names else {}
    provides: dict[str, tuple[str, ...]] = {}
    guessed: list[str] = []
    for name in names:
        if name in installed:
            provides[name] = tuple(installed[name])
        else:
            provides[name] = guess_names(name)
            guessed.append(name)
    return DistMap(provides, tuple(sorted(guessed)))


def declared_dist_map(workspace: Workspace) -> DistMap:
    """Without a lock: what the declared third-party distributions provide."""
    declared = {
        d.name: None
        for p in workspace.packages
        for d in p.dependencies
        if d.name not in workspace.by_name
    }
    return _without_wheels(workspace, list(declared))


def _slot(listings: Path | None, wheel: Artifact) -> Path | None:
    if listings is None or not wheel.hash:
        return None
    algorithm, _, value = wheel.hash.partition(":")
    if not value or not value.isalnum():
        return None
    return listings / f"{algorithm}-{value}.json"


@dataclass(frozen=True)
class Owner:
    """Who provides an imported module."""

    kind: str  # "stdlib", "member", "dist" or "unknown"
    names: tuple[str, ...] = ()  # the member, or the distributions
    key: str = ""  # the dotted name that matched


class ModuleMap:
    """Longest-prefix lookup over members' and distributions' dotted names."""

    def __init__(
        self,
        members: Mapping[str, str],
        dists: Mapping[str, tuple[str, ...]],
        overrides: Mapping[str, tuple[str, ...]] = {},
    ) -> None:
        self.members = dict(members)
        by_name: dict[str, set[str]] = {}
        for dist, names in dists.items():
            if dist in overrides:
                continue
            for name in names:
                by_name.setdefault(name, set()).add(dist)
        for dist, names in overrides.items():
            for name in names:
                by_name.setdefault(name, set()).add(normalize(dist))
        self.dists = {k: tuple(sorted(v)) for k, v in by_name.items()}
        self.empty = frozenset(d for d, names in dists.items() if not names)
        # dotted prefixes shared by several names: namespaces such as `opentelemetry`
        self.namespaces = {
            ".".join(parts[:i])
            for key in [*self.members, *self.dists]
            for parts in [key.split(".")]
            for i in range(1, len(parts))
        }
        self._memo: dict[str, Owner] = {}

    def owner(self, dotted: str) -> Owner:
        found = self._memo.get(dotted)
        if found is None:
            found = self._memo[dotted] = self._owner(dotted)
        return found

    def _owner(self, dotted: str) -> Owner:
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            key = ".".join(parts[:end])
            member = self.members.get(key)
            if member is not None:
                return Owner("member", (member,), key)
            dists = self.dists.get(key)
            if dists is not None:
                return Owner("dist", dists, key)
        if parts[0] in STDLIB:
            return Owner("stdlib", (), parts[0])
        # name the unknown module one level below the deepest namespace it is in
        depth = 1
        while depth < len(parts) and ".".join(parts[:depth]) in self.namespaces:
            depth += 1
        return Owner("unknown", (), ".".join(parts[:depth]))
