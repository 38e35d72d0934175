"""An app's container build context: its projection of the lock, its internal wheels, and a
multi-stage Dockerfile that installs exactly those, nothing else.

The install steps are data (`Plan.steps`): the Dockerfile renders them, and
`monolock build --venv` runs the very same ones on this machine to prove the result.
Every generated file is deterministic: sorted, no timestamps, paths relative to the context.
"""

from __future__ import annotations

import json
import shlex
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from monolock import __version__, export
from monolock.config import find_app
from monolock.errors import BuildError, ManifestError, WorkspaceError
from monolock.graph import Graph
from monolock.model import App, Lock, Workspace
from monolock.projection import Projection, project
from monolock.targets import STAMP
from monolock.wheels import Source, Wheel

VENV = "/opt/venv"
WORKDIR = "/app"
UID = 10001
REQUIREMENTS = "requirements.txt"
SBOM = "sbom.cdx.json"  # CycloneDX: what the image holds, for the registry and scanners
INTERNAL = "internal.txt"
WHEELS = "wheels"
FILES = "app"
MANIFEST = "manifest.json"
_PYTHONS = tuple(f"3.{minor}" for minor in range(8, 16))
_SKIP = {"__pycache__", ".git", ".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache"}


@dataclass(frozen=True)
class Plan:
    """Everything a build context holds, decided before anything is built."""

    app: App
    python: str  # X.Y of the image's interpreter
    base_image: str
    command: tuple[str, ...]
    projection: Projection
    sources: tuple[Source, ...]  # internal packages to ship as wheels
    virtual: tuple[str, ...]  # internal packages with nothing to build (uv virtual members)
    indexes: tuple[str, ...]  # where the third-party wheels come from, as the lock says
    hash_checked: bool  # every third-party requirement has a hash in the lock
    warnings: tuple[str, ...] = ()

    def steps(self, venv: str, interpreter: str) -> list[tuple[str, ...]]:
        """uv's arguments, in order: make the environment, fill it from the lock, add the
        internal wheels. The Dockerfile runs them in /context, `--venv` in the context dir."""
        python = f"{venv}/bin/python"
        # no config files: the image has none, so neither may the proof on this machine
        install = (
            "pip",
            "install",
            "--no-config",
            "--python",
            python,
            "--no-deps",
            "--compile-bytecode",
        )
        steps: list[tuple[str, ...]] = [("venv", "--no-config", venv, "--python", interpreter)]
        if self.projection.third_party:
            checked = ("--require-hashes",) if self.hash_checked else ()
            steps.append((*install, *checked, "-r", REQUIREMENTS))
        if self.sources:
            steps.append((*install, "--no-index", "--require-hashes", "-r", INTERNAL))
        return steps


def _spec(text: str | None, where: str) -> SpecifierSet:
    try:
        return SpecifierSet(text or "")
    except InvalidSpecifier:
        raise ManifestError(
            f"requires-python: '{text}' is not a version range", where=where
        ) from None


def _default_python(ranges: Sequence[tuple[str | None, str]]) -> str:
    """The oldest Python X.Y every range of the closure allows (deterministic, no probing)."""
    specs = [_spec(text, where) for text, where in ranges]
    for candidate in _PYTHONS:
        patches = [f"{candidate}.{patch}" for patch in range(0, 30)]
        if any(all(s.contains(v) for s in specs) for v in patches):
            return candidate
    shown = "; ".join(f"{where}: {text}" for text, where in ranges if text)
    raise ManifestError(
        f"no Python version satisfies every requires-python of the app's closure ({shown})",
        hint="align the ranges, or set `python` in the app's [tool.monolock.apps] table",
    )


def _indexes(projection: Projection) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    for item in projection.third_party:
        if item.package.source.kind == "registry":
            seen[item.package.source.value] = seen.get(item.package.source.value, 0) + 1
    # the index most packages come from first: pip and uv try it first
    return tuple(sorted(seen, key=lambda url: (-seen[url], url)))


def resolve_app(workspace: Workspace, name: str) -> App:
    """The app called `name`, checked for what would make it unbuildable before any work
    starts: a missing package, a runtime cycle."""
    app = find_app(workspace, name)
    if workspace.get(app.package) is None:
        raise ManifestError(
            f"tool.monolock.apps.{app.name}.package: '{app.package}' is not a member",
            where="pyproject.toml",
            hint="see `monolock list` for the members",
        )
    graph = Graph(workspace)
    closure = {app.package, *graph.closure(app.package)}
    for cycle in graph.cycles():
        if cycle.runtime and closure & set(cycle.path):
            raise WorkspaceError(
                f"the runtime dependencies of {app.name} form a cycle: {cycle}",
                where=workspace.by_name[cycle.path[0]].manifest,
                hint="no install order exists for a cycle; move the shared code into a package "
                "both can depend on",
            )
    return app


