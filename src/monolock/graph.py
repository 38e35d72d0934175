"""The internal graph: which members depend on which, and how.

An edge is labelled by how it is declared: runtime, extra:NAME or group:NAME. Runtime
edges decide what an app ships and the build order; the others only matter to tests
and tooling, so a cycle through them is a warning and a runtime cycle an error.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from monolock.model import Dependency, DepKind, Package, Workspace, normalize

RUNTIME: frozenset[DepKind] = frozenset({"runtime"})
ALL_KINDS: frozenset[DepKind] = frozenset({"runtime", "extra", "group"})


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: DepKind
    context: str | None
    declared: bool  # the target is declared as a workspace/path source, not fetched by name

    @property
    def label(self) -> str:
        return self.kind if self.context is None else f"{self.kind}:{self.context}"


@dataclass(frozen=True)
class Cycle:
    path: tuple[str, ...]  # first == last
    runtime: bool

    def __str__(self) -> str:
        return " -> ".join(self.path)


def _links(workspace: Workspace) -> list[tuple[Package, Dependency, str, bool]]:
    """(package, dependency, the member it names, declared as a source) for every
    dependency of a member on a member."""
    names = workspace.by_name
    out: list[tuple[Package, Dependency, str, bool]] = []
    by_dir: dict[Path, str] = {}  # resolved only when a path source asks: 1,000 syscalls less
    for package in workspace.packages:
        base = workspace.root / package.path
        paths = [
            d
            for d in package.dependencies
            if d.source is not None and d.source.kind == "path" and d.source.path is not None
        ]
        if paths and not by_dir:
            by_dir = {(workspace.root / p.path).resolve(): p.name for p in workspace.packages}
        # Poetry unions a package's groups: a name linked by path in one group (often
        # dev) is that member wherever else it is named, e.g. a runtime version pin
        linked = {
            d.name: by_dir.get((base / str(d.source.path)).resolve())
            for d in paths
            if d.source is not None
        }
        for dep in package.dependencies:
            source = dep.source
            target: str | None = None
            declared = False
            if linked.get(dep.name) is not None:
                target = linked[dep.name]
                declared = True
            elif workspace.kind == "uv" and dep.name in names:
                # uv links members by name; a missing `workspace = true` source is a policy error
                target = dep.name
                declared = source is not None and source.kind == "workspace"
            if target is not None and target in names:
                out.append((package, dep, target, declared))
    return out


def _edges(links: list[tuple[Package, Dependency, str, bool]]) -> list[Edge]:
    edges = {
        Edge(package.name, target, dep.kind, dep.context, declared)
        for package, dep, target, declared in links
        # an extra naming its own package's other extras is no edge to itself
        if not (target == package.name and dep.kind == "extra")
    }
    return sorted(edges, key=lambda e: (e.source, e.target, e.kind, e.context or ""))


Node = tuple[str, str]  # (member, extra): "" is what the member needs at runtime


def _activation(links: list[tuple[Package, Dependency, str, bool]]) -> dict[Node, set[Node]]:
    """What each member and each of its extras brings in: its runtime dependencies on
    members with the extras they ask for; an extra also its member's runtime and its
    own dependencies (`all = ["core[a,b]"]` included). Groups are not transitive: a
    dependency's dev group never reaches its dependents."""
    adj: dict[Node, set[Node]] = {}
    for package, dep, target, _ in links:
        if dep.kind == "group":
            continue
        source = (package.name, normalize(dep.context or "") if dep.kind == "extra" else "")
        into = adj.setdefault(source, set())
        into.add((target, ""))
        into.update((target, normalize(e)) for e in dep.requirement.extras)
    for (name, extra), into in list(adj.items()):
        if extra:
            into.add((name, ""))
    for _, dep, target, _ in links:
        for extra in dep.requirement.extras:
            adj.setdefault((target, normalize(extra)), set()).add((target, ""))
    return adj


