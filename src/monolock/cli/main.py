"""`monolock`: the command group and the one boundary where errors become messages."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from pathlib import Path

import click

from monolock import __version__
from monolock.errors import MonolockError

EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 2  # "no answer": the same code as bad input, with its own message

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
    "merge-driver": ("merging", "merge_driver_cmd"),
    "add": ("authoring", "add_cmd"),
    "remove": ("authoring", "remove_cmd"),
    "upgrade": ("authoring", "upgrade_cmd"),
    "new": ("authoring", "new_cmd"),
    "audit": ("supplying", "audit_cmd"),
    "sbom": ("supplying", "sbom_cmd"),
    "licenses": ("supplying", "licenses_cmd"),
    "ci": ("integrating", "ci_cmd"),
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
    type=click.Path(exists=True, file_okay=False, path_type=Path),
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
      monolock ci github            a workflow that fans the affected members out
      monolock drift                Poetry repos: versions that differ between locks
      monolock audit [APP...]       known vulnerabilities in what each app installs
      monolock sbom APP             a CycloneDX SBOM of exactly what APP installs
      monolock licenses [APP...]    the licence of everything each app installs
    Running:
      monolock run TASK             a task in every member, in parallel, cached by content
    Writing:
      monolock init --from-poetry   a Poetry monorepo -> one uv workspace and lock
      monolock lock                 one `uv lock`, then what changed per app (a
                                    conflicted uv.lock: regenerated, both sides kept)
      monolock merge-driver install git merges and rebases regenerate uv.lock
      monolock new lib|app NAME     a member wired in, check-clean, then one lock
      monolock add REQ --to MEMBER  a requirement, at the locked version, then one lock
      monolock remove DIST --from M the reverse, and which apps lose it
      monolock upgrade [DIST...]    within the declared ranges, and which apps redeploy
      monolock build APP --out DIR  a Docker build context: wheels, hashed pins, Dockerfile
      monolock build APP --venv DIR the same environment here, proven exact
    """
    ctx.obj = root


def _safe(line: str) -> str:
    """A line of a message as a terminal or a CI log may show it: control characters
    escaped, and never the start of a GitHub workflow command (`::error::…`), whatever a
    repository's files put into the message."""
    line = "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in line)
    return " " + line if line.startswith("::") else line


def say(text: str) -> None:
    """A message on standard error that cannot fail: a name that is not valid UTF-8 is
    shown escaped, a closed stream is ignored."""
    safe = "\n".join(_safe(line) for line in text.split("\n"))
    with contextlib.suppress(OSError, ValueError):
        click.echo(safe.encode("utf-8", "backslashreplace").decode("utf-8"), err=True)


def _os_error(exc: OSError) -> str:
    what = exc.strerror or type(exc).__name__
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    return f"{' -> '.join(names)}: {what}" if names else what


def main(argv: list[str] | None = None) -> None:
    for stream in (sys.stdout, sys.stderr):
        # a file name that is not valid UTF-8 is printed escaped, never a crash
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")
    try:
        code = cli.main(args=argv, prog_name="monolock", standalone_mode=False)
    except MonolockError as exc:
        say(f"error: {exc}")
        if exc.hint:
            say(f"hint: {exc.hint}")
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        say("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # the reader went away (`monolock list | head`): stop quietly, as Python's docs
        # advise, so that flushing at exit does not fail a second time
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_FINDINGS)
    except OSError as exc:
        # the file system refused something no reader anticipated: say what and where
        say(f"error: {_os_error(exc)}")
        say("hint: check that the path exists, is of the right kind and is writable")
        sys.exit(EXIT_USAGE)
    except RecursionError:
        say("error: an input is nested too deeply to be read")
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # the last resort: never a traceback
        say(f"internal error: {type(exc).__name__}: {exc}")
        say(f"command: monolock {' '.join(argv if argv is not None else sys.argv[1:])}")
        say(
            "this is a bug in monolock, not in your repository: please report it with the "
            "command above (set MONOLOCK_DEBUG=1 to see where it happened)"
        )
        if os.environ.get("MONOLOCK_DEBUG"):
            raise
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
