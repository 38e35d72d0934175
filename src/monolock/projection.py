"""An app's projection: the part of the one lock its package closure needs.

Walks the lock from a member along runtime edges (and the extras those edges
activate), carrying the markers under which each package is reached. This is what
`uv export --package APP --no-dev` computes; monolock computes it from the lock model so
that projection, why and affected questions need no call to uv.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from monolock import markers as mk
from monolock.errors import UsageError
from monolock.errors import known as suggest
from monolock.model import Lock, LockDep, LockedPackage, Package, normalize

Key = tuple[str, str | None, object]
Node = tuple[Key, str | None]  # (package key, activated extra or None for the base)


@dataclass(frozen=True)
class Projected:
    package: LockedPackage
    marker: str | None  # None: needed everywhere
    via: tuple[str, ...]  # the packages whose edges lead here, sorted

    @property
    def name(self) -> str:
        return self.package.name

    @property
    def version(self) -> str | None:
        return self.package.version


@dataclass(frozen=True)
class Projection:
    root: str
    lock: Lock
    local: tuple[Projected, ...]  # workspace members and path/directory packages
    third_party: tuple[Projected, ...]

    @property
    def all(self) -> tuple[Projected, ...]:
        return self.local + self.third_party

    def versions(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for p in self.third_party:
            out.setdefault(p.name, []).append(p.version or "")
        return {k: tuple(sorted(v)) for k, v in out.items()}

    def held(self, names: Collection[str] | None = None) -> Held:
        """name -> sorted (version, marker) of each third-party distribution it holds
        (of `names` only, when given): what decides whether two projections differ."""
        out: dict[str, list[tuple[str, str]]] = {}
        for p in self.third_party:
            if names is None or p.name in names:
                out.setdefault(p.name, []).append((p.version or "", p.marker or ""))
        return {k: tuple(sorted(v)) for k, v in out.items()}


Held = dict[str, tuple[tuple[str, str], ...]]


def _edges(package: LockedPackage, extra: str | None) -> tuple[LockDep, ...]:
    if extra is None:
        return package.dependencies
    return package.optional.get(extra, ())


def _conflict_item(kind: str, package: str, name: str) -> str:
    """uv's name for an active extra or group in its conflict markers."""
    return f"{kind}-{len(package)}-{package}-{name}"


@dataclass
class _Walk:
    packages: dict[Key, LockedPackage]
    reach: dict[Node, mk.Dnf]
    via: dict[Key, set[str]]


def _walk(
    lock: Lock, root: LockedPackage, start: list[tuple[LockDep, ...]], space: mk.Space
) -> _Walk:
    walk = _Walk({root.key: root}, {(root.key, None): mk.TRUE}, {})
    work: list[Node] = []
    pending: list[tuple[LockedPackage, mk.Dnf, tuple[LockDep, ...]]] = [
        (root, mk.TRUE, deps) for deps in start
    ]

    def visit(node: Node, dnf: mk.Dnf) -> None:
        old = walk.reach.get(node, mk.FALSE)
        new = mk.union(old, dnf)
        if new != old:
            walk.reach[node] = new
            work.append(node)

    while pending or work:
        if not pending:
            node = work.pop()
            key, extra = node
            pending.append(
                (walk.packages[key], walk.reach[node], _edges(walk.packages[key], extra))
            )
        parent, dnf, deps = pending.pop()
        for dep in deps:
            target = lock.resolve(dep)
            if target is None:
                continue
            conj = mk.conj_of(dep.marker, space)
            if conj is None:
                continue
            reached = mk.extend(dnf, conj, space)
            if not reached:
                continue
            walk.packages[target.key] = target
            walk.via.setdefault(target.key, set()).add(parent.name)
            visit((target.key, None), reached)
            for extra in dep.extras:
                visit((target.key, extra), reached)
    return walk


