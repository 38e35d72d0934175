"""Which members and apps a change touches, and why.

Three kinds of change are read from git. A changed file belongs to the member whose
directory holds it (the deepest one), and that member's dependents are touched through it.
A changed `uv.lock` touches exactly the members whose projection (runtime, extras and dev
groups: what their tests install) holds a distribution whose version, source, artifacts,
dependency edges or marker changed. A changed root configuration touches everyone, except
an app's own table, which touches that app.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from monolock import git
from monolock.errors import LockError
from monolock.graph import Graph
from monolock.lockfile import parse_lock, present
from monolock.model import Lock, LockDep, LockedPackage, Workspace
from monolock.projection import Held, Reaches

ReasonKind = Literal["changed", "depends", "lock", "config"]
ROOT_MANIFEST = "pyproject.toml"
LOCK = "uv.lock"
# root files whose change reaches every member: they steer uv, the interpreter, or the
# tools a task runs (which find their configuration by walking up from the member)
GLOBAL_FILES = (
    "uv.toml",
    ".python-version",
    ".python-versions",
    "conftest.py",
    "pytest.ini",
    "tox.ini",
    "setup.cfg",
    "mypy.ini",
    ".mypy.ini",
    "ruff.toml",
    ".ruff.toml",
)


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    text: str
    runtime: bool = True  # touches what the member ships, not only its tests

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Affected:
    name: str
    path: str
    reasons: tuple[Reason, ...]
    files: tuple[str, ...] = ()  # the member's own changed files

    @property
    def runtime(self) -> bool:
        return any(r.runtime for r in self.reasons)


@dataclass(frozen=True)
class Result:
    base: str  # the commit compared against (the merge base of --base and the head)
    head: str | None  # None: the working tree
    files: tuple[str, ...]  # every changed file below the root
    members: tuple[Affected, ...]
    apps: tuple[str, ...]  # apps whose shipped projection or code is touched
    total: int  # members in the workspace
    warnings: tuple[str, ...] = ()

    def names(self) -> list[str]:
        return [m.name for m in self.members]


# --- root configuration ------------------------------------------------------------------


def _changed_keys(old: Any, new: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[tuple[str, ...]] = []
        for key in sorted(set(old) | set(new)):
            out += _changed_keys(old.get(key), new.get(key), (*prefix, key))
        return out
    return [] if old == new else [prefix]


def _toml(raw: bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return {}
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not TOML, nested beyond reading
        return None


def _shown(key: tuple[str, ...]) -> str:
    """tool.uv.sources, tool.monolock.tasks, tool.ruff, dependency-groups: one name per
    setting a user edits."""
    depth = 3 if key[:2] in (("tool", "uv"), ("tool", "monolock")) else 2 if key[0] == "tool" else 1
    return ".".join(key[:depth])


@dataclass(frozen=True)
class _Config:
    everyone: tuple[str, ...] = ()  # reasons that reach every member
    # member -> reasons for it alone
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _root_config(ws: Workspace, old: bytes | None, new: bytes | None) -> _Config:
    before, after = _toml(old), _toml(new)
    if before is None or after is None:
        side = "base" if before is None else "head"
        return _Config(everyone=(f"config: root {ROOT_MANIFEST} is unreadable at the {side}",))
    root_member = next((p.name for p in ws.packages if p.path == "."), None)
    apps = {a.name: a.package for a in ws.apps}
    everyone: set[str] = set()
    members: dict[str, set[str]] = {}
    for key in _changed_keys(before, after):
        if key[:3] == ("tool", "monolock", "apps") and len(key) > 3 and key[3] in apps:
            members.setdefault(apps[key[3]], set()).add(f"config: {'.'.join(key[:4])} changed")
        elif root_member is not None and key[0] in ("project", "build-system"):
            members.setdefault(root_member, set()).add(f"changed: {ROOT_MANIFEST} ({key[0]})")
        else:
            everyone.add(f"config: root {ROOT_MANIFEST} {_shown(key)} changed")
    return _Config(tuple(sorted(everyone)), {m: tuple(sorted(r)) for m, r in members.items()})


# --- the lock ----------------------------------------------------------------------------


_FACTS = ("source", "dependencies", "extras", "artifacts")


def _fingerprints(lock: Lock | None) -> dict[str, dict[str, str]]:
    """Per name, everything that decides what gets installed from it (for a member: its
    edges, which steer what its dependents install)."""
    if lock is None:
        return {}
    out: dict[str, dict[str, list[str]]] = {}
    for package in lock.packages:
        member = package.source.is_member
        facts = out.setdefault(package.name, {f: [] for f in _FACTS})
        values = (
            None if member else package.source,
            package.dependencies,
            (sorted(package.optional.items()), sorted(package.groups.items()) if member else ()),
            () if member else package.hashes(),
        )
        for fact, value in zip(_FACTS, values, strict=True):
            facts[fact].append(repr((None if member else package.version, value)))
    return {
        name: {fact: "\n".join(sorted(values)) for fact, values in facts.items()}
        for name, facts in out.items()
    }


def _edges(package: LockedPackage) -> list[LockDep]:
    found = [*package.dependencies]
    for group in (*package.optional.values(), *package.groups.values()):
        found += group
    return found


def _below(lock: Lock | None, names: set[str]) -> set[str]:
    """`names` and every name reachable from them, through any edge."""
    if lock is None:
        return set(names)
    seen = set(names)
    stack = [p for n in names for p in lock.by_name.get(n, ())]
    while stack:
        for dep in _edges(stack.pop()):
            if dep.name not in seen:
                seen.add(dep.name)
                stack += lock.by_name.get(dep.name, ())
    return seen


def _above(lock: Lock | None, names: set[str]) -> set[str]:
    """Every name from which one of `names` is reachable, through any edge: one reverse
    walk over the whole lock, however many members ask."""
    return lock.above(names, groups=True) if lock is not None else set()


class _Side:
    """One end of the diff: what each member's projection holds of the `targets`."""

    def __init__(self, lock: Lock | None, ws: Workspace, targets: set[str]) -> None:
        self.ws = ws
        self.reaches = Reaches(lock, targets) if lock is not None else None

    def of(self, member: str, *, full: bool) -> Held:
        if self.reaches is None:
            return {}
        package = self.ws.by_name[member]
        return self.reaches.signature(
            member, extras=package.extras if full else (), groups=package.groups if full else ()
        )


