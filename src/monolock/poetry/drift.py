"""Drift between per-package Poetry locks, and whether one shared lock could hold them all.

The versions come from each package's `poetry.lock`. The answer to "could one lock
satisfy every package?" comes from uv itself: every package's declared third-party
requirements (runtime, extras and groups, markers kept) are resolved together in a
throwaway project under the Python range all packages share. When uv finds no
solution, the distributions its explanation names are listed with who declares what.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import Version

from monolock import uv
from monolock.lockfile import read_lock
from monolock.model import Dependency, Lock, Package, Workspace
from monolock.poetry.fresh import poetry_packages
from monolock.poetry.lock import present, read
from monolock.poetry.sources import indexes, uv_indexes

PROBE = "monolock-shared-lock-probe"


@dataclass(frozen=True)
class Drift:
    name: str
    versions: tuple[tuple[str, tuple[str, ...]], ...]  # (version, the packages locking it)


@dataclass(frozen=True)
class Declared:
    package: str
    label: str  # runtime, extra:NAME or group:NAME
    requirement: str  # PEP 508, as converted from the manifest


@dataclass(frozen=True)
class Shared:
    ok: bool
    requires_python: str | None  # the range every package allows
    versions: dict[str, str]  # name -> the version one lock would pick (when ok)
    message: str = ""  # uv's explanation (when not)
    conflicts: tuple[tuple[str, tuple[Declared, ...]], ...] = ()
    internal: tuple[str, ...] = ()  # pins on a member that its own version does not meet


@dataclass(frozen=True)
class Report:
    packages: tuple[str, ...]  # those with a poetry.lock
    missing: tuple[str, ...]  # Poetry packages without one
    drift: tuple[Drift, ...]
    shared: Shared | None


def locks(workspace: Workspace) -> tuple[dict[str, Lock], list[str]]:
    found: dict[str, Lock] = {}
    missing: list[str] = []
    for package in poetry_packages(workspace):
        if present(workspace.root, package):
            found[package.name] = read(workspace.root, package)
        else:
            missing.append(package.name)
    return found, missing


def drift(workspace: Workspace, found: dict[str, Lock]) -> list[Drift]:
    by_name: dict[str, dict[str, set[str]]] = {}
    for package, lock in found.items():
        for locked in lock.packages:
            if locked.source.is_local or locked.name in workspace.by_name:
                continue
            versions = by_name.setdefault(locked.name, {})
            versions.setdefault(locked.version or "?", set()).add(package)
    out = []
    for name, versions in sorted(by_name.items()):
        if len(versions) > 1:
            rows = sorted((v, tuple(sorted(p))) for v, p in versions.items())
            out.append(Drift(name, tuple(rows)))
    return out


def declared_third_party(workspace: Workspace) -> list[tuple[Package, Dependency]]:
    return [
        (p, d)
        for p in poetry_packages(workspace)
        for d in p.dependencies
        if d.name not in workspace.by_name
    ]


def shared_python(packages: Sequence[Package]) -> str | None:
    """The Python range every package allows: the tightest bounds, other clauses kept."""
    clauses: list[Specifier] = []
    for package in packages:
        try:
            clauses += list(SpecifierSet(package.requires_python or ""))
        except InvalidSpecifier:
            continue
    lows = [c for c in clauses if c.operator in (">", ">=")]
    highs = [c for c in clauses if c.operator in ("<", "<=")]
    kept = [c for c in clauses if c not in lows and c not in highs]

    def key(c: Specifier) -> tuple[Version, bool]:
        return (Version(c.version), c.operator in (">", "<="))

    if lows:
        kept.append(max(lows, key=key))
    if highs:
        kept.append(min(highs, key=key))
    return str(SpecifierSet(",".join(sorted({str(c) for c in kept})))) or None


def _internal_pins(workspace: Workspace) -> list[str]:
    out = []
    for package in poetry_packages(workspace):
        for dep in package.dependencies:
            member = workspace.by_name.get(dep.name)
            spec = dep.requirement.specifier
            if member is None or not spec or member.version is None:
                continue
            if not SpecifierSet(spec).contains(member.version, prereleases=True):
                out.append(
                    f"{package.name} pins '{dep.name}{spec}' ({dep.label}), but the member "
                    f"is version {member.version}: in one workspace it is the member"
                )
    return sorted(out)


def probe_manifest(workspace: Workspace, requires_python: str | None) -> str:
    """The throwaway project: every declared third-party requirement, and the indexes."""
    declared = declared_third_party(workspace)
    runtime = sorted({d.requirement.pep508() for _, d in declared if d.kind != "group"})
    groups = sorted({d.requirement.pep508() for _, d in declared if d.kind == "group"})
    project: dict[str, Any] = {"name": PROBE, "version": "0", "dependencies": runtime}
    if requires_python:
        project["requires-python"] = requires_python
    doc: dict[str, Any] = {"project": project, "dependency-groups": {"all": groups}}
    uv_table: dict[str, Any] = {"package": False}
    found = indexes(workspace)
    if found:
        uv_table["index"] = uv_indexes(found)
        named = {
            d.name: {"index": d.source.index}
            for _, d in declared
            if d.source is not None and d.source.kind == "index" and d.source.index
        }
        if named:
            uv_table["sources"] = dict(sorted(named.items()))
    doc["tool"] = {"uv": uv_table}
    return tomlkit.dumps(doc)


def _who(workspace: Workspace, message: str) -> tuple[tuple[str, tuple[Declared, ...]], ...]:
    by_name: dict[str, list[Declared]] = {}
    for package, dep in declared_third_party(workspace):
        by_name.setdefault(dep.name, []).append(
            Declared(package.name, dep.label, dep.requirement.pep508())
        )
    words = {w.lower().replace("_", "-") for w in re.findall(r"[A-Za-z0-9][\w.-]*", message)}
    named = sorted(n for n in by_name if n in words)
    return tuple((n, tuple(sorted(by_name[n], key=lambda d: d.package))) for n in named)


def _unsatisfiable(message: str) -> bool:
    """uv found no solution because the requirements conflict, not because packages
    could not be fetched."""
    lowered = message.lower()
    unavailable = ("network was disabled", "unavailable because", "failed to fetch")
    return "no solution found" in lowered and not any(u in lowered for u in unavailable)


def shared(workspace: Workspace, uv_args: Sequence[str] = ()) -> Shared:
    python = shared_python(poetry_packages(workspace))
    internal = tuple(_internal_pins(workspace))
    with tempfile.TemporaryDirectory(prefix="monolock-probe-") as tmp:
        directory = Path(tmp)
        (directory / "pyproject.toml").write_text(probe_manifest(workspace, python))
        result = uv.run(["lock", *uv_args], cwd=directory, check=False)
        if result.returncode != 0 and not _unsatisfiable(result.stderr):
            raise uv.failure(result)  # an unreachable index is no answer to the question
        if result.returncode != 0:
            text = uv.tail(result.stderr or result.stdout, 40).splitlines()
            message = "\n".join(line for line in text if not line.startswith("Using "))
            return Shared(False, python, {}, message, _who(workspace, message), internal)
        lock = read_lock(directory / "uv.lock", display="the uv.lock uv resolved")
    versions = {p.name: p.version or "" for p in lock.packages if not p.source.is_local}
    return Shared(not internal, python, versions, internal=internal)


def report(workspace: Workspace, *, resolve: bool, uv_args: Sequence[str] = ()) -> Report:
    found, missing = locks(workspace)
    return Report(
        tuple(sorted(found)),
        tuple(sorted(missing)),
        tuple(drift(workspace, found)),
        shared(workspace, uv_args) if resolve else None,
    )
