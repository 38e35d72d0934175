"""examples/shop against the real package index (marked `network`)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from monolock.lockfile import read_lock
from monolock.projection import project
from tests.conftest import SHOP, Run, uv_export
from tests.test_affected import commit, git

pytestmark = pytest.mark.network


def test_shop_lock_is_fresh_and_projection_equals_uv_export(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(SHOP, shop)
    check = cli("-C", shop, "lock", "--check")
    assert check.code == 0, check.out + check.err
    lock = read_lock(shop / "uv.lock")
    for app in ("api-gateway", "background-worker", "core"):
        theirs = uv_export(shop, app)
        mine = {p.name: p.version for p in project(lock, app).third_party}
        assert mine == theirs, app


def test_shop_relock_reports_unchanged_projections(cli: Callable[..., Run], tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(SHOP, shop)
    result = cli("-C", shop, "lock")
    assert result.code == 0, result.err
    assert "api-gateway: projection unchanged" in result.out
    assert "background-worker: projection unchanged" in result.out


def _shop_repo(tmp_path: Path) -> Path:
    shop = tmp_path / "shop"
    shutil.copytree(SHOP, shop, ignore=shutil.ignore_patterns(".venv", "build"))
    (shop / ".gitignore").write_text(".venv/\n.pytest_cache/\n")
    git(shop, "init", "-q")
    commit(shop, "shop")
    return shop


def test_shop_packages_own_tests_pass_each_in_its_own_projection(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """The example is real code: every package's tests pass in an environment holding
    only its projection and dev group, and a second run replays them."""
    shop = _shop_repo(tmp_path)
    result = cli("-C", shop, "run", "test", "--isolated", "--format", "json")
    assert result.code == 0, result.err[-3000:]
    data = json.loads(result.out)
    assert (data["passed"], data["cached"]) == (3, 0)
    again = json.loads(cli("-C", shop, "run", "test", "--isolated", "--format", "json").out)
    assert (again["passed"], again["cached"]) == (3, 3)


def test_shop_affected_by_a_leaf_a_lock_bump_and_the_root(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    shop = _shop_repo(tmp_path)

    def affected() -> dict[str, list[str]]:
        result = cli("-C", shop, "affected", "--format", "json")
        assert result.code == 0, result.err
        return {
            m["name"]: [r["text"] for r in m["reasons"]] for m in json.loads(result.out)["members"]
        }

    (shop / "packages/api-gateway/src/api_gateway/app.py").write_text(
        (shop / "packages/api-gateway/src/api_gateway/app.py").read_text() + "\n# edited\n"
    )
    assert affected() == {"api-gateway": ["changed: packages/api-gateway/src/api_gateway/app.py"]}
    git(shop, "checkout", "-q", ".")

    old = {p.name: p.version for p in read_lock(shop / "uv.lock").packages}
    bump = cli("-C", shop, "lock", "--", "-P", "celery==5.4.0")
    assert bump.code == 0, bump.err
    found = affected()
    assert list(found) == ["background-worker"], found  # only the worker's projection has celery
    assert f"lock: celery {old['celery']} → 5.4.0" in found["background-worker"]
    git(shop, "checkout", "-q", ".")

    manifest = shop / "pyproject.toml"
    manifest.write_text(
        manifest.read_text().replace('python-downloads = "never"', 'python-downloads = "manual"')
    )
    assert set(affected()) == {"api-gateway", "background-worker", "core"}


@pytest.mark.parametrize(
    ("app", "present", "absent"),
    [
        ("api-gateway", {"fastapi", "sqlalchemy", "uvicorn", "core"}, {"celery", "kombu"}),
        ("background-worker", {"celery", "sqlalchemy", "core"}, {"fastapi", "uvicorn"}),
    ],
)
def test_shop_app_environments_are_exact_projections(
    cli: Callable[..., Run], tmp_path: Path, app: str, present: set[str], absent: set[str]
) -> None:

    shop = tmp_path / "shop"
    shutil.copytree(SHOP, shop)
    venv = tmp_path / "venv"
    result = cli(
        "-C", shop, "build", app, "--out", tmp_path / "ctx", "--venv", venv, "--format", "json"
    )
    assert result.code == 0, result.out + result.err
    proof = json.loads(result.out)["proof"]
    assert proof["ok"] and proof["missing"] == [] and proof["extra"] == []
    assert proof["smoke"]["ok"]
    assert 0 < proof["size"] < proof["whole_workspace_size"]
    names = {
        p.name.split("-")[0].lower()
        for p in next(venv.glob("lib/python3*/site-packages")).glob("*.dist-info")
    }
    assert present <= names and not (absent & names)
    lock = read_lock(shop / "uv.lock")
    pinned = (tmp_path / "ctx" / "requirements.txt").read_text()
    for item in project(lock, app).third_party:
        assert f"{item.name}=={item.version}" in pinned


def test_shop_checks_clean_and_planted_problems_are_each_reported_once(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """The import map comes from the real wheels on the index (read by range requests)."""
    assert cli("-C", SHOP, "check", "--no-lock-check").code == 0
    shop = tmp_path / "shop"
    shutil.copytree(SHOP, shop, ignore=shutil.ignore_patterns(".venv", "build"))
    session = shop / "packages/core/src/core/session.py"
    session.write_text(session.read_text() + "\n\ndef load() -> None:\n    import celery\n")
    core = shop / "packages/core/pyproject.toml"
    core.write_text(core.read_text().replace('"sqlalchemy>=2.0",', '"sqlalchemy>=2.0", "httpx",'))
    tasks = shop / "packages/background-worker/src/background_worker/tasks.py"
    tasks.write_text(tasks.read_text() + "from core.models import _helper\n")
    gateway = shop / "packages/api-gateway/pyproject.toml"
    gateway.write_text(gateway.read_text().replace('">=3.11"', '">=3.10"'))
    result = cli("-C", shop, "check", "--format", "json", "--no-lock-check")
    assert result.code == 1

    found = {(f["code"], f["path"], f["line"]) for f in json.loads(result.out)["findings"]}
    lines = session.read_text().splitlines()
    core_lines = core.read_text().splitlines()
    httpx_line = next(line for line in core_lines if '"httpx"' in line)
    assert found == {
        ("ML101", "packages/core/src/core/session.py", lines.index("    import celery") + 1),
        ("ML103", "packages/core/pyproject.toml", core_lines.index(httpx_line) + 1),
        (
            "ML106",
            "packages/background-worker/src/background_worker/tasks.py",
            len(tasks.read_text().splitlines()),
        ),
        ("ML202", "packages/api-gateway/pyproject.toml", 5),
    }
