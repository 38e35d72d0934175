"""Import name -> distribution, from what the locked distributions really contain.

For each third-party distribution in the lock, its file list is read from the nearest
place that knows it (`listing`: uv's cache, the `.venv`, a wheel read in ranges, an
sdist), and every package directory it ships is mapped, below namespace packages too
(`opentelemetry/sdk/` -> `opentelemetry.sdk`). Listings are cached by the artifact's
hash and the whole map by the lock's digest, so a second run reads one small file.

A distribution no file list could be read for is guessed from its name, and the guess
is reported with its reason. Members map from their own source layout;
`[tool.monolock.import-names]` overrides anything.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from monolock.fsutil import cache_write
from monolock.imports import listing
from monolock.imports.listing import Unlisted, UvCache, installed, wheel
from monolock.model import Artifact, Lock, LockedPackage, Workspace, normalize

_FORMAT = 2  # 2: listings of the uv cache, .pth files, sdists
# gone from the standard library, still imported by code that supports older Pythons
_OLD_STDLIB = {"distutils", "imp", "asynchat", "asyncore", "smtpd", "lib2to3"}
STDLIB = frozenset(sys.stdlib_module_names) | _OLD_STDLIB


@dataclass(frozen=True)
class DistMap:
    """dist name -> the dotted names it provides; `guessed`: the names no file list
    could give, each with why."""

    provides: Mapping[str, tuple[str, ...]]
    guessed: Mapping[str, str] = field(default_factory=dict)


def guess_names(name: str) -> tuple[str, ...]:
    """What a distribution nobody could list is imported as, at a guess: its name, and
    without the `python-`/`-python`/`py` that distributions add to a module's name
    (`llama-cpp-python` -> `llama_cpp`, `python-dateutil` -> `dateutil`)."""
    guesses = [name]
    for prefix in ("python-", "py-"):
        if name.startswith(prefix):
            guesses.append(name[len(prefix) :])
    for suffix in ("-python", "-py"):
        if name.endswith(suffix):
            guesses.append(name[: -len(suffix)])
    return tuple(dict.fromkeys(g.replace("-", "_").replace(".", "_") for g in guesses))


def _uv_cache(root: Path) -> UvCache:
    from monolock import uv
    from monolock.errors import MonolockError

    try:
        found = uv.run(["cache", "dir"], cwd=root).stdout.strip()
    except MonolockError:
        return UvCache(None)
    return UvCache(Path(found) if found else None)


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
    file listings are kept in `listings`, shared by every repository."""
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
    pending: dict[str, LockedPackage] = {}
    for name, package in sorted(packages.items()):
        slot = _slot(listings, wheel(package) or package.sdist)
        if slot is not None and slot.is_file():
            try:
                provides[name] = tuple(json.loads(slot.read_text()))
                continue
            except (ValueError, OSError):
                pass
        pending[name] = package
    why: dict[str, str] = {}
    if pending:
        from concurrent.futures import ThreadPoolExecutor

        cache = _uv_cache(workspace.root)
        venv = installed(workspace.root)
        lock_dir = lock.path.parent

        def fetch(package: LockedPackage) -> tuple[str, list[str] | str]:
            try:
                return package.name, listing.names(package, lock_dir, cache, venv)
            except Unlisted as exc:
                return package.name, str(exc)

        with ThreadPoolExecutor(min(jobs, len(pending))) as pool:
            for name, found in pool.map(fetch, [pending[n] for n in sorted(pending)]):
                if isinstance(found, str):
                    why[name] = found
                    continue
                provides[name] = tuple(found)
                slot = _slot(listings, wheel(pending[name]) or pending[name].sdist)
                if slot is not None:
                    cache_write(slot, json.dumps(found))
    for name in why:
        provides[name] = guess_names(name)
    result = DistMap(provides, dict(sorted(why.items())))
    if aggregate is not None and not why:
        payload = {"format": _FORMAT, "provides": {k: list(v) for k, v in provides.items()}}
        cache_write(aggregate, json.dumps(payload, sort_keys=True))
    return result


def declared_dist_map(workspace: Workspace) -> DistMap:
    """Without a lock: what the declared third-party distributions provide, from the
    `.venv` where they are installed, else guessed."""
    venv = installed(workspace.root)
    provides: dict[str, tuple[str, ...]] = {}
    why: dict[str, str] = {}
    for package in workspace.packages:
        for dep in package.dependencies:
            name = dep.name
            if name in workspace.by_name or name in provides:
                continue
            if name in venv:
                provides[name] = tuple(venv[name][1])
            else:
                provides[name] = guess_names(name)
                why[name] = "there is no lock, and it is not installed in .venv"
    return DistMap(provides, dict(sorted(why.items())))


def _slot(listings: Path | None, artifact: Artifact | None) -> Path | None:
    if listings is None or artifact is None or not artifact.hash:
        return None
    algorithm, _, value = artifact.hash.partition(":")
    if not value or not value.isalnum():
        return None
    return listings / f"{algorithm}-{value}.{_FORMAT}.json"  # names as this format reads them


def _is_version(name: str) -> bool:
    return name.rsplit(".", 1)[-1] in ("version", "_version", "__version__")


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
        # distributions with no code of their own: metapackages, and those that ship only a
        # version module beside what they pull in (opentelemetry-exporter-otlp)
        effective = {**dists, **{normalize(d): names for d, names in overrides.items()}}
        self.empty = frozenset(
            d for d, names in effective.items() if all(_is_version(n) for n in names)
        )
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
        if dotted in self.namespaces:
            # the namespace itself (`import nsx`, `import google`): whoever ships below it
            below = dotted + "."
            members = {m for k, m in self.members.items() if k.startswith(below)}
            if len(members) == 1:
                return Owner("member", (members.pop(),), dotted)
            shipping = {d for k, ds in self.dists.items() if k.startswith(below) for d in ds}
            if shipping and not members:
                return Owner("dist", tuple(sorted(shipping)), dotted)
        # name the unknown module one level below the deepest namespace it is in
        depth = 1
        while depth < len(parts) and ".".join(parts[:depth]) in self.namespaces:
            depth += 1
        return Owner("unknown", (), ".".join(parts[:depth]))
