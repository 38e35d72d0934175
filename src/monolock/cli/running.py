"""`monolock run TASK`: a task in every member (or the affected ones), in parallel, cached."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, cast

import click

from monolock.cli.common import JOBS, workspace

if TYPE_CHECKING:
    from rich.console import Console

    from monolock.tasks.cache import Mode
    from monolock.tasks.plan import Job
    from monolock.tasks.runner import Outcome


class _Show:
    """Each member's output as one block when it ends; on a terminal, a live line of what
    is running; in GitHub Actions, each block folded into a group."""

    def __init__(self, console: Console, *, quiet: bool, live: bool, total: int) -> None:
        self.console = console
        self.quiet = quiet
        self.github = os.environ.get("GITHUB_ACTIONS") == "true"
        self.running: list[str] = []
        self.done = 0
        self.total = total
        self.status = console.status("") if live else None

    def __call__(self, event: str, job: Job, outcome: Outcome | None) -> None:
        from monolock.report.run import block

        if event == "start":
            self.running.append(job.member)
        else:
            assert outcome is not None
            if job.member in self.running:
                self.running.remove(job.member)
            self.done += 1
            wanted = not self.quiet or outcome.status == "failed"
            block(outcome, self.console, output=wanted, github=self.github)
        if self.status is not None:
            names = ", ".join(self.running[:4]) + (" …" if len(self.running) > 4 else "")
            self.status.update(f"{self.done}/{self.total} done · running {names or '-'}")

    def __enter__(self) -> _Show:
        if self.status is not None:
            self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()


@click.command("run")
@click.argument("task")
@click.option(
    "--affected",
    "affected_base",
    is_flag=False,
    flag_value="HEAD",
    default=None,
    metavar="[=REF]",
    help="Only the members `monolock affected --base REF` names (REF default: HEAD, i.e. "
    "what the working tree changes). In CI: --affected=origin/main.",
)
@click.option("-p", "--package", "packages", multiple=True, help="Only this member (repeatable).")
@click.option(
    "-j",
    "--jobs",
    type=JOBS,
    default=None,
    help="Members run at once.  [default: one per core]",
)
@click.option(
    "--isolated",
    is_flag=True,
    help="Run each member in its own environment holding only its projection of the lock "
    "and its dependency groups: an undeclared import fails there. Environments are kept "
    "in the cache directory and reused; uv makes them exact on each run.",
)
@click.option(
    "--cache",
    "cache_mode",
    type=click.Choice(["read-write", "read-only", "local", "off"]),
    default="read-write",
    show_default=True,
    envvar="MONOLOCK_CACHE",
    show_envvar=True,
    help="read-only: replay results from this machine's cache and the remote one, store "
    "nothing (for untrusted builds such as pull requests from forks); local: leave the "
    "remote alone; off: run everything, store nothing.",
)
@click.option("--no-cache", is_flag=True, help="The same as --cache=off.")
@click.option(
    "--shard",
    default=None,
    metavar="I/N",
    help="Run the I-th of N deterministic shares of the selected members (CI fan-out).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: the summary on stdout, members' output on stderr.",
)
@click.option("-q", "--quiet", is_flag=True, help="Show the output of failed members only.")
@click.pass_context
def run_cmd(
    ctx: click.Context,
    task: str,
    affected_base: str | None,
    packages: tuple[str, ...],
    jobs: int | None,
    isolated: bool,
    cache_mode: str,
    no_cache: bool,
    shard: str | None,
    fmt: str,
    quiet: bool,
) -> int:
    """Run TASK in each member's directory, in parallel, replaying cached results.

    \b
    Tasks are defined once in the root pyproject.toml:
      [tool.monolock.tasks]
      test = "pytest -q"
      lint = "ruff check ."
      typecheck = { command = "mypy src", after-dependencies = true, timeout = 900 }
    A member may replace a command (test = "pytest tests/unit") or switch it off
    (typecheck = false) in its own [tool.monolock.tasks].

    A task runs in the workspace environment (every member and dependency group,
    synced from uv.lock) unless --isolated. In a Poetry repository (a poetry.lock per
    package), each package's task runs in its own Poetry environment, installed first
    with `poetry install`. Members whose tool is not installed,
    whose pytest finds no tests, or that switch the task off are skipped, not failed.

    A passing result is stored under a key of everything it read: every file below
    the member as git sees it (nested members included), those of the members its
    tests install, the root's configuration files, its projection of the lock, the
    command, the environment, and what a task names with `inputs` (patterns narrowing
    the files) and `env` (variables). The same key next time replays the result. The
    cache lives in MONOLOCK_CACHE_DIR (default ~/.cache/monolock); delete it at any time.

    \b
    A team shares results through an object store named in the root pyproject.toml:
      [tool.monolock.cache]
      url = "s3://bucket/prefix"    # or gs://, az://, file:///shared/disk
    (MONOLOCK_CACHE_URL overrides it). Credentials come from each store's usual
    variables and files (AWS_*, AWS_ENDPOINT_URL for an S3-compatible server,
    GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_*). This machine's cache is asked
    first, then the remote; new results are written to both after the run. Remote
    entries are checked before they are replayed: a corrupted or foreign one is a miss.
    With MONOLOCK_CACHE_SIGNING_KEY set, entries are signed (HMAC-SHA256) and unsigned
    or wrongly signed ones refused; `signed = true` requires it. A remote that is down
    costs one timeout (`timeout`, default 10 s) and a warning; the tasks still run.

    Exit code: 0 when nothing failed, 1 when a member failed, 2 on bad input.
    """
    from rich.console import Console

    from monolock.cli.common import lock
    from monolock.cli.main import say
    from monolock.report import run as render
    from monolock.tasks.cache import open_cache
    from monolock.tasks.plan import Shard, plan, scope
    from monolock.tasks.runner import run

    started = time.monotonic()
    ws = workspace(ctx)
    env, selected = scope(ws, packages=packages, isolated=isolated, affected=affected_base)
    the_plan = plan(
        ws,
        None if env == "poetry" else lock(ws),
        task,
        members=selected,
        shard=Shard.parse(shard) if shard is not None else None,
        env=env,
    )
    out = Console(file=sys.stderr if fmt == "json" else sys.stdout, highlight=False)
    live = out.is_terminal and not os.environ.get("CI")
    with _Show(out, quiet=quiet, live=live, total=len(the_plan.jobs)) as show:
        outcomes = run(
            the_plan,
            ws.root,
            jobs=jobs or os.cpu_count() or 1,
            cache=open_cache(ws.root, cast("Mode", "off" if no_cache else cache_mode), say),
            listener=show,
        )
    seconds = time.monotonic() - started
    if fmt == "json":
        click.echo(render.as_json(the_plan, outcomes, seconds))
    else:
        render.table(the_plan, outcomes, seconds, out)
    return 1 if any(o.status == "failed" for o in outcomes) else 0
