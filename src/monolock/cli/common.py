"""What the commands share: finding the workspace, the lock, an app, and writing output."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monolock.fsutil import atomic_write
from monolock.root import find_root

if TYPE_CHECKING:
    from monolock.model import Lock, Workspace


def root_dir(ctx: click.Context) -> Path:
    given: Path | None = ctx.find_root().obj
    return given.resolve() if given is not None else find_root(Path.cwd())


def workspace(ctx: click.Context) -> Workspace:
    from monolock.workspace import discover  # imported on use: keeps start-up fast

    found = discover(root_dir(ctx))
    for warning in found.warnings:
        click.echo(f"warning: {warning}", err=True)
    return found


def lock(ws: Workspace, member: str | None = None) -> Lock:
    """The shared uv.lock; in a Poetry repository, `member`'s own poetry.lock."""
    if ws.kind == "paths" and member is not None:
        from monolock.poetry.lock import lock_path, read

        package = ws.by_name[member]
        if lock_path(ws.root, package).is_file() or not ws.lock_path.is_file():
            return read(ws.root, package)
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


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True)


def emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        atomic_write(output, text if text.endswith("\n") else text + "\n")
        click.echo(f"wrote {output}", err=True)