def check_selection(package: Package, extras: Iterable[str], groups: Iterable[str]) -> None:
    """Extras and groups asked for by name must be the package's own: an unknown one
    would silently give a smaller projection."""
    for option, wanted, names in (
        ("--extra", extras, package.extras),
        ("--group", groups, package.groups),
    ):
        for name in wanted:
            if normalize(name) not in names:
                raise UsageError(
                    f"{option} {name}: {package.name} declares no such {option.lstrip('-')}",
                    where=package.manifest,
                    hint=suggest(name, names),
                )


def project(
    lock: Lock, member: str, *, extras: Iterable[str] = (), groups: Iterable[str] = ()
) -> Projection:
    root = lock.member(normalize(member))
    if root is None:
        raise UsageError(
            f"'{member}' is not a member of the lock",
            where="uv.lock",
            hint="check the name with `monolock list`; relock with `monolock lock` if it is new",
        )
    wanted_extras = [normalize(e) for e in extras]
    wanted_groups = [normalize(g) for g in groups]
    start: list[tuple[LockDep, ...]] = [root.dependencies]
    start += [root.optional.get(e, ()) for e in wanted_extras]
    start += [root.groups.get(g, ()) for g in wanted_groups]
    active = frozenset(
        [_conflict_item("extra", root.name, e) for e in wanted_extras]
        + [_conflict_item("group", root.name, g) for g in wanted_groups]
    )
    # the extras a walk activates can switch uv's conflict markers: walk until stable
    for _ in range(8):
        walk = _walk(lock, root, start, mk.Space(lock.requires_python, active))
        reached = active | {
            _conflict_item("extra", key[0], extra)
            for (key, extra) in walk.reach
            if extra is not None
        }
        if reached == active:
            break
        active = reached

    local: list[Projected] = []
    third: list[Projected] = []
    for key, package in walk.packages.items():
        dnf = walk.reach.get((key, None), mk.FALSE)
        item = Projected(package, mk.render(dnf), tuple(sorted(walk.via.get(key, ()))))
        (local if package.source.is_local else third).append(item)

    def order(p: Projected) -> tuple[str, str]:
        return (p.name, p.version or "")

    return Projection(
        root.name, lock, tuple(sorted(local, key=order)), tuple(sorted(third, key=order))
    )


@dataclass(frozen=True)
class Change:
    name: str
    before: tuple[str, ...]  # versions; empty when added
    after: tuple[str, ...]  # empty when removed

    @property
    def kind(self) -> str:
        if not self.before:
            return "added"
        if not self.after:
            return "removed"
        return "changed"

    def __str__(self) -> str:
        before = ", ".join(self.before)
        after = ", ".join(self.after)
        if self.kind == "added":
            return f"+ {self.name} {after}"
        if self.kind == "removed":
            return f"- {self.name} {before}"
        return f"~ {self.name} {before} -> {after}"


def diff(before: Projection | None, after: Projection | None) -> list[Change]:
    """What changed in a projection's third-party set, sorted by name."""
    old = before.versions() if before else {}
    new = after.versions() if after else {}
    return [
        Change(name, old.get(name, ()), new.get(name, ()))
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    ]


