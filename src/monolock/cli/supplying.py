"""`monolock audit`: known vulnerabilities per app."""

from __future__ import annotations

from pathlib import Path

import click

from monolock.cli.common import OUTPUT, lock, workspace

# how every SBOM monolock writes begins: -o replaces only a file that begins so
SBOM_HEADERS = {
    "cyclonedx-json": '{\n  "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",\n'
    '  "bomFormat"',
    "spdx-json": '{\n  "spdxVersion": "SPDX-2.3",\n  "dataLicense": "CC0-1.0"',
}


@click.command("audit")
@click.argument("apps", nargs=-1)
@click.option(
    "--db",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="A directory or zip archive of OSV records (e.g. OSV's PyPI export). "
    "Default: ask OSV's API.",
)
@click.option("--dev", is_flag=True, help="Also the members' dev groups.")
@click.option(
    "--fix",
    is_flag=True,
    help="For each vulnerable distribution, what upgrading it within the declared ranges "
    "would clear, and which apps it redeploys (nothing is written).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
)
@click.pass_context
def audit_cmd(
    ctx: click.Context, apps: tuple[str, ...], db: Path | None, dev: bool, fix: bool, fmt: str
) -> None:
    """Known vulnerabilities in what each app (default: every app) installs.

    \b
    Each app's projection of uv.lock is matched against OSV records: the advisory and
    its aliases, the version installed, the versions that fix it, and the path by which
    it reaches the app. Nothing is installed. Ignore an advisory in the root's
    [tool.monolock.audit]: ignore = [{ id = "GHSA-…", reason = "…", expires = 2027-01-31 }].
    OSV out of reach is an error (exit 2), never "no vulnerabilities".

    Exit code: 0 none found, 1 found, 2 bad input or no answer.
    """
    from monolock.report import audit as render
    from monolock.supply.audit import audit, remedies

    ws = workspace(ctx)
    report = audit(ws, lock(ws), apps, db=db, dev=dev)
    fixes = remedies(ws.root, report) if fix and report.found else []
    click.echo(render.render(report, fixes, fmt))
    ctx.exit(1 if report.found else 0)


@click.command("sbom")
@click.argument("app")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["cyclonedx-json", "spdx-json"]),
    default="cyclonedx-json",
    show_default=True,
)
@OUTPUT
@click.pass_context
def sbom_cmd(ctx: click.Context, app: str, fmt: str, output: Path | None) -> None:
    """An SBOM (CycloneDX 1.6, or SPDX 2.3) of exactly what APP installs.

    Every distribution of its projection with its purl, version and the hashes uv.lock
    records; its internal packages with their version and the git commit; the lock's
    edges between them as the dependency graph.
    """
    from monolock import git
    from monolock.cli.common import emit
    from monolock.supply.sbom import contents, cyclonedx, spdx
    from monolock.wheels import source_date_epoch

    ws = workspace(ctx)
    commit = (git.output(ws.root, "rev-parse", "HEAD") or "").strip() or None
    found = contents(ws, lock(ws), app, commit, source_date_epoch(ws.root))
    text = spdx(found) if fmt == "spdx-json" else cyclonedx(found)
    emit(text, output, header=SBOM_HEADERS[fmt])


@click.command("licenses")
@click.argument("apps", nargs=-1)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def licenses_cmd(ctx: click.Context, apps: tuple[str, ...], fmt: str) -> None:
    """The licence of every distribution each app (default: every app) installs.

    Read from each wheel's METADATA (PEP 639's License-Expression, else the License
    field, else the License classifiers), a wheel on an index in ranges, never whole;
    kept by the wheel's hash.
    """
    import json

    from monolock.supply.licences import of_apps

    ws = workspace(ctx)
    found = of_apps(ws, lock(ws), apps)
    if fmt == "json":
        data = {
            app: [
                {
                    "name": x.name,
                    "version": x.version,
                    "license": x.text,
                    "spdx": x.spdx,
                    "source": x.source,
                }
                for x in licences
            ]
            for app, licences in found.items()
        }
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    for app, licences in found.items():
        click.echo(f"{app}:")
        for x in licences:
            click.echo(f"  {x.name} {x.version}  {x.text}  ({x.source})")
