"""`monolock run` on real git repositories with real environments made by uv: order,
parallelism, failures, skips, the cache and its invalidation, isolation, selection."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RepoFactory, Run, project
from tests.test_affected import commit, git

UV_BUILD = {"requires": ["uv_build>=0.8"], "build-backend": "uv_build"}
WS = {n: {"workspace": True} for n in ("core", "web")}

# each member's task: import the member, append "start"/"end" lines to a shared log
TASK = """\
import os, pathlib, sys, time
import {module}
log = pathlib.Path(os.environ["RUN_LOG"])
with log.open("a") as f:
    f.write(f"start {member} {{time.monotonic()}}\\n")
time.sleep(float(os.environ.get("RUN_SLEEP", "0")))
print("ran {member}")
with log.open("a") as f:
    f.write(f"end {member} {{time.monotonic()}}\\n")
sys.exit(int(os.environ.get("RUN_FAIL_" + "{module}".upper(), "0")))
"""


def member(name: str, deps: list[str], tasks: dict[str, Any] | None = None) -> dict[str, Any]:
    data = project(name, deps, sources=WS, **{"build-system": UV_BUILD})
    if tasks is not None:
        data["tool"]["monolock"] = {"tasks": tasks}
    return data


@pytest.fixture
def repo(make_repo: RepoFactory, cli: Callable[..., Run], tmp_path: Path) -> Callable[..., Path]:
    """core <- web <- admin, and tools alone; tasks from `tasks`; locked and committed."""

    def make(tasks: dict[str, Any], **overrides: dict[str, Any]) -> Path:
        members = {
            "libs/core": member("core", ["alpha<2"]),
            "libs/tools": member("tools", ["delta"]),
            "apps/web": member("web", ["core", "pyyaml"]),
            "apps/admin": member("admin", ["web"]),
        }
        members.update(overrides)
        root = make_repo(members, root={"tool": {"monolock": {"tasks": tasks}}})
        for path, data in members.items():
            name = data["project"]["name"]
            (root / path / "task.py").write_text(TASK.format(module=name, member=name))
        (root / ".gitignore").write_text(".venv/\nrun.log\n")
        git(root, "init", "-q", "-b", "main")
        result = cli("-C", root, "lock")
        assert result.code == 0, result.err
        commit(root, "initial")
        return root

    return make


def _run(cli: Callable[..., Run], root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("-C", root, "run", *args, "--format", "json")
    assert result.code in (0, 1), result.err
    return result.code, json.loads(result.out)


def _status(data: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    return {m["member"]: (m["status"], m["cached"]) for m in data["members"]}


def _log(root: Path) -> list[tuple[str, str, float]]:
    lines = (root / "run.log").read_text().split("\n")
    return [(w[0], w[1], float(w[2])) for w in (line.split() for line in lines) if w]


@pytest.fixture(autouse=True)
def _log_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RUN_LOG", str(tmp_path / "run.log"))
    # results are shared by equal keys, across clones too: each test starts with none
    monkeypatch.setenv("MONOLOCK_CACHE_DIR", str(tmp_path / "cache"))


def test_cache_replays_and_a_dependency_change_invalidates(
    repo: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    root = repo({"test": "python task.py"})
    code, data = _run(cli, root, "test")
    assert code == 0
    assert _status(data) == {m: ("passed", False) for m in ("core", "tools", "web", "admin")}
    text = cli("-C", root, "run", "test")
    assert text.code == 0
    assert "core · passed (cached)" in text.out and "ran core" in text.out, "output replayed"
    assert "4 passed, 4 cached" in text.out

    (root / "libs/core/src/core/__init__.py").write_text("VALUE = 1\n")  # not committed
    code, data = _run(cli, root, "test")
    assert _status(data) == {
        "core": ("passed", False),
        "web": ("passed", False),
        "admin": ("passed", False),
        "tools": ("passed", True),
    }
    commit(root)  # the same content, now committed: same key
    assert all(cached for _, cached in _status(_run(cli, root, "test")[1]).values())

    (root / "libs/tools/notes.txt").write_text("ignored\n")
    (root / ".gitignore").write_text(".venv/\nrun.log\nnotes.txt\n")
    assert all(cached for _, cached in _status(_run(cli, root, "test")[1]).values()), (
        "files git ignores are not inputs"
    )
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text().replace('"python task.py"', '"python  task.py"')
    )
    assert not any(c for _, c in _status(_run(cli, root, "test")[1]).values()), "new command"
    assert not any(c for _, c in _status(_run(cli, root, "test", "--no-cache")[1]).values())


def test_order_after_dependencies_and_failure(
    repo: Callable[..., Path], cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo({"build": {"command": "python task.py", "after-dependencies": True}})
    code, data = _run(cli, root, "build", "--jobs", "4")
    assert code == 0
    events = {(kind, name): at for kind, name, at in _log(root)}
    assert events[("end", "core")] <= events[("start", "web")]
    assert events[("end", "web")] <= events[("start", "admin")]
    assert [m["member"] for m in data["members"]][:1] == ["core"]

    (root / "run.log").unlink()
    monkeypatch.setenv("RUN_FAIL_CORE", "3")
    code, data = _run(cli, root, "build", "--no-cache")
    assert code == 1
    found = {m["member"]: (m["status"], m["reason"]) for m in data["members"]}
    assert found == {
        "core": ("failed", "exit code 3"),
        "web": ("skipped", "core failed first"),
        "admin": ("skipped", "core failed first"),
        "tools": ("passed", None),
    }
    assert data["failed"] == 1 and data["passed"] == 1
    text = cli("-C", root, "run", "build", "--no-cache", "--quiet")
    assert text.code == 1
    assert "ran core" in text.out and "ran tools" not in text.out, "--quiet: failures only"


def test_members_run_in_parallel(
    repo: Callable[..., Path], cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo({"test": "python task.py"})
    monkeypatch.setenv("RUN_SLEEP", "1")
    assert _run(cli, root, "test", "--jobs", "4")[0] == 0
    log = _log(root)
    starts = [at for kind, _, at in log if kind == "start"]
    ends = [at for kind, _, at in log if kind == "end"]
    assert max(starts) < min(ends), "all four were running at once"

    (root / "run.log").unlink()
    assert _run(cli, root, "test", "--jobs", "1", "--no-cache")[0] == 0
    log = _log(root)
    for (kind, _, _), (next_kind, _, _) in itertools.pairwise(log):
        assert (kind, next_kind) != ("start", "start"), "one at a time with --jobs 1"


def test_isolated_environment_fails_an_undeclared_import(
    repo: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    root = repo({"test": "python task.py"})
    # tools declares delta only; alpha is in the workspace environment through core
    task = root / "libs/tools/task.py"
    task.write_text("import alpha\n" + task.read_text())
    code, data = _run(cli, root, "test", "--package", "tools")
    assert (code, _status(data)) == (0, {"tools": ("passed", False)})
    result = cli("-C", root, "run", "test", "--package", "tools", "--isolated")
    assert result.code == 1
    assert "No module named 'alpha'" in result.out
    assert "tools · failed · exit code 1" in result.out
    # the member's own projection is there: core imports alpha in its own environment
    code, data = _run(cli, root, "test", "--package", "core", "--isolated")
    assert (code, _status(data)) == (0, {"core": ("passed", False)})


def test_skips_are_not_failures(repo: Callable[..., Path], cli: Callable[..., Run]) -> None:
    root = repo(
        {"test": "pytest -q", "docs": "nosuchtool build", "mod": "python -m nosuchmodule"},
        **{
            "libs/tools": member("tools", ["delta"], {"test": "python task.py"}),
            "apps/admin": member("admin", ["web"], {"test": False}),
        },
    )
    (root / "apps/web/tests").mkdir()
    (root / "apps/web/tests/test_web.py").write_text("def test_it():\n    pass\n")
    code, data = _run(cli, root, "test")
    found = {m["member"]: (m["status"], m["reason"]) for m in data["members"]}
    assert found == {
        "core": ("skipped", "no tests"),
        "web": ("skipped", "pytest is not installed"),  # the wheelhouse has no pytest
        "admin": ("skipped", "switched off in apps/admin/pyproject.toml"),
        "tools": ("passed", None),
    }
    assert code == 0
    code, data = _run(cli, root, "docs")
    assert code == 0 and {m["reason"] for m in data["members"]} == {"nosuchtool is not installed"}
    code, data = _run(cli, root, "mod", "--package", "core")
    assert (code, data["members"][0]["reason"]) == (0, "nosuchmodule is not installed")


def test_selection_shards_and_affected(repo: Callable[..., Path], cli: Callable[..., Run]) -> None:
    root = repo({"test": "python task.py"})
    shares = [
        {m["member"] for m in _run(cli, root, "test", "--shard", s)[1]["members"]}
        for s in ("1/3", "2/3", "3/3")
    ]
    assert set().union(*shares) == {"admin", "core", "tools", "web"}
    assert sum(map(len, shares)) == 4, "every member in exactly one share"
    assert shares == [
        {m["member"] for m in _run(cli, root, "test", "--shard", s)[1]["members"]}
        for s in ("1/3", "2/3", "3/3")
    ], "the same split every time"

    (root / "apps/web/src/web/extra.py").write_text("X = 1\n")
    data = _run(cli, root, "test", "--affected")[1]
    assert {m["member"] for m in data["members"]} == {"web", "admin"}
    data = _run(cli, root, "test", "--affected=HEAD", "-p", "admin", "-p", "tools")[1]
    assert [m["member"] for m in data["members"]] == ["admin"]


def test_bad_input_exits_2(
    repo: Callable[..., Path], make_repo: RepoFactory, cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = repo({"test": {"command": "python task.py", "timeout": 30}})
    manifest = root / "pyproject.toml"
    manifest.write_text(manifest.read_text().replace("timeout = 30", "retries = 2"))
    result = cli("-C", root, "run", "test")
    assert result.code == 2
    assert "pyproject.toml: tool.monolock.tasks.test: unknown key 'retries'" in result.err
    manifest.write_text(manifest.read_text().replace("retries = 2", "timeout = 30"))
    result = cli("-C", root, "run", "lint")
    assert result.code == 2 and "no task 'lint'" in result.err and "tasks: test" in result.err
    for args, message in [
        (("--shard", "3/2"), "is not of the form i/n"),
        (("--package", "nope"), "--package nope: no member is called that"),
    ]:
        result = cli("-C", root, "run", "test", *args)
        assert result.code == 2 and message in result.err, result.err
    manifest = root / "libs/core/pyproject.toml"
    manifest.write_text(manifest.read_text() + '\n[tool.monolock.tasks]\ntest = ["pytest"]\n')
    result = cli("-C", root, "run", "test")
    assert result.code == 2 and "libs/core/pyproject.toml: tool.monolock.tasks.test" in result.err
    assert "Traceback" not in result.err


def test_a_timeout_fails_the_member(
    repo: Callable[..., Path], cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo({"test": {"command": "python task.py", "timeout": 0.5}})
    monkeypatch.setenv("RUN_SLEEP", "30")
    code, data = _run(cli, root, "test", "--package", "core")
    assert code == 1
    assert data["members"][0]["reason"] == "timed out after 0.5 s"
    assert data["seconds"] < 20


def test_outside_git_the_files_themselves_are_hashed(
    make_repo: RepoFactory, cli: Callable[..., Run]
) -> None:
    root = make_repo(
        {"libs/core": member("core", ["alpha<2"])},
        root={"tool": {"monolock": {"tasks": {"test": "python task.py"}}}},
    )
    (root / "libs/core/task.py").write_text(TASK.format(module="core", member="core"))
    assert cli("-C", root, "lock").code == 0
    assert _status(_run(cli, root, "test")[1]) == {"core": ("passed", False)}
    assert _status(_run(cli, root, "test")[1]) == {"core": ("passed", True)}
    (root / "libs/core/src/core/__init__.py").write_text("X = 1\n")
    assert _status(_run(cli, root, "test")[1]) == {"core": ("passed", False)}


def test_path_linked_projects_are_refused(cli: Callable[..., Run], tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.monolock.tasks]\ntest = "pytest"\n')
    (tmp_path / "a").mkdir()
    (tmp_path / "a/pyproject.toml").write_text('[project]\nname = "a"\nversion = "1"\n')
    result = cli("-C", tmp_path, "run", "test")
    assert result.code == 2
    assert "monolock run needs a uv workspace" in result.err and "[tool.uv.workspace]" in result.err


def test_a_root_task_sees_nested_members_and_a_task_narrows_its_inputs(
    make_repo: RepoFactory, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ruff check .` at the root reads every member below it: a change there is a change
    to the root's task. `inputs` narrows what a key covers, `env` widens it."""
    tasks = {
        "lint": "python task.py",
        "test": {"command": "python task.py", "inputs": ["src/**", "!*.md"], "env": ["LEVEL"]},
    }
    root = make_repo(
        {"libs/core": member("core", ["alpha<2"])},
        root={
            "project": {"name": "shop", "version": "1", "requires-python": ">=3.11"},
            "tool": {"monolock": {"tasks": tasks}},
        },
    )
    (root / "shop.py").write_text("")
    (root / "task.py").write_text(TASK.format(module="shop", member="shop"))
    (root / "libs/core/task.py").write_text(TASK.format(module="core", member="core"))
    (root / ".gitignore").write_text(".venv/\nrun.log\n")
    git(root, "init", "-q", "-b", "main")
    assert cli("-C", root, "lock").code == 0
    commit(root, "initial")
    for task in ("lint", "test"):
        assert _status(_run(cli, root, task)[1]) == {
            "shop": ("passed", False),
            "core": ("passed", False),
        }

    (root / "libs/core/src/core/__init__.py").write_text("import os\n")
    assert _status(_run(cli, root, "lint")[1]) == {
        "shop": ("passed", False),  # the root's task reads libs/core too
        "core": ("passed", False),
    }
    (root / "libs/core/README.md").write_text("notes\n")
    (root / "libs/core/task.py").write_text(TASK.format(module="core", member="core") + "\n")
    status = _status(_run(cli, root, "test")[1])
    assert status["core"] == ("passed", False), "src/ changed since the last test run"
    assert _status(_run(cli, root, "test")[1])["core"] == ("passed", True)
    (root / "libs/core/src/core/README.md").write_text("notes\n")
    assert _status(_run(cli, root, "test")[1])["core"] == ("passed", True), "!*.md"
    monkeypatch.setenv("LEVEL", "strict")
    assert _status(_run(cli, root, "test")[1])["core"] == ("passed", False), "LEVEL is an input"
    assert _status(_run(cli, root, "test")[1])["core"] == ("passed", True)
    assert _status(_run(cli, root, "lint")[1])["core"] == ("passed", False), "lint reads all"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"command": "pytest", "inputs": "src/**"}, "tool.monolock.tasks.test.inputs: expected"),
        ({"command": "pytest", "inputs": ["\\"]}, "tool.monolock.tasks.test.inputs:"),
        ({"command": "pytest", "env": ["A-B"]}, "'A-B' is not an environment variable's name"),
        ({"command": "pytest", "env": [""]}, "tool.monolock.tasks.test.env: expected"),
    ],
)
def test_bad_inputs_and_env_are_refused(
    make_repo: RepoFactory, cli: Callable[..., Run], spec: dict[str, Any], message: str
) -> None:
    root = make_repo(
        {"libs/core": member("core", [])}, root={"tool": {"monolock": {"tasks": {"test": spec}}}}
    )
    result = cli("-C", root, "run", "test")
    assert result.code == 2, result.err
    assert message in result.err and "Traceback" not in result.err