class Reaches:
    """Where a few distributions (`targets`) are installed from every member at once:
    what `project` says of them, computed bottom-up once per (package, extra) node and
    shared by every member above it, so that asking it of n members costs the graph
    once, not n closures. That holds for locks whose markers do not depend on which
    extras are active (no uv conflict markers: `exact`); in the others each member's
    projection is walked on its own."""

    def __init__(self, lock: Lock, targets: Iterable[str]) -> None:
        self.lock = lock
        self.targets = frozenset(targets)
        self.space = mk.Space(lock.requires_python)
        self.exact = not any(
            dep.marker and mk.names_conflict_items(dep.marker)
            for p in lock.packages
            for deps in (p.dependencies, *p.optional.values(), *p.groups.values())
            for dep in deps
        )
        self._memo: dict[Node, dict[Key, mk.Dnf]] = {}
        self._packages: dict[Key, LockedPackage] = {p.key: p for p in lock.packages}
        self._position: dict[Node, int] = {}  # of the nodes being solved
        self._current = 0
        self._cyclic = False

    def signature(
        self, member: str, *, extras: Iterable[str] = (), groups: Iterable[str] = ()
    ) -> Held:
        """name -> sorted (version, marker) of each target the member's projection holds,
        as `project(lock, member, extras=..., groups=...)` would give them."""
        root = self.lock.member(normalize(member))
        if root is None:
            return {}
        if not self.exact:
            return project(self.lock, member, extras=extras, groups=groups).held(self.targets)
        start: list[LockDep] = [*root.dependencies]
        for extra in extras:
            start += root.optional.get(normalize(extra), ())
        for group in groups:
            start += root.groups.get(normalize(group), ())
        found: dict[Key, mk.Dnf] = {}
        self._through(start, found)
        out: dict[str, list[tuple[str, str]]] = {}
        for key, dnf in found.items():
            if dnf:
                out.setdefault(key[0], []).append((key[1] or "", mk.render(dnf) or ""))
        return {name: tuple(sorted(v)) for name, v in out.items()}

    def _through(self, deps: Iterable[LockDep], into: dict[Key, mk.Dnf]) -> None:
        """Merge into `into` what `deps` reach, each under its edge's marker."""
        for dep in deps:
            target = self.lock.resolve(dep)
            if target is None:
                continue
            conj = mk.conj_of(dep.marker, self.space)
            if conj is None:
                continue
            below: list[dict[Key, mk.Dnf]] = [self._node(target.key, None)]
            below += [self._node(target.key, normalize(e)) for e in dep.extras]
            if target.name in self.targets:
                below.append({target.key: mk.TRUE})
            for reach in below:
                for key, dnf in reach.items():
                    extended = mk.extend(dnf, conj, self.space)
                    if extended:
                        into[key] = mk.union(into.get(key, mk.FALSE), extended)

    def _node(self, key: Key, extra: str | None) -> dict[Key, mk.Dnf]:
        """The targets reached below one node, relative to it. Nodes are solved children
        first; a cycle shows as a read of a node not yet solved in this pass, and its
        nodes are solved again until nothing grows (markers only ever widen)."""
        node = (key, extra)
        if node in self._memo:
            if self._position.get(node, -1) >= self._current:
                self._cyclic = True  # read before it was solved in this pass
            return self._memo[node]
        order = self._post_order(node)
        for n in order:
            self._memo[n] = {}
        self._position = {n: i for i, n in enumerate(order)}
        while True:
            self._cyclic = False
            changed = False
            for i, n in enumerate(order):
                self._current = i
                package = self._packages[n[0]]
                edges = package.dependencies if n[1] is None else package.optional.get(n[1], ())
                fresh: dict[Key, mk.Dnf] = {}
                self._through(edges, fresh)
                if fresh != self._memo[n]:
                    self._memo[n] = fresh
                    changed = True
            if not (self._cyclic and changed):
                break
        self._position, self._current = {}, 0
        return self._memo[node]

    def _post_order(self, start: Node) -> list[Node]:
        """Nodes below `start` not yet solved, dependencies first (iterative DFS)."""
        seen = {start}
        out: list[Node] = []
        stack: list[tuple[Node, list[Node]]] = [(start, self._children(start))]
        while stack:
            node, pending = stack[-1]
            if pending:
                child = pending.pop()
                if child not in seen and child not in self._memo:
                    seen.add(child)
                    stack.append((child, self._children(child)))
                continue
            stack.pop()
            out.append(node)
        return out

    def _children(self, node: Node) -> list[Node]:
        package = self._packages[node[0]]
        edges = package.dependencies if node[1] is None else package.optional.get(node[1], ())
        out: list[Node] = []
        for dep in edges:
            target = self.lock.resolve(dep)
            if target is not None:
                out.append((target.key, None))
                out += [(target.key, normalize(e)) for e in dep.extras]
        return out