def _versions(entries: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(sorted({v for v, _ in entries})) or "?"


def _describe(
    name: str,
    old: tuple[tuple[str, str], ...],
    new: tuple[tuple[str, str], ...],
    facts: tuple[str, ...],
) -> str:
    if not old:
        return f"lock: {name} {_versions(new)} added"
    if not new:
        return f"lock: {name} {_versions(old)} removed"
    if _versions(old) != _versions(new):
        return f"lock: {name} {_versions(old)} → {_versions(new)}"
    if old != new:
        return f"lock: {name} {_versions(new)} marker changed"
    return f"lock: {name} {_versions(new)} {', '.join(facts) or 'entry'} changed"


def _lock_reasons(ws: Workspace, old: Lock | None, new: Lock) -> dict[str, list[Reason]]:
    """Lock diffs per distribution, mapped to members through reverse edges: only the
    members above a changed entry are looked at, and only for the names a change can
    move (the changed ones and what is below them)."""
    before, after = _fingerprints(old), _fingerprints(new)
    moved = {n for n in set(before) | set(after) if before.get(n) != after.get(n)}
    if not moved:
        return {}
    members = set(ws.by_name)
    changed = moved - members
    targets = (_below(old, moved) | _below(new, moved)) - members
    if not targets:
        return {}
    candidates = (_above(old, targets) | _above(new, targets)) & members

    def differ(name: str) -> tuple[str, ...]:
        old_facts, new_facts = before.get(name, {}), after.get(name, {})
        return tuple(f for f in _FACTS if old_facts.get(f) != new_facts.get(f))

    was, now = _Side(old, ws, targets), _Side(new, ws, targets)
    out: dict[str, list[Reason]] = {}
    for name in sorted(candidates):
        old_full, new_full = was.of(name, full=True), now.of(name, full=True)
        touched = sorted(
            n
            for n in set(old_full) | set(new_full)
            if n in changed or old_full.get(n) != new_full.get(n)
        )
        if not touched:
            continue
        old_run, new_run = was.of(name, full=False), now.of(name, full=False)
        out[name] = [
            Reason(
                "lock",
                _describe(n, old_full.get(n, ()), new_full.get(n, ()), differ(n)),
                runtime=n in old_run or n in new_run,
            )
            for n in touched
        ]
    return out


def _at(root: Path, ref: str | None, path: str) -> bytes | None:
    """A file at a commit, or in the working tree when `ref` is None; None if absent."""
    if ref is not None:
        return git.show(root, ref, path)
    try:
        return (root / path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LockError(f"cannot read it: {exc.strerror}", where=path) from None


def _lock_at(root: Path, ref: str | None) -> Lock | None:
    raw = _at(root, ref, LOCK)
    if raw is None:
        return None
    return parse_lock(raw, root / LOCK, display=f"{LOCK} at {ref[:12] if ref else 'the head'}")


# --- files -------------------------------------------------------------------------------


def owner(paths: Mapping[str, str], file: str) -> str | None:
    """The member whose directory is the deepest one holding `file` (paths: dir -> name)."""
    parts = file.split("/")
    # the path itself may be a member (a submodule holding one changes as one entry)
    for depth in range(len(parts), 0, -1):
        found = paths.get("/".join(parts[:depth]))
        if found is not None:
            return found
    return paths.get(".")


def _dependents(graph: Graph, direct: Iterable[str]) -> dict[str, list[Reason]]:
    """Members whose tests install a directly changed one: through runtime edges and
    the extras those activate, their own extras, or their dev groups. An extra no one on
    the way activates leads nowhere. A runtime reason when the member ships it."""
    out: dict[str, list[Reason]] = {}
    for changed in sorted(set(direct)):
        for name, (runtime, how) in sorted(graph.reaching(changed).items()):
            text = f"depends on {changed}" + (f" ({how})" if how else "")
            out.setdefault(name, []).append(Reason("depends", text, runtime=runtime))
    return out


def _everything_new(ws: Workspace) -> Result:
    """A repository without a commit: nothing to compare with, so every member is new."""
    reason = Reason("changed", "new: the repository has no commit yet")
    members = tuple(Affected(p.name, p.path, (reason,)) for p in ws.packages)
    return Result("(none)", None, (), members, tuple(a.name for a in ws.apps), len(ws.packages))


def affected(ws: Workspace, base_ref: str, head_ref: str | None) -> Result:
    root = ws.root
    git.require_repository(root)
    if ws.kind == "uv":
        present(ws.lock_path)  # something other than a file there is an error, not "no lock"
    if head_ref is None and base_ref == "HEAD" and not git.output(root, "rev-parse", "HEAD"):
        return _everything_new(ws)
    head = git.commit(root, head_ref) if head_ref is not None else None
    base = git.merge_base(root, git.commit(root, base_ref), head or git.commit(root, "HEAD"))
    files = git.changed(root, base, head)

    reasons: dict[str, list[Reason]] = {}
    owned: dict[str, list[str]] = {}
    paths = {p.path: p.name for p in ws.packages}
    everyone: list[str] = []
    for file in files:
        if file == ROOT_MANIFEST:
            config = _root_config(ws, _at(root, base, file), _at(root, head, file))
            everyone += config.everyone
            for member, texts in config.members.items():
                reasons.setdefault(member, []).extend(Reason("config", t) for t in texts)
        elif file in GLOBAL_FILES:
            everyone.append(f"config: {file} changed")
        elif file != LOCK:
            holder = owner(paths, file)
            if holder is not None:
                owned.setdefault(holder, []).append(file)
    for member, changed in owned.items():
        more = f" (+{len(changed) - 1} more)" if len(changed) > 1 else ""
        reasons.setdefault(member, []).append(Reason("changed", f"changed: {changed[0]}{more}"))

    graph = Graph(ws)
    for member, found in _dependents(graph, reasons).items():
        reasons.setdefault(member, []).extend(found)
    if LOCK in files and ws.kind == "uv":
        try:
            old = _lock_at(root, base)
        except LockError:
            old = None
            everyone.append(f"lock: {LOCK} at the base cannot be read")
        new = _lock_at(root, head)
        if new is not None:
            for member, found in _lock_reasons(ws, old, new).items():
                reasons.setdefault(member, []).extend(found)
        elif old is not None:
            everyone.append(f"lock: {LOCK} removed")
    for member in ws.by_name if everyone else ():
        reasons.setdefault(member, []).extend(Reason("config", t) for t in everyone)

    members = tuple(
        Affected(
            name,
            ws.by_name[name].path,
            tuple(dict.fromkeys(reasons[name])),
            tuple(owned.get(name, ())),
        )
        for name in sorted(reasons)
    )
    runtime = {m.name for m in members if m.runtime}
    apps = tuple(a.name for a in ws.apps if a.package in runtime)
    warnings: tuple[str, ...] = ()
    if head is not None and head != git.commit(root, "HEAD"):
        warnings = (
            f"--head {head_ref} is not the checked-out commit: members and their "
            "dependencies are read from the checkout",
        )
    return Result(base, head, tuple(files), members, apps, len(ws.packages), warnings)
