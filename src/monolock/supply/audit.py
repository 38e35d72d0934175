"""`monolock audit`: known vulnerabilities per app, in exactly what the app installs.

Each app's projection of the shared lock (with `--dev`, its member's dev groups too) is
matched against OSV records, each hit with the advisory, the versions that fix it and the
path by which the distribution reaches the app. Nothing is installed. Ignore rules live in
the root's `[tool.monolock.audit]`: `ignore = [{ id = "GHSA-…", reason = "…", expires =
2027-01-01 }]`; a rule past its date no longer applies, and is said to have expired.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monolock.errors import ManifestError
from monolock.model import Lock, Workspace
from monolock.supply import osv


@dataclass(frozen=True)
class Hit:
    app: str
    name: str
    version: str
    id: str
    aliases: tuple[str, ...]
    summary: str
    fixed: tuple[str, ...]  # the versions that fix it
    path: tuple[str, ...]  # the app's member -> ... -> the distribution
    ignored: str | None = None  # the rule's reason, when one covers it


@dataclass(frozen=True)
class Rule:
    id: str
    reason: str
    expires: datetime.date | None


@dataclass(frozen=True)
class Audit:
    hits: tuple[Hit, ...]
    apps: tuple[str, ...]
    source: str  # where the records came from
    expired: tuple[Rule, ...]

    @property
    def found(self) -> tuple[Hit, ...]:
        return tuple(h for h in self.hits if h.ignored is None)


def audit(
    workspace: Workspace,
    lock: Lock,
    apps: Sequence[str],
    *,
    db: Path | None,
    dev: bool = False,
    today: datetime.date | None = None,
) -> Audit:
    from monolock.config import find_app
    from monolock.projection import project
    from monolock.relock import targets
    from monolock.why import paths_to

    chosen = {a: find_app(workspace, a).package for a in apps} or targets(workspace)
    shipped: dict[str, dict[str, tuple[str, ...]]] = {}
    groups: dict[str, tuple[str, ...]] = {}
    for app, member in chosen.items():
        package = workspace.by_name.get(member)
        groups[app] = tuple(package.groups) if dev and package is not None else ()
        if lock.member(member):
            shipped[app] = project(lock, member, groups=groups[app]).versions()
    if db is not None:
        records, source = osv.load(db), f"OSV records in {db}"
    else:
        asked = {(n, v) for found in shipped.values() for n, vs in found.items() for v in vs}
        api = os.environ.get("MONOLOCK_OSV_API", osv.API)  # a mirror, or a test's
        records, source = osv.online(asked, api=api), f"OSV's API ({api})"
    rules, expired = _rules(workspace.root, today or datetime.date.today())
    hits = []
    for app, found in sorted(shipped.items()):
        for name, versions in sorted(found.items()):
            for version in versions:
                for advisory in records.get(name, ()):
                    if advisory.hits(name, version):
                        trail = paths_to(lock, chosen[app], name, groups=groups[app]).paths
                        path = trail[0] if trail else (chosen[app], name)
                        hits.append(_hit(app, name, version, advisory, path, rules))
    return Audit(tuple(hits), tuple(sorted(chosen)), source, tuple(expired))


def _hit(
    app: str,
    name: str,
    version: str,
    advisory: osv.Advisory,
    path: tuple[str, ...],
    rules: list[Rule],
) -> Hit:
    named = (advisory.id, *advisory.aliases)
    rule = next((r for r in rules if r.id in named), None)
    return Hit(
        app,
        name,
        version,
        advisory.id,
        advisory.aliases,
        advisory.summary,
        advisory.fixed(name),
        path,
        rule.reason if rule is not None else None,
    )


def _rules(root: Path, today: datetime.date) -> tuple[list[Rule], list[Rule]]:
    """(the ignore rules in force, those past their date)."""
    import tomllib

    where = "pyproject.toml"
    data: Any = tomllib.loads((root / where).read_text(encoding="utf-8"))
    table = data.get("tool", {}).get("monolock", {}).get("audit", {})
    entries = table.get("ignore", []) if isinstance(table, dict) else []
    if not isinstance(entries, list):
        raise ManifestError("tool.monolock.audit.ignore: expected an array of tables", where=where)
    live: list[Rule] = []
    expired: list[Rule] = []
    for i, entry in enumerate(entries):
        key = f"tool.monolock.audit.ignore[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ManifestError(
                f'{key}: expected {{ id = "GHSA-…", reason = "…" }}',
                where=where,
                hint="each ignored advisory says why (reason), and may say until when (expires)",
            )
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ManifestError(f"{key}: an ignored advisory needs a reason", where=where)
        expires = entry.get("expires")
        if isinstance(expires, str):
            try:
                expires = datetime.date.fromisoformat(expires)
            except ValueError:
                expires = object()
        if expires is not None and not isinstance(expires, datetime.date):
            raise ManifestError(f"{key}.expires: expected a date (2027-01-31)", where=where)
        rule = Rule(entry["id"], reason, expires)
        (expired if expires is not None and expires < today else live).append(rule)
    return live, expired


@dataclass(frozen=True)
class Remedy:
    """What moving one distribution within the declared ranges would do to the findings."""

    name: str
    installed: tuple[str, ...]
    to: tuple[str, ...]  # what uv would lock with it upgradable; () when it would not move
    clears: tuple[str, ...]  # the advisories that version is past the fix of
    remains: tuple[str, ...]  # those it is not
    redeploy: tuple[str, ...]  # the apps whose projection it changes


def remedies(root: Path, report: Audit) -> list[Remedy]:
    """Each vulnerable distribution upgraded alone within the declared ranges, as
    `upgrade NAME --dry-run` resolves it (uv's newest admitted version: the Single Version
    Policy moves it for every app that ships it), and whether that clears each advisory
    (at or past a version the advisory names as fixing it)."""
    from packaging.version import InvalidVersion, Version

    from monolock.authoring.upgrade import upgrade

    out = []
    for name in sorted({h.name for h in report.found}):
        hits = [h for h in report.found if h.name == name]
        plan = upgrade(root, [name], dry_run=True)
        moved = {
            v
            for changes in plan.planned.values()
            for c in changes
            if c.name == name
            for v in c.after
        }
        to = tuple(sorted(moved, key=Version))
        clears: list[str] = []
        remains: list[str] = []
        for hit in {h.id: h for h in hits}.values():
            try:
                fixed = [Version(f) for f in hit.fixed]
                past = bool(to) and bool(fixed) and all(Version(v) >= min(fixed) for v in to)
            except InvalidVersion:
                past = False
            (clears if past else remains).append(hit.id)
        installed = tuple(sorted({h.version for h in hits}))
        out.append(
            Remedy(name, installed, to, tuple(clears), tuple(remains), tuple(plan.redeploy()))
        )
    return out
