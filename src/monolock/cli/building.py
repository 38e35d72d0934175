"""`monolock build`: an app's container build context, and its environment proven here."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monolock.cli.common import dumps, lock, root_dir, workspace
from monolock.errors import LockError, UsageError

if TYPE_CHECKING:
    from monolock.container import Plan
    from monolock.environment import Proof
    from monolock.model import Workspace
    from monolock.wheels import Wheel


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _step(quiet: bool, message: str) -> float:
    if not quiet:
        click.echo(message, err=True)
    return time.monotonic()


def _require_fresh_lock(root: Path) -> None:
    from monolock import relock

    fresh, message = relock.check(root)
    if not fresh:
        raise LockError(
            f"uv.lock is stale ({message.splitlines()[-1] if message else 'out of date'}): "
            "an image built from it would not match the manifests",
            where="uv.lock",
            hint="run `monolock lock`, then build again",
        )


def _modules(ws: Workspace, plan: Plan) -> list[str]:
    names: set[str] = set()
    for source in plan.sources:
        package = ws.get(source.name)
        if package is not None:
            names.update(package.import_names)
    return sorted(names)


def _proof_json(proof: Proof, whole: int | None) -> dict[str, Any]:
    return {
        "ok": proof.ok,
        "python": proof.python,
        "distributions": len(proof.installed),
        "missing": proof.missing,
        "extra": proof.extra,
        "wrong_version": proof.wrong,
        "imports": list(proof.imports),
        "import_errors": proof.import_errors,
        "smoke": None
        if proof.smoke is None
        else {
            "command": proof.smoke.command,
            "ok": proof.smoke.ok,
            "returncode": proof.smoke.returncode,
            "seconds": round(proof.smoke.seconds, 2),
            "output": proof.smoke.output,
        },
        "size": proof.size,
        "whole_workspace_size": whole,
        "ratio": round(proof.size / whole, 3) if whole else None,
    }


def _print_proof(venv: Path, proof: Proof, whole: int | None, whole_error: str | None) -> None:
    def line(ok: bool, text: str) -> None:
        click.echo(f"  {'ok  ' if ok else 'FAIL'} {text}")

    click.echo(f"environment {venv} (Python {proof.python})")
    exact = not (proof.missing or proof.extra or proof.wrong)
    line(exact, f"exact set: {len(proof.installed)} installed, {len(proof.expected)} expected")
    click.echo(f"       missing: {', '.join(proof.missing) or 'none'}")
    click.echo(f"       extra:   {', '.join(proof.extra) or 'none'}")
    for wrong in proof.wrong:
        click.echo(f"       wrong version: {wrong}")
    shown = ", ".join(proof.imports[:6]) + (", …" if len(proof.imports) > 6 else "")
    line(
        not proof.import_errors,
        f"imports: {len(proof.imports)} module(s) of the internal closure ({shown or 'none'})",
    )
    for module, error in sorted(proof.import_errors.items()):
        click.echo(f"       {module}: {error}")
    if proof.smoke is None:
        click.echo("  --   smoke: no `smoke` command configured for this app")
    else:
        smoke = proof.smoke
        line(smoke.ok, f"smoke: {smoke.command} (exit {smoke.returncode}, {smoke.seconds:.1f} s)")
        if not smoke.ok and smoke.output:
            click.echo("\n".join(f"       {row}" for row in smoke.output.splitlines()))
    if whole:
        click.echo(
            f"  size: {_mb(proof.size)}; whole workspace installed: {_mb(whole)} "
            f"(this app needs {proof.size / whole:.0%} of it)"
        )
    else:
        reason = f" ({whole_error})" if whole_error else ""
        click.echo(f"  size: {_mb(proof.size)}; whole workspace not measured{reason}")


@click.command("build")
@click.argument("app")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write the Docker build context here (a new or empty directory, or an earlier "
    "context, which is replaced whole).",
)
@click.option(
    "--venv",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Materialise the image's environment here and prove it (a new directory or a "
    "virtual environment to replace).",
)
@click.option("--python", default=None, metavar="X.Y", help="The image's Python version.")
@click.option(
    "--compare/--no-compare",
    default=True,
    show_default=True,
    help="With --venv: also measure an environment with the whole workspace installed.",
)
@click.option(
    "--smoke-timeout", default=120.0, show_default=True, help="Seconds the smoke command may run."
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Build every wheel anew. (Wheels of a clean commit are otherwise reused from "
    "MONOLOCK_CACHE_DIR, default ~/.cache/monolock.)",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Parallel builds.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on standard error.")
@click.pass_context
def build_cmd(
    ctx: click.Context,
    app: str,
    out: Path | None,
    venv: Path | None,
    python: str | None,
    compare: bool,
    smoke_timeout: float,
    no_cache: bool,
    jobs: int | None,
    fmt: str,
    quiet: bool,
) -> None:
    """Build APP's container context (--out) and/or its environment, proven (--venv).

    \b
    The context holds:
      wheels/           the app and every internal package of its closure (uv build,
                        SOURCE_DATE_EPOCH = last commit: same commit, same bytes)
      requirements.txt  the app's projection of uv.lock, pinned, with hashes
      internal.txt      the wheels, with hashes, installed with --no-deps
      Dockerfile        multi-stage: dependency layer first, a slim final stage with
                        the virtual environment only, a non-root user, the app's command
      manifest.json     every distribution in the image: version, hashes, origin, lock hash

    --venv runs the same install steps here, then checks that the installed set equals
    the projection (missing and extra both empty), that every module of the internal
    closure imports, and that the app's `smoke` command passes; exit 1 if not. It prints
    the size next to an environment with the whole workspace installed.

    A stale uv.lock is refused: run `monolock lock` first. Apps are configured in the
    root pyproject.toml under [tool.monolock.apps.NAME]: package, command, smoke,
    python, base-image, files.
    """
    from monolock import container, environment, uv
    from monolock.config import is_python_version
    from monolock.fsutil import replace_dir
    from monolock.wheels import build_wheels, source_date_epoch, wheel_cache

    if out is None and venv is None:
        raise UsageError(
            "say what to build: --out DIR (a Docker build context), --venv DIR (the "
            "environment, proven here), or both",
            hint=f"for example: monolock build {app} --out build/{app} --venv .venv-{app}",
        )
    if python is not None and not is_python_version(python):
        raise UsageError(f"--python {python}: expected a version like 3.12")
    out = out.absolute() if out else None
    venv = venv.absolute() if venv else None
    if out is not None and not container.is_context(out):
        raise UsageError(
            f"{out} exists and is not a monolock build context: refusing to replace it",
            hint="name a new or empty directory, or remove this one",
        )
    if venv is not None:
        environment.check_target(venv)
    if (
        out is not None
        and venv is not None
        and (out == venv or out in venv.parents or venv in out.parents)
    ):
        raise UsageError(
            f"--out {out} and --venv {venv} overlap: one would overwrite the other",
            hint="give them separate directories",
        )

    root = root_dir(ctx)
    ws = workspace(ctx)
    target = container.resolve_app(ws, app)
    started = _step(quiet, "checking that uv.lock is up to date…")
    _require_fresh_lock(root)
    plan = container.make_plan(ws, lock(ws), target, python)
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)

    epoch = source_date_epoch(root)
    uv_version = uv.version()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        staged.chmod(0o755)  # a directory like any other, not mkdtemp's private one
    else:
        staged = Path(tempfile.mkdtemp(prefix="monolock-context-"))
    placed = False
    try:
        names = ", ".join(s.name for s in plan.sources) or "none"
        _step(quiet, f"building {len(plan.sources)} internal wheel(s): {names}…")
        wheels: list[Wheel] = build_wheels(
            root,
            plan.sources,
            staged / container.WHEELS,
            epoch=epoch,
            cache=None if no_cache else wheel_cache(root, epoch=epoch, uv_version=uv_version),
            jobs=jobs,
        )
        for wheel in wheels:
            if not wheel.pure:
                click.echo(
                    f"warning: {wheel.filename} is built for this machine ({wheel.tag}); "
                    "the image's platform must match",
                    err=True,
                )
        container.write_context(plan, wheels, staged, root, epoch=epoch, uv_version=uv_version)
        if out is not None:
            replace_dir(staged, out)
            placed = True
        context = out if out is not None else staged
        result: dict[str, Any] = {
            "app": plan.app.name,
            "package": plan.app.package,
            "python": plan.python,
            "base_image": plan.base_image,
            "lock": f"sha256:{plan.projection.lock.digest}",
            "wheels": [w.filename for w in wheels],
            "wheels_from_cache": [w.filename for w in wheels if w.cached],
            "third_party": len(plan.projection.third_party),
            "out": str(out) if out else None,
        }
        proof = None
        whole: int | None = None
        whole_error: str | None = None
        if venv is not None:
            steps = len(plan.steps(str(venv), plan.python))
            _step(quiet, f"installing into {venv} ({steps} steps, as the Dockerfile does)…")
            environment.materialise(plan, context, venv)
            _step(quiet, "proving the environment: exact set, imports, smoke…")
            proof = environment.prove(
                plan, wheels, _modules(ws, plan), context, venv, smoke_timeout=smoke_timeout
            )
            if compare:
                _step(quiet, "measuring the whole workspace installed (uv sync --all-packages)…")
                try:
                    whole = environment.whole_workspace_size(root, plan.python)
                except Exception as exc:  # a comparison that fails must not fail the build
                    whole_error = str(exc).splitlines()[0]
            result["venv"] = str(venv)
            result["proof"] = _proof_json(proof, whole)
    finally:
        if not placed:
            shutil.rmtree(staged, ignore_errors=True)

    _step(quiet, f"done in {time.monotonic() - started:.1f} s")
    if fmt == "json":
        click.echo(dumps(result))
    else:
        if out is not None:
            reused = sum(1 for w in wheels if w.cached)
            click.echo(
                f"{plan.app.name}: build context in {out} — Python {plan.python} "
                f"({plan.base_image}), {len(wheels)} internal wheel(s)"
                + (f" ({reused} reused from the cache)" if reused else "")
                + f", {len(plan.projection.third_party)} third-party pin(s) from uv.lock"
            )
        if proof is not None and venv is not None:
            _print_proof(venv, proof, whole, whole_error)
    if proof is not None and not proof.ok:
        ctx.exit(1)
