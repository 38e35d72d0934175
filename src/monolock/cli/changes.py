"""`monolock affected`: the members and apps a change touches, and why."""

from __future__ import annotations

import click

from monolock.cli.common import workspace


@click.command("affected")
@click.option(
    "--base",
    default="HEAD",
    show_default=True,
    help="Compare against this commit, or rather where the head's history left it "
    "(their merge base, as `git diff BASE...HEAD`). In CI: origin/main.",
)
@click.option(
    "--head",
    default=None,
    help="The commit whose changes count.  [default: the working tree: commits up to HEAD "
    "plus staged, unstaged and untracked files]",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github-matrix", "github-apps", "names"]),
    default="text",
    show_default=True,
    help='github-matrix: one line of JSON, {"include": [{"member", "path"}]}, for a '
    "job's strategy.matrix; github-apps: the same for the apps ({\"app\"}); names: one "
    "member per line.",
)
@click.pass_context
def affected_cmd(ctx: click.Context, base: str, head: str | None, fmt: str) -> None:
    """The members and apps a change touches, each with its reasons.

    \b
    A changed file touches the member that holds it, then every member that
    depends on that one (through any edge: tests see dev-group members too).
    A changed uv.lock touches exactly the members whose projection holds a
    distribution whose version, source, artifacts, edges or marker changed.
    A changed root pyproject.toml (outside an app's own table), uv.toml,
    .python-version or root tool configuration (conftest.py, ruff.toml, mypy.ini,
    pytest.ini, tox.ini, setup.cfg) touches every member. Comments do not count.

    Apps are listed when what they ship is touched (a dev-group bump is not).
    Members are read from the checkout: run it where --head is checked out.
    Answers from git and the files alone: no network, no interpreter.
    """
    from monolock.affected import affected
    from monolock.report import affected as render

    result = affected(workspace(ctx), base, head)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if fmt == "json":
        click.echo(render.as_json(result))
    elif fmt == "github-matrix":
        click.echo(render.matrix(result))
    elif fmt == "github-apps":
        click.echo(render.apps_matrix(result))
    elif fmt == "names":
        for name in result.names():
            click.echo(name)
    else:
        click.echo(render.text(result))
