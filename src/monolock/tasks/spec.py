"""`[tool.monolock.tasks]`: the root defines each task once, a member may replace its
command or switch it off.

    [tool.monolock.tasks]                      # root pyproject.toml
    test = "pytest -q"
    typecheck = { command = "mypy src", after-dependencies = true, timeout = 600 }
    lint = { command = "ruff check .", inputs = ["**/*.py", "!docs/**"], env = ["RUFF_*"] }

    [tool.monolock.tasks]                      # a member's pyproject.toml
    test = "pytest -q tests/unit"              # its own command
    typecheck = false                          # not run here (reported as skipped)
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from monolock.errors import ManifestError
from monolock.manifest.toml import known_keys, table
from monolock.model import Task

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_FIELDS = ("command", "after-dependencies", "timeout", "inputs", "env")
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXAMPLE = 'for example test = "pytest -q", or lint = { command = "ruff check .", timeout = 300 }'


def _command(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ManifestError(f"{key}: expected a command line", where=where, hint=_EXAMPLE)
    try:
        shlex.split(value)
    except ValueError as exc:
        raise ManifestError(f"{key}: cannot be split into arguments ({exc})", where=where) from None
    return value


def _strings(value: Any, key: str, where: str, example: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ManifestError(f"{key}: expected an array of strings", where=where, hint=example)
    return value


def _inputs(value: Any, key: str, where: str) -> tuple[str, ...]:
    """Patterns as a .gitignore writes them, relative to the member's directory: the
    files that match (and no `!` pattern takes back) are the ones the key covers."""
    import pathspec

    patterns = _strings(value, key, where, 'for example inputs = ["src/**", "tests/**", "!*.md"]')
    try:
        pathspec.GitIgnoreSpec.from_lines(patterns)
    except (ValueError, TypeError) as exc:
        raise ManifestError(f"{key}: {exc}", where=where) from None
    return tuple(patterns)


def _env(value: Any, key: str, where: str) -> tuple[str, ...]:
    """Names of environment variables, or prefixes ending in `*`, whose values the key
    covers."""
    names = _strings(value, key, where, 'for example env = ["DJANGO_SETTINGS_MODULE", "CI_*"]')
    for name in names:
        if _ENV.fullmatch(name.removesuffix("*")) is None:
            raise ManifestError(
                f"{key}: {name!r} is not an environment variable's name",
                where=where,
                hint="letters, digits and '_', optionally ending in '*' for a prefix",
            )
    return tuple(sorted(set(names)))


def _raw(data: dict[str, Any], where: str) -> dict[str, Any]:
    tool = table(data, "tool.monolock")
    raw = tool.get("tasks", {})
    if not isinstance(raw, dict):
        raise ManifestError("tool.monolock.tasks: expected a table", where=where, hint=_EXAMPLE)
    for name in raw:
        if _NAME.fullmatch(name) is None:
            raise ManifestError(
                f"tool.monolock.tasks: {name!r} is not a task name",
                where=where,
                hint="use letters, digits, '.', '-' and '_'",
            )
    return raw


def root_tasks(data: dict[str, Any], *, where: str) -> tuple[Task, ...]:
    tasks: list[Task] = []
    for name, spec in _raw(data, where).items():
        key = f"tool.monolock.tasks.{name}"
        if isinstance(spec, str):
            tasks.append(Task(name, _command(spec, key, where)))
            continue
        if not isinstance(spec, dict):
            raise ManifestError(f"{key}: expected a command or a table", where=where, hint=_EXAMPLE)
        known_keys(spec, _FIELDS, key=key, where=where, what="a task")
        after = spec.get("after-dependencies", False)
        if not isinstance(after, bool):
            raise ManifestError(f"{key}.after-dependencies: expected true or false", where=where)
        timeout = spec.get("timeout")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
        ):
            raise ManifestError(f"{key}.timeout: expected a number of seconds", where=where)
        tasks.append(
            Task(
                name,
                _command(spec.get("command"), f"{key}.command", where),
                after,
                float(timeout) if timeout is not None else None,
                _inputs(spec.get("inputs", []), f"{key}.inputs", where),
                _env(spec.get("env", []), f"{key}.env", where),
            )
        )
    return tuple(sorted(tasks, key=lambda t: t.name))


def member_tasks(data: dict[str, Any], *, where: str) -> tuple[tuple[str, str | None], ...]:
    out: list[tuple[str, str | None]] = []
    for name, spec in _raw(data, where).items():
        key = f"tool.monolock.tasks.{name}"
        if spec is False:
            out.append((name, None))
        elif isinstance(spec, str):
            out.append((name, _command(spec, key, where)))
        else:
            raise ManifestError(
                f"{key}: a member gives its own command, or false to skip the task here",
                where=where,
                hint='for example test = "pytest -q tests/unit", or typecheck = false',
            )
    return tuple(sorted(out))
