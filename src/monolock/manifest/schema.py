"""The shape of a `pyproject.toml`, as far as monolock reads it: PEP 621 `[project]`,
PEP 735 `[dependency-groups]`, `[tool.uv]`, `[tool.poetry]`, `[tool.monolock]` and the
build backends' package lists. Checked once per file, when it is read."""

from __future__ import annotations

from typing import Any

from monolock.errors import ManifestError
from monolock.shape import (
    ANY,
    BOOL,
    MARKER,
    NUMBER,
    STR,
    STRS,
    URL,
    VERSION,
    ListOf,
    MapOf,
    OneOf,
    Table,
    validate,
)

REQUIREMENTS = ListOf(
    STR, "an array of PEP 508 requirement strings", 'for example ["requests>=2.31", "rich"]'
)
_UV_SOURCE = Table(
    {
        "workspace": BOOL,
        "editable": BOOL,
        "path": STR,
        "git": STR,
        "rev": STR,
        "tag": STR,
        "branch": STR,
        "subdirectory": STR,
        "url": STR,
        "index": STR,
        "marker": STR,
        "extra": STR,
        "group": STR,
        "package": BOOL,
        "lfs": BOOL,
    },
    what="a source table",
    closed=True,
    hint='for example { workspace = true }, { path = "../lib" } or { git = "https://…" }',
)
_POETRY_TABLE = Table(
    {
        "version": STR,
        "python": STR,
        "platform": STR,
        "markers": MARKER,
        "extras": STRS,
        "optional": BOOL,
        "path": STR,
        "develop": BOOL,
        "git": STR,
        "branch": STR,
        "tag": STR,
        "rev": STR,
        "subdirectory": STR,
        "url": STR,
        "source": STR,
        "allow-prereleases": BOOL,
    },
    what="a dependency table",
)
POETRY_DEPENDENCY = OneOf(
    (STR, _POETRY_TABLE, ListOf(_POETRY_TABLE, "an array of constraint tables")),
    "a constraint string, a table or an array of tables",
    'for example "^2.31", { version = "^2.31", extras = ["socks"] } or { path = "../lib" }',
)
_POETRY_DEPS = MapOf(POETRY_DEPENDENCY, "a table of dependencies")
_TASK = OneOf((STR, BOOL, Table(what="a task table")), "a command, false or a task table")

PYPROJECT = Table(
    {
        "project": Table(
            {
                "name": STR,
                "version": VERSION,
                "requires-python": STR,
                "dependencies": REQUIREMENTS,
                "optional-dependencies": MapOf(REQUIREMENTS, "a table of extras"),
                "dynamic": STRS,
                "scripts": MapOf(STR),
            }
        ),
        "dependency-groups": MapOf(
            ListOf(
                OneOf(
                    (STR, Table({"include-group": STR}, required=("include-group",))),
                    "a PEP 508 string or { include-group = NAME }",
                ),
                "an array of requirements",
                'for example dev = ["pytest>=8", { include-group = "lint" }]',
            ),
            "a table of groups",
        ),
        "build-system": Table({"requires": STRS, "build-backend": STR}),
        "tool": Table(
            {
                "uv": Table(
                    {
                        "workspace": Table(
                            {"members": STRS, "exclude": STRS},
                            what="a table",
                            hint='for example [tool.uv.workspace] members = ["packages/*"]',
                        ),
                        "sources": MapOf(OneOf((_UV_SOURCE, ListOf(_UV_SOURCE)), "a source")),
                        "index": ListOf(
                            Table({"name": STR, "url": URL, "explicit": BOOL, "default": BOOL}),
                            "an array of tables",
                            'for example [[tool.uv.index]] name = "corp" url = "https://…"',
                        ),
                        "dev-dependencies": REQUIREMENTS,
                        "constraint-dependencies": REQUIREMENTS,
                        "override-dependencies": REQUIREMENTS,
                        "default-groups": OneOf((STRS, STR), "an array of group names or 'all'"),
                        "required-version": STR,
                        "package": BOOL,
                    }
                ),
                "poetry": Table(
                    {
                        "name": STR,
                        "version": VERSION,
                        "package-mode": BOOL,
                        "dependencies": _POETRY_DEPS,
                        "dev-dependencies": _POETRY_DEPS,
                        "group": MapOf(
                            Table({"dependencies": _POETRY_DEPS, "optional": BOOL}),
                            "a table of groups",
                        ),
                        "extras": MapOf(STRS, "a table of extras"),
                        "source": ListOf(
                            Table(
                                {
                                    "name": STR,
                                    "url": URL,
                                    "priority": STR,
                                    "default": BOOL,
                                    "secondary": BOOL,
                                }
                            ),
                            "an array of tables",
                        ),
                        "packages": ListOf(
                            Table({"include": STR, "from": STR, "to": STR, "format": ANY}),
                            "an array of tables",
                        ),
                        "scripts": MapOf(ANY),
                        "authors": STRS,
                        "maintainers": STRS,
                    }
                ),
                "monolock": Table(
                    {
                        "apps": OneOf((STRS, Table()), "an array of member names or a table"),
                        "tasks": MapOf(_TASK, "a table of tasks"),
                        "check": Table(
                            {
                                "ignore": STRS,
                                "private": STRS,
                                "licenses": Table({"allow": STRS, "deny": STRS}),
                            }
                        ),
                        "import-names": MapOf(OneOf((STRS, STR), "a module name or an array")),
                        "templates": STR,  # `new`: a directory holding lib/ and app/
                        "audit": Table({"ignore": ANY}),  # each rule checked by audit
                        "cache": Table(
                            {"url": STR, "timeout": NUMBER, "signed": BOOL}, closed=True
                        ),
                    },
                    closed=True,
                ),
                "hatch": Table(
                    {"build": Table({"targets": Table({"wheel": Table({"packages": STRS})})})}
                ),
                "setuptools": Table(
                    {
                        "packages": OneOf((STRS, Table()), "an array or a table"),
                        "package-dir": MapOf(STR),
                    }
                ),
            }
        ),
    }
)


def check(data: dict[str, Any], *, where: str) -> None:
    validate(data, PYPROJECT, where=where, error=ManifestError)
