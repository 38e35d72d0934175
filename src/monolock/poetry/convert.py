"""One Poetry manifest -> PEP 621, edited in place with tomlkit (comments outside the
converted tables survive).

Constraints go through the same conversion every reader uses, so `^`, `~` and `||`
become exactly the PEP 440 ranges Poetry means. Path dependencies on members become
`workspace = true` sources, other sources become uv's, dev groups become PEP 735
groups, scripts become `[project.scripts]`, package includes become hatchling's
wheel `packages`, and the Python constraint becomes `requires-python`. What has no
equivalent is named in the notes, never silently dropped.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import tomlkit
from packaging.specifiers import SpecifierSet

from monolock.layout import poetry_roots
from monolock.manifest.poetry import path_sources, read_dependencies, requires_python
from monolock.manifest.toml import table
from monolock.model import Dependency, Package, Requirement, normalize

BACKEND = {"requires": ["hatchling"], "build-backend": "hatchling.build"}
_AUTHOR = re.compile(r"^\s*(?P<name>[^<]*?)\s*(?:<(?P<email>[^>]+)>)?\s*$")
# [tool.poetry] keys the conversion carries over; any other is named in the notes
_CONVERTED = {
    "name",
    "version",
    "description",
    "authors",
    "maintainers",
    "license",
    "readme",
    "homepage",
    "repository",
    "documentation",
    "keywords",
    "classifiers",
    "urls",
    "dependencies",
    "group",
    "dev-dependencies",
    "extras",
    "scripts",
    "packages",
    "package-mode",
    "plugins",
    "source",
}


@dataclass(frozen=True)
class Converted:
    text: str
    notes: tuple[str, ...]


def _people(raw: Any) -> list[dict[str, str]]:
    out = []
    for entry in raw if isinstance(raw, list) else []:
        match = _AUTHOR.match(str(entry))
        if match is None:
            continue
        person = {k: v for k, v in match.groupdict().items() if v}
        if person:
            out.append(person)
    return out


def _array(items: list[str]) -> Any:
    array = tomlkit.array()
    array.extend(items)
    if len(items) > 1:
        array.multiline(True)
    return array


def _workspace() -> Any:
    linked = tomlkit.inline_table()
    linked["workspace"] = True
    return linked


def _member_source(ctx: _Context, target: Path) -> Any:
    """How a member names another: `{ workspace = true }`, except from a member nested in
    another member's directory, where uv finds the enclosing project before the
    workspace and refuses workspace sources: there, the member's path."""
    base = ctx.base.resolve()
    nested = any(d != base and base.is_relative_to(d) for d in ctx.member_dirs)
    if not nested:
        return _workspace()
    linked = tomlkit.inline_table()
    linked["path"] = Path(os.path.relpath(target, base)).as_posix()
    linked["editable"] = True
    return linked


def _source_table(dep: Dependency, ctx: _Context) -> Any:
    source = dep.source
    if source is None:
        return None
    out = tomlkit.inline_table()
    if source.kind == "path" and source.path is not None:
        target = (ctx.base / source.path).resolve()
        if target in ctx.member_dirs:
            return _member_source(ctx, target)
        out["path"] = source.path
        if source.editable:
            out["editable"] = True
    elif source.kind == "git" and source.url:
        out["git"] = source.url
        if source.rev:
            out["rev"] = source.rev
        if source.subdirectory:
            out["subdirectory"] = source.subdirectory
    elif source.kind == "url" and source.url:
        out["url"] = source.url
    elif source.kind == "index" and source.index:
        out["index"] = source.index
    else:
        return None
    return out


def _requirement(dep: Dependency, internal: dict[str, str | None], notes: list[str]) -> str:
    """PEP 508 text; a pin on a member that its own version does not meet is dropped,
    because in a workspace the member is what gets installed."""
    req = dep.requirement
    if req.url and dep.source is not None and dep.source.kind in ("git", "url"):
        req = replace(req, specifier="", url=None)
    if dep.name in internal and req.specifier:
        version = internal[dep.name]
        if version is None or not SpecifierSet(req.specifier).contains(version, prereleases=True):
            notes.append(
                f"{dep.label} pin '{dep.name}{req.specifier}' dropped: the workspace member "
                f"is version {version or 'unknown'}"
            )
            req = replace(req, specifier="", url=None)
    return req.pep508()


