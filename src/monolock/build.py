"""`monolock build`, start to end: check the targets and the lock, plan, build the wheels,
write the context (in a temporary directory, moved into place whole), and optionally
materialise and prove the environment."""

from __future__ import annotations

import contextlib
import functools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from monolock import container, environment, mutex, relock, targets, uv
from monolock.config import is_python_version
from monolock.errors import LockError, UsageError
from monolock.fsutil import NEW, OLD, on_path, replace_dir, staging_dir
from monolock.image.builders import find
from monolock.image.make import Image, check_tag, make
from monolock.lockfile import read_lock
from monolock.model import Workspace
from monolock.wheels import Wheel, build_wheels, source_date_epoch, wheel_cache

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Request:
    app: str
    out: Path | None  # absolute
    venv: Path | None  # absolute
    python: str | None = None
    compare: bool = True
    cache: bool = True
    jobs: int | None = None
    smoke_timeout: float = 120.0
    image: str | None = None  # the tag to build the context as
    builder: str = "auto"
    push: bool = False


@dataclass(frozen=True)
class Outcome:
    plan: container.Plan
    wheels: tuple[Wheel, ...]
    proof: environment.Proof | None = None
    whole: int | None = None  # bytes of the whole workspace installed
    whole_error: str | None = None  # why it was not measured
    image: Image | None = None


CONTEXT = "build context"
ENVIRONMENT = "virtual environment"


def check_request(request: Request, workspace: Workspace) -> Request:
    """Everything about the targets that can be refused before any work starts; the
    request with its targets made absolute and real."""
    out, venv = request.out, request.venv
    if out is None and venv is None and request.image is None:
        raise UsageError(
            "say what to build: --out DIR (a Docker build context), --venv DIR (the "
            "environment, proven here), --image TAG (the image, proven), or several",
            hint=f"for example: monolock build {request.app} --out build/{request.app} "
            f"--venv .venv-{request.app}",
        )
    if request.python is not None and not is_python_version(request.python):
        raise UsageError(f"--python {request.python}: expected a version like 3.12")
    if request.image is not None:
        check_tag(request.image)
    elif request.push:
        raise UsageError("--push pushes the image --image TAG builds: name it")
    if out is not None:
        out = targets.check_directory(out, workspace, option="--out", kind=CONTEXT)
    if venv is not None:
        venv = targets.check_directory(venv, workspace, option="--venv", kind=ENVIRONMENT)
        on_path(venv)  # its bin/ goes first on PATH for the proof
    if (
        out is not None
        and venv is not None
        and (out == venv or out in venv.parents or venv in out.parents)
    ):
        raise UsageError(
            f"--out {out} and --venv {venv} overlap: one would overwrite the other",
            hint="give them separate directories",
        )
    return replace(request, out=out, venv=venv)


def require_fresh_lock(root: Path) -> None:
    found = relock.check(root)
    if not found.fresh:
        # monolock's own finding is one line; uv's message ends with its point
        lines = [found.why] if found.why else found.message.splitlines()[-1:]
        raise LockError(
            f"uv.lock is stale ({lines[0] if lines else 'out of date'}): "
            "an image built from it would not match the manifests",
            where="uv.lock",
            hint="run `monolock lock`, then build again",
        )


def _modules(workspace: Workspace, plan: container.Plan) -> list[str]:
    names: set[str] = set()
    for source in plan.sources:
        package = workspace.get(source.name)
        if package is not None:
            names.update(package.import_names)
    return sorted(names)


def _existing(path: Path) -> Path:
    return next(p for p in (path, *path.parents) if p.is_dir())


def build(workspace: Workspace, request: Request, progress: Progress) -> Outcome:
    """Build under a lock on the directories that receive the targets: two builds into
    one place take turns."""
    places = {_existing(p.absolute().parent) for p in (request.out, request.venv) if p}
    with contextlib.ExitStack() as held:
        for place in sorted(places):
            waiting = f"waiting for another monolock process writing in {place}…"
            held.enter_context(mutex.exclusive(place, functools.partial(progress, waiting)))
        return _build(workspace, check_request(request, workspace), progress)


