"""`monolock ci github`: a CI workflow that fans the affected members out."""

from __future__ import annotations

from pathlib import Path

import click

from monolock.cli.common import OUTPUT, emit, workspace

# how every workflow monolock writes begins: -o replaces only such a file
HEADER = "# Written by `monolock ci github`"


@click.group("ci")
def ci_cmd() -> None:
    """Workflows for a CI service, computed from the workspace."""


@ci_cmd.command("github")
@click.option("--branch", default="main", show_default=True, help="The main branch.")
@click.option("--python", default="3.12", show_default=True, help="The runners' Python.")
@OUTPUT
@click.pass_context
def github_cmd(ctx: click.Context, branch: str, python: str, output: Path | None) -> None:
    """A GitHub Actions workflow: `plan` checks the lock and the policy and computes
    `affected` once; `tasks` runs every [tool.monolock.tasks] task in each affected
    member (one matrix job each); `build` writes the context of each affected app.

    Write it with `-o .github/workflows/monolock.yml` and commit it.
    """
    from monolock.ci.github import workflow

    emit(workflow(workspace(ctx), branch=branch, python=python), output, header=HEADER)
