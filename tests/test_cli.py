"""The read-only commands and the error boundary, as a user runs them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SHOP, RepoFactory, Run, project, write_toml

WS = {"core": {"workspace": True}, "util": {"workspace": True}}


def repo(make_repo: RepoFactory) -> Path:
    return make_repo(
        {
            "packages/util": project("util"),
            "packages/core": project(
                "core", ["util", "alpha"], groups={"dev": ["devtool"]}, sources=WS
            ),
            "packages/api": project("api", ["core"], sources=WS),
            "packages/dyn": {
                "project": {"name": "dyn", "version": "1", "dynamic": ["dependencies"]}
            },
        },
        globs=["packages/*"],
        apps={"api": {"command": "api"}},
    )


def test_list_json(make_repo: RepoFactory, cli: Callable[..., Run]) -> None:
    result = cli("-C", repo(make_repo), "list", "--format", "json")
    assert result.code == 0, result.err
    members = {m["name"]: m for m in json.loads(result.out)["members"]}
    assert sorted(members) == ["api", "core", "dyn", "util"]
    assert members["api"]["app"] == "api" and members["core"]["app"] is None
    assert members["core"]["internal"] == ["util"]
    assert members["core"]["third_party"] == ["alpha"]
    assert members["dyn"]["dynamic"] == ["dependencies"]
    assert members["api"]["imports"] == ["api"]


def test_list_table_marks_apps_and_dynamic(make_repo: RepoFactory, cli: Callable[..., Run]) -> None:
    result = cli("-C", repo(make_repo), "list")
    assert result.code == 0
    assert "4 members" in result.out and "dynamic" in result.out


def test_graph_formats(make_repo: RepoFactory, cli: Callable[..., Run]) -> None:
    root = repo(make_repo)
    text = cli("-C", root, "graph").out
    assert "api [app]\n└── core\n    └── util" in text
    mermaid = cli("-C", root, "graph", "--format", "mermaid").out
    assert mermaid.startswith("graph TD") and "n_api --> n_core" in mermaid
    dot = cli("-C", root, "graph", "--format", "dot").out
    assert '"core" -> "util";' in dot
    data = json.loads(cli("-C", root, "graph", "--format", "json").out)
    assert data["order"].index("util") < data["order"].index("core") < data["order"].index("api")
    assert {(e["source"], e["target"], e["kind"]) for e in data["edges"]} == {
        ("api", "core", "runtime"),
        ("core", "util", "runtime"),
    }
    only = json.loads(cli("-C", root, "graph", "--app", "core", "--format", "json").out)
    assert [n["name"] for n in only["nodes"]] == ["core", "util"]


def test_graph_exit_code_on_runtime_cycle(make_repo: RepoFactory, cli: Callable[..., Run]) -> None:
    root = make_repo(
        {
            "p/a": project("a", ["b"], sources={"b": {"workspace": True}}),
            "p/b": project("b", ["a"], sources={"a": {"workspace": True}}),
        }
    )
    result = cli("-C", root, "graph")
    assert result.code == 1
    assert "error: runtime cycle: a -> b -> a" in result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "nope"], "error: unknown app 'nope'"),
        (["graph", "--app", "nope"], "error: unknown app 'nope'"),
        (["export", "api"], "error: uv.lock: no lockfile"),
    ],
)
def test_usage_errors_exit_2_with_a_hint(
    make_repo: RepoFactory, cli: Callable[..., Run], args: list[str], message: str
) -> None:
    result = cli("-C", repo(make_repo), *args)
    assert result.code == 2
    assert result.err.startswith(message)
    assert "hint:" in result.err and "Traceback" not in result.err


def test_malformed_manifest_is_one_line_with_position(
    make_repo: RepoFactory, cli: Callable[..., Run]
) -> None:
    root = repo(make_repo)
    (root / "packages/util/pyproject.toml").write_text('[project]\nname = "util\n')
    result = cli("-C", root, "list")
    assert result.code == 2
    assert result.err.startswith("error: packages/util/pyproject.toml:2:")


def test_uv_override_that_does_not_exist(
    make_repo: RepoFactory, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONOLOCK_UV", "/no/such/uv")
    result = cli("-C", repo(make_repo), "lock")
    assert result.code == 2 and "MONOLOCK_UV" in result.err


def test_shop_reads_without_uv_or_network(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(SHOP, shop)
    monkeypatch.setenv("MONOLOCK_UV", "/no/such/uv")  # read-only commands never call uv
    export = cli("-C", shop, "export", "api-gateway", "--no-hashes")
    assert export.code == 0, export.err
    names = {line.split("==")[0] for line in export.out.splitlines() if "==" in line}
    assert {"fastapi", "sqlalchemy", "pydantic", "uvicorn"} <= names
    assert "celery" not in names
    worker = cli("-C", shop, "export", "background-worker", "--no-hashes").out
    assert "celery==" in worker and "fastapi" not in worker
    assert cli("-C", shop, "why", "anyio").code == 0
    assert "api-gateway [app]" in cli("-C", shop, "graph").out


def test_python_m_monolock_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "monolock", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.startswith("monolock, version")


def test_poetry_lock_without_poetry_is_a_clear_error(
    tmp_path: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_toml(tmp_path / "a/pyproject.toml", {"tool": {"poetry": {"name": "a"}}})
    check = cli("-C", tmp_path, "lock", "--check")
    assert check.code == 1 and "missing a (a/poetry.lock)" in check.out
    monkeypatch.setenv("MONOLOCK_POETRY", "/no/such/poetry")
    result = cli("-C", tmp_path, "lock")
    assert result.code == 2 and "MONOLOCK_POETRY=/no/such/poetry" in result.err
    assert "hint:" in result.err and not (tmp_path / "a/poetry.lock").exists()
    upgrade = cli("-C", tmp_path, "lock", "-P", "x")
    assert upgrade.code == 2 and "poetry update" in upgrade.err


def test_a_bug_is_an_internal_error_to_report_not_a_traceback(
    make_repo: RepoFactory, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    import monolock.workspace

    def broken(root: Path) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(monolock.workspace, "discover", broken)
    result = cli("-C", repo(make_repo), "list")
    assert result.code == 2
    assert result.err.startswith("internal error: KeyError: 'a bug'\n")
    assert "command: monolock -C " in result.err and " list" in result.err
    assert "please report it" in result.err and "Traceback" not in result.err
