"""`monolock add`, `remove`, `upgrade` and `new`: the monorepo changed, then one lock."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from monolock.cli.common import resolver_options, writing
from monolock.report import authoring as render

if TYPE_CHECKING:
    from monolock.authoring.edit import Place

_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def _place(group: str | None, extra: str | None) -> Place:
    from monolock.errors import UsageError

    if group is not None and extra is not None:
        raise UsageError("--group and --extra: give one of them")
    if group is not None:
        return ("group", group)
    return ("extra", extra) if extra is not None else ("runtime", None)


def _say(text_and_warnings: tuple[str, list[str]]) -> None:
    text, warnings = text_and_warnings
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if text:
        click.echo(text)


@click.command("add")
@click.argument("requirements", nargs=-1, required=True)
@click.option("--to", "member", required=True, metavar="MEMBER", help="The member to add to.")
@click.option("--group", default=None, help="Into this dependency group (PEP 735).")
@click.option("--extra", default=None, help="Into this extra ([project.optional-dependencies]).")
@click.option("--dry-run", is_flag=True, help="Show the manifest's edit; write nothing.")
@resolver_options
@_FORMAT
@click.pass_context
def add_cmd(
    ctx: click.Context,
    requirements: tuple[str, ...],
    member: str,
    group: str | None,
    extra: str | None,
    dry_run: bool,
    uv_options: list[str],
    fmt: str,
) -> None:
    """Add REQUIREMENTS (PEP 508) to MEMBER's manifest, then lock once.

    \b
    A distribution uv.lock already holds is added with a range that admits the locked
    version (every member shares it: a range that excludes it is refused, with the apps
    that ship it). A member of the workspace is added with `{ workspace = true }`. A new
    distribution without a range gets `>=` the version uv resolves. The list keeps its
    formatting and comments, and its order when it was sorted. Then, per app, what
    changed in its projection. If uv fails, every file is left as it was.
    """
    from monolock.authoring import requirements as core

    place = _place(group, extra)
    with writing(ctx) as root:
        done = core.add(root, member, requirements, place, dry_run=dry_run, uv_args=uv_options)
    _say(render.edited(done, fmt))


@click.command("remove")
@click.argument("names", nargs=-1, required=True)
@click.option(
    "--from", "member", required=True, metavar="MEMBER", help="The member to remove from."
)
@click.option("--group", default=None, help="From this dependency group.")
@click.option("--extra", default=None, help="From this extra.")
@click.option("--dry-run", is_flag=True, help="Show the manifest's edit; write nothing.")
@resolver_options
@_FORMAT
@click.pass_context
def remove_cmd(
    ctx: click.Context,
    names: tuple[str, ...],
    member: str,
    group: str | None,
    extra: str | None,
    dry_run: bool,
    uv_options: list[str],
    fmt: str,
) -> None:
    """Remove NAMES (distributions or members) from MEMBER's manifest, then lock once.

    Then, per app, what changed: an app whose projection no longer holds a removed
    distribution at all loses it (`- NAME` in its list).
    """
    from monolock.authoring import requirements as core

    place = _place(group, extra)
    with writing(ctx) as root:
        done = core.remove(root, member, names, place, dry_run=dry_run, uv_args=uv_options)
    _say(render.edited(done, fmt, names))


@click.command("upgrade")
@click.argument("names", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Resolve and report; write nothing.")
@resolver_options
@_FORMAT
@click.pass_context
def upgrade_cmd(
    ctx: click.Context, names: tuple[str, ...], dry_run: bool, uv_options: list[str], fmt: str
) -> None:
    """Upgrade the shared lock within the declared ranges: every distribution, or NAMES.

    Then the apps that redeploy, each with its old -> new versions. `--dry-run` asks uv
    to resolve without writing (`uv lock --dry-run`) and reads each app's part of it
    from its projection; a distribution new to the lock is named, not placed.
    """
    from monolock.authoring.upgrade import upgrade

    with writing(ctx) as root:
        done = upgrade(root, names, dry_run=dry_run, uv_args=uv_options)
    click.echo(render.upgraded(done, fmt))


@click.command("new")
@click.argument("kind", type=click.Choice(["lib", "app"]))
@click.argument("name")
@click.option("--path", default=None, help="Its directory. Default: beside the others.")
@click.option(
    "--python", "python_range", default=None, help="requires-python. Default: the workspace's."
)
@click.option(
    "--template",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A directory holding lib/ and app/ templates (default: [tool.monolock] templates, "
    "else monolock's own).",
)
@_FORMAT
@click.pass_context
def new_cmd(
    ctx: click.Context,
    kind: str,
    name: str,
    path: str | None,
    python_range: str | None,
    template: Path | None,
    fmt: str,
) -> None:
    """A new member NAME, wired into the workspace, then one lock.

    \b
    src layout with py.typed and a test; the workspace's Python range and the dev group
    most members share (so `check` is clean on it at once); inside the members glob
    that fits (`packages/*`), else added to `members`. An app also gets a console
    script and a `[tool.monolock.apps]` entry (command and smoke). Templates are files:
    `*.tmpl`, with {{name}}, {{module}}, {{python}} and {{dev}} filled in.
    """
    from monolock.authoring.scaffold import new

    with writing(ctx) as root:
        done = new(root, kind, name, path=path, python=python_range, template=template)
    click.echo(render.created(done, kind, fmt))
