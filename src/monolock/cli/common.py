"""What the commands share: finding the workspace, the lock, an app, and writing output."""

from __future__ import annotations

import json
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


def lock(ws: Workspace) -> Lock:
    from monolock.lockfile import read_lock

    return read_lock(ws.lock_path)


def member_of(ws: Workspace, name: str) -> str:
    """An app's member, or a member by name: export and why accept either."""
    from monolock.config import find_app

    return find_app(ws, name).package


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True)


def emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        atomic_write(output, text if text.endswith("\n") else text + "\n")
        click.echo(f"wrote {output}", err=True)
