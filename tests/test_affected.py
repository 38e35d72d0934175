"""`monolock affected` on real git repositories with commits: file changes, lock bumps,
removals and root configuration, each with the exact set of members and their reasons."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RepoFactory, Run, project


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit(root: Path, message: str = "change") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)


def _affected(cli: Callable[..., Run], root: Path, *args: str) -> dict[str, list[str]]:
    result = cli("-C", root, "affected", "--format", "json", *args)
    assert result.code == 0, result.err
    data = json.loads(result.out)
    return {m["name"]: [r["text"] for r in m["reasons"]] for m in data["members"]}


@pytest.fixture
def repo(make_repo: RepoFactory, cli: Callable[..., Run]) -> Callable[..., Path]:
    """core <- web (app) <- admin; core <- worker (app); tools alone; committed and locked."""

    def make(lock_args: tuple[str, ...] = (), **overrides: dict[str, Any]) -> Path:
        members = {
            "libs/core": project("core", ["alpha<2"]),
            "libs/tools": project("tools", ["delta"]),
            "apps/web": project("web", ["core", "pyyaml"], sources={"core": {"workspace": True}}),
            "apps/admin": project("admin", ["web"], sources={"web": {"workspace": True}}),
            "apps/worker": project(
                "worker", ["core", "pillow"], sources={"core": {"workspace": True}}
            ),
        }
        members.update(overrides)
        root = make_repo(members, apps=["web", "worker"])
        (root / ".gitignore").write_text(".venv/\n")
        git(root, "init", "-q", "-b", "main")
        result = cli("-C", root, "lock")
        assert result.code == 0, result.err
        if lock_args:  # e.g. hold a package back, to bump it later
            result = cli("-C", root, "lock", "--", *lock_args)
            assert result.code == 0, result.err
        commit(root, "initial")
        return root

    return make


def test_leaf_and_core_changes_with_dependents(
    repo: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    root = repo()
    assert _affected(cli, root) == {}

    (root / "apps/admin/src/admin/views.py").write_text("X = 1\n")  # untracked, not committed
    assert _affected(cli, root) == {"admin": ["changed: apps/admin/src/admin/views.py"]}
    commit(root)
    assert _affected(cli, root) == {}, "committed: nothing left in the working tree"
    assert _affected(cli, root, "--base", "HEAD~1") == {
        "admin": ["changed: apps/admin/src/admin/views.py"]
    }

    (root / "libs/core/src/core/__init__.py").write_text("VALUE = 2\n")
    (root / "libs/core/README.md").write_text("core\n")
    found = _affected(cli, root, "--base", "HEAD~1")
    assert found == {
        "core": ["changed: libs/core/README.md (+1 more)"],
        "web": ["depends on core"],
        "worker": ["depends on core"],
        "admin": ["changed: apps/admin/src/admin/views.py", "depends on core"],
    }
    # committed range only: the edits to core are not part of HEAD
    assert set(_affected(cli, root, "--base", "HEAD~1", "--head", "HEAD")) == {"admin"}
    behind = cli("-C", root, "affected", "--base", "HEAD~1", "--head", "HEAD~1")
    assert behind.code == 0 and "is not the checked-out commit" in behind.err

    text = cli("-C", root, "affected", "--base", "HEAD~1")
    assert text.out.startswith("4 of 5 members affected (3 files changed between ")
    assert "apps: web, worker" in text.out
    matrix = json.loads(cli("-C", root, "affected", "--format", "github-matrix").out)
    assert {"member": "core", "path": "libs/core"} in matrix["include"]
    assert len(matrix["include"]) == 4
    names = cli("-C", root, "affected", "--format", "names").out.split()
    assert names == ["admin", "core", "web", "worker"]


def test_a_lock_bump_affects_exactly_the_members_whose_projection_holds_it(
    repo: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    root = repo(lock_args=("-P", "alpha==1.0.0"))
    assert '"alpha"\nversion = "1.0.0"' in (root / "uv.lock").read_text()
    bump = cli("-C", root, "lock", "--", "-P", "alpha")
    assert bump.code == 0, bump.err  # alpha 1.0.0 -> 1.1.0
    assert '"alpha"\nversion = "1.1.0"' in (root / "uv.lock").read_text()
    found = _affected(cli, root)
    # alpha reaches core, and through core web, admin and worker; tools holds only delta
    assert found == {
        name: ["lock: alpha 1.0.0 → 1.1.0"] for name in ("admin", "core", "web", "worker")
    }
    data = json.loads(cli("-C", root, "affected", "--format", "json").out)
    assert data["apps"] == ["web", "worker"]
    assert data["changed_files"] == ["uv.lock"]


def test_a_dev_group_bump_touches_tests_not_apps(
    repo: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    root = repo(
        lock_args=("-P", "devtool==1.0.0"),
        **{"libs/tools": project("tools", ["delta"], groups={"dev": ["devtool"]})},
    )
    bump = cli("-C", root, "lock", "--", "-P", "devtool")
    assert bump.code == 0, bump.err  # devtool 1.0.0 -> 2.0.0, in tools' dev group
    data = json.loads(cli("-C", root, "affected", "--format", "json").out)
    assert [(m["name"], m["reasons"]) for m in data["members"]] == [
        ("tools", [{"kind": "lock", "text": "lock: devtool 1.0.0 → 2.0.0", "runtime": False}])
    ]
    assert data["apps"] == []


def test_a_removed_dependency(repo: Callable[..., Path], cli: Callable[..., Run]) -> None:
    root = repo(**{"libs/tools": project("tools", ["delta[fast]"])})
    (root / "libs/tools/pyproject.toml").write_text(
        (root / "libs/tools/pyproject.toml").read_text().replace('"delta[fast]"', '"delta"')
    )
    assert cli("-C", root, "lock").code == 0
    found = _affected(cli, root)
    # the extra's epsilon left the lock, and so did delta's record of that extra
    assert found == {
        "tools": [
            "changed: libs/tools/pyproject.toml",
            "lock: delta 1.0.0 extras changed",
            "lock: epsilon 1.0.0 removed",
        ]
    }


def test_root_configuration(repo: Callable[..., Path], cli: Callable[..., Run]) -> None:
    root = repo()
    manifest = root / "pyproject.toml"
    original = manifest.read_text()
    manifest.write_text("# only a comment\n" + original)
    assert _affected(cli, root) == {}, "comments and layout do not change the configuration"

    manifest.write_text(original.replace('apps = ["web", "worker"]', 'apps = ["web"]'))
    found = _affected(cli, root)
    assert set(found) == {"admin", "core", "tools", "web", "worker"}
    assert found["tools"] == ["config: root pyproject.toml tool.monolock.apps changed"]

    manifest.write_text(
        original.replace('apps = ["web", "worker"]', "")
        + '\n[tool.monolock.apps.web]\ncommand = "serve"\n'
        + '[tool.monolock.apps.worker]\ncommand = "work"\n'
    )
    commit(root)
    committed = manifest.read_text()
    manifest.write_text(committed.replace('"work"', '"work --fast"'))
    assert _affected(cli, root) == {"worker": ["config: tool.monolock.apps.worker changed"]}

    manifest.write_text(manifest.read_text() + "\n[tool.uv.pip]\ngenerate-hashes = true\n")
    found = _affected(cli, root)
    assert set(found) == {"admin", "core", "tools", "web", "worker"}
    assert "config: root pyproject.toml tool.uv.pip changed" in found["tools"]
    (root / ".python-version").write_text("3.11\n")
    manifest.write_text(committed)
    assert _affected(cli, root)["core"] == ["config: .python-version changed"]


def test_bad_refs_and_no_repository(
    repo: Callable[..., Path], make_repo: RepoFactory, cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = repo()
    result = cli("-C", root, "affected", "--base", "no-such-branch")
    assert result.code == 2
    assert "'no-such-branch' does not name a commit" in result.err
    assert "fetch-depth" in result.err and "Traceback" not in result.err

    git(root, "checkout", "-q", "--orphan", "other")
    commit(root, "unrelated")
    result = cli("-C", root, "affected", "--base", "main")
    assert result.code == 2 and "no common ancestor" in result.err

    (root / ".git").rename(root / ".git-away")
    result = cli("-C", root, "affected")
    assert result.code == 2 and "not inside a git repository" in result.err


def test_a_removed_lock_touches_every_member(
    repo: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    root = repo()
    (root / "uv.lock").unlink()
    found = _affected(cli, root)
    assert set(found) == {"admin", "core", "tools", "web", "worker"}
    assert all("lock: uv.lock removed" in reasons for reasons in found.values())


def test_a_repository_without_a_commit_has_every_member_new(
    make_repo: RepoFactory, cli: Callable[..., Run]
) -> None:
    root = make_repo(
        {"libs/core": project("core"), "apps/web": project("web", ["core"])}, apps=["web"]
    )
    git(root, "init", "-q")
    found = _affected(cli, root)
    assert found == {
        "core": ["new: the repository has no commit yet"],
        "web": ["new: the repository has no commit yet"],
    }


def test_a_member_in_a_submodule_is_affected_by_its_commits(
    make_repo: RepoFactory, cli: Callable[..., Run], tmp_path_factory: pytest.TempPathFactory
) -> None:
    upstream = tmp_path_factory.mktemp("upstream")
    (upstream / "pyproject.toml").write_text('[project]\nname = "vendored"\nversion = "1"\n')
    git(upstream, "init", "-q")
    commit(upstream, "first")
    root = make_repo({"libs/core": project("core")}, globs=["libs/*"])
    git(root, "init", "-q")
    git(
        root,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "-q",
        "add",
        str(upstream),
        "libs/vendored",
    )
    commit(root, "with a submodule")
    (upstream / "README").write_text("new\n")
    commit(upstream, "second")
    git(root / "libs/vendored", "pull", "-q", "origin", "HEAD")
    found = _affected(cli, root)
    assert list(found) == ["vendored"]


def test_an_extra_reaches_only_the_members_that_activate_it(
    make_repo: RepoFactory, cli: Callable[..., Run]
) -> None:
    """core's `all` extra fans in every integration; an integration's change reaches
    core's own tests, the members that ask for core[all], and no one else."""
    ws = {"workspace": True}
    root = make_repo(
        {
            "libs/core": project(
                "core",
                [],
                optional={"all": ["integ-a", "integ-b"]},
                sources={"integ-a": ws, "integ-b": ws},
            ),
            "integrations/a": project("integ-a", ["core"], sources={"core": ws}),
            "integrations/b": project("integ-b", ["core"], sources={"core": ws}),
            "apps/lean": project("lean", ["core"], sources={"core": ws}),
            "apps/full": project("full", ["core[all]"], sources={"core": ws}),
            "apps/checks": project(
                "checks", [], groups={"test": ["core[all]"]}, sources={"core": ws}
            ),
        },
        apps=["lean", "full"],
    )
    (root / ".gitignore").write_text(".venv/\n")
    git(root, "init", "-q", "-b", "main")
    assert cli("-C", root, "lock").code == 0
    commit(root, "initial")

    (root / "integrations/a/src/integ_a/__init__.py").write_text("X = 1\n")
    assert _affected(cli, root) == {
        "integ-a": ["changed: integrations/a/src/integ_a/__init__.py"],
        "core": ["depends on integ-a (extra all)"],
        "full": ["depends on integ-a (through core[all])"],
        "checks": ["depends on integ-a (dev group test, through core[all])"],
    }
    result = cli("-C", root, "affected", "--format", "json")
    data = json.loads(result.out)
    assert data["apps"] == ["full"], "lean ships core without its extras"
    runtime = {m["name"]: [r["runtime"] for r in m["reasons"]] for m in data["members"]}
    assert runtime["full"] == [True] and runtime["checks"] == [False]

    (root / "integrations/a/src/integ_a/__init__.py").write_text("")
    (root / "libs/core/src/core/__init__.py").write_text("X = 1\n")
    assert sorted(_affected(cli, root)) == ["checks", "core", "full", "integ-a", "integ-b", "lean"]


