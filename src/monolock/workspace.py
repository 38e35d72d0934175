"""Finding the members of a monorepo.

Two shapes are understood. A uv workspace: the root `pyproject.toml` has
`[tool.uv.workspace]` whose `members`/`exclude` globs name the members. A repository of
independent projects (the Poetry style): every project `pyproject.toml` below the root,
linked only by `path` dependencies.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from monolock import replay
from monolock.config import read_apps, read_import_names, read_root_groups
from monolock.errors import ManifestError, WorkspaceError
from monolock.index import MemberIndex
from monolock.layout import witnessed
from monolock.manifest.pep621 import sources as uv_sources
from monolock.manifest.reader import check_settings, is_project, load_manifest, read_package
from monolock.manifest.toml import load_toml, read_bytes, table
from monolock.model import CheckSettings, Dependency, Package, Requirement, Source, Workspace
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


def _expand(
    root: Path,
    patterns: list[str],
    *,
    key: str,
    warnings: list[str],
    skip: frozenset[Path] | None = None,
) -> list[Path]:
    """The paths the globs match. With `skip` (the excluded paths), only directories, and
    never one of `skip`; without, every match (an exclusion needs no checking)."""
    found: list[Path] = []
    for pattern in patterns:
        if not pattern or Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise WorkspaceError(
                f"{key}: {pattern!r} must be a relative path inside the repository",
                where="pyproject.toml",
                hint='write member paths or globs relative to the root, e.g. "packages/*"',
            )
        if not set(pattern) & _GLOB_CHARS:
            found.append(root / pattern)
            replay.kind(root / pattern)
            continue
        parent, _, last = pattern.rstrip("/").rpartition("/")
        if set(parent) & _GLOB_CHARS or last == "**":
            replay.unwitnessed()  # directories listed on the way down: not followed here
        else:
            replay.directory(root / parent)
        try:
            matched = [
                p
                for p in sorted(root.glob(pattern))
                if skip is None or (p not in skip and _is_dir(p, key))
            ]
        except (OSError, ValueError, RuntimeError) as exc:
            raise WorkspaceError(
                f"{key}: {pattern!r} cannot be expanded ({exc})",
                where="pyproject.toml",
                hint="check the glob, and look for a symlink loop below the root",
            ) from None
        if not matched:
            warnings.append(f"pyproject.toml: {key}: {pattern!r} matches no directory")
        found.extend(matched)
    return found


def _is_dir(path: Path, key: str) -> bool:
    """A directory a glob matched (files are passed over, as uv does); a link that cannot
    be followed is an error, as it is to uv, not a member quietly left out."""
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except OSError:
        if path.is_symlink():
            raise WorkspaceError(
                f"{key}: {path.name!r} is a broken symlink or a symlink loop",
                where="pyproject.toml",
                hint="remove the link, or exclude it with tool.uv.workspace.exclude",
            ) from None
        return False


def real(path: Path, *, key: str, where: str) -> Path:
    """`path` with symlinks followed; a loop is an error naming the key that led there."""
    try:
        return path.resolve()
    except ValueError:  # a NUL character: no file system holds such a name
        raise WorkspaceError(
            f"{key}: {str(path)!r} is not a path a file system can hold",
            where=where,
            hint="remove the control character from the entry",
        ) from None
    except (OSError, RuntimeError):
        raise WorkspaceError(
            f"{key}: {path} is a symlink loop (or cannot be followed)",
            where=where,
            hint="remove the loop, or point the entry at a real directory",
        ) from None


def _read(root: Path, directory: Path, data: dict[str, Any]) -> Package:
    return read_package(data, directory, _relative(root, directory))


def _uv_members(
    root: Path, data: dict[str, Any], index: MemberIndex
) -> tuple[list[Package], list[str]]:
    spec = table(data, "tool.uv.workspace")
    warnings: list[str] = []
    excludes = frozenset(
        _expand(root, spec.get("exclude", []), key="tool.uv.workspace.exclude", warnings=[])
    )
    key = "tool.uv.workspace.members"
    members = _expand(root, spec.get("members", []), key=key, warnings=warnings, skip=excludes)
    packages: list[Package] = []
    seen: set[Path] = set()
    if is_project(data):
        packages.append(_witnessed(partial(_read, root, root, data)))
        seen.add(root)
    parents: dict[Path, Path] = {}
    for directory in members:
        if directory in excludes:
            continue
        directory = _resolved(directory, parents, key=key)
        if directory in seen:
            continue
        seen.add(directory)
        rel = _relative(root, directory) if directory.is_relative_to(root) else str(directory)
        if not directory.is_relative_to(root):
            raise WorkspaceError(
                f"tool.uv.workspace.members: member '{rel}' is outside the repository",
                where="pyproject.toml",
                hint="members live below the root; a symlink may lead out of it",
            )
        raw = _manifest_bytes(directory, rel)
        if raw is None:
            warnings.append(
                f"{rel}: matched by tool.uv.workspace.members but has no pyproject.toml: skipped"
            )
            continue
        packages.append(index.member(rel, raw, partial(_member, root, directory, raw)))
    return packages, warnings


def _witnessed(read: Callable[[], Package]) -> Package:
    """A package read outside the index (the root's own project), its layout witnessed
    for a replayed answer all the same."""
    with witnessed() as witness:
        package = read()
    if witness.trusted:
        replay.directories(witness.seen)
    else:
        replay.unwitnessed()
    return package


def _resolved(directory: Path, parents: dict[Path, Path], *, key: str) -> Path:
    """`real(directory)`, each parent resolved once: members are mostly siblings. Where
    a link was followed, where it leads is an input of a replayed answer."""
    if "\0" in str(directory) or directory.is_symlink():
        replay.resolved(directory)
        return real(directory, key=key, where="pyproject.toml")
    parent = parents.get(directory.parent)
    if parent is None:
        parent = parents[directory.parent] = real(directory.parent, key=key, where="pyproject.toml")
        if parent != directory.parent:
            replay.resolved(directory.parent)
    return parent / directory.name


def _manifest_bytes(directory: Path, rel: str) -> bytes | None:
    """The bytes of a member's manifest (one stat and one read when all is well), or
    None when it has none; a member that is not a directory is an error."""
    manifest = directory / "pyproject.toml"
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.stat(manifest).st_mode):
            with open(manifest, "rb") as handle:
                raw = handle.read()
            replay.file(manifest, raw)
            return raw
    if not directory.is_dir():
        raise WorkspaceError(
            f"tool.uv.workspace.members: member '{rel}' does not exist",
            where="pyproject.toml",
            hint="create it, or remove it from the members list",
        )
    if not os.path.lexists(manifest):
        replay.file(manifest, None)
        return None
    return read_bytes(manifest, f"{rel}/pyproject.toml")  # says why it cannot be read


def _member(root: Path, directory: Path, raw: bytes) -> Package:
    """A uv workspace member, read from the bytes of its manifest."""
    where = f"{_relative(root, directory)}/pyproject.toml"
    data = load_manifest(directory / "pyproject.toml", display=where, raw=raw)
    if "project" not in data:
        raise WorkspaceError(
            "a workspace member has no [project] table",
            where=where,
            hint="uv refuses such a member too: give it a [project] with a name, or "
            "leave it out of tool.uv.workspace.members (exclude = [...])",
        )
    return _read(root, directory, data)


def _walk_projects(
    root: Path, warnings: list[str], skipped: dict[str, str]
) -> list[tuple[Path, dict[str, Any]]]:
    """Project manifests below `root`, skipping hidden and build directories, virtual
    environments and the insides of nested workspaces. Nothing names these files as
    members, so one that is not even TOML (a test fixture, say) is a warning, not an
    error; one that names a project must be read right."""
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
            display = f"{rel}/pyproject.toml"
            try:
                data = load_toml(directory / "pyproject.toml", display=display)
            except ManifestError as exc:
                warnings.append(f"{exc}: skipped")
                skipped[display] = str(exc)
                data = {}
            if is_project(data):
                from monolock.manifest import schema

                schema.check(data, where=display)
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


def _path_members(
    root: Path, data: dict[str, Any] | None
) -> tuple[list[Package], list[str], dict[str, str]]:
    """(packages, warnings, the manifests skipped because they cannot be read: path ->
    why)."""
    packages: list[Package] = []
    warnings: list[str] = []
    skipped: dict[str, str] = {}
    if data is not None and is_project(data):
        packages.append(_read(root, root, data))
    for directory, member_data in _walk_projects(root, warnings, skipped):
        packages.append(_read(root, directory, member_data))
    return packages, warnings, skipped


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


def _locked_edges(root: Path, packages: list[Package], warnings: list[str]) -> list[Package]:
    """Members whose dependencies a build hook fills in (`dynamic`) link to other members
    as uv.lock recorded it: without that, the graph, `affected` and `run` would not see
    them depend on anything. No lock yet: left as declared; an unreadable one: said too."""
    dynamic = [p for p in packages if {"dependencies", "optional-dependencies"} & set(p.dynamic)]
    if not dynamic:
        return packages
    from monolock.errors import LockError
    from monolock.lockfile import parse_lock

    path = root / "uv.lock"
    if not os.path.lexists(path):
        replay.file(path, None)
        return packages  # not locked yet: what they link to is unknown until it is
    try:
        lock = parse_lock(path.read_bytes(), path)
    except (OSError, LockError):
        replay.unwitnessed()  # the warning lasts only as long as the lock is unreadable
        names = ", ".join(p.name for p in dynamic)
        warnings.append(
            f"{names}: dependencies are dynamic and uv.lock cannot be read: their edges "
            "to other members are not known (run `monolock lock`)"
        )
        return packages
    members = {p.name for p in packages}
    linked = Source("workspace")
    out: list[Package] = []
    for package in packages:
        locked = lock.member(package.name) if package in dynamic else None
        if locked is None:
            out.append(package)
            continue
        found: list[Dependency] = []
        if "dependencies" in package.dynamic:
            found += [
                Dependency(Requirement(d.name, extras=d.extras), "runtime", None, linked)
                for d in locked.dependencies
                if d.name in members
            ]
        if "optional-dependencies" in package.dynamic:
            found += [
                Dependency(Requirement(d.name, extras=d.extras), "extra", extra, linked)
                for extra, deps in locked.optional.items()
                for d in deps
                if d.name in members
            ]
        out.append(replace(package, dependencies=(*package.dependencies, *found)))
    return out


def _check_sources(
    root: Path, kind: str, packages: list[Package], names: set[str], skipped: dict[str, str]
) -> None:
    """Path sources lead to something inside the repository that can be read; a workspace
    source names a member."""
    for package in packages:
        for dep in package.dependencies:
            source = dep.source
            if source is None:
                continue
            if source.kind == "workspace" and kind == "uv" and dep.name not in names:
                raise WorkspaceError(
                    f"{dep.label} dependency '{dep.name}' has a workspace source, but no "
                    "member is called that",
                    where=package.manifest,
                    hint=f"members are: {', '.join(sorted(names))}; fix the name, or add the "
                    "member to tool.uv.workspace.members",
                )
            if source.kind != "path" or source.path is None:
                continue
            key = f"{dep.label} dependency '{dep.name}'"
            replay.resolved(root / package.path / source.path)
            target = real(root / package.path / source.path, key=key, where=package.manifest)
            if not target.is_relative_to(root):
                raise WorkspaceError(
                    f"{key} has path '{source.path}', which is outside the repository",
                    where=package.manifest,
                    hint="move that project into the repository, or depend on a published version",
                )
            if not target.exists():
                raise WorkspaceError(
                    f"{key} has path '{source.path}', which does not exist",
                    where=package.manifest,
                    hint="fix the path (it is relative to the directory of this pyproject.toml)",
                )
            broken = skipped.get(f"{_relative(root, target)}/pyproject.toml")
            if broken is not None:
                raise WorkspaceError(
                    f"{key} has path '{source.path}', which cannot be read ({broken})",
                    where=package.manifest,
                    hint="fix that manifest: this package depends on it",
                )


def _no_members(root: Path, kind: str, warnings: list[str]) -> WorkspaceError:
    if kind == "uv":
        why = f" ({'; '.join(warnings)})" if warnings else ""
        return WorkspaceError(
            f"tool.uv.workspace.members: no member found{why}",
            where="pyproject.toml",
            hint="each member is a directory with a pyproject.toml naming its [project]; "
            "check the globs",
        )
    return WorkspaceError(
        f"no project here: {root} has no pyproject.toml naming a [project] or "
        "[tool.poetry] package, and none below it",
        hint="run monolock at the root of a monorepo, or pass -C ROOT",
    )


def discover(root: Path) -> Workspace:
    root = real(root, key="the repository root", where=str(root))
    manifest = root / "pyproject.toml"
    where = "pyproject.toml"
    data = None
    if os.path.lexists(manifest):
        data = load_manifest(manifest, display=where)
    else:
        replay.file(manifest, None)
    skipped: dict[str, str] = {}
    if data is not None and "workspace" in table(data, "tool.uv"):
        kind = "uv"
        index = MemberIndex(root)
        packages, warnings = _uv_members(root, data, index)
        index.save()
        inherited = uv_sources(data, where=where)
        packages = [_inherit_sources(p, inherited) for p in packages]
        packages = _locked_edges(root, packages, warnings)
    else:
        kind = "paths"
        replay.unwitnessed()  # found by walking the whole tree
        packages, warnings, skipped = _path_members(root, data)
    if not packages:
        raise _no_members(root, kind, warnings)
    by_name: dict[str, Package] = {}
    for package in packages:
        other = by_name.get(package.name)
        if other is not None:
            raise WorkspaceError(
                f"two members are named '{package.name}': {other.manifest} and {package.manifest}",
                hint="rename one of them (names are compared after PEP 503 normalisation)",
            )
        by_name[package.name] = package
    _check_sources(root, kind, packages, set(by_name), skipped)
    apps = read_apps(data, where=where) if data is not None else ()
    for app in apps:
        if app.package not in by_name:
            raise WorkspaceError(
                f"tool.monolock.apps.{app.name}: package '{app.package}' is not a member",
                where=where,
                hint=f"members are: {', '.join(sorted(by_name))}",
            )
    return Workspace(
        root=root,
        kind=kind,  # type: ignore[arg-type]
        packages=tuple(sorted(packages, key=lambda p: p.name)),
        apps=apps,
        warnings=tuple(warnings),
        skipped=tuple(sorted(skipped)),
        check=check_settings(data, where=where) if data is not None else CheckSettings(),
        import_names=read_import_names(data, where=where) if data is not None else {},
        root_groups=read_root_groups(data) if data is not None else frozenset(),
        tasks=root_tasks(data, where=where) if data is not None else (),
    )
