"""One `pyproject.toml` -> one `Package`, whichever dialect it is written in."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from monolock import __version__
from monolock.errors import ManifestError
from monolock.fsutil import cache_root, sealed_read, sealed_write
from monolock.layout import shipped
from monolock.manifest import pep621, poetry
from monolock.manifest.common import string_list
from monolock.manifest.toml import loads, read_bytes, table
from monolock.model import CheckSettings, Dependency, Package, is_name, normalize
from monolock.tasks.spec import member_tasks

_FORMAT = "2"  # bump when the shape a manifest is checked against changes


def manifest_key(raw: bytes) -> str:
    """What a manifest's parsed form is remembered by: its bytes, and monolock's version."""
    return hashlib.sha256(f"{__version__}\0{_FORMAT}\0".encode() + raw).hexdigest()


def load_manifest(path: Path, *, display: str, raw: bytes | None = None) -> dict[str, Any]:
    """A pyproject.toml (or the `raw` bytes already read from it), parsed and checked
    against the shape monolock reads. What passed is remembered by `manifest_key`: a
    thousand manifests that did not change are read back, not parsed again, behind a
    checksum: an entry that is damaged is parsed anew; what failed is never remembered."""
    raw = read_bytes(path, display) if raw is None else raw
    key = manifest_key(raw)
    slot = cache_root() / "manifests" / key[:2] / f"{key}.marshal"
    found = sealed_read(slot)
    if isinstance(found, dict):
        return found
    from monolock.manifest import schema  # loaded only when a manifest is parsed anew

    data = loads(raw, where=display)
    schema.check(data, where=display)
    sealed_write(slot, data)
    return data


def is_project(data: dict[str, Any]) -> bool:
    """A manifest describes a project when it names one (PEP 621 or Poetry); whether the
    name is a valid one is for the reader to say."""
    return "name" in table(data, "project") or "name" in table(data, "tool.poetry")


def _requires_python(project: dict[str, Any], *, where: str) -> str | None:
    value = project.get("requires-python")
    if value is None:
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return str(SpecifierSet(str(value))) or None
    except InvalidSpecifier:
        raise ManifestError(
            f"project.requires-python: '{value}' is not a PEP 440 specifier", where=where
        ) from None


def read_package(data: dict[str, Any], directory: Path, relpath: str) -> Package:
    """Read a project manifest already parsed from `directory/pyproject.toml`."""
    where = "pyproject.toml" if relpath == "." else f"{relpath}/pyproject.toml"
    project = table(data, "project")
    name = project.get("name")
    deps: list[Dependency]
    if "name" in project:
        deps, extras, groups, dynamic = pep621.read_dependencies(data, where=where)
        if table(data, "tool.poetry"):
            # Poetry 2 manages PEP 621 projects: its tables add path sources and groups
            found = poetry.path_sources(data, where=where)
            deps = [
                Dependency(d.requirement, d.kind, d.context, d.source or found.get(d.name))
                for d in deps
            ]
            more, _, more_groups = poetry.read_dependencies(data, where=where, runtime=False)
            deps += more
            groups += [g for g in more_groups if g not in groups]
        version = project.get("version")
        dialect = "pep621"
        requires_python = _requires_python(project, where=where)
    else:
        tool = table(data, "tool.poetry")
        name = tool.get("name")
        if "name" not in tool:
            raise ManifestError(
                "no project name ([project].name or [tool.poetry].name)", where=where
            )
        deps, extras, groups = poetry.read_dependencies(data, where=where)
        dynamic = []
        version = tool.get("version")
        dialect = "poetry"
        requires_python = poetry.requires_python(data, where=where)
    key = "project.name" if dialect == "pep621" else "tool.poetry.name"
    if not isinstance(name, str) or not is_name(name):
        raise ManifestError(
            f"{key}: {name!r} is not a valid distribution name",
            where=where,
            hint="use ASCII letters and digits, with '.', '-' or '_' between them (PEP 508)",
        )
    for extra in extras:
        if not is_name(extra):
            raise ManifestError(f"extra {extra!r} is not a valid extra name", where=where)
    for group in groups:
        if not is_name(group):
            raise ManifestError(
                f"dependency group {group!r} is not a valid group name", where=where
            )
    packed = shipped(directory, data)
    return Package(
        name=normalize(name),
        display_name=name,
        version=str(version) if version is not None else None,
        path=relpath,
        dialect=dialect,  # type: ignore[arg-type]
        requires_python=requires_python,
        dependencies=tuple(deps),
        dynamic=tuple(dynamic),
        import_names=tuple(sorted({n for n, _ in packed})),
        shipped=tuple((n, p.relative_to(directory).as_posix()) for n, p in packed),
        check=check_settings(data, where=where),
        extras=tuple(extras),
        groups=tuple(groups),
        tasks=member_tasks(data, where=where) if relpath != "." else (),
        indexes=poetry.indexes(data, where=where) + pep621.indexes(data, where=where),
    )


def check_settings(data: dict[str, Any], *, where: str) -> CheckSettings:
    raw = table(data, "tool.monolock.check")
    unknown = sorted(set(raw) - {"ignore", "private", "licenses"})
    if unknown:
        raise ManifestError(
            f"tool.monolock.check: unknown key '{unknown[0]}'",
            where=where,
            hint="known keys are 'ignore', 'private' and 'licenses'",
        )
    ignore = string_list(raw.get("ignore", []), where=where, key="tool.monolock.check.ignore")
    for entry in ignore:
        code = entry.split(":", 1)[0].upper()
        if not (len(code) == 5 and code.startswith("ML") and code[2:].isdigit()):
            raise ManifestError(
                f"tool.monolock.check.ignore: '{entry}' is not a rule code",
                where=where,
                hint="write a code such as 'ML103', or 'ML103:NAME' to ignore it for one name",
            )
    private = string_list(raw.get("private", []), where=where, key="tool.monolock.check.private")
    codes = tuple(code.upper() + rest for code, rest in (_split_code(e) for e in ignore))
    policy = table(data, "tool.monolock.check.licenses")
    unknown = sorted(set(policy) - {"allow", "deny"})
    if unknown:
        raise ManifestError(
            f"tool.monolock.check.licenses: unknown key '{unknown[0]}'",
            where=where,
            hint="known keys are 'allow' and 'deny' (arrays of SPDX licence ids)",
        )
    allow, deny = (
        string_list(policy.get(k, []), where=where, key=f"tool.monolock.check.licenses.{k}")
        for k in ("allow", "deny")
    )
    return CheckSettings(codes, tuple(private), tuple(allow), tuple(deny))


def _split_code(entry: str) -> tuple[str, str]:
    code, sep, name = entry.partition(":")
    return code, sep + name
