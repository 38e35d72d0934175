"""Which members a task runs in, with which command, after which others, under which key."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from monolock.errors import UsageError, known
from monolock.graph import Graph
from monolock.model import DepKind, Lock, Task, Workspace
from monolock.tasks import keys as keying

EnvKind = Literal["shared", "isolated", "poetry"]
_ORDER_KINDS: tuple[DepKind, ...] = (
    "runtime",
    "extra",
)  # a task "after its dependencies" waits on these edges


@dataclass(frozen=True)
class Job:
    member: str
    path: str  # relative to the root
    command: str | None
    skip: str | None = None  # why it is not run at all
    after: tuple[str, ...] = ()  # members of this plan it waits for
    key: str | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class Plan:
    task: str
    env: EnvKind
    jobs: tuple[Job, ...]  # dependencies before dependents


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        found = re.fullmatch(r"([0-9]{1,6})/([0-9]{1,6})", text)
        if found and 1 <= int(found[1]) <= int(found[2]):
            return cls(int(found[1]), int(found[2]))
        raise UsageError(f"--shard '{text}' is not of the form i/n", hint="for example --shard 2/4")

    def pick(self, names: Sequence[str]) -> list[str]:
        """Round robin over the names in sorted order: every machine gets its own share."""
        return [n for i, n in enumerate(sorted(names)) if i % self.count == self.index - 1]


def find_task(ws: Workspace, name: str) -> Task | None:
    found = next((t for t in ws.tasks if t.name == name), None)
    if found is not None:
        return found
    if any(t == name for p in ws.packages for t, _ in p.tasks):
        return None  # defined by members only
    known = sorted({t.name for t in ws.tasks} | {t for p in ws.packages for t, _ in p.tasks})
    raise UsageError(
        f"no task '{name}'",
        where="pyproject.toml",
        hint=(f"tasks: {', '.join(known)}; " if known else "")
        + f'define it under [tool.monolock.tasks], e.g. {name} = "pytest -q"',
    )


def tool(command: str) -> tuple[str | None, str | None]:
    """(executable, python module) a command starts with: `pytest -q` -> ("pytest", None),
    `python -m pytest` -> ("python", "pytest"); (None, None) for shell syntax."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None, None
    if not words or "=" in words[0] or "/" in words[0] or words[0] in ("cd", "exec", "env"):
        return None, None
    if words[0].startswith("python") and len(words) > 2 and words[1] == "-m":
        return words[0], words[2]
    return words[0], None


def runs_pytest(command: str) -> bool:
    executable, module = tool(command)
    return executable in ("pytest", "py.test") or module == "pytest"


def _has_tests(files: Sequence[str]) -> bool:
    for path in files:
        name = path.rsplit("/", 1)[-1]
        if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
            return True
    return False


def scope(
    ws: Workspace, *, packages: Sequence[str], isolated: bool, affected: str | None
) -> tuple[EnvKind, list[str] | None]:
    """Which environment the task runs in, and in which members (None: all): the ones
    named (each once), narrowed to those `affected` since a ref. A Poetry repository
    runs each package in its own Poetry environment, and needs Poetry."""
    env: EnvKind = "isolated" if isolated else "shared"
    if ws.kind == "paths":
        from monolock.poetry import tool
        from monolock.poetry.fresh import poetry_packages

        env = "poetry"  # each package in its own Poetry environment, as the Makefile did
        managed = [p.name for p in poetry_packages(ws)]
        if not managed:
            raise UsageError(
                "monolock run needs a uv workspace or Poetry packages: this repository's "
                "projects are linked by path dependencies only",
                where="pyproject.toml",
                hint="declare the members under [tool.uv.workspace] in the root pyproject.toml",
            )
        packages = packages or managed
        tool.binary()  # no Poetry: one clear error, not one failure per package
    selected: list[str] | None = None
    if packages:
        selected = []
        for name in packages:
            member = ws.get(name)
            if member is None:
                raise UsageError(
                    f"--package {name}: no member is called that", hint=known(name, ws.by_name)
                )
            if member.name not in selected:
                selected.append(member.name)
    if affected is not None:
        from monolock.affected import affected as touched_by

        touched = set(touched_by(ws, affected, None).names())
        selected = [m for m in (selected or [p.name for p in ws.packages]) if m in touched]
    return env, selected


def plan(
    ws: Workspace,
    lock: Lock | None,
    name: str,
    *,
    members: Sequence[str] | None = None,
    shard: Shard | None = None,
    env: EnvKind = "shared",
) -> Plan:
    task = find_task(ws, name)
    graph = Graph(ws)
    selected = list(members) if members is not None else [p.name for p in ws.packages]
    if task is None:  # a task only some members define runs in those alone
        selected = [m for m in selected if any(t == name for t, _ in ws.by_name[m].tasks)]
    if shard is not None:
        selected = shard.pick(selected)
    chosen = set(selected)

    snap = keying.group(ws, keying.snapshot(ws.root))
    commands: dict[str, str] = {}
    skips: dict[str, str] = {}
    for member in selected:
        package = ws.by_name[member]
        own = dict(package.tasks)
        command = own.get(name, task.command if task else None)
        if command is None:
            skips[member] = f"switched off in {package.manifest}"
        elif runs_pytest(command) and not _has_tests(snap.files[member]):
            skips[member] = "no tests"
        else:
            commands[member] = command
    found = keying.keys(ws, graph, lock, snap, commands, task=task or Task(name, ""), env=env)

    order = graph.order(_ORDER_KINDS)
    position = {n: i for i, n in enumerate(order)}
    needs = graph.requirements(_ORDER_KINDS)
    jobs = []
    for member in sorted(selected, key=lambda m: position[m]):
        after: tuple[str, ...] = ()
        if task is not None and task.after_dependencies:
            after = tuple(
                sorted(d for d in needs[member] & chosen if position[d] < position[member])
            )
        jobs.append(
            Job(
                member,
                ws.by_name[member].path,
                commands.get(member),
                skips.get(member),
                after,
                found.get(member),
                task.timeout if task else None,
            )
        )
    return Plan(name, env, tuple(jobs))
