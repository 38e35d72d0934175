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

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import tomlkit
from packaging.specifiers import SpecifierSet

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


def _source_table(dep: Dependency, member_dirs: dict[Path, str], base: Path) -> Any:
    source = dep.source
    if source is None:
        return None
    out = tomlkit.inline_table()
    if source.kind == "path" and source.path is not None:
        if (base / source.path).resolve() in member_dirs:
            return _workspace()
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


def convert(
    text: str,
    package: Package,
    *,
    base: Path,
    member_dirs: dict[Path, str],
    versions: dict[str, str | None],
) -> Converted:
    """`member_dirs`: resolved member directory -> name; `versions`: member -> version."""
    where = package.manifest
    doc = tomlkit.parse(text)
    data = doc.unwrap()
    poetry = table(data, "tool.poetry")
    notes: list[str] = []
    project_existing = "project" in doc
    project: Any = doc["project"] if project_existing else tomlkit.table()

    if not project_existing:
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
        urls = {
            k.capitalize(): poetry[k]
            for k in ("homepage", "repository", "documentation")
            if k in poetry
        }
        urls.update(poetry.get("urls", {}))
        if urls:
            project["urls"] = urls

    deps, _, group_names = read_dependencies(data, where=where, runtime=not project_existing)
    if project_existing:
        # Poetry 2 style: [project] holds the runtime deps; Poetry's table adds sources
        deps += [
            Dependency(Requirement(name), "runtime", None, source)
            for name, source in path_sources(data, where=where).items()
        ]
    optional = {normalize(g) for g, body in table(poetry, "group").items() if body.get("optional")}
    for group in sorted(optional):
        notes.append(f"group '{group}' was optional in Poetry; uv installs it on request")

    sources: dict[str, Any] = {}
    runtime: list[str] = []
    extras: dict[str, list[str]] = {}
    groups: dict[str, list[str]] = {}
    members = set(member_dirs.values())
    for dep in deps:
        found = _source_table(dep, member_dirs, base)
        if found is not None:
            sources.setdefault(dep.name, found)
        if project_existing and dep.kind == "runtime":
            continue  # already in [project]
        text_req = _requirement(dep, versions, notes)
        if dep.kind == "runtime":
            runtime.append(text_req)
        elif dep.kind == "extra" and dep.context:
            extras.setdefault(dep.context, []).append(text_req)
        elif dep.context:
            groups.setdefault(dep.context, []).append(text_req)
    if not project_existing:
        project["dependencies"] = _array(runtime)
        if extras:
            project["optional-dependencies"] = {k: _array(v) for k, v in sorted(extras.items())}

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

    if groups:
        existing = doc.get("dependency-groups")
        target = existing if existing is not None else tomlkit.table()
        for name, reqs in sorted(groups.items()):
            target[name] = _array(reqs)
        doc["dependency-groups"] = target
    if "tool" not in doc:
        doc["tool"] = tomlkit.table(is_super_table=True)
    tool: Any = doc["tool"]
    for dep in package.dependencies:
        if dep.name in members and dep.name not in sources:
            # one version policy: a member named by version is the member
            sources[dep.name] = _workspace()
    existing_sources = table(data, "tool.uv.sources")
    for name, spec in existing_sources.items():
        # a uv source by path to a member: in the workspace, a workspace source
        path = spec.get("path") if isinstance(spec, dict) else None
        if path is not None and (base / str(path)).resolve() in member_dirs:
            sources[normalize(name)] = _workspace()
    others = [g for g in group_names if g != "dev"]
    if sources or others:
        uv_table: Any = tool.get("uv") if "uv" in tool else tomlkit.table()
        if sources:
            uv_sources: Any = uv_table.get("sources") or tomlkit.table()
            for name, value in sorted(sources.items()):
                for key in [k for k in uv_sources if normalize(k) == name]:
                    del uv_sources[key]
                uv_sources[name] = value
            uv_table["sources"] = uv_sources
        if others:
            # Poetry installs every non-optional group; uv only `dev` unless told
            uv_table["default-groups"] = sorted(set(group_names) - optional)
        tool["uv"] = uv_table

    includes = []
    for entry in poetry.get("packages", []):
        if not isinstance(entry, dict) or "include" not in entry:
            continue
        formats = entry.get("format", ["sdist", "wheel"])
        if "wheel" not in (formats if isinstance(formats, list) else [formats]):
            continue
        path = str(entry["include"])
        if entry.get("from"):
            path = f"{str(entry['from']).rstrip('/')}/{path}"
        if set(path) & set("*?[") or entry.get("to"):
            notes.append(f"package include {dict(entry)} needs a hand-written hatch config")
            continue
        includes.append(path)
    if includes:
        hatch: Any = tomlkit.table(is_super_table=True)
        hatch["build"] = {"targets": {"wheel": {"packages": includes}}}
        tool["hatch"] = hatch

    dropped = sorted(set(poetry) - _CONVERTED)
    if dropped:
        notes.append(f"[tool.poetry] keys not carried over: {', '.join(dropped)}")
    if isinstance(poetry.get("include"), list) or isinstance(poetry.get("exclude"), list):
        notes.append("file include/exclude lists: add them to [tool.hatch.build] by hand")
    if "poetry" in tool:
        del tool["poetry"]
    if not tool:
        del doc["tool"]
    backend = table(data, "build-system").get("build-backend", "")
    if not backend or backend.startswith("poetry"):
        doc["build-system"] = BACKEND
    body = tomlkit.dumps(doc)
    if not project_existing:
        # [project] first, as people read it; the rest keeps its order and comments
        head = tomlkit.document()
        head["project"] = project
        body = tomlkit.dumps(head) + "\n" + body.lstrip("\n")
    # a blank line before every table header, as a person writes them
    body = re.sub(r"([^\n])\n(\[)", r"\1\n\n\2", body)
    return Converted(re.sub(r"\n{3,}", "\n\n", body), tuple(notes))