def test_a_member_that_drops_a_dependency_others_keep_loses_it_from_its_projection(
    repo: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    """delta stays in the lock for tools, untouched; web's projection loses it, and the
    reason says so (its entry in the lock did not change: web's edges did)."""
    web = project("web", ["core", "pyyaml", "delta"], sources={"core": {"workspace": True}})
    root = repo(**{"apps/web": web})
    manifest = root / "apps/web/pyproject.toml"
    manifest.write_text(manifest.read_text().replace(', "delta"', ""))
    assert cli("-C", root, "lock").code == 0
    found = _affected(cli, root)
    assert [r for r in found["web"] if r.startswith("lock:")] == [
        next(r for r in found["web"] if r.startswith("lock: delta") and r.endswith("removed"))
    ]
    assert "tools" not in found and "worker" not in found
    assert "admin" in found  # through web, which it depends on


def test_dynamic_dependencies_link_members_as_the_lock_records_them(
    repo: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    """A build hook fills in worker's dependencies (`dynamic`): the manifest names no
    member, uv.lock records worker -> core, and the graph, affected and run follow it."""
    root = repo()
    manifest = root / "apps/worker/pyproject.toml"
    text = manifest.read_text()
    start = text.index("dependencies = [")
    end = text.index("]", start) + 1
    manifest.write_text(text[:start] + 'dynamic = ["dependencies"]' + text[end:])
    commit(root, "worker's dependencies come from a build hook")
    graph = cli("-C", root, "graph", "--format", "json")
    assert graph.code == 0, graph.err
    edges = {(e["source"], e["target"]) for e in json.loads(graph.out)["edges"]}
    assert ("worker", "core") in edges
    (root / "libs/core/src/core/__init__.py").write_text("X = 1\n")
    assert "worker" in _affected(cli, root)
