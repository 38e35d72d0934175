"""`monolock init --from-poetry`: migrate a Poetry monorepo to one uv workspace and lock."""

from __future__ import annotations

import difflib

import click

from monolock.cli.common import dumps, resolver_options, workspace


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
) -> None:
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

    Nothing is written until the whole migration has succeeded in a scratch copy; the
    old poetry.lock files are then removed (they are in git). --dry-run writes nothing.
    """
    from monolock.errors import UsageError
    from monolock.poetry.migrate import apply, plan

    if not from_poetry:
        raise UsageError(
            "only `monolock init --from-poetry` is available",
            hint="a Poetry monorepo: `monolock init --from-poetry --dry-run` shows the plan",
        )
    ws = workspace(ctx)

    def progress(message: str) -> None:
        if fmt == "text":
            click.echo(message, err=True)

    the_plan = plan(ws, uv_options, progress)
    existed = {path for path, _ in the_plan.writes if (ws.root / path).is_file()}
    if not dry_run:
        apply(ws.root, the_plan)
    if fmt == "json":
        click.echo(
            dumps(
                {
                    "dry_run": dry_run,
                    "members": list(the_plan.members),
                    "writes": [path for path, _ in the_plan.writes],
                    "deletes": list(the_plan.deletes),
                    "notes": [{"file": f, "note": n} for f, n in the_plan.notes],
                    "changes": {
                        name: [
                            {"name": c.name, "before": c.before, "after": c.after, "why": c.why}
                            for c in changes
                        ]
                        for name, changes in the_plan.changes
                    },
                }
            )
        )
        return
    click.echo(f"uv workspace members: {', '.join(the_plan.members)}")
    for path, text in the_plan.writes:
        old = ws.root / path
        verb = "update" if path in existed else "create"
        click.echo(f"{verb} {path}")
        if dry_run and path.endswith("pyproject.toml"):
            before = old.read_text().splitlines(keepends=True) if old.is_file() else []
            for line in difflib.unified_diff(
                before, text.splitlines(keepends=True), f"a/{path}", f"b/{path}"
            ):
                click.echo("    " + line.rstrip("\n"))
    for path in the_plan.deletes:
        click.echo(f"delete {path}")
    if the_plan.notes:
        click.echo("to do by hand:")
        for path, note in the_plan.notes:
            click.echo(f"  {path}: {note}")
    click.echo("versions against the old poetry.lock files:")
    for name, changes in the_plan.changes:
        if not changes:
            click.echo(f"  {name}: unchanged")
            continue
        click.echo(f"  {name}: {len(changes)} changed")
        for c in changes:
            click.echo(f"    {c.name} {c.before or '-'} → {c.after or '-'}: {c.why}")
    if dry_run:
        click.echo("dry run: nothing written")
    else:
        click.echo("migrated: next, `monolock check` and `monolock run test`")