def make_plan(workspace: Workspace, lock: Lock, app: App, python: str | None = None) -> Plan:
    if app.base_image is not None and "distroless" in app.base_image:
        raise ManifestError(
            f"tool.monolock.apps.{app.name}.base-image: {app.base_image!r} is distroless: it "
            "has no shell for the Dockerfile's install steps or user creation",
            where="pyproject.toml",
            hint='use a Debian-based image ("python:3.12-slim") or an Alpine one '
            '("python:3.12-alpine")',
        )
    projection = project(lock, app.package)
    warnings: list[str] = []
    sources: list[Source] = []
    virtual: list[str] = []
    for item in projection.local:
        source = item.package.source
        if source.kind == "virtual":
            virtual.append(item.name)
        elif source.kind in ("editable", "directory"):
            sources.append(Source(item.name, source.value))
        else:
            raise BuildError(
                f"{item.name} comes from a local file ({source.value}): monolock builds "
                "internal packages from their directories only",
                where="uv.lock",
                hint="make it a workspace member or a directory source",
            )
    if app.package in virtual:
        warnings.append(
            f"{app.package} is a virtual member (no build system): the image holds its "
            "dependencies only"
        )
    unhashed = [p.name for p in projection.third_party if not p.package.hashes()]
    if unhashed:
        warnings.append(
            "no hash in the lock for "
            + ", ".join(unhashed)
            + " (a git or URL source, or an index that publishes no hashes): third-party "
            "installs run without hash checking"
        )
    ranges = [(lock.requires_python, "uv.lock")]
    # the closure is the projection's local part: the lock was checked fresh against it
    internal = [p for item in projection.local if (p := workspace.get(item.name)) is not None]
    ranges += [(p.requires_python, p.manifest) for p in internal]
    chosen = python or app.python or _default_python(ranges)
    command: tuple[str, ...] = tuple(shlex.split(app.command)) if app.command else ()
    if not command:
        warnings.append(
            f"{app.name} has no `command`: the image has no CMD (set "
            f"tool.monolock.apps.{app.name}.command)"
        )
    return Plan(
        app=app,
        python=chosen,
        base_image=app.base_image or f"python:{chosen}-slim",
        command=command,
        projection=projection,
        sources=tuple(sorted(sources, key=lambda s: s.name)),
        virtual=tuple(sorted(virtual)),
        indexes=_indexes(projection),
        hash_checked=not unhashed,
        warnings=tuple(warnings),
    )


def requirements(plan: Plan) -> str:
    return export.requirements(plan.projection, indexes=plan.indexes)


def internal(plan: Plan, wheels: Sequence[Wheel]) -> str:
    lines = [
        f"# monolock build {plan.app.name}: the internal wheels, installed with --no-deps",
        f"# lock sha256:{plan.projection.lock.digest}",
    ]
    lines += [f"{w.name} @ ./{WHEELS}/{w.filename} --hash=sha256:{w.sha256}" for w in wheels]
    return "\n".join(lines) + "\n"


def _user() -> list[str]:
    """The unprivileged user, made with the base image's own tools: shadow's (Debian and
    the like) where they are, BusyBox's (Alpine) otherwise."""
    return [
        "RUN if command -v useradd >/dev/null 2>&1; then \\",
        f"      groupadd --system --gid {UID} app \\",
        f"      && useradd --system --uid {UID} --gid {UID} --no-create-home app; \\",
        f"    else addgroup -S -g {UID} app && adduser -S -D -H -u {UID} -G app app; fi",
    ]


