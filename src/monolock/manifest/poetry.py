"""Poetry's `[tool.poetry]` tables, read into the same model as PEP 621.

Every constraint goes through `constraint.to_specifier`, so `^`, `~`, wildcards and `||`
mean what Poetry means; `python`, `platform` and `markers` keys become PEP 508 markers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from monolock.errors import ManifestError
from monolock.manifest.common import source_from_table
from monolock.manifest.toml import table
from monolock.model import Dependency, DepKind, Index, Requirement, Source, normalize


def marker_of(spec: dict[str, Any]) -> str | None:
    """The PEP 508 marker of a Poetry dependency table (its `python`, `platform` and
    `markers` keys, all of which must hold). Raises ConstraintError for a `python`
    constraint PEP 508 cannot say."""
    from monolock.manifest.constraint import python_marker  # poetry-core: loaded when used

    parts: list[str] = []
    if "python" in spec:
        py = python_marker(str(spec["python"]))
        if py:
            parts.append(py)
    if "platform" in spec:
        parts.append(f'sys_platform == "{spec["platform"]}"')
    if spec.get("markers"):
        parts.append(str(spec["markers"]))
    if len(parts) < 2:
        return parts[0] if parts else None
    return " and ".join(f"({p})" if " or " in p else p for p in parts)


def _marker(spec: dict[str, Any], *, where: str, key: str) -> str | None:
    from monolock.manifest.constraint import ConstraintError

    try:
        return marker_of(spec)
    except ConstraintError as exc:
        raise ManifestError(f"{key}.python: {exc}", where=where, hint=exc.hint) from None


def _specifier(constraint: Any, *, where: str, key: str) -> str:
    from monolock.manifest.constraint import ConstraintError, to_specifier

    try:
        return to_specifier(str(constraint))
    except ConstraintError as exc:
        raise ManifestError(f"{key}: {exc}", where=where, hint=exc.hint) from None


def _one(
    name: str, spec: Any, kind: DepKind, context: str | None, *, where: str, key: str
) -> Dependency:
    if isinstance(spec, str):
        return Dependency(Requirement(name, _specifier(spec, where=where, key=key)), kind, context)
    if not isinstance(spec, dict):
        raise ManifestError(f"{key}: expected a constraint string or table", where=where)
    source = source_from_table(spec, where=where, key=key)
    if source is not None and source.kind == "path":
        # Poetry says `develop`; absent means a regular (non-editable) install
        source = Source("path", path=source.path, editable=bool(spec.get("develop", False)))
    elif "source" in spec:
        source = Source("index", index=str(spec["source"]))
    url = None
    if source is not None and source.kind == "git" and source.url:
        url = f"git+{source.url}" + (f"@{source.rev}" if source.rev else "")
        if source.subdirectory:
            url += f"#subdirectory={source.subdirectory}"
    elif source is not None and source.kind == "url":
        url = source.url
    extras = tuple(sorted(normalize(e) for e in spec.get("extras", [])))
    specifier = (
        _specifier(spec["version"], where=where, key=f"{key}.version") if "version" in spec else ""
    )
    req = Requirement(name, specifier, extras, _marker(spec, where=where, key=key), url)
    return Dependency(req, kind, context, source)


def _table_deps(
    deps: dict[str, Any],
    kind: DepKind,
    context: str | None,
    *,
    where: str,
    prefix: str,
    optional_to_extras: dict[str, list[str]] | None = None,
) -> list[Dependency]:
    out: list[Dependency] = []
    for raw_name, spec in deps.items():
        if raw_name.lower() == "python":
            continue
        name = normalize(raw_name)
        key = f"{prefix}.{raw_name}"
        specs = spec if isinstance(spec, list) else [spec]
        for i, one in enumerate(specs):
            k = f"{key}[{i}]" if isinstance(spec, list) else key
            dep = _one(name, one, kind, context, where=where, key=k)
            if (
                optional_to_extras is not None
                and isinstance(one, dict)
                and one.get("optional")
                and name in optional_to_extras
            ):
                # an optional dependency exists only through the extras that name it; one
                # that no extra names Poetry installs by its marker alone, as if required
                for extra in optional_to_extras[name]:
                    out.append(Dependency(dep.requirement, "extra", extra, dep.source))
                continue
            if optional_to_extras is not None and isinstance(one, dict) and one.get("optional"):
                dep = replace(dep, root_only=True)
            out.append(dep)
    return out


def requires_python(data: dict[str, Any], *, where: str) -> str | None:
    python = table(data, "tool.poetry.dependencies").get("python")
    if python is None:
        return None
    return _specifier(python, where=where, key="tool.poetry.dependencies.python") or None


def read_dependencies(
    data: dict[str, Any], *, where: str, runtime: bool = True
) -> tuple[list[Dependency], list[str], list[str]]:
    """(dependencies, extras, groups). With runtime=False only groups are read (a PEP 621
    project managed by Poetry 2 keeps its runtime deps in `[project]`)."""
    poetry = table(data, "tool.poetry")
    extras_table = poetry.get("extras", {})
    by_dep: dict[str, list[str]] = {}
    for extra, names in extras_table.items():
        for n in names:
            by_dep.setdefault(normalize(n), []).append(normalize(extra))
    deps: list[Dependency] = []
    if runtime:
        deps += _table_deps(
            table(data, "tool.poetry.dependencies"),
            "runtime",
            None,
            where=where,
            prefix="tool.poetry.dependencies",
            optional_to_extras=by_dep,
        )
    group_names: list[str] = []
    for group, body in table(data, "tool.poetry.group").items():
        group_names.append(normalize(group))
        deps += _table_deps(
            table(body, "dependencies"),
            "group",
            normalize(group),
            where=where,
            prefix=f"tool.poetry.group.{group}.dependencies",
        )
    legacy = poetry.get("dev-dependencies")
    if isinstance(legacy, dict):
        if "dev" not in group_names:
            group_names.append("dev")
        deps += _table_deps(
            legacy, "group", "dev", where=where, prefix="tool.poetry.dev-dependencies"
        )
    return deps, sorted({normalize(e) for e in extras_table}), group_names


def indexes(data: dict[str, Any], *, where: str) -> tuple[Index, ...]:
    """`[[tool.poetry.source]]`, with the legacy `default`/`secondary` flags read as the
    priorities Poetry 1.5 replaced them with."""
    raw = table(data, "tool.poetry").get("source", [])
    if not isinstance(raw, list):
        raise ManifestError("tool.poetry.source: expected an array of tables", where=where)
    out = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ManifestError(
                f"tool.poetry.source[{i}]: expected a table with a name", where=where
            )
        priority = str(entry.get("priority", "primary")).lower()
        if entry.get("default"):
            priority = "default"
        elif entry.get("secondary"):
            priority = "supplemental"
        url = entry.get("url")
        if not url and entry["name"].lower() != "pypi":
            raise ManifestError(
                f"tool.poetry.source[{i}] ({entry['name']}): no url",
                where=where,
                hint="only PyPI may be named without a url; give this source its url",
            )
        out.append(Index(entry["name"], str(url).rstrip("/") if url else None, priority))
    return tuple(out)


def path_sources(data: dict[str, Any], *, where: str) -> dict[str, Any]:
    """Sources Poetry declares for names a PEP 621 `[project]` lists (Poetry 2 style)."""
    deps = _table_deps(
        table(data, "tool.poetry.dependencies"),
        "runtime",
        None,
        where=where,
        prefix="tool.poetry.dependencies",
    )
    return {d.name: d.source for d in deps if d.source is not None}
