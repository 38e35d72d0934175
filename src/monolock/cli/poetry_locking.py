"""`monolock lock [--check]` in a Poetry repository: per-package locks, kept fresh."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from monolock.cli.common import dumps
from monolock.errors import UsageError
from monolock.model import Workspace

if TYPE_CHECKING:
    from monolock.poetry.fresh import State
    from monolock.poetry.relock import Locked

EXIT_FINDINGS = 1


def _show_states(states: list[State], fmt: str) -> None:
    if fmt == "json":
        click.echo(
            dumps(
                {
                    "locks": [
                        {
                            "package": s.package,
                            "lock": s.lock,
                            "status": s.status,
                            "reasons": list(s.reasons),
                        }
                        for s in states
                    ]
                }
            )
        )
        return
    for s in states:
        click.echo(f"{s.status:<7} {s.package} ({s.lock})")
        for reason in s.reasons:
            click.echo(f"        {reason}")


def poetry_lock(ws: Workspace, *, check: bool, jobs: int | None, fmt: str) -> int:
    from monolock.poetry.fresh import states
    from monolock.poetry.relock import relock

    found = states(ws)
    if not found:
        raise UsageError(
            "nothing to lock: no uv workspace, and no package managed by Poetry",
            where="pyproject.toml",
            hint="declare [tool.uv.workspace] members at the root (or run `monolock init`)",
        )
    stale = [s for s in found if s.status != "fresh"]
    if check:
        _show_states(found, fmt)
        if fmt == "text":
            click.echo(
                f"{len(stale)} of {len(found)} poetry.lock files stale or missing"
                if stale
                else f"all {len(found)} poetry.lock files are up to date",
                err=True,
            )
        return EXIT_FINDINGS if stale else 0
    if not stale:
        if fmt == "json":
            _show_states(found, fmt)
        else:
            click.echo(f"all {len(found)} poetry.lock files are up to date")
        return 0
    if fmt == "text":
        click.echo(f"locking {len(stale)} package(s) with Poetry…", err=True)

    def done(locked: Locked) -> None:
        if fmt != "text":
            return
        verdict = "locked" if locked.ok else "FAILED"
        click.echo(f"{verdict} {locked.package} ({locked.seconds:.1f}s)")
        if locked.output:
            click.echo("\n".join("    " + line for line in locked.output.splitlines()))

    results = relock(ws, stale, jobs=jobs or os.cpu_count() or 1, on_done=done)
    after = {s.package: s for s in states(ws)}
    if fmt == "json":
        click.echo(
            dumps(
                {
                    "locked": [
                        {
                            "package": r.package,
                            "ok": r.ok,
                            "seconds": round(r.seconds, 3),
                            "output": r.output,
                            "status": after[r.package].status,
                        }
                        for r in results
                    ]
                }
            )
        )
    still = [s for s in after.values() if s.status != "fresh"]
    for s in still if fmt == "text" else []:
        click.echo(f"still {s.status}: {s.package}: {'; '.join(s.reasons)}", err=True)
    return EXIT_FINDINGS if still or not all(r.ok for r in results) else 0