def _build(workspace: Workspace, request: Request, progress: Progress) -> Outcome:
    root = workspace.root
    app = container.resolve_app(workspace, request.app)
    builder = find(request.builder) if request.image is not None else None  # before any work
    progress("checking that uv.lock is up to date…")
    require_fresh_lock(root)
    plan = container.make_plan(workspace, read_lock(workspace.lock_path), app, request.python)
    for warning in plan.warnings:
        progress(f"warning: {warning}")

    epoch = source_date_epoch(root)
    uv_version = uv.version()
    out = request.out
    if out is not None:
        targets.leftovers(out.parent, [f".{out.name}.{NEW}", f".{out.name}.{OLD}"], CONTEXT)
        staged = staging_dir(out)
    else:
        staged = Path(tempfile.mkdtemp(prefix="monolock-context-"))
    targets.stamp(staged, CONTEXT, complete=False)
    placed = False
    try:
        names = ", ".join(s.name for s in plan.sources) or "none"
        progress(f"building {len(plan.sources)} internal wheel(s): {names}…")
        cache = wheel_cache(root, epoch=epoch, uv_version=uv_version) if request.cache else None
        wheels = build_wheels(
            root,
            plan.sources,
            staged / container.WHEELS,
            epoch=epoch,
            cache=cache,
            jobs=request.jobs,
        )
        for wheel in wheels:
            if not wheel.pure:
                progress(
                    f"warning: {wheel.filename} is built for this machine ({wheel.tag}); "
                    "the image's platform must match"
                )
        container.write_context(plan, wheels, staged, root, epoch=epoch, uv_version=uv_version)
        (staged / container.SBOM).write_text(_sbom(workspace, plan, root, epoch))
        targets.stamp(staged, CONTEXT)
        if out is not None:
            replace_dir(staged, out)
            placed = True
        image = None
        if builder is not None and request.image is not None:
            image = make(
                root,
                plan,
                wheels,
                _modules(workspace, plan),
                out or staged,
                tag=request.image,
                builder=builder,
                push=request.push,
                epoch=epoch,
                smoke_timeout=request.smoke_timeout,
                progress=progress,
            )
        if request.venv is None:
            return Outcome(plan, tuple(wheels), image=image)
        outcome = _prove(workspace, request, plan, wheels, out or staged, progress)
        return replace(outcome, image=image)
    finally:
        if not placed:
            targets.remove(staged, CONTEXT)


def _sbom(workspace: Workspace, plan: container.Plan, root: Path, epoch: int) -> str:
    """The app's SBOM, beside what it describes: the same commit gives the same bytes."""
    from monolock import git
    from monolock.supply.sbom import contents, cyclonedx

    commit = (git.output(root, "rev-parse", "HEAD") or "").strip() or None
    return cyclonedx(contents(workspace, plan.projection.lock, plan.app.name, commit, epoch))


def _prove(
    workspace: Workspace,
    request: Request,
    plan: container.Plan,
    wheels: list[Wheel],
    context: Path,
    progress: Progress,
) -> Outcome:
    venv = request.venv
    assert venv is not None
    steps = len(plan.steps(str(venv), plan.python))
    progress(f"installing into {venv} ({steps} steps, as the Dockerfile does)…")
    environment.materialise(plan, context, venv, ENVIRONMENT)
    progress("proving the environment: exact set, imports, smoke…")
    proof = environment.prove(
        plan, wheels, _modules(workspace, plan), context, venv, smoke_timeout=request.smoke_timeout
    )
    if not request.compare:
        return Outcome(plan, tuple(wheels), proof, None, "--no-compare")
    progress("measuring the whole workspace installed (uv sync --all-packages)…")
    try:
        whole = environment.whole_workspace_size(workspace.root, plan.python)
    except Exception as exc:  # a comparison that fails must not fail the build
        return Outcome(plan, tuple(wheels), proof, None, str(exc).splitlines()[0])
    return Outcome(plan, tuple(wheels), proof, whole)
