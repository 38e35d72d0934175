"""What the commands share: finding the workspace, the lock, an app, and writing output."""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monolock.fsutil import atomic_write
from monolock.root import find_root

if TYPE_CHECKING:
    from monolock.model import Lock, Workspace


def _given_root(ctx: click.Context) -> Path:
    given: Path | None = ctx.find_root().obj
    root = given if given is not None else find_root(Path.cwd())
    try:
        return root.resolve()  # the path discovery uses: one journal, one lock per repository
    except (OSError, RuntimeError):
        return root.absolute()  # a loop: discovery says so


def _recover(root: Path) -> None:
    from monolock import journal

    done = journal.recover(root)
    if done:
        click.echo(f"monolock: {done}", err=True)


def root_dir(ctx: click.Context) -> Path:
    """The repository's root, with any change an interrupted monolock left half-made
    completed first (or rolled back), and said so."""
    root = _given_root(ctx)
    from monolock import journal

    if journal.pending(root):
        from monolock import replay

        replay.unwitnessed()  # what recovery says and does is never an answer to replay
        with hold(root):
            _recover(root)
    return root


@contextlib.contextmanager
def writing(ctx: click.Context) -> Iterator[Path]:
    """The repository's root, held by this process for as long as it writes (another
    writer waits), with any interrupted change completed first."""
    root = _given_root(ctx)
    with hold(root):
        _recover(root)
        yield root


def hold(directory: Path) -> contextlib.AbstractContextManager[None]:
    """The one-writer lock on `directory`; a second writer waits, and says why."""
    from monolock.mutex import exclusive

    def waiting() -> None:
        click.echo(f"waiting for another monolock process writing in {directory}…", err=True)

    return exclusive(directory, waiting)


def workspace(ctx: click.Context, root: Path | None = None) -> Workspace:
    """The workspace at `root` (default: the command's root), its warnings shown."""
    from monolock.cli.main import say
    from monolock.workspace import discover  # imported on use: keeps start-up fast

    found = discover(root if root is not None else root_dir(ctx))
    for warning in found.warnings:
        say(f"warning: {warning}")
    return found


def lock(ws: Workspace, member: str | None = None, *, current: bool = False) -> Lock:
    """The shared uv.lock; in a Poetry repository, `member`'s own poetry.lock (with
    `current`, refused where its pyproject.toml moved on, as Poetry refuses it)."""
    if ws.kind == "paths" and member is not None:
        from monolock.lockfile import present as has_uv_lock
        from monolock.poetry.lock import present, read

        package = ws.by_name[member]
        if present(ws.root, package) or not has_uv_lock(ws.lock_path):
            found = read(ws.root, package)
            if current:
                from monolock.poetry.fresh import require_current

                require_current(ws.root, package)
            return found
    from monolock.lockfile import read_lock

    return read_lock(ws.lock_path)


def member_of(ws: Workspace, name: str) -> str:
    """An app's member, or a member by name: export and why accept either."""
    from monolock.config import find_app

    return find_app(ws, name).package


def resolver_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Index and interpreter options passed to uv; the command receives them as the
    argument list `uv_options`."""
    options = [
        click.option("--index-url", default=None, help="Passed to uv."),
        click.option("--extra-index-url", multiple=True, help="Passed to uv (repeatable)."),
        click.option("--find-links", multiple=True, help="Passed to uv (repeatable)."),
        click.option("--no-index", is_flag=True, help="Passed to uv."),
        click.option("--offline", is_flag=True, help="Passed to uv: use only the cache."),
        click.option(
            "--python", default=None, help="Interpreter uv should use (never downloaded)."
        ),
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        argv: list[str] = []
        if url := kwargs.pop("index_url"):
            argv += ["--index-url", url]
        for url in kwargs.pop("extra_index_url"):
            argv += ["--extra-index-url", url]
        for link in kwargs.pop("find_links"):
            argv += ["--find-links", link]
        if kwargs.pop("no_index"):
            argv.append("--no-index")
        if kwargs.pop("offline"):
            argv.append("--offline")
        if python := kwargs.pop("python"):
            argv += ["--python", python]
        return command(*args, uv_options=argv, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


# parallel work: at least one, and not more threads or processes than a machine can hold
JOBS = click.IntRange(1, 256)


if TYPE_CHECKING:
    _FloatParam = click.ParamType[float]
else:
    _FloatParam = click.ParamType  # generic only in recent click releases


class Seconds(_FloatParam):
    """A duration: a finite number of seconds, a tenth of one at least, a day at most."""

    name = "seconds"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        import math

        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(seconds) or not 0.1 <= seconds <= 86400:
            self.fail(f"{value!r}: give a number of seconds from 0.1 to 86400", param, ctx)
        return seconds


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True)


# `-o FILE` of the commands that print a document: written whole, replacing only its own
OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here (atomically) instead of standard output.",
)


def emit(text: str, output: Path | None, *, header: str) -> None:
    """`text` on standard output, or into `output`: a new file, or one that starts with
    `header` (monolock wrote it before); written whole or not at all."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from monolock.errors import UsageError
    from monolock.targets import check_file

    target = check_file(output, option="-o", header=header)
    try:
        atomic_write(target, text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise UsageError(
            f"-o {output}: cannot write it ({exc.strerror})",
            hint="name a file in a directory you can write to",
        ) from None
    click.echo(f"wrote {output}", err=True)
