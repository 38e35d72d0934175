"""The workspace policy: rules about manifests and the lock, not about code.

ML202: a member installable on a Python its internal dependencies refuse.
ML203: a dev tool pinned differently in different members.
ML204: an internal dependency uv would fetch from the index instead of the workspace.
ML205: a runtime cycle between members.
ML206: packages of a Poetry repository that name different package sources.
(ML201, a stale lock, needs uv or the poetry.lock files and lives in check.py.)
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from monolock.findings import Finding, Location
from monolock.graph import Graph
from monolock.model import Workspace

_MINORS = range(0, 40)


def _candidates(*specs: str) -> list[str]:
    """Python versions on both sides of every bound the specifiers mention."""
    out = {f"3.{m}.{p}" for m in _MINORS for p in (0, 99)} | {"2.7.0", "2.7.99", "4.0.0"}
    for spec in specs:
        for clause in SpecifierSet(spec):
            parts = [int(x) for x in clause.version.split(".")[:3] if x.isdigit()]
            while len(parts) < 3:
                parts.append(0)
            major, minor, patch = parts
            for p in (patch - 1, patch, patch + 1):
                if p >= 0:
                    out.add(f"{major}.{minor}.{p}")
    return sorted(out, key=lambda v: tuple(int(x) for x in v.split(".")))


def outside(inner: str | None, outer: str | None) -> str | None:
    """A Python version `inner` allows and `outer` does not, or None when it is contained."""
    if not outer:
        return None
    try:
        outer_set = SpecifierSet(outer)
        inner_set = SpecifierSet(inner or "")
    except InvalidSpecifier:
        return None  # reported where the manifest is read
    for version in _candidates(outer, inner or ""):
        if inner_set.contains(version, prereleases=True) and not outer_set.contains(
            version, prereleases=True
        ):
            return version
    return None


def python_ranges(workspace: Workspace, graph: Graph) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for edge in graph.edges:
        if (edge.source, edge.target) in seen:
            continue
        seen.add((edge.source, edge.target))
        source, target = workspace.by_name[edge.source], workspace.by_name[edge.target]
        version = outside(source.requires_python, target.requires_python)
        if version is None:
            continue
        mine = source.requires_python or "any Python (no requires-python)"
        # the dependency's own range when it lies inside this one, else both together
        merged = (
            target.requires_python
            if outside(target.requires_python, source.requires_python) is None
            or not target.requires_python
            else str(
                SpecifierSet(source.requires_python or "") & SpecifierSet(target.requires_python)
            )
        )
        out.append(
            Finding(
                "ML202",
                source.name,
                target.name,
                f"requires-python '{mine}' is wider than '{target.requires_python}' of "
                f"'{target.name}', which it depends on ({edge.label}): on Python {version} "
                f"{source.name} installs but {target.name} cannot",
                f"narrow requires-python in {source.manifest} to '{merged}'",
                Location(source.manifest),
            )
        )
    return out


UNPINNED = "(unpinned)"


def pins(workspace: Workspace) -> dict[str, dict[str, list[str]]]:
    """Dev tool -> how each group pins it (normalised, or UNPINNED) -> the members."""
    found: dict[str, dict[str, list[str]]] = {}
    for package in workspace.packages:
        for dep in package.dependencies:
            if dep.kind == "group" and dep.name not in workspace.by_name and not dep.source:
                spec = str(SpecifierSet(dep.requirement.specifier or ""))
                found.setdefault(dep.name, {}).setdefault(spec or UNPINNED, []).append(package.name)
    return found


def common_pin(by_spec: dict[str, list[str]]) -> str:
    """The pin most members use (ties: the greater text)."""
    return max(by_spec.items(), key=lambda item: (len(item[1]), item[0]))[0]


def dev_pins(workspace: Workspace) -> list[Finding]:
    """Every dev tool pinned the same way wherever it is declared in a group."""
    out: list[Finding] = []
    for name, by_spec in sorted(pins(workspace).items()):
        if len(by_spec) < 2:
            continue
        detail = "; ".join(
            f"{spec} in {', '.join(sorted(set(who)))}" for spec, who in sorted(by_spec.items())
        )
        common = common_pin(by_spec)
        odd = sorted({p for spec, who in by_spec.items() if spec != common for p in who})
        first = workspace.by_name[odd[0]]
        out.append(
            Finding(
                "ML203",
                None,
                name,
                f"dev tool '{name}' is pinned differently across members: {detail}",
                f"pin '{name}' as '{common}' everywhere (or once, in the root's dependency group)",
                Location(first.manifest),
                tuple(Location(workspace.by_name[p].manifest) for p in odd[1:]),
            )
        )
    return out


def workspace_sources(workspace: Workspace, graph: Graph) -> list[Finding]:
    if workspace.kind != "uv":
        return []
    out: list[Finding] = []
    for edge in graph.edges:
        if edge.declared:
            continue
        source = workspace.by_name[edge.source]
        out.append(
            Finding(
                "ML204",
                source.name,
                edge.target,
                f"depends on member '{edge.target}' ({edge.label}) without a workspace source, "
                "so uv would take it from the index",
                f"add `{edge.target} = {{ workspace = true }}` under [tool.uv.sources] of "
                f"{source.manifest} (or of the root)",
                Location(source.manifest),
            )
        )
    return out


def cycles(workspace: Workspace, graph: Graph) -> list[Finding]:
    out: list[Finding] = []
    for cycle in graph.cycles():
        if not cycle.runtime:
            continue
        first = workspace.by_name[cycle.path[0]]
        out.append(
            Finding(
                "ML205",
                None,
                str(cycle),
                f"runtime cycle between members: {cycle}",
                "break it: move what both need into a member of its own, or make one edge a "
                "dev dependency",
                Location(first.manifest),
                tuple(Location(workspace.by_name[n].manifest) for n in cycle.path[1:-1]),
            )
        )
    return out


def same_sources(workspace: Workspace) -> list[Finding]:
    """In a repository of independent projects, every package names the same indexes:
    otherwise one name can resolve to different files in different packages."""
    if workspace.kind != "paths":
        return []
    by_set: dict[tuple[tuple[str, str, str], ...], list[str]] = {}
    for package in workspace.packages:
        key = tuple(sorted((i.name.lower(), i.url or "PyPI", i.priority) for i in package.indexes))
        by_set.setdefault(key, []).append(package.name)
    if len(by_set) < 2:
        return []
    common = max(by_set.items(), key=lambda item: (len(item[1]), item[0]))[0]
    shown = ", ".join(f"{n} ({u}, {p})" for n, u, p in common) or "none (PyPI only)"
    out = []
    for key, names in sorted(by_set.items()):
        if key == common:
            continue
        mine = ", ".join(f"{n} ({u}, {p})" for n, u, p in key) or "none (PyPI only)"
        for name in names:
            out.append(
                Finding(
                    "ML206",
                    name,
                    name,
                    f"package sources differ from the other packages': {mine}; most "
                    f"packages name {shown}",
                    "declare the same [[tool.poetry.source]] entries in every package",
                    Location(workspace.by_name[name].manifest),
                )
            )
    return out


def policy(workspace: Workspace) -> list[Finding]:
    graph = Graph(workspace)
    return [
        *python_ranges(workspace, graph),
        *dev_pins(workspace),
        *workspace_sources(workspace, graph),
        *cycles(workspace, graph),
        *same_sources(workspace),
    ]
