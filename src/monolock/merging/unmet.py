"""Locked versions a member's own requirements exclude: what a text merge of two locks
leaves behind and `uv lock --check` does not see.

uv checks that the requirements a lock records for each member equal the manifests; it
does not check that the versions locked satisfy them. Two branches that each relocked
(one bumping alpha, which needs beta 2; the other pinning beta below 2) can be merged by
git without a conflict into a lock uv calls up to date and that installs beta 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monolock.merging.prefer import EDGES
from monolock.model import normalize


@dataclass(frozen=True)
class Unmet:
    member: str
    name: str  # the distribution
    version: str  # as locked
    specifiers: tuple[str, ...]  # the member's own requirements on it, none admitting it

    def __str__(self) -> str:
        shown = " or ".join(f"{self.name}{s}" for s in self.specifiers)
        return f"{self.member} requires {shown}, and uv.lock holds {self.name} {self.version}"


def unmet(data: dict[str, Any]) -> list[Unmet]:
    """Each member edge into a version none of the member's requirements on that name
    admits."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    packages = [p for p in data.get("package", []) if isinstance(p, dict)]
    by_name: dict[str, list[str]] = {}
    for package in packages:
        if isinstance(package.get("name"), str) and isinstance(package.get("version"), str):
            by_name.setdefault(normalize(package["name"]), []).append(package["version"])
    # an override replaces every requirement on its name: theirs are not binding
    manifest = data.get("manifest")
    overrides = manifest.get("overrides") if isinstance(manifest, dict) else None
    overridden = {
        normalize(o["name"])
        for o in (overrides if isinstance(overrides, list) else [])
        if isinstance(o, dict) and isinstance(o.get("name"), str)
    }
    found = []
    for package in packages:
        wanted = _requirements(package)
        for name, version in sorted(_edges(package, by_name)):
            specs = wanted.get(name)
            if not specs or name in overridden:
                continue  # no specifier (a path, a URL), or not a requirement of its own
            try:
                if any(SpecifierSet(s).contains(version, prereleases=True) for s in specs):
                    continue
            except InvalidSpecifier:
                continue  # uv reads what it wrote; an unreadable one is uv's to report
            found.append(Unmet(str(package["name"]), name, version, tuple(specs)))
    return found


def recorded(package: dict[str, Any]) -> list[dict[str, Any]]:
    """The requirements a lock recorded of a member when it locked it (`requires-dist`
    and every group of `requires-dev`), each a table with a string `name`."""
    metadata = package.get("metadata")
    if not isinstance(metadata, dict):
        return []
    entries = list(metadata.get("requires-dist") or [])
    for group in (metadata.get("requires-dev") or {}).values():
        entries += group if isinstance(group, list) else []
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("name"), str)]


def _requirements(package: dict[str, Any]) -> dict[str, list[str]]:
    """Name -> the specifiers of the member's own requirements on it (any context)."""
    specs: dict[str, list[str]] = {}
    for entry in recorded(package):
        spec = entry.get("specifier")
        # one requirement without a specifier admits every version
        specs.setdefault(normalize(entry["name"]), []).append(spec if isinstance(spec, str) else "")
    return {name: s for name, s in specs.items() if all(s)}


def _edges(package: dict[str, Any], by_name: dict[str, list[str]]) -> set[tuple[str, str]]:
    """(name, version) of every package the member's edges lead to."""
    lists = [package.get("dependencies")]
    for key in EDGES[1:]:
        table = package.get(key)
        lists += list(table.values()) if isinstance(table, dict) else []
    found = set()
    for deps in lists:
        for dep in deps if isinstance(deps, list) else []:
            if not isinstance(dep, dict) or not isinstance(dep.get("name"), str):
                continue
            name = normalize(dep["name"])
            versions = (
                [dep["version"]] if isinstance(dep.get("version"), str) else by_name.get(name, [])
            )
            if len(versions) == 1:
                found.add((name, versions[0]))
    return found
