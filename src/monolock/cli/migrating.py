"""`monolock init --from-poetry`: migrate a Poetry monorepo to one uv workspace and lock."""

from __future__ import annotations

import click

from monolock.cli.common import resolver_options, workspace, writing


@click.command("init")
@click.option(
    "--from-poetry",
    "from_poetry",
    is_flag=True,
    help="Convert every [tool.poetry] package to PEP 621 and the repository to a uv "
    "workspace with one uv.lock.",
)
@click.option("--dry-run", is_flag=True, help="Print the plan and the version changes only.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@resolver_options
@click.pass_context
def init_cmd(
    ctx: click.Context, from_poetry: bool, dry_run: bool, fmt: str, uv_options: list[str]
) -> int:
    """Make this repository a uv workspace under one lock.

    \b
    With --from-poetry, every package with a [tool.poetry] table is converted:
      constraints (^, ~, ||, wildcards) -> exact PEP 440 ranges in [project]
      python = "..."                    -> requires-python
      path dependencies on packages     -> members, { workspace = true } sources
      [tool.poetry.group.*]             -> PEP 735 [dependency-groups]
      scripts, package includes         -> [project.scripts], hatchling's packages
      [[tool.poetry.source]]            -> [[tool.uv.index]] at the root
    Comments and formatting outside the converted tables are kept. The root
    pyproject.toml gets [tool.uv.workspace], and uv resolves one uv.lock preferring
    the versions the old poetry.lock files hold. Then, package by package, every
    version that changed against its old poetry.lock is listed with the reason.

    Nothing is written until the whole migration has succeeded in a scratch copy, and a
    manifest that cannot be read stops it before that. Then every file is written, and
    the old poetry.lock files removed (they are in git), as one change: interrupted at
    any instant (even by kill -9), the next monolock command completes it. --dry-run
    writes nothing.

    Exit code: 0 done (or, with --dry-run, a plan that would succeed), 1 a dry run
    whose plan would fail (uv's explanation is in the notes), 2 bad input or a failure.
    """
    from monolock.errors import UsageError
    from monolock.poetry.migrate import migrate
    from monolock.report import migrate as render

    if not from_poetry:
        raise UsageError(
            "only `monolock init --from-poetry` is available",
            hint="a Poetry monorepo: `monolock init --from-poetry --dry-run` shows the plan",
        )

    def progress(message: str) -> None:
        if fmt == "text":
            click.echo(message, err=True)

    with writing(ctx) as root:
        migration = migrate(workspace(ctx, root), uv_options, dry_run=dry_run, progress=progress)
    if fmt == "json":
        click.echo(render.as_json(migration.plan, dry_run=dry_run))
    else:
        click.echo(render.text(migration.plan, migration.before.get, dry_run=dry_run))
    return 1 if migration.plan.blocked else 0