def dockerfile(plan: Plan, uv_version: str) -> str:
    app = plan.app
    steps = plan.steps(VENV, f"python{plan.python}")
    cached = "--mount=type=cache,target=/root/.cache/uv "  # uv's cache outlives the layer
    run = [shlex.join(["uv", *step]) for step in steps]
    lines = [
        "# syntax=docker/dockerfile:1",
        f"# Generated by `monolock build {app.name}`: change [tool.monolock.apps.{app.name}] "
        "or the lock, then build again.",
        f"# From uv.lock sha256:{plan.projection.lock.digest}",
        "",
        f"ARG BASE_IMAGE={plan.base_image}",
        "",
        "FROM ${BASE_IMAGE} AS build",
        f"COPY --from=ghcr.io/astral-sh/uv:{uv_version} /uv /usr/local/bin/uv",
        "ENV UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy",
        "WORKDIR /context",
        "# Third-party layer first: rebuilt only when the app's projection of the lock changes.",
    ]
    if plan.projection.third_party:
        lines += [f"COPY {REQUIREMENTS} ./", f"RUN {cached}{run[0]} \\", f"    && {run[1]}"]
    else:
        lines += [f"RUN {run[0]}"]
    if plan.sources:
        lines += [
            "# The app and its internal closure, as wheels, without dependencies.",
            f"COPY {INTERNAL} ./",
            f"COPY {WHEELS}/ {WHEELS}/",
            f"RUN {cached}{run[-1]}",
        ]
    lines += [
        "",
        "FROM ${BASE_IMAGE}",
        *_user(),
        f"COPY --from=build {VENV} {VENV}",
    ]
    if app.files:
        lines.append(f"COPY {FILES}/ {WORKDIR}/")
    lines += [
        f"ENV PATH={VENV}/bin:$PATH VIRTUAL_ENV={VENV} PYTHONUNBUFFERED=1",
        f"WORKDIR {WORKDIR}",
        f"USER {UID}:{UID}",
    ]
    if plan.command:
        lines.append(f"CMD {json.dumps(list(plan.command))}")
    return "\n".join(lines) + "\n"


def dockerignore(plan: Plan) -> str:
    """Send the daemon what the Dockerfile copies, and nothing a user drops in the dir."""
    allowed = [REQUIREMENTS]
    if plan.sources:
        allowed += [INTERNAL, f"{WHEELS}/"]
    if plan.app.files:
        allowed.append(f"{FILES}/")
    return "*\n" + "".join(f"!{name}\n" for name in allowed)


def manifest(plan: Plan, wheels: Sequence[Wheel], *, epoch: int, uv_version: str) -> str:
    distributions: list[dict[str, object]] = [
        {
            "name": item.name,
            "version": item.version,
            "origin": "lock",
            "source": item.package.source.value,
            "marker": item.marker,
            "hashes": list(item.package.hashes()),
        }
        for item in plan.projection.third_party
    ]
    distributions += [
        {
            "name": w.name,
            "version": w.version,
            "origin": "internal wheel",
            "wheel": f"{WHEELS}/{w.filename}",
            "hashes": [f"sha256:{w.sha256}"],
        }
        for w in wheels
    ]
    data = {
        "app": plan.app.name,
        "package": plan.app.package,
        "python": plan.python,
        "base_image": plan.base_image,
        "command": list(plan.command),
        "lock": f"sha256:{plan.projection.lock.digest}",
        "source_date_epoch": epoch,
        "built_by": {"monolock": __version__, "uv": uv_version},
        "files": list(plan.app.files),
        "virtual": list(plan.virtual),
        "distributions": sorted(distributions, key=lambda d: (str(d["name"]), str(d["version"]))),
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _copy_tree(source: Path, target: Path, root: Path, key: str) -> None:
    if source.is_symlink() and not source.resolve().is_relative_to(root):
        raise ManifestError(
            f"{key}: {source.relative_to(root)} links outside the repository",
            where="pyproject.toml",
        )
    if source.is_dir():
        if (source / STAMP).exists():
            return  # monolock's own output (a context, an environment): never shipped again
        for child in sorted(source.iterdir()):
            if child.name not in _SKIP and child.suffix != ".pyc":
                _copy_tree(child, target / child.name, root, key)
        return
    if not source.is_file():
        raise ManifestError(
            f"{key}: {source.relative_to(root)} is not a regular file (a pipe, a device?)",
            where="pyproject.toml",
            hint="ship regular files and directories only",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    shutil.copymode(source, target)


def copy_files(plan: Plan, root: Path, dest: Path) -> None:
    """The app's extra files, at the same relative paths under the image's workdir."""
    root = root.resolve()
    key = f"tool.monolock.apps.{plan.app.name}.files"
    for entry in plan.app.files:
        source = root / entry
        if not source.exists():
            raise ManifestError(
                f"{key}: '{entry}' does not exist",
                where="pyproject.toml",
                hint="paths are relative to the repository root",
            )
        _copy_tree(source, dest / entry, root, key)


def write_context(
    plan: Plan, wheels: Sequence[Wheel], dest: Path, root: Path, *, epoch: int, uv_version: str
) -> None:
    """Write every file of the context into `dest` (whose wheels/ is already built)."""
    files = {
        "Dockerfile": dockerfile(plan, uv_version),
        ".dockerignore": dockerignore(plan),
        REQUIREMENTS: requirements(plan),
        MANIFEST: manifest(plan, wheels, epoch=epoch, uv_version=uv_version),
    }
    if plan.sources:
        files[INTERNAL] = internal(plan, wheels)
    for name, text in files.items():
        (dest / name).write_text(text)
    copy_files(plan, root, dest / FILES)
