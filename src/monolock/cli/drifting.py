"""`monolock drift`: versions that differ between per-package Poetry locks."""

from __future__ import annotations

import click

from monolock.cli.common import dumps, resolver_options, workspace


@click.command("drift")
@click.option(
    "--resolve/--no-resolve",
    default=True,
    show_default=True,
    help="Also ask uv whether one shared lock could satisfy every package.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@resolver_options
@click.pass_context
def drift_cmd(ctx: click.Context, resolve: bool, fmt: str, uv_options: list[str]) -> None:
    """Every third-party distribution locked at different versions in different
    packages' poetry.lock files, and which packages lock which version.

    With --resolve (the default), every package's declared requirements (runtime,
    extras, groups; converted from Poetry's constraints) are resolved together by uv,
    under the Python range all packages share: the answer to "could this repository
    have one lock?". When it could not, uv's explanation is shown with, for each
    distribution it names, which package declares what. Exit code 1 in that case.
    """
    from monolock.errors import UsageError
    from monolock.poetry.drift import report

    ws = workspace(ctx)
    if ws.kind != "paths":
        raise UsageError(
            "drift compares per-package poetry.lock files; this is a uv workspace with one lock",
            where="pyproject.toml",
            hint="`monolock why DIST` shows where a distribution comes from in uv.lock",
        )
    if resolve and fmt == "text":
        click.echo("resolving every package's requirements together with uv…", err=True)
    found = report(ws, resolve=resolve, uv_args=uv_options)
    shared = found.shared
    if fmt == "json":
        click.echo(
            dumps(
                {
                    "packages": list(found.packages),
                    "missing_locks": list(found.missing),
                    "drift": [
                        {
                            "name": d.name,
                            "versions": {v: list(who) for v, who in d.versions},
                        }
                        for d in found.drift
                    ],
                    "shared": None
                    if shared is None
                    else {
                        "ok": shared.ok,
                        "requires_python": shared.requires_python,
                        "versions": shared.versions,
                        "message": shared.message,
                        "internal": list(shared.internal),
                        "conflicts": {
                            name: [
                                {
                                    "package": d.package,
                                    "kind": d.label,
                                    "requirement": d.requirement,
                                }
                                for d in declared
                            ]
                            for name, declared in shared.conflicts
                        },
                    },
                }
            )
        )
    else:
        click.echo(
            f"{len(found.drift)} distribution(s) locked at different versions across "
            f"{len(found.packages)} poetry.lock files"
        )
        for drifted in found.drift:
            click.echo(f"  {drifted.name}")
            for version, who in drifted.versions:
                click.echo(f"    {version:<12} {', '.join(who)}")
        for name in found.missing:
            click.echo(f"warning: {name} has no poetry.lock", err=True)
        if shared is not None:
            python = shared.requires_python or "any Python"
            if shared.ok:
                click.echo(
                    f"one shared lock can satisfy every package (Python {python}): "
                    f"{len(shared.versions)} distributions"
                )
            else:
                click.echo(f"one shared lock cannot satisfy every package (Python {python})")
                for line in shared.internal:
                    click.echo(f"  {line}")
                if shared.message:
                    click.echo("uv says:")
                    click.echo("\n".join("  " + line for line in shared.message.splitlines()))
                for name, declared in shared.conflicts:
                    click.echo(f"  {name} is declared by:")
                    for d in declared:
                        click.echo(f"    {d.package} ({d.label}): {d.requirement}")
    if shared is not None and not shared.ok:
        ctx.exit(1)
