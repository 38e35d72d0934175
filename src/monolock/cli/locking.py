"""Commands around the one shared lock: lock (writes uv.lock) and export (reads it)."""

from __future__ import annotations

from pathlib import Path

import click

from monolock import relock
from monolock.cli.common import (
    JOBS,
    OUTPUT,
    emit,
    lock,
    member_of,
    resolver_options,
    root_dir,
    workspace,
    writing,
)
from monolock.root import is_uv_workspace


@click.command("lock", context_settings={"ignore_unknown_options": True})
@click.option(
    "--check", is_flag=True, help="Only tell whether uv.lock is up to date (exit 1 if stale)."
)
@click.option(
    "-P",
    "--upgrade-package",
    "upgrade",
    multiple=True,
    metavar="DIST",
    help="Allow upgrading this distribution (repeatable).",
)
@click.option("-U", "--upgrade", "upgrade_all", is_flag=True, help="Allow upgrading everything.")
@click.option(
    "-j",
    "--jobs",
    type=JOBS,
    default=None,
    help="Poetry repositories: packages locked at once. Default: one per core.",
)
@resolver_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.argument("uv_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def lock_cmd(
    ctx: click.Context,
    check: bool,
    upgrade: tuple[str, ...],
    upgrade_all: bool,
    jobs: int | None,
    uv_options: list[str],
    fmt: str,
    uv_args: tuple[str, ...],
) -> None:
    """Resolve the whole workspace into the one shared uv.lock.

    Runs `uv lock` at the root (options above, and anything after `--`, are passed to
    uv), then prints, for every app, what changed in its projection: added, removed,
    version changed. If uv fails, uv.lock is left exactly as it was.

    \b
    In a Poetry repository (a poetry.lock per package, no uv workspace), a lock is
    stale when its package's pyproject changed (Poetry's content-hash) or when the
    pyproject of any path dependency it records changed (which Poetry does not see).
    `lock --check` lists them; `lock` runs `poetry lock` in each stale package, in
    dependency order, independent ones in parallel. Poetry is found on PATH or through
    MONOLOCK_POETRY.
    """
    from monolock.report import lock as render

    root = root_dir(ctx)
    if not is_uv_workspace(root):
        ctx.exit(_poetry(ctx, check, jobs, fmt, upgrade or upgrade_all or uv_options or uv_args))
    args = [a for dist in upgrade for a in ("--upgrade-package", dist)]
    args += ["--upgrade"] if upgrade_all else []
    args += uv_options + list(uv_args)
    if check:
        found = relock.check(root, args)
        click.echo(render.freshness(found, fmt))
        ctx.exit(0 if found.fresh else 1)
    if fmt == "text":
        click.echo("locking with uv…", err=True)
    with writing(ctx) as root:
        outcome = relock.relock(root, args)
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}", err=True)
    if fmt == "json":
        click.echo(render.as_json(outcome))
        return
    if outcome.message:
        click.echo(outcome.message, err=True)
    click.echo(render.text(outcome))


def _poetry(ctx: click.Context, check: bool, jobs: int | None, fmt: str, uv_only: object) -> int:
    """`lock` in a Poetry repository: a poetry.lock per package."""
    from monolock.cli.poetry_locking import poetry_lock
    from monolock.errors import UsageError

    if uv_only:
        raise UsageError(
            "upgrade and index options apply to the shared uv.lock; this repository "
            "has a poetry.lock per package",
            hint="upgrade in a package with `poetry update NAME`, then `monolock lock`",
        )
    if check:
        return poetry_lock(workspace(ctx), check=True, jobs=jobs, fmt=fmt)
    with writing(ctx) as root:
        return poetry_lock(workspace(ctx, root), check=False, jobs=jobs, fmt=fmt)


@click.command("export")
@click.argument("app")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["requirements", "pylock"]),
    default="requirements",
    show_default=True,
)
@OUTPUT
@click.option("--no-hashes", is_flag=True, help="Omit hashes (requirements format).")
@click.option(
    "--extra", "extras", multiple=True, help="Include this extra of the app (repeatable)."
)
@click.option("--group", "groups", multiple=True, help="Include this dependency group of the app.")
@click.pass_context
def export_cmd(
    ctx: click.Context,
    app: str,
    fmt: str,
    output: Path | None,
    no_hashes: bool,
    extras: tuple[str, ...],
    groups: tuple[str, ...],
) -> None:
    """The projection of uv.lock that APP (an app or any member) needs.

    In a Poetry repository, the projection of APP's own poetry.lock.

    Third-party distributions only, each pinned to the locked version, with every hash
    the lock records and the markers under which it is needed: the same set as
    `uv export --package APP --frozen --no-default-groups`, computed from uv.lock
    without uv (dependency groups never ship; --group adds one on purpose).

    Internal packages are not listed as requirements, because pip and uv refuse
    hash-checked files that name local directories. The header names them: build them
    as wheels and install those with --no-deps next to this file (`monolock build` does).
    """
    from monolock import export
    from monolock.projection import check_selection, project

    ws = workspace(ctx)
    member = member_of(ws, app)
    check_selection(ws.by_name[member], extras, groups)
    projection = project(lock(ws, member, current=True), member, extras=extras, groups=groups)
    text = (
        export.pylock(projection)
        if fmt == "pylock"
        else export.requirements(projection, hashes=not no_hashes)
    )
    emit(text, output, header=export.HEADER)
