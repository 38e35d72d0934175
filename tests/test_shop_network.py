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


def test_shop_packages_own_tests_pass(tmp_path: Path) -> None:
    """The example is real code: sync it from its lock and run each package's tests."""
    import subprocess

    from monolock.uv import uv_binary

    shop = tmp_path / "shop"
    shutil.copytree(SHOP, shop)
    subprocess.run([uv_binary(), "sync", "-q", "--all-packages", "--frozen"], cwd=shop, check=True)
    for package in ("core", "api-gateway", "background-worker"):
        run = subprocess.run(
            [
                str(shop / ".venv" / "bin" / "python"),
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
            ],
            cwd=shop / "packages" / package,
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stdout[-2000:]


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
        ("ML106", "packages/background-worker/src/background_worker/tasks.py",
         len(tasks.read_text().splitlines())),
        ("ML202", "packages/api-gateway/pyproject.toml", 5),
    }
