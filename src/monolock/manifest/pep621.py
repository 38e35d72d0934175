"""PEP 621 `[project]`, PEP 735 `[dependency-groups]` and uv's `[tool.uv]` tables."""

from __future__ import annotations

from typing import Any

from monolock.errors import ManifestError
from monolock.manifest.common import parse_requirement, source_from_table, string_list
from monolock.manifest.toml import table
from monolock.model import Dependency, Index, Requirement, Source, normalize


def sources(data: dict[str, Any], *, where: str) -> dict[str, Source]:
    found: dict[str, Source] = {}
    for name, spec in table(data, "tool.uv.sources").items():
        source = source_from_table(spec, where=where, key=f"tool.uv.sources.{name}")
        if source is not None:
            found[normalize(name)] = source
    return found


def _group_members(
    groups: dict[str, Any], name: str, *, where: str, seen: tuple[str, ...] = ()
) -> list[Any]:
    """A PEP 735 group's requirements with `include-group` expanded (cycles refused)."""
    if name in seen:
        cycle = " -> ".join((*seen, name))
        raise ManifestError(f"dependency-groups: include-group cycle {cycle}", where=where)
    entries = groups.get(name)
    if entries is None:
        raise ManifestError(
            f"dependency-groups.{seen[-1] if seen else name}: includes unknown group '{name}'",
            where=where,
        )
    if not isinstance(entries, list):
        raise ManifestError(f"dependency-groups.{name}: expected a list", where=where)
    out: list[Any] = []
    for entry in entries:
        if isinstance(entry, dict) and "include-group" in entry:
            out.extend(
                _group_members(groups, str(entry["include-group"]), where=where, seen=(*seen, name))
            )
        else:
            out.append(entry)
    return out


def groups(data: dict[str, Any], *, where: str) -> dict[str, list[Requirement]]:
    raw = data.get("dependency-groups", {})
    if not isinstance(raw, dict):
        raise ManifestError("dependency-groups: expected a table", where=where)
    out: dict[str, list[Requirement]] = {}
    for name in raw:
        key = f"dependency-groups.{name}"
        if normalize(name) in out:
            raise ManifestError(
                f"{key}: another group has the same normalised name '{normalize(name)}'",
                where=where,
                hint="PEP 735 compares group names normalised: merge the two groups",
            )
        out[normalize(name)] = [
            parse_requirement(e, where=where, key=key)
            for e in _group_members(raw, name, where=where)
        ]
    legacy = table(data, "tool.uv").get("dev-dependencies")
    if legacy is not None:
        key = "tool.uv.dev-dependencies"
        dev = [
            parse_requirement(e, where=where, key=key)
            for e in string_list(legacy, where=where, key=key)
        ]
        out.setdefault("dev", []).extend(dev)
    return out


def read_dependencies(
    data: dict[str, Any], *, where: str
) -> tuple[list[Dependency], list[str], list[str], list[str]]:
    """(dependencies, extras, groups, dynamic fields) of a PEP 621 project."""
    project = data.get("project", {})
    srcs = sources(data, where=where)
    dynamic = [
        d for d in project.get("dynamic", []) if d in ("dependencies", "optional-dependencies")
    ]
    deps: list[Dependency] = []
    for i, text in enumerate(project.get("dependencies", [])):
        req = parse_requirement(text, where=where, key=f"project.dependencies[{i}]")
        deps.append(Dependency(req, "runtime", None, srcs.get(req.name)))
    optional = project.get("optional-dependencies", {})
    if not isinstance(optional, dict):
        raise ManifestError("project.optional-dependencies: expected a table", where=where)
    extras = []
    for extra, entries in optional.items():
        key = f"project.optional-dependencies.{extra}"
        if normalize(extra) in extras:
            raise ManifestError(
                f"{key}: another extra has the same normalised name '{normalize(extra)}'",
                where=where,
                hint="extra names are compared normalised (PEP 685): merge the two extras",
            )
        extras.append(normalize(extra))
        for text in string_list(entries, where=where, key=key):
            req = parse_requirement(text, where=where, key=key)
            deps.append(Dependency(req, "extra", normalize(extra), srcs.get(req.name)))
    group_reqs = groups(data, where=where)
    for group, reqs in group_reqs.items():
        deps.extend(Dependency(r, "group", group, srcs.get(r.name)) for r in reqs)
    return deps, extras, list(group_reqs), dynamic


def indexes(data: dict[str, Any], *, where: str) -> tuple[Index, ...]:
    """`[[tool.uv.index]]`: explicit and default indexes keep that as their priority."""
    raw = table(data, "tool.uv").get("index", [])
    if not isinstance(raw, list):
        raise ManifestError("tool.uv.index: expected an array of tables", where=where)
    out = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise ManifestError(f"tool.uv.index[{i}]: expected a table with a url", where=where)
        priority = "explicit" if entry.get("explicit") else "primary"
        if entry.get("default"):
            priority = "default"
        name = str(entry.get("name") or entry["url"])
        out.append(Index(name, entry["url"].rstrip("/"), priority))
    return tuple(out)
