"""Boundaries: what each member imports against what it declares.

Shipped code must declare at runtime every distribution and member it imports (ML101,
ML102, ML105), must not lean on a dev group (ML104) and must not reach into another
member's private modules (ML106); every runtime dependency must be imported somewhere
(ML103). Dev code (tests, scripts) must find what it imports declared somewhere: in the
member, or in the workspace root's groups (ML107).

Imports under `if TYPE_CHECKING:` and inside `try: ... except ImportError` are never
missing: the first do not run, the second are optional by design. Both count as uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from monolock.findings import Finding, Location
from monolock.imports.mapping import ModuleMap, Owner
from monolock.imports.scan import FileScan, Import
from monolock.imports.sources import SourceFile
from monolock.model import Lock, LockedPackage, Package, Workspace


@dataclass
class _Collected:
    """Findings of one member, merged by (code, subject): one fix, one finding."""

    found: dict[tuple[str, str], list[tuple[Location, str, str]]] = field(default_factory=dict)

    def add(self, code: str, subject: str, where: Location, message: str, hint: str) -> None:
        self.found.setdefault((code, subject), []).append((where, message, hint))

    def findings(self, package: str) -> list[Finding]:
        out = []
        for (code, subject), hits in self.found.items():
            hits.sort(key=lambda h: h[0])
            where, message, hint = hits[0]
            also = tuple(dict.fromkeys(h[0] for h in hits[1:] if h[0] != where))
            if also:
                message += f" (and {len(also)} more place{'s' if len(also) > 1 else ''})"
            out.append(Finding(code, package, subject, message, hint, where, also))
        return out


def _declared(
    package: Package, lock: Callable[[], Lock] | None
) -> tuple[set[str], dict[str, set[str]]]:
    """Names declared at runtime, and every declared name -> its labels. Dependencies a
    build hook fills in (`dynamic`) are read from the lock, where uv recorded them."""
    runtime = {d.name for d in package.runtime()}
    labels: dict[str, set[str]] = {}
    for dep in package.dependencies:
        labels.setdefault(dep.name, set()).add(dep.label)
    dynamic = {"dependencies", "optional-dependencies"} & set(package.dynamic)
    member = lock().member(package.name) if dynamic and lock is not None else None
    if member is not None:
        if "dependencies" in dynamic:
            runtime |= {d.name for d in member.dependencies}
            for locked in member.dependencies:
                labels.setdefault(locked.name, set()).add("runtime")
        if "optional-dependencies" in dynamic:
            for extra, deps in member.optional.items():
                for locked in deps:
                    labels.setdefault(locked.name, set()).add(f"extra:{extra}")
    return runtime, labels


def _runtime_table(package: Package) -> str:
    return "[project].dependencies" if package.dialect == "pep621" else "[tool.poetry.dependencies]"


def _suppressed(scan: FileScan, imp: Import, code: str) -> bool:
    return any(line == imp.line and (not codes or code in codes) for line, codes in scan.ignores)


class _Reach:
    """Which distributions a member reaches through the lock, and by which path: what it
    installs, or (`groups`) what only its dev groups bring."""

    def __init__(
        self, load: Callable[[], Lock] | None, empty: Callable[[str], bool] = lambda _: False
    ) -> None:
        self.load = load
        self.empty = empty  # the package ships no module of its own
        self._paths: dict[tuple[str, bool], dict[str, tuple[str, ...]]] = {}

    def path(self, member: str, dist: str, *, groups: bool = False) -> tuple[str, ...] | None:
        if self.load is None:
            return None
        if (member, groups) not in self._paths:
            self._paths[(member, groups)] = self._walk(member, groups)
        return self._paths[(member, groups)].get(dist)

    def through_meta(self, declared: Iterable[str], wanted: Iterable[str]) -> list[str]:
        """The declared packages that ship no module of their own (metapackages such as
        `pydantic-ai` over `pydantic-ai-slim`) and depend directly on one of `wanted`:
        declaring one of them declares what it stands for."""
        if self.load is None:
            return []
        lock = self.load()
        wanted = set(wanted)
        return sorted(
            name
            for name in declared
            if self.empty(name)
            and any(d.name in wanted for p in lock.by_name.get(name, ()) for d in p.dependencies)
        )

    def how(self, member: str, dist: str) -> str:
        """How a distribution a member does not declare is there at all."""
        trail = self.path(member, dist)
        if trail is not None:
            return f"present only transitively ({' -> '.join(trail)})"
        trail = self.path(member, dist, groups=True)
        if trail is not None:
            return f"installed only with its dev groups ({' -> '.join(trail)})"
        return "in the lock for other members only"

    def _walk(self, member: str, groups: bool) -> dict[str, tuple[str, ...]]:
        assert self.load is not None
        lock = self.load()
        start = lock.member(member)
        paths: dict[str, tuple[str, ...]] = {}
        if start is None:
            return paths
        queue: list[tuple[LockedPackage, tuple[str, ...]]] = [(start, (member,))]
        while queue:
            node, trail = queue.pop(0)
            deps = [*node.dependencies, *(d for ds in node.optional.values() for d in ds)]
            if groups and node is start:
                deps += [d for ds in node.groups.values() for d in ds]
            for dep in deps:
                if dep.name in paths:
                    continue
                paths[dep.name] = (*trail, dep.name)
                target = lock.resolve(dep)
                if target is not None:
                    queue.append((target, paths[dep.name]))
        return paths


def _private(owner: Owner, candidate: str, owner_pkg: Package) -> str | None:
    """The private module an import reaches into, if any."""
    rest = candidate[len(owner.key) :].lstrip(".").split(".") if candidate != owner.key else []
    for i, part in enumerate(rest):
        if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
            return ".".join([owner.key, *rest[: i + 1]])
    for prefix in owner_pkg.check.private:
        if candidate == prefix or candidate.startswith(prefix + "."):
            return prefix
    return None


def _local_names(files: Iterable[SourceFile]) -> set[str]:
    """Top-level names dev code may import from its own directories (test helpers)."""
    names: set[str] = set()
    for f in files:
        if f.module is None:
            parts = f.path.split("/")
            names.update(p for p in parts[:-1])
            names.add(parts[-1][:-3])
    return names


def check_imports(
    workspace: Workspace,
    files: Mapping[str, Sequence[SourceFile]],
    scans: Mapping[str, FileScan],
    modules: ModuleMap,
    lock: Callable[[], Lock] | None,
    *,
    root_groups: frozenset[str] = frozenset(),
    commands: Mapping[str, tuple[str, ...]] = {},
) -> list[Finding]:
    reach = _Reach(
        lock,
        lambda name: (
            name in modules.empty
            or (name in workspace.by_name and not workspace.by_name[name].import_names)
        ),
    )
    out: list[Finding] = []
    for name, member_files in files.items():
        package = workspace.by_name[name]
        runtime, labels = _declared(package, lock)
        local = _local_names(member_files)
        used: set[str] = set()
        collected = _Collected()
        me = _Importer(workspace, package, runtime, labels, used, collected, reach)
        shipped_any = False
        for f in member_files:
            scan = scans.get(f.path)
            if scan is None:
                continue
            shipped_any = shipped_any or not f.dev
            if scan.error is not None:
                line = (
                    int(scan.error.split(":")[0].split()[-1]) if scan.error[:5] == "line " else None
                )
                too_large = scan.error.startswith("too large")
                collected.add(
                    "ML100",
                    f.path,
                    Location(f.path, line),
                    f"{f.path} is not "
                    + ("scanned" if too_large else "valid Python")
                    + f" ({scan.error})",
                    "move generated data out of the package, or ignore ML100 for it"
                    if too_large
                    else "fix the syntax, or move the file out of the package",
                )
                continue
            for imp in scan.imports:
                for owner, candidate in _owners(modules, imp, package):
                    if f.dev:
                        _dev(
                            package,
                            imp,
                            owner,
                            scan,
                            f,
                            labels,
                            root_groups,
                            local,
                            used,
                            collected,
                            reach,
                        )
                    else:
                        _shipped(me, imp, owner, candidate, scan, f)
        out += collected.findings(name)
        if shipped_any:
            out += _unused(workspace, package, used, modules, commands.get(name, ()))
    return out


def _own(package: Package, candidate: str) -> Owner | None:
    """A module the importing member ships itself wins over another member's module of
    the same name (two apps' `ui_view.py`): Python finds its own first."""
    for name in package.import_names:
        if candidate == name or candidate.startswith(name + "."):
            return Owner("member", (package.name,), name)
    return None


def _owners(modules: ModuleMap, imp: Import, package: Package) -> list[tuple[Owner, str]]:
    seen: dict[tuple[str, tuple[str, ...]], tuple[Owner, str]] = {}
    for candidate in imp.candidates():
        owner = _own(package, candidate) or modules.owner(candidate)
        seen.setdefault((owner.kind, owner.names), (owner, candidate))
    return list(seen.values())


@dataclass
class _Importer:
    """One member's side of its imports: what it declares, what it used, what was found."""

    workspace: Workspace
    package: Package
    runtime: set[str]
    labels: dict[str, set[str]]
    used: set[str]
    out: _Collected
    reach: _Reach


def _shipped(
    me: _Importer, imp: Import, owner: Owner, candidate: str, scan: FileScan, f: SourceFile
) -> None:
    if owner.kind == "stdlib":
        return
    if owner.kind == "member":
        _member_import(me, imp, owner, candidate, scan, f)
    elif owner.kind == "unknown":
        if imp.typing or imp.optional or _suppressed(scan, imp, "ML102"):
            return
        me.out.add(
            "ML102",
            owner.key,
            Location(f.path, imp.line),
            f"imports '{owner.key}', which no locked distribution, member or the standard "
            "library provides",
            f"add the distribution that provides '{owner.key}' to {me.package.manifest} and "
            "run `monolock lock`, or map it under [tool.monolock.import-names]",
        )
    else:
        _dist_import(me, imp, owner, scan, f)


def _member_import(
    me: _Importer, imp: Import, owner: Owner, candidate: str, scan: FileScan, f: SourceFile
) -> None:
    package, target = me.package, owner.names[0]
    if target == package.name:
        return
    me.used.add(target)
    where = Location(f.path, imp.line)
    private = _private(owner, candidate, me.workspace.by_name[target])
    if private and not _suppressed(scan, imp, "ML106"):
        me.out.add(
            "ML106",
            private,
            where,
            f"reaches into '{private}', private to member '{target}'",
            f"use what '{target}' exports publicly, or make the module public there",
        )
    if target in me.runtime or imp.typing or imp.optional:
        return
    meta = me.reach.through_meta(me.runtime, [target])
    if meta:
        me.used.update(meta)
        return
    if target in me.labels:  # in an extra or a group: as for a distribution declared there
        _declared_elsewhere(package, imp, owner, scan, f, target, me.labels, me.out)
        return
    if not _suppressed(scan, imp, "ML105"):
        source = f", with `{target} = {{ workspace = true }}` under [tool.uv.sources]"
        me.out.add(
            "ML105",
            target,
            where,
            f"imports member '{target}', which {package.name} does not declare",
            f"add '{target}' to {_runtime_table(package)} of {package.manifest}"
            + (source if me.workspace.kind == "uv" else ""),
        )


def _dist_import(me: _Importer, imp: Import, owner: Owner, scan: FileScan, f: SourceFile) -> None:
    package, dists = me.package, owner.names
    declared_runtime = [d for d in dists if d in me.runtime]
    if declared_runtime:
        me.used.update(declared_runtime)
        return
    meta = me.reach.through_meta(me.runtime, dists)
    if meta:
        me.used.update(meta)
        return
    declared = [d for d in dists if d in me.labels]
    me.used.update(declared)
    if imp.typing or imp.optional:
        return
    if declared:
        _declared_elsewhere(package, imp, owner, scan, f, declared[0], me.labels, me.out)
        return
    if _suppressed(scan, imp, "ML101"):
        return
    dist = dists[0]
    how = me.reach.how(package.name, dist)
    me.out.add(
        "ML101",
        dist,
        Location(f.path, imp.line),
        f"imports '{owner.key}' from '{dist}', which {package.name} does not declare: {how}",
        f"add '{dist}' to {_runtime_table(package)} of {package.manifest}",
    )


def _declared_elsewhere(
    package: Package,
    imp: Import,
    owner: Owner,
    scan: FileScan,
    f: SourceFile,
    name: str,
    labels: dict[str, set[str]],
    out: _Collected,
) -> None:
    """An import of a distribution or member declared, but not at runtime: an extra is
    fine where the import waits for a call; a group never ships (ML104)."""
    kinds = sorted(labels[name])
    groups_only = all(k.startswith("group") for k in kinds)
    at_import = not imp.function and f.is_init and f.module in package.import_names
    if (groups_only or at_import) and not _suppressed(scan, imp, "ML104"):
        what = "member" if owner.kind == "member" else "distribution"
        out.add(
            "ML104",
            name,
            Location(f.path, imp.line),
            f"imports '{owner.key}' from {what} '{name}', declared only as {', '.join(kinds)}"
            + ("" if groups_only else ", but the package needs it as soon as it is imported"),
            f"move '{name}' to {_runtime_table(package)} of {package.manifest}",
        )


def _dev(
    package: Package,
    imp: Import,
    owner: Owner,
    scan: FileScan,
    f: SourceFile,
    labels: dict[str, set[str]],
    root_groups: frozenset[str],
    local: set[str],
    used: set[str],
    out: _Collected,
    reach: _Reach,
) -> None:
    if owner.kind == "stdlib" or imp.typing or imp.optional:
        return
    if owner.kind == "member" and owner.names[0] == package.name:
        return
    if owner.kind != "member" and imp.module.split(".")[0] in local:
        return  # the member's own test helpers (`tests/`) come first on its path
    names = owner.names or (owner.key,)
    if any(n in labels or n in root_groups for n in names):
        used.update(n for n in names if n in labels)
        return
    meta = reach.through_meta([*labels, *root_groups], names)
    if meta:
        used.update(m for m in meta if m in labels)
        return
    if _suppressed(scan, imp, "ML107"):
        return
    subject = names[0]
    what = {"member": "member", "dist": "distribution"}.get(owner.kind, "module")
    trail = reach.path(package.name, subject) if owner.kind == "dist" else None
    note = f": present only transitively ({' -> '.join(trail)})" if trail else ""
    out.add(
        "ML107",
        subject,
        Location(f.path, imp.line),
        f"dev code imports {what} '{subject}', which {package.name} declares nowhere{note}",
        f"add '{subject}' to a dependency group of {package.manifest} (or of the root)",
    )


def _unused(
    workspace: Workspace,
    package: Package,
    used: set[str],
    modules: ModuleMap,
    commands: tuple[str, ...],
) -> list[Finding]:
    out: list[Finding] = []
    for dep in package.runtime():
        name = dep.name
        if name in used or name == package.name or name in modules.empty:
            continue
        if any(name == c or name.replace("-", "_") == c for c in commands):
            continue  # run by the app's command (`uvicorn ...`, `python -m celery ...`)
        what = "member" if name in workspace.by_name else "distribution"
        out.append(
            Finding(
                "ML103",
                package.name,
                name,
                f"declares {what} '{name}', which no shipped module imports",
                f"remove '{name}' from {_runtime_table(package)} of {package.manifest}, or "
                f'ignore it with `ignore = ["ML103:{name}"]` under [tool.monolock.check] '
                "if it is loaded another way",
                Location(package.manifest),
            )
        )
    return out
