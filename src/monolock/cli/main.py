"""`monolock`: the command group and the one boundary where errors become messages."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from monolock import __version__
from monolock.errors import MonolockError

EXIT_FINDINGS = 1
EXIT_USAGE = 2

# command -> (module, attribute): a command's module is imported only when it runs
_COMMANDS = {
    "list": ("inspect", "list_cmd"),
    "graph": ("inspect", "graph_cmd"),
    "why": ("inspect", "why_cmd"),
    "lock": ("locking", "lock_cmd"),
    "export": ("locking", "export_cmd"),
    "build": ("building", "build_cmd"),
    "check": ("checking", "check_cmd"),
    "affected": ("changes", "affected_cmd"),
    "run": ("running", "run_cmd"),
    "drift": ("drifting", "drift_cmd"),
    "init": ("migrating", "init_cmd"),
}


class _Lazy(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = _COMMANDS.get(cmd_name)
        if spec is None:
            return None
        command: click.Command = getattr(
            importlib.import_module(f"monolock.cli.{spec[0]}"), spec[1]
        )
        return command


@click.group(
    cls=_Lazy, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
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
      monolock check                every import declared, the workspace policy kept
      monolock affected [--base R]  the members and apps a change touches, and why
      monolock drift                Poetry repos: versions that differ between locks
    Running:
      monolock run TASK             a task in every member, in parallel, cached by content
    Writing:
      monolock init --from-poetry   a Poetry monorepo -> one uv workspace and lock
      monolock lock                 one `uv lock`, then what changed per app
      monolock build APP --out DIR  a Docker build context: wheels, hashed pins, Dockerfile
      monolock build APP --venv DIR the same environment here, proven exact
    """
    ctx.obj = root


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
