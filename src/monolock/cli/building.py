"""`monolock build`: an app's container build context, and its environment proven here."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monolock.cli.common import JOBS, Seconds, dumps, workspace

if TYPE_CHECKING:
    from monolock.build import Outcome
    from monolock.environment import Proof


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


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


def _line(ok: bool, text: str) -> None:
    click.echo(f"  {'ok  ' if ok else 'FAIL'} {text}")


def _print_proof(title: str, proof: Proof, whole: int | None, whole_error: str | None) -> None:
    click.echo(f"{title} (Python {proof.python})")
    exact = not (proof.missing or proof.extra or proof.wrong)
    _line(exact, f"exact set: {len(proof.installed)} installed, {len(proof.expected)} expected")
    click.echo(f"       missing: {', '.join(proof.missing) or 'none'}")
    click.echo(f"       extra:   {', '.join(proof.extra) or 'none'}")
    for wrong in proof.wrong:
        click.echo(f"       wrong version: {wrong}")
    shown = ", ".join(proof.imports[:6]) + (", …" if len(proof.imports) > 6 else "")
    _line(
        not proof.import_errors,
        f"imports: {len(proof.imports)} module(s) of the internal closure ({shown or 'none'})",
    )
    for module, error in sorted(proof.import_errors.items()):
        click.echo(f"       {module}: {error}")
    if proof.smoke is None:
        click.echo("  --   smoke: no `smoke` command configured for this app")
    else:
        smoke = proof.smoke
        _line(smoke.ok, f"smoke: {smoke.command} (exit {smoke.returncode}, {smoke.seconds:.1f} s)")
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
    "--smoke-timeout",
    type=Seconds(),
    default=120.0,
    show_default=True,
    help="Seconds the smoke command may run.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Build every wheel anew. (Wheels of a clean commit are otherwise reused from "
    "MONOLOCK_CACHE_DIR, default ~/.cache/monolock.)",
)
@click.option(
    "--image",
    metavar="TAG",
    default=None,
    help="Also build the image (e.g. localhost/api-gateway:dev) and prove it inside: the "
    "exact set, imports, smoke, run as uid 10001.",
)
@click.option(
    "--builder",
    type=click.Choice(["auto", "docker", "podman", "buildah"]),
    default="auto",
    show_default=True,
    help="What builds the image; auto: the first of docker (with its daemon), podman, "
    "buildah that answers.",
)
@click.option("--push", is_flag=True, help="Push the image once proven (the builder's login).")
@click.option("-j", "--jobs", type=JOBS, default=None, help="Parallel builds.")
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
    image: str | None,
    builder: str,
    push: bool,
    jobs: int | None,
    fmt: str,
    quiet: bool,
) -> None:
    """Build APP's container context (--out), its environment (--venv) and/or its
    image (--image), each proven.

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

    --image TAG builds the context with Docker, Podman or buildah (--builder), labelled
    with OCI annotations (the commit, the repository, the lock's sha256, the app) and
    SOURCE_DATE_EPOCH, then runs the same checks inside the image as its user, and that
    user must be 10001; --push pushes it once proven. Without a builder on PATH: an
    error saying what to install. buildah runs without a daemon or privileges
    (STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot inside a container).

    A stale uv.lock is refused: run `monolock lock` first. Apps are configured in the
    root pyproject.toml under [tool.monolock.apps.NAME]: package, command, smoke,
    python, base-image, files.
    """
    from monolock.build import Request, build

    request = Request(
        app=app,
        out=out.absolute() if out else None,
        venv=venv.absolute() if venv else None,
        python=python,
        compare=compare,
        cache=not no_cache,
        jobs=jobs,
        smoke_timeout=smoke_timeout,
        image=image,
        builder=builder,
        push=push,
    )
    started = time.monotonic()

    def progress(message: str) -> None:
        if not quiet or message.startswith("warning:"):
            click.echo(message, err=True)

    outcome = build(workspace(ctx), request, progress)
    progress(f"done in {time.monotonic() - started:.1f} s")
    if fmt == "json":
        click.echo(dumps(_json(request.out, request.venv, outcome)))
    else:
        _print(request.out, request.venv, outcome)
    proven = [outcome.proof.ok] if outcome.proof is not None else []
    proven += [outcome.image.proof.ok] if outcome.image is not None else []
    if not all(proven):
        ctx.exit(1)


def _json(out: Path | None, venv: Path | None, outcome: Outcome) -> dict[str, Any]:
    plan, wheels = outcome.plan, outcome.wheels
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
    if outcome.proof is not None:
        result["venv"] = str(venv)
        result["proof"] = _proof_json(outcome.proof, outcome.whole)
    if outcome.image is not None:
        image = outcome.image
        result["image"] = {
            "tag": image.tag,
            "builder": image.builder,
            "labels": image.labels,
            "cached": list(image.cached),
            "id": image.id,
            "user": image.proof.user,
            "ok": image.proof.ok,
            "pushed": image.pushed,
            "failure": image.proof.failure,
            "proof": _proof_json(image.proof.proof, None) if image.proof.proof else None,
        }
    return result


def _print(out: Path | None, venv: Path | None, outcome: Outcome) -> None:
    plan, wheels = outcome.plan, outcome.wheels
    if out is not None:
        reused = sum(1 for w in wheels if w.cached)
        click.echo(
            f"{plan.app.name}: build context in {out} — Python {plan.python} "
            f"({plan.base_image}), {len(wheels)} internal wheel(s)"
            + (f" ({reused} reused from the cache)" if reused else "")
            + f", {len(plan.projection.third_party)} third-party pin(s) from uv.lock"
        )
    if outcome.proof is not None and venv is not None:
        _print_proof(f"environment {venv}", outcome.proof, outcome.whole, outcome.whole_error)
    image = outcome.image
    if image is not None:
        title = f"image {image.tag} (built with {image.builder}, {len(image.cached)} steps cached)"
        if image.proof.proof is None:
            click.echo(title)
            _line(False, f"proof: {image.proof.failure}")
        else:
            _print_proof(title, image.proof.proof, None, "an image is measured as it is")
            _line(image.proof.unprivileged, f"user: runs as {image.proof.user}")
        if image.pushed:
            click.echo(f"  pushed {image.tag}")