def _metadata(project: Any, poetry: dict[str, Any], data: dict[str, Any], where: str) -> None:
    """[tool.poetry]'s description of the project, as PEP 621 [project] keys."""
    for key in ("name", "version", "description", "readme", "keywords", "classifiers"):
        if key in poetry:
            project[key] = poetry[key]
    python = requires_python(data, where=where)
    if python:
        project["requires-python"] = python
    if "license" in poetry:
        license_table = tomlkit.inline_table()
        license_table["text"] = str(poetry["license"])
        project["license"] = license_table
    for key in ("authors", "maintainers"):
        people = _people(poetry.get(key))
        if people:
            array = tomlkit.array()
            for person in people:
                item = tomlkit.inline_table()
                item.update(person)
                array.append(item)
            project[key] = array
    keys = ("homepage", "repository", "documentation")
    urls = {k.capitalize(): poetry[k] for k in keys if k in poetry}
    urls.update(poetry.get("urls", {}))
    if urls:
        project["urls"] = urls


@dataclass
class _Deps:
    """A manifest's dependencies, sorted into the tables they go to."""

    sources: dict[str, Any]
    runtime: list[str]
    extras: dict[str, list[str]]
    groups: dict[str, list[str]]
    group_names: list[str]
    optional: set[str]  # groups Poetry did not install by default


def _dependencies(
    data: dict[str, Any],
    package: Package,
    ctx: _Context,
    notes: list[str],
    *,
    project_existing: bool,
) -> _Deps:
    where = package.manifest
    poetry = table(data, "tool.poetry")
    deps, _, group_names = read_dependencies(data, where=where, runtime=not project_existing)
    if project_existing:
        # Poetry 2 style: [project] holds the runtime deps; Poetry's table adds sources
        deps += [
            Dependency(Requirement(name), "runtime", None, source)
            for name, source in path_sources(data, where=where).items()
        ]
    optional = {normalize(g) for g, body in table(poetry, "group").items() if body.get("optional")}
    notes += [
        f"group '{g}' was optional in Poetry; uv installs it on request" for g in sorted(optional)
    ]
    out = _Deps({}, [], {}, {}, group_names, optional)
    for dep in deps:
        if dep.root_only:
            notes.append(
                f"'{dep.name}' was optional in no extra: Poetry installed it with this package "
                "alone, never through a dependent; it is a runtime dependency now"
            )
        found = _source_table(dep, ctx)
        if found is not None:
            out.sources.setdefault(dep.name, found)
        if project_existing and dep.kind == "runtime":
            continue  # already in [project]
        text_req = _requirement(dep, ctx.versions, notes)
        if dep.kind == "runtime":
            out.runtime.append(text_req)
        elif dep.kind == "extra" and dep.context:
            out.extras.setdefault(dep.context, []).append(text_req)
        elif dep.context:
            out.groups.setdefault(dep.context, []).append(text_req)
    dirs = {name: d for d, name in ctx.member_dirs.items()}
    for dep in package.dependencies:
        if dep.name in dirs and dep.name not in out.sources:
            # one version policy: a member is the member
            out.sources[dep.name] = _member_source(ctx, dirs[dep.name])
    for name, spec in table(data, "tool.uv.sources").items():
        # a uv source by path to a member: in the workspace, a workspace source
        path = spec.get("path") if isinstance(spec, dict) else None
        target = (ctx.base / str(path)).resolve() if path is not None else None
        if target is not None and target in ctx.member_dirs:
            out.sources[normalize(name)] = _member_source(ctx, target)
    return out


def _scripts(project: Any, poetry: dict[str, Any], notes: list[str]) -> None:
    scripts = {}
    for name, target in poetry.get("scripts", {}).items():
        if isinstance(target, str):
            scripts[name] = target
        elif isinstance(target, dict) and target.get("type", "console") == "console":
            scripts[name] = str(target.get("reference", ""))
        else:
            notes.append(f"script '{name}' ({target}) has no [project.scripts] equivalent")
    if scripts and "scripts" not in project:
        project["scripts"] = scripts
    plugins = {
        str(group): {str(k): str(v) for k, v in entries.items()}
        for group, entries in poetry.get("plugins", {}).items()
        if isinstance(entries, dict)
    }
    if plugins and "entry-points" not in project:
        project["entry-points"] = plugins  # [tool.poetry.plugins] are entry points


def _uv_table(tool: Any, deps: _Deps, *, package_mode: bool) -> None:
    """[tool.uv]: sources, the groups Poetry installed by default, non-package projects."""
    others = [g for g in deps.group_names if g != "dev"]
    if not (deps.sources or others or not package_mode):
        return
    uv_table: Any = tool.get("uv") if "uv" in tool else tomlkit.table()
    if deps.sources:
        uv_sources: Any = uv_table.get("sources") or tomlkit.table()
        for name, value in sorted(deps.sources.items()):
            for key in [k for k in uv_sources if normalize(k) == name]:
                del uv_sources[key]
            uv_sources[name] = value
        uv_table["sources"] = uv_sources
    if others:
        # Poetry installs every non-optional group; uv only `dev` unless told
        uv_table["default-groups"] = sorted(set(deps.group_names) - deps.optional)
    if not package_mode:
        uv_table["package"] = False  # Poetry never built it: uv installs its deps only
    tool["uv"] = uv_table