class Graph:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.nodes: tuple[str, ...] = tuple(p.name for p in workspace.packages)
        links = _links(workspace)
        self.edges: tuple[Edge, ...] = tuple(_edges(links))
        self._active = _activation(links)
        self._from: dict[str, list[Edge]] = {}
        for edge in self.edges:
            self._from.setdefault(edge.source, []).append(edge)
        self._seeds: dict[str, list[tuple[Node, str | None]]] = {}
        for package, dep, target, _ in links:
            if dep.kind == "group":
                via = f"dev group {dep.context}"
                seeds = self._seeds.setdefault(package.name, [])
                seeds.append(((target, ""), via))
                seeds += [((target, normalize(e)), via) for e in dep.requirement.extras]

    def seeds(self, name: str) -> list[tuple[Node, str | None]]:
        """Where a member's tests start: the member, each of its own extras, and what its
        dev groups name (each with how: None at runtime, else the extra or group)."""
        package = self.workspace.by_name[name]
        own: list[tuple[Node, str | None]] = [((name, ""), None)]
        own += [((name, e), f"extra {e}") for e in package.extras]
        return own + self._seeds.get(name, [])

    def tested(self, name: str) -> set[str]:
        """Members a member's tests install: what it ships, its own extras, its dev
        groups, and everything those activate."""
        return {n for n, _ in self._walk([s for s, _ in self.seeds(name)])}

    def _walk(self, start: Iterable[Node]) -> set[Node]:
        seen = set(start)
        stack = list(seen)
        while stack:
            for nxt in self._active.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def reaching(self, target: str) -> dict[str, tuple[bool, str | None]]:
        """Every member whose tests reach `target` (itself excluded): whether it ships it,
        and how when not through runtime alone (`core[all]`, a dev group), by the
        shortest way. One breadth-first reverse walk over (member, extra) pairs: linear
        in the graph, however many members."""
        reverse: dict[Node, list[Node]] = {}
        for source, targets in self._active.items():
            for node in targets:
                reverse.setdefault(node, []).append(source)
        start: Node = (target, "")
        next_hop: dict[Node, Node | None] = {start: None}
        distance = {start: 0}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for prev in sorted(reverse.get(node, ())):
                if prev not in next_hop:
                    next_hop[prev], distance[prev] = node, distance[node] + 1
                    queue.append(prev)
        out: dict[str, tuple[bool, str | None]] = {}
        for package in self.workspace.packages:
            name = package.name
            found = [(seed, via) for seed, via in self.seeds(name) if seed in next_hop]
            if name == target or not found:
                continue
            # what it ships first, then the shortest way
            seed, via = min(found, key=lambda f: (f[0] != (name, ""), distance[f[0]]))
            extras = []
            hop: Node | None = seed
            while hop is not None:
                if hop[1] and hop[0] != name:
                    extras.append(f"{hop[0]}[{hop[1]}]")
                hop = next_hop[hop]
            how = ", ".join(([via] if via else []) + [f"through {e}" for e in extras]) or None
            out[name] = (seed == (name, ""), how)
        return out

    def package(self, name: str) -> Package:
        return self.workspace.by_name[name]

    def out_edges(self, name: str, kinds: Iterable[DepKind] = RUNTIME) -> list[Edge]:
        allowed = set(kinds)
        return [e for e in self._from.get(name, ()) if e.kind in allowed]

    def deps(self, name: str, kinds: Iterable[DepKind] = RUNTIME) -> list[str]:
        return sorted({e.target for e in self.out_edges(name, kinds)})

    def _adjacency(self, kinds: Iterable[DepKind], reverse: bool = False) -> dict[str, set[str]]:
        allowed = set(kinds)
        adj: dict[str, set[str]] = {n: set() for n in self.nodes}
        for e in self.edges:
            if e.kind in allowed:
                a, b = (e.target, e.source) if reverse else (e.source, e.target)
                adj[a].add(b)
        return adj

    @staticmethod
    def _reach(adj: dict[str, set[str]], start: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(start)
        while stack:
            node = stack.pop()
            for nxt in adj.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def closure(self, name: str, kinds: Iterable[DepKind] = RUNTIME) -> list[str]:
        """Every member `name` needs (itself included), in dependency order."""
        needed = self._reach(self._adjacency(kinds), [name]) | {name}
        return [n for n in self.order() if n in needed]

    def requirements(self, kinds: Iterable[DepKind] = RUNTIME) -> dict[str, set[str]]:
        """For every member, every member it needs (itself excluded), directly or not."""
        adj = self._adjacency(kinds)
        return {n: self._reach(adj, [n]) - {n} for n in self.nodes}

    def dependents(self, names: Iterable[str], kinds: Iterable[DepKind] = RUNTIME) -> list[str]:
        """Every member that depends on any of `names`, directly or not."""
        return sorted(self._reach(self._adjacency(kinds, reverse=True), names))

    def order(self, kinds: Iterable[DepKind] = RUNTIME) -> list[str]:
        """Dependencies before dependents, ties broken by name. Members of a cycle are
        placed together, in name order, where the cycle would be."""
        adj = self._adjacency(kinds)
        done: set[str] = set()
        out: list[str] = []
        for component in components(adj):  # reverse topological from Tarjan
            for node in sorted(component):
                if node not in done:
                    done.add(node)
                    out.append(node)
        return out

    def cycles(self) -> list[Cycle]:
        """One cycle per strongly connected group, with its full path. A cycle that
        exists with runtime edges alone is a runtime cycle."""
        found: list[Cycle] = []
        runtime_adj = self._adjacency(RUNTIME)
        all_adj = self._adjacency(ALL_KINDS)
        for kinds_adj, runtime in ((runtime_adj, True), (all_adj, False)):
            for component in components(kinds_adj):
                members = set(component)
                start = min(members)
                if len(members) == 1 and start not in kinds_adj[start]:
                    continue
                path = _cycle_path(kinds_adj, start, members)
                if not runtime and any(set(c.path) >= members for c in found):
                    continue  # already reported as a runtime cycle
                found.append(Cycle(path, runtime))
        return sorted(found, key=lambda c: (not c.runtime, c.path))


def components(adj: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (deep graphs must not
    hit the recursion limit); dependencies come out before dependents."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for start in sorted(adj):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(adj[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop(0)
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(adj[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
    return result


def _cycle_path(adj: dict[str, set[str]], start: str, members: set[str]) -> tuple[str, ...]:
    """The shortest path start -> ... -> start within one component (BFS)."""
    parents: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(adj[node]):
            if nxt not in members:
                continue
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return (*reversed(path), start)
            if nxt not in parents:
                parents[nxt] = node
                queue.append(nxt)
    return (start, start)
