"""`monolock ci github` and the pre-commit hooks: what a CI service and pre-commit read."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import RepoFactory, Run, project

Cli = Callable[..., Run]
REPO = Path(__file__).resolve().parent.parent


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(make_repo: RepoFactory, cli: Cli) -> Path:
    root = make_repo(
        {
            "core": project("core", ["alpha"]),
            "web": project("web", ["core"], sources={"core": {"workspace": True}}),
            "worker": project("worker", ["pyyaml"]),
        },
        root={
            "tool": {
                "monolock": {
                    "apps": ["web", "worker"],
                    "tasks": {"test": "pytest -q", "lint": "ruff check ."},
                }
            }
        },
    )
    # every import declared, every declaration imported: `check` is clean
    (root / "core/src/core/__init__.py").write_text("import alpha\n")
    (root / "web/src/web/__init__.py").write_text("import core\n")
    (root / "worker/src/worker/__init__.py").write_text("import yaml\n")
    assert cli("-C", root, "lock").code == 0
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "one")
    return root


def _workflow(cli: Cli, root: Path, *args: str) -> Any:
    result = cli("-C", root, "ci", "github", *args)
    assert result.code == 0, result.err
    return yaml.safe_load(result.out)


def test_the_workflow_is_yaml_that_fans_the_affected_members_out(repo: Path, cli: Cli) -> None:
    flow = _workflow(cli, repo)
    assert set(flow["jobs"]) == {"plan", "tasks", "build"}
    plan = "\n".join(s.get("run", "") for s in flow["jobs"]["plan"]["steps"])
    assert "monolock lock --check" in plan and "monolock check" in plan
    assert '--format github-matrix)" >> "$GITHUB_OUTPUT"' in plan
    tasks = flow["jobs"]["tasks"]
    assert tasks["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.members) }}"
    runs = [s["run"] for s in tasks["steps"] if "run" in s and "monolock run" in s["run"]]
    assert runs == [
        'monolock run lint -p "${{ matrix.member }}"',
        'monolock run test -p "${{ matrix.member }}"',
    ]
    build = flow["jobs"]["build"]
    assert any('monolock build "${{ matrix.app }}"' in s.get("run", "") for s in build["steps"])


def _mode(expression: str, event: str, head: str | None) -> str:
    """GitHub's `a && b || c` as it evaluates for the repository team/repo."""
    inner = expression.removeprefix("${{ ").removesuffix(" }}")
    condition, _, rest = inner.partition(" && 'read-only' || ")
    assert rest == "'read-write'", expression
    values = {
        "github.event_name": event,
        "github.event.pull_request.head.repo.full_name": head,
        "github.repository": "team/repo",
    }
    parts = condition.split(" && ")
    results = []
    for part in parts:
        left, op, right = part.partition(" == ") if " == " in part else part.partition(" != ")
        value = values[left]
        other = values.get(right, right.strip("'"))
        results.append(value == other if op == " == " else value != other)
    return "read-only" if all(results) else "read-write"


def test_the_tasks_share_the_remote_cache_and_forks_only_read_it(
    repo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONOLOCK_CACHE_URL", "s3://only/here")  # this shell's, not CI's
    env = _workflow(cli, repo)["jobs"]["tasks"]["env"]
    assert set(env) == {"MONOLOCK_CACHE", "MONOLOCK_CACHE_SIGNING_KEY"}
    assert env["MONOLOCK_CACHE_SIGNING_KEY"] == "${{ secrets.MONOLOCK_CACHE_SIGNING_KEY }}"
    assert _mode(env["MONOLOCK_CACHE"], "push", None) == "read-write"
    assert _mode(env["MONOLOCK_CACHE"], "pull_request", "team/repo") == "read-write"
    assert _mode(env["MONOLOCK_CACHE"], "pull_request", "someone/repo") == "read-only"
    manifest = repo / "pyproject.toml"
    manifest.write_text(manifest.read_text() + '\n[tool.monolock.cache]\nurl = "s3://b/p"\n')
    env = _workflow(cli, repo)["jobs"]["tasks"]["env"]
    assert env["AWS_SECRET_ACCESS_KEY"] == "${{ secrets.AWS_SECRET_ACCESS_KEY }}"
    assert set(env) > {"MONOLOCK_CACHE", "AWS_ACCESS_KEY_ID", "AWS_REGION"}


def test_the_matrices_it_reads_are_the_affected_members_and_apps(repo: Path, cli: Cli) -> None:
    (repo / "core/src/core/__init__.py").write_text("X = 1\n")
    git(repo, "commit", "-qam", "core changes")
    base = ("--base", "HEAD~1", "--head", "HEAD")
    data = json.loads(cli("-C", repo, "affected", *base, "--format", "json").out)
    members = json.loads(cli("-C", repo, "affected", *base, "--format", "github-matrix").out)
    apps = json.loads(cli("-C", repo, "affected", *base, "--format", "github-apps").out)
    assert [m["member"] for m in members["include"]] == [m["name"] for m in data["members"]]
    assert {m["member"] for m in members["include"]} == {"core", "web"}
    assert apps == {"include": [{"app": "web"}]}


def test_a_workspace_below_the_top_runs_in_its_directory(
    make_repo: RepoFactory, cli: Cli, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import shutil

    made = make_repo({"core": project("core")})
    top = tmp_path_factory.mktemp("top")
    shutil.copytree(made, top / "python")
    git(top, "init", "-q")
    flow = _workflow(cli, top / "python", "--branch", "trunk", "--python", "3.11")
    assert flow["defaults"]["run"]["working-directory"] == "python"
    assert flow[True]["push"]["branches"] == ["trunk"]  # YAML 1.1 reads `on` as true
    assert flow["jobs"]["plan"]["steps"][1]["with"]["python-version"] == "3.11"


@pytest.mark.parametrize("args", [["--branch", "main; rm -rf /"], ["--python", "3.12\nx: y"]])
def test_values_that_would_break_the_yaml_are_refused(
    repo: Path, cli: Cli, args: list[str]
) -> None:
    assert cli("-C", repo, "ci", "github", *args).code == 2


def test_the_pre_commit_hooks_run_commands_that_exist(cli: Cli, repo: Path) -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"monolock-check", "monolock-lock-check"}
    for hook in hooks:
        assert hook["pass_filenames"] is False and hook["language"] == "python"
        re.compile(hook["files"])
        words = hook["entry"].split()
        assert words[0] == "monolock"
        assert cli("-C", repo, *words[1:]).code == 0  # a clean repository passes both
