"""`monolock init --from-poetry`: a Poetry repository becomes a uv workspace with one lock.

Everything happens in a scratch copy of the manifests first: converted pyprojects, a
root with `[tool.uv.workspace]`, and a `uv.lock` resolved preferring the versions the
old poetry.lock files hold (uv's `pip compile` keeps the pins of an existing output
file; its answer constrains the first `uv lock`, and a second, unconstrained `uv lock`
keeps them). Only a plan that got that far is written, as one change (`journal`): every
file, or none.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from monolock import uv
from monolock.errors import BuildError, ManifestError, UsageError, UvError
from monolock.graph import ALL_KINDS, Graph
from monolock.journal import Change, commit
from monolock.lockfile import parse_lock
from monolock.model import Lock, Package, Workspace
from monolock.poetry.convert import convert
from monolock.poetry.drift import declared_third_party, shared_python
from monolock.poetry.fresh import poetry_packages, states
from monolock.poetry.lock import LOCK, present, read
from monolock.poetry.sources import indexes, uv_indexes
from monolock.projection import Projection, diff, project


@dataclass(frozen=True)
class VersionChange:
    name: str
    before: str  # "" when the package did not lock it
    after: str  # "" when the shared lock drops it
    why: str


@dataclass(frozen=True)
class Plan:
    writes: tuple[tuple[str, str], ...]  # repo-relative path -> new content
    deletes: tuple[str, ...]  # the old poetry.lock files
    notes: tuple[tuple[str, str], ...]  # (manifest, what needs a person)
    changes: tuple[tuple[str, tuple[VersionChange, ...]], ...]  # package -> its changes
    members: tuple[str, ...]  # the workspace's member globs or paths
    blocked: str | None = None  # a dry run's plan that would fail: why


def _members(workspace: Workspace, paths: list[str]) -> list[str]:
    """`parent/*` when every directory directly under `parent` is a member (uv refuses a
    directory its glob matches that holds no project), else the paths."""
    parents = {str(Path(p).parent) for p in paths}
    if len(parents) == 1 and "." not in parents:
        parent = workspace.root / parents.pop()
        below = {d.relative_to(workspace.root).as_posix() for d in parent.iterdir() if d.is_dir()}
        if below == set(paths):
            return [f"{parent.relative_to(workspace.root).as_posix()}/*"]
    return sorted(paths)


def _root(workspace: Workspace, members: list[str], converted: str | None) -> str:
    path = workspace.root / "pyproject.toml"
    text = converted if converted is not None else (path.read_text() if path.is_file() else "")
    doc = tomlkit.parse(text)
    tool: Any = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    uv_table: Any = tool.setdefault("uv", tomlkit.table())
    workspace_table = tomlkit.table()
    workspace_table["members"] = members
    uv_table["workspace"] = workspace_table
    found = uv_indexes(indexes(workspace))
    if found:
        array = tomlkit.aot()
        for entry in found:
            array.append(tomlkit.item(entry))
        uv_table["index"] = array
    return tomlkit.dumps(doc)


def _old_pins(old: dict[str, Lock]) -> dict[str, str]:
    """The version to prefer per distribution: the highest any old lock holds."""
    best: dict[str, str] = {}
    for lock in old.values():
        for p in lock.packages:
            if p.source.is_local or p.version is None:
                continue
            try:
                if p.name not in best or Version(p.version) > Version(best[p.name]):
                    best[p.name] = p.version
            except InvalidVersion:
                continue
    return best


def _index_args(workspace: Workspace) -> list[str]:
    args: list[str] = []
    for entry in uv_indexes(indexes(workspace)):
        if entry.get("explicit"):
            continue
        flag = "--index-url" if entry.get("default") else "--extra-index-url"
        args += [flag, entry["url"]]
    return args


def _lock(
    scratch: Path, workspace: Workspace, pins: dict[str, str], uv_args: Sequence[str]
) -> tuple[bytes, str | None]:
    """(uv.lock, a note when the old versions could not be preferred)."""
    requirements = scratch / "monolock-requirements.in"
    preferred = scratch / "monolock-preferred.txt"
    root_doc = tomlkit.parse((scratch / "pyproject.toml").read_text())
    requirements.write_text(
        "".join(f"{d.requirement.pep508()}\n" for _, d in declared_third_party(workspace))
    )
    preferred.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
    python = shared_python(poetry_packages(workspace))
    compile_args = ["pip", "compile", "--universal", "--quiet", "--no-header", "--no-annotate"]
    compile_args += ["-o", preferred.name, requirements.name, *_index_args(workspace)]
    if python:
        bounds = SpecifierSet(python)
        lowest = next((c.version for c in bounds if c.operator in (">=", ">")), None)
        if lowest:
            compile_args += ["--python-version", lowest]
    compile_args += [a for a in uv_args if a != "--offline"] if uv_args else []
    compiled = uv.run(compile_args, cwd=scratch, check=False)
    note = None
    manifest = scratch / "pyproject.toml"
    pristine = manifest.read_text()
    local = {p.name for p in workspace.packages}
    if compiled.returncode == 0:
        pinned = [
            line.strip()
            for line in preferred.read_text().splitlines()
            if "==" in line and line.split("==")[0].strip().lower() not in local
        ]
        tool: Any = root_doc["tool"]
        tool["uv"]["constraint-dependencies"] = pinned
        manifest.write_text(tomlkit.dumps(root_doc))
        first = uv.run(["lock", *uv_args], cwd=scratch, check=False)
        if first.returncode != 0:
            note = "the old versions could not all be kept; resolved afresh"
            (scratch / "uv.lock").unlink(missing_ok=True)
    else:
        note = "the old versions could not be read as preferences; resolved afresh"
    manifest.write_text(pristine)
    uv.run(["lock", *uv_args], cwd=scratch)  # keeps what the constrained lock chose
    if not (scratch / "uv.lock").is_file():
        raise UvError("`uv lock` succeeded but wrote no uv.lock", hint="check the uv monolock runs")
    return (scratch / "uv.lock").read_bytes(), note


def _via(projection: Projection, name: str) -> tuple[str, ...]:
    return next((p.via for p in projection.all if p.name == name), ())


def _moved(name: str, before: Projection, after: Projection) -> str:
    """`name 1.0 → 2.0` (`→ -` when it is gone too), `name` when its version stayed."""
    old = before.versions().get(name, ())
    new = after.versions().get(name, ())
    if not old or old == new:
        return name
    return f"{name} {', '.join(old)} → {', '.join(new) or '-'}"


def _arrived(workspace: Workspace, name: str, before: Projection, after: Projection) -> str:
    """Why the shared lock installs what the old lock did not: who asks for it now."""
    who = _via(after, name)
    members = [w for w in who if w in workspace.by_name]
    if members:
        return f"{', '.join(members)} declare{'s' if len(members) == 1 else ''} it"
    if who:
        return "required by " + ", ".join(_moved(w, before, after) for w in who)
    return "required in the shared lock"


def _left(workspace: Workspace, name: str, before: Projection, after: Projection) -> str:
    """Why the shared lock no longer installs something the old lock did."""
    if name in workspace.by_name:
        return "now the workspace member itself, installed from the repository"
    who = [w for w in _via(before, name) if w not in workspace.by_name]
    if who:
        return "no longer required by " + ", ".join(_moved(w, before, after) for w in who)
    return "no package of this closure asks for it any more"


def _changes(
    workspace: Workspace, old: dict[str, Lock], new: Lock
) -> list[tuple[str, tuple[VersionChange, ...]]]:
    stale = {s.package for s in states(workspace) if s.status != "fresh"}
    locked_by: dict[str, dict[str, list[str]]] = {}
    for name, lock in old.items():
        for p in lock.packages:
            if not p.source.is_local:
                locked_by.setdefault(p.name, {}).setdefault(p.version or "?", []).append(name)
    out = []
    for name, lock in sorted(old.items()):
        groups = workspace.by_name[name].groups
        before = project(lock, name, groups=groups)
        after = project(new, name, groups=groups)
        found = []
        for change in diff(before, after):
            others = {
                v: sorted(set(who) - {name})
                for v, who in locked_by.get(change.name, {}).items()
                if set(who) - {name}
            }
            if change.kind == "added":
                why = _arrived(workspace, change.name, before, after)
            elif change.kind == "removed":
                why = _left(workspace, change.name, before, after)
            elif set(change.before) < set(change.after):
                extra = ", ".join(v for v in change.after if v not in change.before)
                why = f"kept; the shared lock adds {extra} under another Python or platform"
            elif picked := [v for v in sorted(others) if v in change.after]:
                who = ", ".join(others[picked[0]])
                why = f"the shared lock picks one version: {picked[0]}, as {who} locks it"
            elif name in stale:
                why = "its poetry.lock was stale: the manifests ask for this now"
            else:
                why = "the shared lock had to satisfy every package's constraints together"
            found.append(
                VersionChange(change.name, ", ".join(change.before), ", ".join(change.after), why)
            )
        out.append((name, tuple(found)))
    return out


def _migratable(workspace: Workspace) -> list[Package]:
    """The Poetry packages to migrate; anything that stops a complete migration first."""
    if workspace.kind != "paths":
        raise UsageError(
            "this repository is already a uv workspace",
            where="pyproject.toml",
            hint="`monolock lock` resolves it; --from-poetry migrates Poetry repositories",
        )
    if workspace.skipped:
        raise ManifestError(
            f"{len(workspace.skipped)} manifest(s) cannot be read, so the migration could "
            f"not be complete: {', '.join(workspace.skipped)} (see the warnings above)",
            hint="fix (or move out of the repository) each one named, then migrate again; "
            "nothing was changed",
        )
    packages = poetry_packages(workspace)
    if not packages:
        raise UsageError(
            "no package here is managed by Poetry (no [tool.poetry] table, no poetry.lock)",
            hint="run it at the root of the Poetry monorepo, or pass -C ROOT",
        )
    return packages


def _adopted(workspace: Workspace) -> tuple[list[Package], list[tuple[str, str]]]:
    """The projects that become members: Poetry's packages and every project they use by
    path. Any other project (a test fixture's setup, a sample) is left as it is."""
    needs = Graph(workspace).requirements(ALL_KINDS)
    keep = {p.name for p in poetry_packages(workspace)}
    for name in list(keep):
        keep |= needs[name]
    members = [p for p in workspace.packages if p.name in keep or p.path == "."]
    notes = [
        (p.manifest, "left out of the workspace: not managed by Poetry, and no package uses it")
        for p in workspace.packages
        if p not in members
    ]
    return members, notes


def _converted(workspace: Workspace) -> tuple[dict[str, str], list[tuple[str, str]], list[str]]:
    """(every manifest converted, path -> text; notes; the workspace's member globs)."""
    packages, notes = _adopted(workspace)
    member_dirs = {(workspace.root / p.path).resolve(): p.name for p in packages}
    versions = {p.name: p.version for p in packages}
    writes: dict[str, str] = {}
    root_converted: str | None = None
    for package in packages:
        converted = convert(
            (workspace.root / package.manifest).read_text(),
            package,
            base=workspace.root / package.path,
            member_dirs=member_dirs,
            versions=versions,
        )
        notes += [(package.manifest, n) for n in converted.notes]
        if package.path == ".":
            root_converted = converted.text
        else:
            writes[package.manifest] = converted.text
    globs = _members(workspace, [p.path for p in packages if p.path != "."])
    writes["pyproject.toml"] = _root(workspace, globs, root_converted)
    return writes, notes, globs


# never part of what a build reads: left out of the scratch copy
_JUNK = (
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    "*.pyc",
    "node_modules",
    ".tox",
    ".monolock",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)  # builds read sources; a hard link costs nothing
    except OSError:
        shutil.copy2(source, target)


def _scratch_copy(root: Path, scratch: Path, writes: dict[str, str], old_locks: list[str]) -> None:
    """The repository as it will be: its sources, the converted manifests, no poetry.lock."""
    shutil.copytree(
        root,
        scratch,
        symlinks=True,
        ignore=shutil.ignore_patterns(*_JUNK),
        copy_function=_link_or_copy,
    )
    for path in old_locks:
        (scratch / path).unlink(missing_ok=True)
    for path, text in writes.items():
        target = scratch / path
        target.unlink(missing_ok=True)  # never write through a hard link into the repository
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def _installs(scratch: Path, uv_args: Sequence[str]) -> str | None:
    """Build every member's wheel and install the whole workspace from the new lock, in
    the scratch copy; why not, when that fails."""
    options = [a for a in uv_args if a != "--offline"] if uv_args else []
    sync = ["sync", "--all-packages", "--frozen", "--no-editable", "--no-default-groups"]
    result = uv.run(
        [*sync, "--quiet", *options],
        cwd=scratch,
        check=False,
        env={"UV_PROJECT_ENVIRONMENT": str(scratch / ".monolock-verify")},
    )
    return None if result.returncode == 0 else uv.tail(result.stderr or result.stdout)


def plan(
    workspace: Workspace,
    uv_args: Sequence[str] = (),
    progress: Callable[[str], None] = lambda _: None,
    *,
    dry_run: bool = False,
) -> Plan:
    """The whole migration, done in a scratch copy: converted manifests, one uv.lock
    preferring the old locks' versions, every member built and the workspace installed.
    A dry run reports what would stop it (uv's explanation) instead of failing."""
    packages = _migratable(workspace)
    writes, notes, globs = _converted(workspace)
    old = {p.name: read(workspace.root, p) for p in packages if present(workspace.root, p)}
    deletes = sorted(
        f"{p.path}/{LOCK}" if p.path != "." else LOCK for p in packages if p.name in old
    )
    progress(f"converted {len(workspace.packages)} manifests; locking with uv…")
    changes: list[tuple[str, tuple[VersionChange, ...]]] = []
    blocked: str | None = None
    with tempfile.TemporaryDirectory(prefix="monolock-migrate-") as tmp:
        scratch = Path(tmp) / "repo"
        _scratch_copy(workspace.root, scratch, writes, deletes)
        try:
            raw, note = _lock(scratch, workspace, _old_pins(old), uv_args)
        except UvError as exc:
            if not dry_run:
                raise
            blocked = f"uv cannot lock the migrated workspace: {exc.message}"
            notes.append(("uv.lock", blocked))
            raw, note = None, None
        if raw is not None:
            progress("building every member's wheel and installing the workspace…")
            problem = _installs(scratch, uv_args)
            if problem and not dry_run:
                raise BuildError(
                    f"the migrated workspace does not install:\n{problem}",
                    hint="nothing was changed; fix what uv names (see the plan's notes with "
                    "--dry-run), then migrate again",
                )
            if problem:
                blocked = f"the migrated workspace would not install: {problem}"
                notes.append(("uv.lock", blocked))
    if note:
        notes.append(("uv.lock", note))
    if raw is not None:
        writes["uv.lock"] = raw.decode()
        changes = _changes(workspace, old, parse_lock(raw, workspace.root / "uv.lock"))
    return Plan(
        tuple(sorted(writes.items())),
        tuple(deletes),
        tuple(notes),
        tuple(changes),
        tuple(globs),
        blocked,
    )


def apply(root: Path, the_plan: Plan) -> None:
    """Write the plan as one change: every file, or (on an error, or after a kill that
    the next command rolls forward) none of them half-done."""
    changes = [Change(path, text.encode()) for path, text in the_plan.writes]
    changes += [Change(path, None) for path in the_plan.deletes]
    commit(root, "init --from-poetry", changes)


@dataclass(frozen=True)
class Migration:
    plan: Plan
    before: dict[str, str]  # the files the plan writes, as they were (absent: new)


def migrate(
    workspace: Workspace,
    uv_args: Sequence[str] = (),
    *,
    dry_run: bool,
    progress: Callable[[str], None] = lambda _: None,
) -> Migration:
    """Plan the migration and, unless `dry_run`, apply it as one change."""
    the_plan = plan(workspace, uv_args, progress, dry_run=dry_run)
    before = {
        path: (workspace.root / path).read_text(encoding="utf-8", errors="replace")
        for path, _ in the_plan.writes
        if (workspace.root / path).is_file()
    }
    if not dry_run:
        apply(workspace.root, the_plan)
    return Migration(the_plan, before)
