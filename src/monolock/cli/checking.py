"""`monolock check`: boundaries and policy of every member, in one run."""

from __future__ import annotations

import sys

import click

from monolock.cli.common import JOBS, workspace, writing


@click.command("check")
@click.option(
    "-p",
    "--package",
    help="Check one member only (its findings, and the policy findings that name it).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github", "sarif"]),
    default="text",
    show_default=True,
    help="github: workflow commands that annotate the files of a pull request; "
    "sarif: SARIF 2.1.0 for code scanning (paths relative to the git repository's top).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Parse every file and read every wheel listing "
    "again, and run `uv lock --check` even if nothing changed.",
)
@click.option("--no-lock-check", is_flag=True, help="Skip `uv lock --check` (ML201).")
@click.option(
    "--fix",
    is_flag=True,
    help="Settle what a manifest edit settles (ML101, ML103, ML104, ML105, ML107, ML203, "
    "ML204), lock once, then report what is left.",
)
@click.option("--diff", is_flag=True, help="With or without --fix: print the manifest edits.")
@click.option(
    "-j",
    "--jobs",
    type=JOBS,
    default=None,
    help="Processes for parsing.  [default: one per core]",
)
@click.pass_context
def check_cmd(
    ctx: click.Context,
    package: str | None,
    fmt: str,
    no_cache: bool,
    no_lock_check: bool,
    fix: bool,
    diff: bool,
    jobs: int | None,
) -> int:
    """Check that every member declares what it imports, and the workspace policy.

    \b
    Imports (shipped code, then tests and scripts as dev code):
      ML101 undeclared-dependency   imports a distribution it does not declare
      ML102 unknown-import          imports what nothing locked, no member, no stdlib provides
      ML103 unused-dependency       declares a runtime dependency no shipped module imports
      ML104 misplaced-dependency    shipped code needs what only a dev group (or extra) declares
      ML105 undeclared-internal     imports a member it does not declare
      ML106 private-import          imports a private module (_name) of another member
      ML107 undeclared-dev-dependency  dev code imports what is declared nowhere
      ML100 syntax-error            a scanned file is not valid Python
    Policy:
      ML201 stale-lock   ML202 python-range   ML203 dev-pins
      ML204 workspace-source   ML205 runtime-cycle   ML206 same-sources
      ML207 licence-policy (the root's [tool.monolock.check] licenses = { allow, deny })

    Imports under `if TYPE_CHECKING:`, in `try/except ImportError`, in
    `with suppress(ImportError):` or under an `if` that asks `find_spec` are never
    missing. Switch a finding off on its
    line with `# monolock: ignore[ML101]`, or in [tool.monolock.check] of a member
    or the root: `ignore = ["ML103:uvicorn"]`.
    Map a distribution whose wheel cannot be read with [tool.monolock.import-names].

    `--fix` edits the manifests (in their own format, comments kept) for what an edit
    settles, locks once (every file taken back if uv fails), and reports what is left;
    `--diff` alone prints those edits and writes nothing.

    Exit code: 0 clean, 1 findings, 2 bad input.
    """
    from monolock.check import Options, check

    def progress(message: str) -> None:
        if fmt == "text" and sys.stderr.isatty():
            click.echo(message, err=True)

    options = Options(package=package, cache=not no_cache, lock_check=not no_lock_check, jobs=jobs)
    if fix or diff:
        from monolock.authoring.fix import check_and_fix

        with writing(ctx) as root:
            fixed, report = check_and_fix(root, options, write=fix, progress=progress)
        for line in fixed.said:
            click.echo(("fixed " if fix else "would fix ") + line, err=True)
        if fixed.outcome is not None:
            from monolock.report import lock as locked

            click.echo(locked.text(fixed.outcome), err=True)
        if diff:
            click.echo(fixed.diff, nl=False, err=fmt != "text")
    else:
        report = check(workspace(ctx), options, progress)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    from monolock.report import check as render

    if fmt == "json":
        click.echo(render.as_json(report))
    elif fmt in ("github", "sarif"):
        out = render.github(report) if fmt == "github" else render.sarif(report)
        if out:
            click.echo(out)
        click.echo(render.summary(report), err=True)
    else:
        from rich.console import Console

        render.text(report, Console(highlight=False))
    return 0 if report.ok else 1
