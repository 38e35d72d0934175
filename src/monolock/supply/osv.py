"""Vulnerability records in the OSV format (https://ossf.github.io/osv-schema/): read from
a directory or a zip archive of `*.json` records (OSV's own export of the PyPI
ecosystem, say), or asked of OSV's online API, and matched against a version the way
the schema says: the explicit `versions` list, or `ECOSYSTEM` ranges whose events are
compared as PEP 440 versions.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from monolock.errors import MonolockError, UsageError
from monolock.model import normalize, version_order

API = "https://api.osv.dev/v1"


@dataclass(frozen=True)
class Affected:
    """What one record says of one PyPI distribution."""

    versions: frozenset[str]
    ranges: tuple[tuple[tuple[str, str], ...], ...]  # ECOSYSTEM ranges: (event, version)

    def hits(self, version: str) -> bool:
        if version in self.versions:
            return True
        try:
            mine = Version(version)
        except InvalidVersion:
            return False
        return any(_in_range(mine, events) for events in self.ranges)

    def fixed(self) -> tuple[str, ...]:
        return tuple(v for events in self.ranges for kind, v in events if kind == "fixed")


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    affected: dict[str, tuple[Affected, ...]]  # distribution -> what it says of it

    def hits(self, name: str, version: str) -> bool:
        return any(a.hits(version) for a in self.affected.get(name, ()))

    def fixed(self, name: str) -> tuple[str, ...]:
        found = {v for a in self.affected.get(name, ()) for v in a.fixed()}
        return tuple(sorted(found, key=version_order))


def _in_range(version: Version, events: tuple[tuple[str, str], ...]) -> bool:
    """The schema's evaluation: events in version order, each one the version has
    reached switching the range on (introduced) or off (fixed, last_affected)."""
    status = False
    for kind, bound in sorted(events, key=lambda e: version_order(e[1])):
        try:
            at = Version(bound)
        except InvalidVersion:
            continue  # a commit or a date: not this ecosystem's to compare
        if kind == "introduced" and version >= at:
            status = True
        elif (kind == "fixed" and version >= at) or (kind == "last_affected" and version > at):
            status = False
    return status


def parse(record: Any, where: str) -> Advisory | None:
    """One OSV record; None when it says nothing of PyPI."""
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise UsageError("not an OSV record (no `id`)", where=where)
    affected: dict[str, list[Affected]] = {}
    for entry in record.get("affected") or []:
        package = entry.get("package") if isinstance(entry, dict) else None
        if not isinstance(package, dict) or package.get("ecosystem") != "PyPI":
            continue
        ranges = tuple(
            tuple(
                (kind, str(value))
                for event in r.get("events") or []
                if isinstance(event, dict)
                for kind, value in event.items()
            )
            for r in entry.get("ranges") or []
            if isinstance(r, dict) and r.get("type") == "ECOSYSTEM"
        )
        versions = frozenset(str(v) for v in entry.get("versions") or [])
        name = normalize(str(package.get("name", "")))
        affected.setdefault(name, []).append(Affected(versions, ranges))
    if not affected:
        return None
    aliases = tuple(str(a) for a in record.get("aliases") or [])
    summary = str(record.get("summary") or record.get("details") or "").strip()
    first = summary.splitlines()[0] if summary else ""
    return Advisory(record["id"], aliases, first, {k: tuple(v) for k, v in affected.items()})


def load(path: Path) -> dict[str, list[Advisory]]:
    """Distribution -> the advisories a directory or zip archive of OSV records holds."""
    found: dict[str, list[Advisory]] = {}
    for where, raw in _records(path):
        try:
            record = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise UsageError("not JSON: an OSV record is a JSON file", where=where) from None
        advisory = parse(record, where)
        for name in advisory.affected if advisory is not None else ():
            found.setdefault(name, []).append(advisory)  # type: ignore[arg-type]
    return found


def _records(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            yield str(file), file.read_bytes()
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in sorted(n for n in archive.namelist() if n.endswith(".json")):
                yield f"{path}:{name}", archive.read(name)
    else:
        raise UsageError(
            f"--db {path}: neither a directory nor a zip archive of OSV records",
            hint="for example OSV's PyPI export (all.zip), or a directory of *.json records",
        )


def online(
    queries: Iterable[tuple[str, str]], *, api: str = API, timeout: float = 20.0
) -> dict[str, list[Advisory]]:
    """Distribution -> the advisories OSV's API knows for the (name, version) pairs asked
    (one batch query, then each advisory's record). Unreachable is an error, never "none"."""
    import urllib3

    asked = sorted(set(queries))
    if not asked:
        return {}  # nothing installed: nothing to ask
    http = urllib3.PoolManager(retries=urllib3.Retry(total=2, backoff_factor=0.5))
    body = {
        "queries": [{"package": {"name": n, "ecosystem": "PyPI"}, "version": v} for n, v in asked]
    }
    results = _ask(http, "POST", f"{api}/querybatch", timeout, body).get("results") or []
    ids = sorted({v["id"] for r in results for v in (r or {}).get("vulns") or [] if "id" in v})
    found: dict[str, list[Advisory]] = {}
    for vuln in ids:
        advisory = parse(_ask(http, "GET", f"{api}/vulns/{vuln}", timeout), f"{api}/vulns/{vuln}")
        for name in advisory.affected if advisory is not None else ():
            found.setdefault(name, []).append(advisory)  # type: ignore[arg-type]
    return found


def _ask(http: Any, method: str, url: str, timeout: float, body: Any = None) -> Any:
    import urllib3

    try:
        response = http.request(
            method, url, json=body, timeout=urllib3.Timeout(total=timeout), preload_content=True
        )
    except urllib3.exceptions.HTTPError as exc:
        raise MonolockError(
            f"OSV could not be reached ({url}): {exc}",
            hint="audit offline with --db (a directory or zip archive of OSV records)",
        ) from None
    if response.status != 200:
        raise MonolockError(
            f"OSV answered {response.status} for {url}",
            hint="try again later, or audit offline with --db",
        )
    try:
        return json.loads(response.data)
    except ValueError:
        raise MonolockError(f"OSV answered something that is not JSON ({url})") from None
