"""`monolock merge-driver`: git resolves uv.lock conflicts by regenerating the lock."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from monolock.cli.common import writing

if TYPE_CHECKING:
    from monolock.merging.driver import Installed


@click.group("merge-driver")
def merge_driver_cmd() -> None:
    """Let `git merge` and `git rebase` regenerate uv.lock instead of merging its text.

    \b
    `install` registers the driver in this clone's git config (merge.monolock.driver)
    and adds `/uv.lock merge=monolock` to the root's .gitattributes (commit that file:
    each clone then runs `install` once; `install --uninstall` removes both). When both
    sides of a merge changed uv.lock, git hands it to monolock, which merges the
    manifests as git does, relocks them preferring the versions either side locked, and
    writes the result. If it cannot (manifests in conflict, requirements that cannot be
    met together), the file is left conflicted with git's text merge, and
    `monolock lock` resolves it afterwards. The driver runs the Python that ran
    `install`: install monolock where it stays (not a throwaway environment).
    """


def _render(installed: Installed, verb: str, fmt: str) -> None:
    if fmt == "json":
        data = {
            "changed": installed.changed,
            "attributes": str(installed.attributes),
            "driver": installed.command,
        }
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    elif installed.changed:
        click.echo(f"merge driver {verb}: {installed.attributes.name} and .git/config")
        if verb == "installed":
            click.echo(
                f"commit {installed.attributes.name}: git reads it from the branch merged into"
            )
    else:
        click.echo(f"merge driver already {verb}")


_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


@merge_driver_cmd.command("install")
@click.option("--uninstall", is_flag=True, help="Remove what `install` added.")
@_FORMAT
@click.pass_context
def install_cmd(ctx: click.Context, uninstall: bool, fmt: str) -> None:
    """Register the driver (idempotent)."""
    from monolock.merging import driver

    with writing(ctx) as root:
        done = driver.uninstall(root) if uninstall else driver.install(root)
    _render(done, "uninstalled" if uninstall else "installed", fmt)


@merge_driver_cmd.command("run", hidden=True)
@click.argument("handed", nargs=-1, required=True)
@click.pass_context
def run_cmd(ctx: click.Context, handed: tuple[str, ...]) -> None:
    """What git runs: %O %A %B %L %P. Exit 0 when uv.lock was regenerated."""
    from monolock.cli.main import say
    from monolock.merging import driver

    ctx.exit(driver.run(driver.Handed.of(handed), say))