def _packaging(tool: Any, data: dict[str, Any], base: Path, notes: list[str]) -> None:
    """What poetry-core packs, said to hatchling: each `packages` entry (or the default
    directory) by its path (`only-include`), the directories above its import path
    stripped (`sources`), so that `from` layouts and namespace directories build the same
    wheel and nothing beside them (a sibling below the same namespace) comes along."""
    paths: list[str] = []
    prefixes: set[str] = set()
    for name, path in poetry_roots(data, base):
        relative = Path(os.path.relpath(path, base)).as_posix()
        if relative.startswith("../"):
            notes.append(
                f"package '{name}' is packed from {relative}, outside the project: hatchling "
                "packs only what is below it; move the code, or make it a member of its own"
            )
            continue
        module = name.replace(".", "/") + (".py" if relative.endswith(".py") else "")
        if not relative.endswith(module):
            notes.append(f"package '{name}' at {relative}: add it to [tool.hatch.build] by hand")
            continue
        paths.append(relative)
        prefix = relative[: -len(module)].rstrip("/")
        if prefix:
            prefixes.add(prefix)
    if not paths:
        return
    wheel: dict[str, Any] = {"only-include": sorted(set(paths))}
    if prefixes:
        wheel["sources"] = sorted(prefixes)
    hatch: Any = tomlkit.table(is_super_table=True)
    hatch["build"] = {"targets": {"wheel": wheel}}
    tool["hatch"] = hatch


def _leftovers(poetry: dict[str, Any], notes: list[str]) -> None:
    dropped = sorted(set(poetry) - _CONVERTED)
    if dropped:
        notes.append(f"[tool.poetry] keys not carried over: {', '.join(dropped)}")
    if isinstance(poetry.get("include"), list) or isinstance(poetry.get("exclude"), list):
        notes.append("file include/exclude lists: add them to [tool.hatch.build] by hand")
    for entry in poetry.get("packages", []):
        if isinstance(entry, dict) and entry.get("to"):
            notes.append(f"package include {dict(entry)} (to) needs a hand-written hatch config")


@dataclass(frozen=True)
class _Context:
    base: Path  # the package's directory
    member_dirs: dict[Path, str]  # resolved member directory -> name
    versions: dict[str, str | None]  # member -> version


def convert(
    text: str,
    package: Package,
    *,
    base: Path,
    member_dirs: dict[Path, str],
    versions: dict[str, str | None],
) -> Converted:
    """`member_dirs`: resolved member directory -> name; `versions`: member -> version."""
    doc = tomlkit.parse(text)
    data = doc.unwrap()
    poetry = table(data, "tool.poetry")
    notes: list[str] = []
    project_existing = "project" in doc
    project: Any = doc["project"] if project_existing else tomlkit.table()
    if not project_existing:
        _metadata(project, poetry, data, package.manifest)
    ctx = _Context(base, member_dirs, versions)
    deps = _dependencies(data, package, ctx, notes, project_existing=project_existing)
    if not project_existing:
        project["dependencies"] = _array(deps.runtime)
        if deps.extras:
            project["optional-dependencies"] = {
                k: _array(v) for k, v in sorted(deps.extras.items())
            }
    _scripts(project, poetry, notes)
    if deps.groups:
        existing = doc.get("dependency-groups")
        target = existing if existing is not None else tomlkit.table()
        for name, reqs in sorted(deps.groups.items()):
            target[name] = _array(reqs)
        doc["dependency-groups"] = target
    if "tool" not in doc:
        doc["tool"] = tomlkit.table(is_super_table=True)
    tool: Any = doc["tool"]
    package_mode = poetry.get("package-mode") is not False
    _uv_table(tool, deps, package_mode=package_mode)
    backend = table(data, "build-system").get("build-backend", "")
    poetry_built = not backend or backend.startswith("poetry")
    if package_mode and poetry_built:
        _packaging(tool, data, base, notes)
    _leftovers(poetry, notes)
    if "poetry" in tool:
        del tool["poetry"]
    if not tool:
        del doc["tool"]
    if not package_mode:
        doc.pop("build-system", None)  # nothing to build
    elif poetry_built:
        doc["build-system"] = BACKEND
    return Converted(_layout(doc, project, project_existing), tuple(notes))


def _layout(doc: Any, project: Any, project_existing: bool) -> str:
    body = tomlkit.dumps(doc)
    if not project_existing:
        # [project] first, as people read it; the rest keeps its order and comments
        head = tomlkit.document()
        head["project"] = project
        body = tomlkit.dumps(head) + "\n" + body.lstrip("\n")
    # a blank line before every table header, as a person writes them
    body = re.sub(r"([^\n])\n(\[)", r"\1\n\n\2", body)
    return re.sub(r"\n{3,}", "\n\n", body)
