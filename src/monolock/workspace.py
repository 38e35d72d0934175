"""Finding the members of a monorepo.

Two shapes are understood. A uv workspace: the root `pyproject.toml` has
`[tool.uv.workspace]` whose `members`/`exclude` globs name the members. A repository of
independent projects (the Poetry style): every project `pyproject.toml` below the root,
linked only by `path` dependencies.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from monolock.config import read_apps, read_import_names, read_root_groups
from monolock.errors import ManifestError, WorkspaceError
from monolock.manifest import is_project, load_toml, read_package
from monolock.manifest.pep621 import sources as uv_sources
from monolock.manifest.reader import check_settings
from monolock.manifest.toml import table
from monolock.model import CheckSettings, Dependency, Package, Source, Workspace
from monolock.tasks.spec import root_tasks

# never part of a repository's own projects
_SKIP_DIRS = {
    "node_modules",
    "build",
    "dist",
    "__pycache__",
    "site-packages",
    "venv",
    "env",
    "__pypackages__",
    "target",
}
_GLOB_CHARS = set("*?[")


def _relative(root: Path, path: Path) -> str:
    rel = path.relative_to(root).as_posix()
    return rel if rel else "."


def _expand(root: Path, patterns: list[str], *, key: str) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise ManifestError(
                f"{key}: expected glob strings, found {pattern!r}", where="pyproject.toml"
            )
        if not set(pattern) & _GLOB_CHARS:
            found.append(root / pattern)
            continue
        found.extend(p for p in sorted(root.glob(pattern)) if p.is_dir())
    return found


def _read(root: Path, directory: Path, data: dict[str, Any] | None = None) -> Package:
    rel = _relative(root, directory)
    if data is None:
        data = load_toml(directory / "pyproject.toml", display=f"{rel}/pyproject.toml")
    return read_package(data, directory, rel)


def _uv_members(root: Path, data: dict[str, Any]) -> tuple[list[Package], list[str]]:
    spec = table(data, "tool.uv.workspace")
    members = spec.get("members", [])
    excludes = set(_expand(root, spec.get("exclude", []), key="tool.uv.workspace.exclude"))
    warnings: list[str] = []
    packages: list[Package] = []
    seen: set[Path] = set()
    if is_project(data):
        packages.append(_read(root, root, data))
        seen.add(root)
    for directory in _expand(root, members, key="tool.uv.workspace.members"):
        directory = directory.resolve()
        if directory in seen or directory in excludes:
            continue
        seen.add(directory)
        rel = _relative(root, directory) if directory.is_relative_to(root) else str(directory)
        if not directory.is_dir():
            raise WorkspaceError(
                f"tool.uv.workspace.members: member '{rel}' does not exist",
                where="pyproject.toml",
                hint="create it, or remove it from the members list",
            )
        if not (directory / "pyproject.toml").is_file():
            warnings.append(
                f"{rel}: matched by tool.uv.workspace.members but has no pyproject.toml: skipped"
            )
            continue
        member_data = load_toml(directory / "pyproject.toml", display=f"{rel}/pyproject.toml")
        if not is_project(member_data):
            warnings.append(f"{rel}/pyproject.toml: member has no [project] name: skipped")
            continue
        packages.append(_read(root, directory, member_data))
    return packages, warnings


def _walk_projects(root: Path, warnings: list[str]) -> list[tuple[Path, dict[str, Any]]]:
    """Project manifests below `root`, skipping hidden and build directories, virtual
    environments and the insides of nested workspaces. Nothing names these files as
    members, so one that cannot be read (a test fixture, say) is a warning, not an error."""
    found: list[tuple[Path, dict[str, Any]]] = []
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        names = {e.name for e in entries}
        if "pyvenv.cfg" in names:
            continue
        nested_workspace = False
        if "pyproject.toml" in names and directory != root:
            rel = _relative(root, directory)
            try:
                data = load_toml(directory / "pyproject.toml", display=f"{rel}/pyproject.toml")
            except ManifestError as exc:
                warnings.append(f"{exc}: skipped")
                data = {}
            if is_project(data):
                found.append((directory, data))
            nested_workspace = bool(table(data, "tool.uv.workspace"))
        if nested_workspace:
            continue
        for entry in entries:
            if (
                entry.is_dir(follow_symlinks=False)
                and not entry.name.startswith(".")
                and entry.name not in _SKIP_DIRS
            ):
                stack.append(Path(entry.path))
    return sorted(found, key=lambda item: item[0])


def _path_members(root: Path, data: dict[str, Any] | None) -> tuple[list[Package], list[str]]:
    packages: list[Package] = []
    warnings: list[str] = []
    if data is not None and is_project(data):
        packages.append(_read(root, root, data))
    for directory, member_data in _walk_projects(root, warnings):
        packages.append(_read(root, directory, member_data))
    return packages, warnings


def _inherit_sources(package: Package, inherited: dict[str, Source]) -> Package:
    """uv applies root `[tool.uv.sources]` to members that do not declare their own."""
    if not inherited:
        return package
    deps = tuple(
        d
        if d.source is not None or d.name not in inherited
        else Dependency(d.requirement, d.kind, d.context, inherited[d.name])
        for d in package.dependencies
    )
    return replace(package, dependencies=deps)


def _check_paths(root: Path, packages: list[Package]) -> None:
    for package in packages:
        for dep in package.dependencies:
            if dep.source is None or dep.source.kind != "path" or dep.source.path is None:
                continue
            target = (root / package.path / dep.source.path).resolve()
            if not target.is_relative_to(root):
                raise WorkspaceError(
                    f"{dep.label} dependency '{dep.name}' has path '{dep.source.path}', "
                    "which is outside the repository",
                    where=package.manifest,
                    hint="move that project into the repository, or depend on a published version",
                )


def discover(root: Path) -> Workspace:
    root = root.resolve()
    manifest = root / "pyproject.toml"
    data = load_toml(manifest, display="pyproject.toml") if manifest.is_file() else None
    if data is not None and table(data, "tool.uv.workspace"):
        kind = "uv"
        packages, warnings = _uv_members(root, data)
        inherited = uv_sources(data, where="pyproject.toml")
        packages = [_inherit_sources(p, inherited) for p in packages]
    else:
        kind = "paths"
        packages, warnings = _path_members(root, data)
    by_name: dict[str, Package] = {}
    for package in packages:
        other = by_name.get(package.name)
        if other is not None:
            raise WorkspaceError(
                f"two members are named '{package.name}': {other.manifest} and {package.manifest}",
                hint="rename one of them (names are compared after PEP 503 normalisation)",
            )
        by_name[package.name] = package
    _check_paths(root, packages)
    apps = read_apps(data, where="pyproject.toml") if data is not None else ()
    for app in apps:
        if app.package not in by_name:
            raise WorkspaceError(
                f"tool.monolock.apps.{app.name}: package '{app.package}' is not a member",
                where="pyproject.toml",
                hint=f"members are: {', '.join(sorted(by_name)) or 'none'}",
            )
    where = "pyproject.toml"
    return Workspace(
        root=root,
        kind=kind,  # type: ignore[arg-type]
        packages=tuple(sorted(packages, key=lambda p: p.name)),
        apps=apps,
        warnings=tuple(warnings),
        check=check_settings(data, where=where) if data is not None else CheckSettings(),
        import_names=read_import_names(data, where=where) if data is not None else {},
        root_groups=read_root_groups(data) if data is not None else frozenset(),
        tasks=root_tasks(data, where=where) if data is not None else (),
    )
