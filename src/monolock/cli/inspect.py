"""Read-only commands: list, graph, why. They read manifests and uv.lock, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monolock.cli.common import OUTPUT, dumps, emit, lock, member_of, workspace

if TYPE_CHECKING:
    from monolock.graph import Graph
    from monolock.model import Workspace


def _listing(ws: Workspace, graph: Graph) -> list[dict[str, Any]]:
    apps = {a.package: a.name for a in ws.apps}
    rows: list[dict[str, Any]] = []
    for p in ws.packages:
        internal = graph.deps(p.name)
        third = sorted({d.name for d in p.runtime() if d.name not in ws.by_name})
        rows.append(
            {
                "name": p.name,
                "version": p.version,
                "path": p.path,
                "app": apps.get(p.name),
                "dialect": p.dialect,
                "requires_python": p.requires_python,
                "imports": list(p.import_names),
                "internal": internal,
                "third_party": third,
                "dynamic": list(p.dynamic),
                "groups": list(p.groups),
                "extras": list(p.extras),
            }
        )
    return rows


@click.command("list")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "names"]),
    default="table",
    show_default=True,
    help="names: one member name per line, for shell loops.",
)
@click.pass_context
def list_cmd(ctx: click.Context, fmt: str) -> None:
    """The members of the monorepo, which of them are apps, and what they declare.

    A member whose dependencies are filled in by a build hook (`dynamic`) is marked:
    its dependencies are not readable statically, and monolock does not guess them.
    """
    from monolock.graph import Graph

    ws = workspace(ctx)
    rows = _listing(ws, Graph(ws))
    if fmt == "json":
        click.echo(dumps({"root": str(ws.root), "kind": ws.kind, "members": rows}))
        return
    if fmt == "names":
        for row in rows:
            click.echo(row["name"])
        return
    from monolock.report.members import table

    click.echo(table(rows, ws.kind))


@click.command("graph")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "mermaid", "dot", "json", "html"]),
    default="text",
    show_default=True,
    help="html: one self-contained page to open in a browser (with -o FILE).",
)
@click.option("--app", "app", default=None, help="Only this app's (or member's) runtime closure.")
@click.option(
    "--runtime",
    "runtime_only",
    is_flag=True,
    help="Only runtime edges (hide extras and dependency groups).",
)
@OUTPUT
@click.pass_context
def graph_cmd(
    ctx: click.Context, fmt: str, app: str | None, runtime_only: bool, output: Path | None
) -> None:
    """The internal dependency graph between members.

    Edges are labelled runtime, extra:NAME or group:NAME; non-runtime edges are dashed in
    Mermaid and DOT. Cycles are listed after the text tree: a runtime cycle is an error
    (exit 1), one through an extra or a group only is a warning.

    \b
    `--format html -o graph.html` writes a page that needs no network to view: members
    in layers (dependencies below), apps marked with the size of their projection,
    search, and a click on a member to see its runtime closure and its dependents.
    """
    from monolock.errors import UsageError
    from monolock.graph import RUNTIME, Graph
    from monolock.report import graph as render_graph

    if output is not None and fmt != "html":
        raise UsageError(
            "-o writes the html page only", hint="redirect the other formats: > graph.dot"
        )
    ws = workspace(ctx)
    graph = Graph(ws)
    nodes = list(graph.nodes)
    if app is not None:
        nodes = graph.closure(member_of(ws, app), RUNTIME)
    apps = {a.package for a in ws.apps}
    if fmt == "html":
        from monolock.report.graph_html import HEADER, render

        page = render(
            graph,
            nodes,
            apps,
            runtime_only=runtime_only,
            title=ws.root.name,
            sizes=_sizes(ws, apps & set(nodes)),
        )
        emit(page, output, header=HEADER)
    else:
        renderer = {
            "text": render_graph.text,
            "mermaid": render_graph.mermaid,
            "dot": render_graph.dot,
            "json": render_graph.as_json,
        }[fmt]
        click.echo(renderer(graph, nodes, apps, runtime_only))
    cycles = [c for c in graph.cycles() if set(c.path) <= set(nodes)]
    if fmt == "text":
        for cycle in cycles:
            level = "error" if cycle.runtime else "warning"
            kind = "runtime cycle" if cycle.runtime else "cycle through an extra or a group"
            click.echo(f"{level}: {kind}: {cycle}", err=True)
    if any(c.runtime for c in cycles):
        ctx.exit(1)


def _sizes(ws: Workspace, apps: set[str]) -> dict[str, tuple[int, int]]:
    """app member -> (members, third-party distributions) its projection holds; apps
    without a lock to read are left out."""
    from monolock.errors import MonolockError
    from monolock.projection import project

    out: dict[str, tuple[int, int]] = {}
    try:
        shared = lock(ws) if ws.kind == "uv" else None
    except MonolockError:
        return out
    for member in sorted(apps):
        try:
            found = project(shared or lock(ws, member), member)
        except MonolockError:
            continue
        out[member] = (len(found.local), len(found.third_party))
    return out


def _version_order(text: str) -> tuple[int, Any]:
    """PEP 440 order (2.8.2 before 2.10.6); what is no version after, as text."""
    from packaging.version import InvalidVersion, Version

    try:
        return (0, Version(text))
    except InvalidVersion:
        return (1, text)


@click.command("why")
@click.argument("dist")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--dev", is_flag=True, help="Also follow each member's dependency groups.")
@click.pass_context
def why_cmd(ctx: click.Context, dist: str, fmt: str, dev: bool) -> None:
    """Every path by which DIST reaches each app and member, through the lock
    (in a Poetry repository, through each package's own poetry.lock).

    Apps come first; members that do not reach DIST are left out. Paths are listed
    shortest first, at most 50 per member.
    """
    from monolock.errors import UsageError, known
    from monolock.model import normalize
    from monolock.why import paths_to

    ws = workspace(ctx)
    name = normalize(dist)
    app_of = {a.package: a.name for a in ws.apps}
    starts = [a.package for a in ws.apps] + [p.name for p in ws.packages if p.name not in app_of]
    per_member = ws.kind == "paths"
    if per_member:
        from monolock.poetry.drift import locks as poetry_locks

        locks, missing = poetry_locks(ws)  # each package's own poetry.lock
        for absent in missing:
            click.echo(f"warning: {absent} has no poetry.lock: left out", err=True)
        starts = [m for m in starts if m in locks]
    else:
        locks = dict.fromkeys(starts, lock(ws))
    versions = sorted(
        {p.version or "?" for lk in locks.values() for p in lk.by_name.get(name, ())},
        key=_version_order,
    )
    if not versions:
        where = "any poetry.lock" if per_member else "uv.lock"
        raise UsageError(
            f"'{dist}' is not in {where}",
            where=where,
            hint="nothing in the workspace needs it ("
            + known(name, {n for lk in locks.values() for n in lk.by_name})
            + "); `monolock lock` after adding it",
        )
    results = []
    for member in starts:
        package = ws.by_name[member]
        found = paths_to(locks[member], member, name, groups=package.groups if dev else ())
        if found.paths:
            results.append((member, found))
    if fmt == "json":
        click.echo(
            dumps(
                {
                    "dist": name,
                    "versions": versions,
                    "members": [
                        {
                            "member": m,
                            "app": app_of.get(m),
                            "paths": [list(p) for p in f.paths],
                            "truncated": f.truncated,
                        }
                        for m, f in results
                    ],
                }
            )
        )
        return
    click.echo(f"{name} {', '.join(versions)}")
    if not results:
        click.echo("  reached by no member (only by dependency groups? try --dev)")
    for member, found in results:
        app_name = app_of.get(member)
        tag = "" if app_name is None else " (app)" if app_name == member else f" (app {app_name})"
        click.echo(f"{member}{tag}:")
        for path in found.paths:
            click.echo("  " + " -> ".join(path))
        if found.truncated:
            click.echo("  … more paths not shown")
