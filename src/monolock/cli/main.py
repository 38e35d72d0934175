"""`monolock`: the command group and the one boundary where errors become messages."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monolock import __version__
from monolock.cli import building, inspect, locking
from monolock.errors import MonolockError

EXIT_FINDINGS = 1
EXIT_USAGE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "-C",
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Repository root. Default: the nearest directory at or above the current one whose "
    "pyproject.toml has [tool.uv.workspace] or [tool.monolock], else the current one.",
)
@click.version_option(__version__, prog_name="monolock")
@click.pass_context
def cli(ctx: click.Context, root: Path | None) -> None:
    """One lockfile, many lean containers.

    monolock keeps a monorepo of installable packages under a Single Version Policy:
    every package declares what it imports, all third-party requirements resolve into
    one shared uv.lock, and every app installs only its projection of that lock.

    \b
    Read-only questions answer from the manifests and uv.lock alone:
      monolock list                 members, apps, Python ranges
      monolock graph [--app A]      the internal dependency graph
      monolock why DIST             every path from an app to a distribution
      monolock export APP           the app's projection, pinned with hashes
    Writing:
      monolock lock                 one `uv lock`, then what changed per app
      monolock build APP --out DIR  a Docker build context: wheels, hashed pins, Dockerfile
      monolock build APP --venv DIR the same environment here, proven exact
    """
    ctx.obj = root


cli.add_command(inspect.list_cmd)
cli.add_command(inspect.graph_cmd)
cli.add_command(inspect.why_cmd)
cli.add_command(locking.lock_cmd)
cli.add_command(locking.export_cmd)
cli.add_command(building.build_cmd)


def main(argv: list[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="monolock", standalone_mode=False)
    except MonolockError as exc:
        click.echo(f"error: {exc}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
