"""Poetry monorepos as they are: per-package locks read, checked, re-locked with Poetry."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from monolock.uv import uv_binary
from tests.conftest import Run, poetry_manifest, write_toml


def seed_repo(root: Path, index: str, **overrides: dict[str, Any]) -> Path:
    """The second seed's layout: core, api-gateway and background-worker under
    packages/, plus util, which core reaches by path (a nested path chain)."""
    manifests = {
        "util": poetry_manifest("util", {"gamma": "^1.0"}, index=index),
        "core": poetry_manifest(
            "core",
            {
                "alpha": "^1.0",
                "delta": {"version": "~1.0", "extras": ["fast"]},
                "util": {"path": "../util", "develop": True},
            },
            index=index,
            dev={"devtool": "1.0.0"},
        ),
        "api-gateway": poetry_manifest(
            "api-gateway",
            {
                "core": {"path": "../core", "develop": True},
                "pyyaml": "^6.0 || ^7.0",
            },
            index=index,
            dev={"devtool": "1.0.0"},
        ),
        "background-worker": poetry_manifest(
            "background-worker",
            {"core": {"path": "../core", "develop": True}, "alpha": "1.0.0"},
            index=index,
            dev={"devtool": "1.0.0"},
        ),
    }
    for name, manifest in manifests.items():
        manifest["tool"]["poetry"].update(overrides.get(name, {}))
        write_toml(root / "packages" / name / "pyproject.toml", manifest)
        module = root / "packages" / name / name.replace("-", "_") / "__init__.py"
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text("")
    return root


def every_file(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def locked(root: Path, name: str) -> dict[str, dict[str, Any]]:
    data = tomllib.loads((root / "packages" / name / "poetry.lock").read_text())
    return {p["name"]: p for p in data["package"]}


def test_locks_are_created_read_and_projected_like_uv_lock(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    root = seed_repo(tmp_path, poetry_index)
    missing = cli("-C", root, "lock", "--check")
    assert missing.code == 1 and missing.out.count("missing") == 4
    created = cli("-C", root, "lock")
    assert created.code == 0, created.out + created.err
    # a package is locked after the path dependencies it records
    order = [line.split()[1] for line in created.out.splitlines() if line.startswith("locked")]
    assert order.index("util") < order.index("core") < order.index("api-gateway")
    assert cli("-C", root, "lock", "--check").code == 0

    # export holds exactly what Poetry locked in the main group (lock 2.1 says so)
    lock = locked(root, "api-gateway")
    main = {
        n
        for n, p in lock.items()
        if "main" in p.get("groups", []) and p.get("source", {}).get("type") != "directory"
    }
    export = cli("-C", root, "export", "api-gateway", "--no-hashes")
    assert export.code == 0, export.err
    pins = dict(line.split(" ")[0].split("==") for line in export.out.splitlines() if "==" in line)
    assert set(pins) == main == {"alpha", "beta", "delta", "epsilon", "gamma", "pyyaml"}
    assert pins["alpha"] == lock["alpha"]["version"] == "1.1.0"
    assert "projection of poetry.lock" in export.out
    worker = cli("-C", root, "export", "background-worker", "--no-hashes").out
    assert "alpha==1.0.0" in worker and "pyyaml" not in worker

    why = cli("-C", root, "why", "gamma")
    assert why.code == 0
    assert "api-gateway -> core -> util -> gamma" in why.out
    assert "devtool" not in cli("-C", root, "why", "devtool").out.split("\n", 1)[1]
    assert "api-gateway -> devtool" in cli("-C", root, "why", "devtool", "--dev").out
    graph = cli("-C", root, "graph", "--format", "json").out
    assert '"source": "core"' in graph and '"target": "util"' in graph


def test_a_path_dependency_edit_makes_its_dependents_stale_which_poetry_misses(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    root = seed_repo(tmp_path, poetry_index)
    assert cli("-C", root, "lock").code == 0
    util = root / "packages/util/pyproject.toml"
    util.write_text(util.read_text().replace('gamma = "^1.0"', 'gamma = "^1.0"\nzeta = "^1.0"'))

    check = cli("-C", root, "lock", "--check", "--format", "json")
    assert check.code == 1
    import json

    states = {s["package"]: s for s in json.loads(check.out)["locks"]}
    assert states["util"]["reasons"] == [
        "packages/util/pyproject.toml changed since poetry.lock was written (content-hash)"
    ]
    for name in ("core", "api-gateway", "background-worker"):
        assert states[name]["status"] == "stale"
        assert states[name]["reasons"] == [
            "packages/util/pyproject.toml changed since it was locked: + zeta"
        ]
    # Poetry itself only compares the package's own pyproject
    poetry_says = subprocess.run(
        [poetry_env, "check", "--lock"], cwd=root / "packages/api-gateway", capture_output=True
    )
    assert poetry_says.returncode == 0
    findings = cli("-C", root, "check", "--no-cache", "--format", "json")
    assert findings.out.count('"ML201"') == 4

    relocked = cli("-C", root, "lock")
    assert relocked.code == 0, relocked.out + relocked.err
    assert "zeta" in locked(root, "api-gateway")
    assert cli("-C", root, "lock", "--check").code == 0


def test_drift_between_locks_and_whether_one_lock_could_hold_them(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    root = seed_repo(tmp_path, poetry_index)
    assert cli("-C", root, "lock").code == 0
    report = cli("-C", root, "drift", "--format", "json")
    assert report.code == 0, report.err
    import json

    data = json.loads(report.out)
    assert data["drift"] == [
        {
            "name": "alpha",
            "versions": {
                "1.0.0": ["background-worker"],
                "1.1.0": ["api-gateway", "core"],
            },
        }
    ]
    assert data["shared"]["ok"] and data["shared"]["versions"]["alpha"] == "1.0.0"
    assert data["shared"]["requires_python"] == "<4.0,>=3.11"

    api = root / "packages/api-gateway/pyproject.toml"
    api.write_text(api.read_text().replace('pyyaml = "^6.0 || ^7.0"', 'alpha = ">=2"'))
    conflict = cli("-C", root, "drift")
    assert conflict.code == 1
    assert "one shared lock cannot satisfy every package" in conflict.out
    assert "alpha is declared by:" in conflict.out
    for line in (
        "api-gateway (runtime): alpha>=2",
        "background-worker (runtime): alpha==1.0.0",
        "core (runtime): alpha>=1.0,<2.0",
    ):
        assert line in conflict.out


def test_policy_python_ranges_dev_pins_sources_and_missing_locks(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    root = seed_repo(
        tmp_path,
        "https://example.invalid/simple/",
        **{"api-gateway": {"source": [{"name": "other", "url": "https://other.invalid/"}]}},
    )
    worker = root / "packages/background-worker/pyproject.toml"
    worker.write_text(
        worker.read_text()
        .replace('python = "^3.11"', 'python = "^3.10"')
        .replace('devtool = "1.0.0"', 'devtool = "2.0.0"')
    )
    result = cli("-C", root, "check", "--no-cache")
    assert result.code == 1
    assert "ML202" in result.out and "narrow requires-python" in result.out
    assert "background-worker installs but core cannot" in result.out
    assert "dev tool 'devtool' is pinned differently" in result.out
    assert "packages/api-gateway/pyproject.toml" in result.out and "ML206" in result.out
    assert result.out.count("ML201") == 4 and "is missing: no poetry.lock" in result.out


LOCK_2_0 = """\
# This file is automatically @generated by Poetry 1.8.3 and should not be changed by hand.

[[package]]
name = "alpha"
version = "1.0.0"
description = ""
optional = false
python-versions = "*"
files = [
    {file = "alpha-1.0.0-py3-none-any.whl", hash = "sha256:aaaa"},
    {file = "alpha-1.0.0.tar.gz", hash = "sha256:bbbb"},
]

[package.dependencies]
delta = {version = ">=1", extras = ["fast"], markers = "sys_platform != \\"win32\\""}

[[package]]
name = "delta"
version = "1.0.0"
description = ""
optional = false
python-versions = "*"
files = [{file = "delta-1.0.0-py3-none-any.whl", hash = "sha256:cccc"}]

[package.dependencies]
epsilon = {version = ">=1", optional = true, markers ='python_version >= "3.8" and extra == "fast"'}
zeta = {version = "*", optional = true, markers = "extra == \\"slow\\""}

[package.extras]
fast = ["epsilon (>=1)"]
slow = ["zeta"]

[[package]]
name = "epsilon"
version = "1.0.0"
description = ""
optional = false
python-versions = "*"
files = [{file = "epsilon-1.0.0-py3-none-any.whl", hash = "sha256:dddd"}]

[[package]]
name = "zeta"
version = "1.0.0"
description = ""
optional = true
python-versions = "*"
files = []

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "0"
"""


def test_lock_version_2_0_with_extras_markers_and_bad_versions(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    from monolock.poetry.fresh import content_hash

    deps = {"alpha": "^1"}
    manifest = {"tool": {"poetry": {"name": "app", "version": "1.0", "dependencies": deps}}}
    write_toml(tmp_path / "app/pyproject.toml", manifest)
    lock = re.sub(r'content-hash = "[^"]*"', f'content-hash = "{content_hash(manifest)}"', LOCK_2_0)
    (tmp_path / "app/poetry.lock").write_text(lock)
    out = cli("-C", tmp_path, "export", "app")
    assert out.code == 0, out.err
    body = [line for line in out.out.splitlines() if not line.startswith("#")]
    assert body == [
        "alpha==1.0.0 \\",
        "    --hash=sha256:aaaa \\",
        "    --hash=sha256:bbbb",
        'delta==1.0.0 ; sys_platform != "win32" \\',
        "    --hash=sha256:cccc",
        'epsilon==1.0.0 ; sys_platform != "win32" \\',
        "    --hash=sha256:dddd",
    ]
    assert cli("-C", tmp_path, "lock", "--check").code == 0
    deps["beta"] = "^1"
    write_toml(tmp_path / "app/pyproject.toml", manifest)
    stale = cli("-C", tmp_path, "lock", "--check")
    assert stale.code == 1 and "(content-hash)" in stale.out
    refused = cli("-C", tmp_path, "export", "app")  # as Poetry refuses to install it
    assert refused.code == 2 and "(content-hash)" in refused.err

    (tmp_path / "app/poetry.lock").write_text(lock.replace('"2.0"', '"3.0"'))
    bad = cli("-C", tmp_path, "export", "app")
    assert bad.code == 2 and "app/poetry.lock" in bad.err and "'3.0'" in bad.err
    assert "hint:" in bad.err


def test_run_in_each_packages_own_poetry_environment(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    root = seed_repo(tmp_path, poetry_index)
    write_toml(
        root / "pyproject.toml",
        {
            "tool": {
                "monolock": {"tasks": {"smoke": "python -c 'import alpha, core; print(alpha.V)'"}}
            }
        },
    )
    util = root / "packages/util/pyproject.toml"
    util.write_text(util.read_text() + "\n[tool.monolock.tasks]\nsmoke = false\n")
    assert cli("-C", root, "lock").code == 0
    first = cli("-C", root, "run", "smoke")
    assert first.code == 0, first.out + first.err
    # each package imports the alpha its own poetry.lock pins, from its own environment
    blocks = first.out.split("── ")
    gateway = next(b for b in blocks if b.startswith("api-gateway"))
    worker = next(b for b in blocks if b.startswith("background-worker"))
    assert "1.1.0" in gateway and "1.0.0" in worker
    assert "3 passed, 1 skipped" in first.out and "(poetry environment)" in first.out
    again = cli("-C", root, "run", "smoke")
    assert "3 cached" in again.out
    # a new pin in the worker's lock changes its key, and only its key
    worker_manifest = root / "packages/background-worker/pyproject.toml"
    worker_manifest.write_text(
        worker_manifest.read_text().replace('alpha = "1.0.0"', 'alpha = "1.1.0"')
    )
    assert cli("-C", root, "lock").code == 0
    third = cli("-C", root, "run", "smoke", "--format", "json")
    import json

    summary = {m["member"]: m for m in json.loads(third.out)["members"]}
    assert summary["background-worker"]["cached"] is False
    assert summary["core"]["cached"] is True and summary["api-gateway"]["cached"] is True
    assert "1.1.0" in third.err.split("background-worker", 1)[1]


def test_init_from_poetry_dry_run_then_migration_keeps_locked_versions(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    root = seed_repo(
        tmp_path,
        poetry_index,
        **{
            # scripts and package includes go to [project.scripts] and hatchling
            "background-worker": {
                "scripts": {"worker": "background_worker:main"},
                "packages": [{"include": "background_worker"}],
            },
        },
    )
    core = root / "packages/core/pyproject.toml"
    core.write_text("# shared models\n" + core.read_text())
    api = root / "packages/api-gateway/pyproject.toml"
    api.write_text(
        api.read_text().replace(
            "[tool.poetry.group.dev.dependencies]",
            '[tool.poetry.group.dev.dependencies]\nutil = {path = "../util", develop = true}',
        )
        + "\n[tool.ruff]\n# house style\nline-length = 100  # wide screens\n"
    )
    assert cli("-C", root, "lock").code == 0
    old = {name: locked(root, name) for name in ("api-gateway", "background-worker", "core")}
    before = every_file(root)

    dry = cli("-C", root, "init", "--from-poetry", "--dry-run")
    assert dry.code == 0, dry.err
    assert every_file(root) == before
    assert "uv workspace members: packages/*" in dry.out
    assert '+requires-python = ">=3.11,<4.0"' in dry.out
    assert "delete packages/core/poetry.lock" in dry.out and "dry run: nothing written" in dry.out
    # alpha: 1.1.0 in api-gateway's and core's locks, 1.0.0 in the worker's; one must go
    assert (
        "alpha 1.1.0 → 1.0.0: the shared lock picks one version: 1.0.0, "
        "as background-worker locks it" in dry.out
    )
    assert "background-worker: unchanged" in dry.out and "util: unchanged" in dry.out

    done = cli("-C", root, "init", "--from-poetry", "--format", "json")
    assert done.code == 0, done.err
    assert not list(root.rglob("poetry.lock"))
    manifest = tomllib.loads(core.read_text())
    assert core.read_text().startswith("[project]") and "# shared models" in core.read_text()
    assert manifest["project"]["requires-python"] == ">=3.11,<4.0"
    assert manifest["project"]["dependencies"] == [
        "alpha>=1.0,<2.0",
        "delta[fast]>=1.0,<1.1",
        "util",
    ]
    assert manifest["tool"]["uv"]["sources"] == {"util": {"workspace": True}}
    assert manifest["dependency-groups"] == {"dev": ["devtool==1.0.0"]}
    assert manifest["build-system"]["build-backend"] == "hatchling.build"
    assert "tool" not in manifest or "poetry" not in manifest["tool"]
    gateway = tomllib.loads(api.read_text())
    assert gateway["dependency-groups"]["dev"] == ["util", "devtool==1.0.0"]
    assert "# house style\nline-length = 100  # wide screens" in api.read_text()
    worker = tomllib.loads((root / "packages/background-worker/pyproject.toml").read_text())
    assert worker["project"]["scripts"] == {"worker": "background_worker:main"}
    assert worker["tool"]["hatch"]["build"]["targets"]["wheel"] == {
        "only-include": ["background_worker"]
    }
    workspace_root = tomllib.loads((root / "pyproject.toml").read_text())
    assert workspace_root["tool"]["uv"]["workspace"]["members"] == ["packages/*"]
    assert workspace_root["tool"]["uv"]["index"][0]["default"] is True

    again = cli("-C", root, "init", "--from-poetry")
    assert again.code == 2 and "already a uv workspace" in again.err

    # the new projections hold the old locks' versions, except the one alpha
    assert cli("-C", root, "lock", "--check").code == 0
    for name, lock in old.items():
        export = cli("-C", root, "export", name, "--no-hashes", "--group", "dev").out
        pins = dict(line.split(" ")[0].split("==") for line in export.splitlines() if "==" in line)
        expected = {
            n: "1.0.0" if n == "alpha" else p["version"]
            for n, p in lock.items()
            if p.get("source", {}).get("type") != "directory"
        }
        assert pins == expected, name


def test_failed_migration_leaves_the_repository_as_it_was(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    root = seed_repo(tmp_path, poetry_index)
    assert cli("-C", root, "lock").code == 0
    api = root / "packages/api-gateway/pyproject.toml"
    api.write_text(api.read_text().replace('pyyaml = "^6.0 || ^7.0"', 'alpha = ">=2"'))
    before = every_file(root)
    failed = cli("-C", root, "init", "--from-poetry")
    assert failed.code == 2 and "uv lock" in failed.err and "alpha" in failed.err
    assert every_file(root) == before
    # a dry run still shows the whole plan, with uv's explanation of what stops it
    dry = cli("-C", root, "init", "--from-poetry", "--dry-run")
    assert dry.code == 1, dry.err  # a CI gate: this plan would fail
    assert "uv cannot lock the migrated workspace" in dry.out and "alpha" in dry.out
    assert "this plan would fail" in dry.out
    assert "update packages/api-gateway/pyproject.toml" in dry.out
    assert every_file(root) == before


def poetry_plan(poetry: str, directory: Path) -> dict[str, str]:
    """The third-party distributions Poetry itself installs from a package's lock on this
    interpreter (path packages are left out, as an export's pins leave them out)."""
    out = subprocess.run(
        [poetry, "install", "--dry-run", "--only", "main", "--no-root", "--no-interaction"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    plan = {}
    for line in out.splitlines():
        words = line.strip().split()
        if len(words) < 4 or words[:2] != ["-", "Installing"] or "Skipped" in line:
            continue
        if not words[3].endswith(")"):
            continue  # `(0.1.0 /path/to/core)`: an internal package, not in the export's pins
        plan[words[2]] = words[3].strip("()")
    return plan


def exported_here(cli: Callable[..., Run], root: Path, package: str) -> dict[str, str]:
    """monolock's export of a package, its markers evaluated on this interpreter."""
    from packaging.requirements import Requirement

    result = cli("-C", root, "export", package, "--no-hashes")
    assert result.code == 0, result.err
    pins = {}
    for line in result.out.splitlines():
        if line and not line.startswith(("#", "-")):
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate():
                pins[req.name] = str(req.specifier).removeprefix("==")
    return pins


def test_a_version_split_by_markers_is_exported_as_poetry_installs_it(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    # urllib3's shape: reqish takes urlish 1.x or 2.x, botish asks for 1.26 on older
    # Pythons and 2.x on the rest; Poetry locks both and installs 2.4.0 here
    manifest = poetry_manifest(
        "p", {"reqish": "^2.0", "botish": "^1.0"}, index=poetry_index, python="^3.9"
    )
    write_toml(tmp_path / "packages/p/pyproject.toml", manifest)
    (tmp_path / "packages/p/p").mkdir(parents=True)
    (tmp_path / "packages/p/p/__init__.py").write_text("")
    assert cli("-C", tmp_path, "lock").code == 0
    locked_versions = [
        p["version"]
        for p in tomllib.loads((tmp_path / "packages/p/poetry.lock").read_text())["package"]
        if p["name"] == "urlish"
    ]
    assert sorted(locked_versions) == ["1.26.0", "2.4.0"]
    plan = poetry_plan(poetry_env, tmp_path / "packages/p")
    assert plan["urlish"] == "2.4.0"
    assert exported_here(cli, tmp_path, "p") == plan
    export = cli("-C", tmp_path, "export", "p", "--no-hashes").out
    assert 'urlish==1.26.0 ; python_version < "3.10"' in export  # both, complementary
    assert 'urlish==2.4.0 ; python_version >= "3.10"' in export
    why = cli("-C", tmp_path, "why", "urlish")
    assert why.code == 0 and "urlish 1.26.0, 2.4.0" in why.out


def test_lock_converges_with_extras_a_dependent_does_not_activate(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    def package(name: str, deps: dict[str, Any], **poetry: Any) -> None:
        write_toml(
            tmp_path / f"packages/{name}/pyproject.toml",
            poetry_manifest(name, deps, index=poetry_index, **poetry),
        )
        module = tmp_path / f"packages/{name}/{name}/__init__.py"
        module.parent.mkdir(parents=True)
        module.write_text("")

    package("plugin", {"gamma": "^1.0"})
    package(
        "core",
        {
            "alpha": "^1.0",
            "delta": {"version": "^1.0", "optional": True},
            "plugin": {"path": "../plugin", "develop": True, "optional": True},
        },
        extras={"fast": ["delta"], "plugins": ["plugin"]},
    )
    package("api", {"core": {"path": "../core", "develop": True}})
    package("worker", {"core": {"path": "../core", "develop": True, "extras": ["fast"]}})
    assert cli("-C", tmp_path, "lock").code == 0
    # Poetry records of core only what each dependent activates: fresh right after
    check = cli("-C", tmp_path, "lock", "--check")
    assert check.code == 0, check.out
    core = tmp_path / "packages/core/pyproject.toml"

    def optional(name: str, extra: str, names: str) -> None:
        """Add `name` to core as an optional dependency of `extra` (which holds `names`)."""
        text = core.read_text().replace(
            "[tool.poetry.dependencies]",
            f'[tool.poetry.dependencies]\n{name} = {{ version = "^1.0", optional = true }}',
        )
        core.write_text(text.replace(f"{extra} = [{names}]", f'{extra} = [{names}, "{name}"]'))

    def stale() -> set[str]:
        out = cli("-C", tmp_path, "lock", "--check").out
        return {line.split()[1] for line in out.splitlines() if line.startswith("stale")}

    optional("epsilon", "plugins", '"plugin"')  # an extra no one else activates
    assert stale() == {"core"}
    optional("zeta", "fast", '"delta"')  # the extra the worker activates
    assert stale() == {"core", "worker"}
    relocked = cli("-C", tmp_path, "lock")
    assert relocked.code == 0, relocked.out + relocked.err
    again = cli("-C", tmp_path, "lock", "--check")
    assert again.code == 0, again.out  # converged: lock, then check, passes


def test_drift_says_an_unreachable_index_is_unreachable(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    seed_repo(tmp_path, "http://127.0.0.1:9/simple/")  # nothing listens on port 9
    result = cli("-C", tmp_path, "drift")
    assert result.code == 2, result.out
    assert "cannot satisfy" not in result.out
    assert "the package index could not be reached" in result.err


def test_why_answers_for_the_packages_that_have_a_lock(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    root = seed_repo(tmp_path, poetry_index)
    assert cli("-C", root, "lock").code == 0
    (root / "packages/util/poetry.lock").unlink()
    result = cli("-C", root, "why", "alpha")
    assert result.code == 0, result.err
    assert "warning: util has no poetry.lock: left out" in result.err
    assert "api-gateway" in result.out and "core" in result.out


def test_check_reads_import_names_from_the_wheels_each_poetry_lock_names(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    import json

    root = seed_repo(tmp_path, poetry_index)
    assert cli("-C", root, "lock").code == 0
    # pyyaml ships `yaml`, which no guess from its name would give; beta is in core's
    # lock only because alpha needs it
    (root / "packages/api-gateway/api_gateway/__init__.py").write_text("import yaml\n")
    (root / "packages/core/core/__init__.py").write_text("import alpha\nimport beta\n")
    result = cli("-C", root, "check", "--no-lock-check", "--format", "json")
    report = json.loads(result.out)
    assert report["guessed"] == {}
    found = {(f["package"], f["code"], f["subject"]) for f in report["findings"]}
    assert ("api-gateway", "ML102", "yaml") not in found
    assert ("core", "ML101", "beta") in found
    message = next(f["message"] for f in report["findings"] if f["subject"] == "beta")
    assert "transitively" in message


def test_migration_carries_packaging_over_and_proves_the_workspace_installs(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    root = seed_repo(tmp_path, poetry_index)
    # Poetry's default packaging over a namespace directory (no __init__.py at its top)
    plugins = root / "packages/acme-tools"
    write_toml(plugins / "pyproject.toml", poetry_manifest("acme-tools", {}, index=poetry_index))
    (plugins / "acme_tools/exporters").mkdir(parents=True)
    (plugins / "acme_tools/exporters/__init__.py").write_text("")
    # a project Poetry manages without building it
    ops_manifest = poetry_manifest(
        "ops", {"core": {"path": "../core", "develop": True}}, index=poetry_index
    )
    ops_manifest["tool"]["poetry"]["package-mode"] = False
    write_toml(root / "packages/ops/pyproject.toml", ops_manifest)
    assert cli("-C", root, "lock").code == 0
    done = cli("-C", root, "init", "--from-poetry")
    assert done.code == 0, done.err
    assert "building every member's wheel and installing the workspace" in done.err
    tools = tomllib.loads((plugins / "pyproject.toml").read_text())
    assert tools["tool"]["hatch"]["build"]["targets"]["wheel"]["only-include"] == ["acme_tools"]
    ops = tomllib.loads((root / "packages/ops/pyproject.toml").read_text())
    assert ops["tool"]["uv"]["package"] is False and "build-system" not in ops
    # uv itself agrees: every member builds, the workspace installs
    synced = subprocess.run(
        [uv_binary(), "sync", "--all-packages", "--frozen", "--no-editable", "--quiet"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert synced.returncode == 0, synced.stderr


def test_a_member_that_would_not_build_stops_the_migration(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    root = seed_repo(tmp_path, poetry_index)
    ghost = root / "packages/ghost"  # its module is nowhere: no build can pack it
    write_toml(ghost / "pyproject.toml", poetry_manifest("ghost", {}, index=poetry_index))
    (ghost / "notes").mkdir()
    (ghost / "notes/README").write_text("")
    assert cli("-C", root, "lock").code == 0
    before = every_file(root)
    failed = cli("-C", root, "init", "--from-poetry")
    assert failed.code == 2 and "the migrated workspace does not install" in failed.err
    assert "ghost" in failed.err
    assert every_file(root) == before
    dry = cli("-C", root, "init", "--from-poetry", "--dry-run")
    assert dry.code == 1, dry.err
    assert "the migrated workspace would not install" in dry.out
    assert every_file(root) == before


def test_a_lock_poetry_wrote_wrong_is_put_back(
    tmp_path: Path,
    poetry_index: str,
    poetry_env: str,
    cli: Callable[..., Run],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = seed_repo(tmp_path / "repo", poetry_index)
    assert cli("-C", root, "lock").code == 0
    manifest = root / "packages/util/pyproject.toml"
    manifest.write_text(
        manifest.read_text().replace('gamma = "^1.0"', 'gamma = "^1.0"\nzeta = "*"')
    )
    before = every_file(root)
    broken = tmp_path / "poetry"  # a Poetry that says it locked, and wrote garbage
    broken.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        '  --version) echo "Poetry (version 2.1.0)" ;;\n'
        "  lock) echo 'not [[ a lock' > poetry.lock ;;\n"
        "esac\n"
    )
    broken.chmod(0o755)
    monkeypatch.setenv("MONOLOCK_POETRY", str(broken))
    result = cli("-C", root, "lock")
    assert result.code == 1, result.out + result.err
    assert "FAILED util" in result.out and "cannot read" in result.out
    assert every_file(root) == before  # every poetry.lock byte for byte as it was


def shapes_repo(root: Path, index: str) -> Path:
    """A Poetry monorepo with every shape seen in the wild at once: a distribution locked
    at two versions split by markers, `v`-prefixed constraints, an extra whose dependency
    is a path package nested in its dependent's directory, Poetry's default packaging over
    a namespace directory, and a project Poetry manages but never builds."""

    def package(path: str, name: str, deps: dict[str, Any], **poetry: Any) -> None:
        # every package allows 3.9, where urlish 1.26 is the one Poetry installs
        manifest = poetry_manifest(name, deps, index=index, python="^3.9", **poetry)
        write_toml(root / path / "pyproject.toml", manifest)

    def module(path: str) -> None:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("")

    package(
        "packages/core",
        "core",
        {
            "alpha": "^v1.0",
            "plugin": {"path": "plugin", "develop": True, "optional": True},
        },
        extras={"plugins": ["plugin"]},
    )
    module("packages/core/core/__init__.py")
    package("packages/core/plugin", "plugin", {"gamma": "~v1.0"})
    module("packages/core/plugin/plugin/__init__.py")
    package("packages/acme-tools", "acme-tools", {})
    module("packages/acme-tools/acme_tools/exporters/__init__.py")
    package(
        "packages/web",
        "web",
        {
            "core": {"path": "../core", "develop": True, "extras": ["plugins"]},
            "acme-tools": {"path": "../acme-tools", "develop": True},
            "reqish": "^2.0",
            "botish": "^1.0",
        },
    )
    module("packages/web/web/__init__.py")
    ops = poetry_manifest(
        "ops", {"core": {"path": "../core", "develop": True}}, index=index, python="^3.9"
    )
    ops["tool"]["poetry"]["package-mode"] = False
    write_toml(root / "packages/ops/pyproject.toml", ops)
    # a project inside the package it uses (uv finds the package before the workspace)
    examples = poetry_manifest(
        "examples", {"core": {"path": "..", "develop": True}}, index=index, python="^3.9"
    )
    examples["tool"]["poetry"]["package-mode"] = False
    write_toml(root / "packages/core/examples/pyproject.toml", examples)
    # a namespace path below `from`, and entry points for pytest
    package(
        "packages/log",
        "acme-log",
        {"delta": {"version": "^1.0", "optional": True}},  # no extra names it
        packages=[{"include": "acme/log", "from": "src"}],
        plugins={"pytest11": {"acme_log": "acme.log.plugin"}},
    )
    module("packages/log/src/acme/log/__init__.py")
    module("packages/log/src/acme/log/plugin.py")
    (root / "packages/frontend").mkdir(parents=True)  # not Python: no project there
    (root / "packages/frontend/package.json").write_text("{}\n")
    # a test's fixture project: not Poetry's, used by no package
    write_toml(
        root / "packages/web/tests/fixtures/wheelproj/pyproject.toml",
        {"project": {"name": "my-wheel", "version": "1"}, "build-system": {"requires": []}},
    )
    return root


def test_every_command_on_every_shape_poetry_repositories_take(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    root = shapes_repo(tmp_path / "repo", poetry_index)
    paths = {
        "acme-log": "packages/log",
        "acme-tools": "packages/acme-tools",
        "core": "packages/core",
        "examples": "packages/core/examples",
        "ops": "packages/ops",
        "plugin": "packages/core/plugin",
        "web": "packages/web",
    }
    listed = cli("-C", root, "list", "--format", "names")
    assert listed.code == 0 and set(listed.out.split()) == {*paths, "my-wheel"}, listed.err
    fixture = cli("-C", root, "export", "my-wheel")
    assert fixture.code == 2 and "is not managed by Poetry" in fixture.err
    assert cli("-C", root, "graph").code == 0
    assert cli("-C", root, "lock").code == 0
    check = cli("-C", root, "lock", "--check")
    assert check.code == 0, check.out  # converged at once
    for name, path in sorted(paths.items()):
        assert exported_here(cli, root, name) == poetry_plan(poetry_env, root / path), name
    assert "delta" in exported_here(cli, root, "acme-log")
    assert cli("-C", root, "why", "urlish").code == 0
    import json

    report = cli("-C", root, "check", "--no-lock-check", "--format", "json")
    assert report.code in (0, 1) and json.loads(report.out)["guessed"] == {}, report.err
    assert cli("-C", root, "drift", "--no-resolve").code == 0
    dry = cli("-C", root, "init", "--from-poetry", "--dry-run")
    assert dry.code == 0 and "would not" not in dry.out and "cannot lock" not in dry.out, dry.out
    done = cli("-C", root, "init", "--from-poetry")
    assert done.code == 0, done.err  # every member built, the workspace installed
    assert cli("-C", root, "lock", "--check").code == 0
    web = exported_here(cli, root, "web")  # one shared lock now: the same versions here
    assert web["urlish"] == "2.4.0" and web["alpha"].startswith("1.") and "gamma" in web
    workspace_root = tomllib.loads((root / "pyproject.toml").read_text())
    members = str(workspace_root["tool"]["uv"]["workspace"])
    assert "packages/frontend" not in members and "wheelproj" not in members
    assert "wheelproj/pyproject.toml: left out of the workspace" in done.out
    nested = tomllib.loads((root / "packages/core/examples/pyproject.toml").read_text())
    assert nested["tool"]["uv"]["sources"]["core"] == {"path": "..", "editable": True}
    log = tomllib.loads((root / "packages/log/pyproject.toml").read_text())
    assert log["project"]["entry-points"] == {"pytest11": {"acme_log": "acme.log.plugin"}}
    assert log["project"]["dependencies"] == ["delta>=1.0,<2.0"]
    assert log["tool"]["hatch"]["build"]["targets"]["wheel"] == {
        "only-include": ["src/acme/log"],
        "sources": ["src"],
    }
    assert "not carried over" not in done.out, done.out


def test_per_group_markers_and_an_optional_dependency_no_extra_names(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    """Poetry 2 writes `markers = {main = ..., dev = ...}` where a package's marker
    differs between groups, and installs an optional dependency that no extra names by
    its marker alone: the export follows both, as Poetry's own plan does."""
    here = "sys_platform == 'linux'" if sys.platform == "linux" else "sys_platform != 'linux'"
    manifest = poetry_manifest(
        "p",
        {
            "alpha": {"version": "^1.0", "markers": here},
            "delta": {"version": "^1.0", "optional": True, "python": ">=3.9"},
            "pyyaml": {"version": "*", "python": "<3.8"},  # never, in main
        },
        index=poetry_index,
        python="^3.9",
        dev={"alpha": {"version": "^1.0", "markers": "sys_platform == 'win32'"}, "pyyaml": "*"},
    )
    write_toml(tmp_path / "packages/p/pyproject.toml", manifest)
    (tmp_path / "packages/p/p").mkdir(parents=True)
    (tmp_path / "packages/p/p/__init__.py").write_text("")
    # a dependent's lock leaves p's optional dependency out: it is p's alone
    app = poetry_manifest(
        "app", {"p": {"path": "../p", "develop": True}}, index=poetry_index, python="^3.9"
    )
    write_toml(tmp_path / "packages/app/pyproject.toml", app)
    (tmp_path / "packages/app/app").mkdir(parents=True)
    (tmp_path / "packages/app/app/__init__.py").write_text("")
    locked = cli("-C", tmp_path, "lock")
    assert locked.code == 0, locked.err
    lock = tomllib.loads((tmp_path / "packages/p/poetry.lock").read_text())
    alpha = next(p for p in lock["package"] if p["name"] == "alpha")
    assert isinstance(alpha["markers"], dict) and set(alpha["markers"]) == {"main", "dev"}
    pyyaml = next(p for p in lock["package"] if p["name"] == "pyyaml")
    assert pyyaml["markers"] == {"main": "<empty>"}  # poetry-core's "no environment"
    check = cli("-C", tmp_path, "lock", "--check")
    assert check.code == 0, check.out  # converged: p's optional dependency is not app's
    plan = poetry_plan(poetry_env, tmp_path / "packages/p")
    assert exported_here(cli, tmp_path, "p") == plan
    assert exported_here(cli, tmp_path, "app") == poetry_plan(poetry_env, tmp_path / "packages/app")
    assert cli("-C", tmp_path, "why", "alpha").code == 0
    # a manifest that moved on: Poetry would refuse the lock, and so does the export
    path = tmp_path / "packages/p/pyproject.toml"
    path.write_text(path.read_text().replace('python = "^3.9"', 'python = "^3.9"\nbeta = "^1.0"'))
    stale = cli("-C", tmp_path, "export", "p")
    assert stale.code == 2 and "content-hash" in stale.err and "monolock lock" in stale.err


def test_migration_says_who_brings_each_added_or_removed_version(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    """A dependency core declared after api-gateway's lock was written arrives through
    core; an internal package api-gateway had pinned from the index is now the member."""
    root = seed_repo(tmp_path, poetry_index)
    assert cli("-C", root, "lock").code == 0
    core = root / "packages/core/pyproject.toml"
    core.write_text(core.read_text().replace('alpha = "^1.0"', 'alpha = "^1.0"\npillow = "*"'))
    dry = cli("-C", root, "init", "--from-poetry", "--dry-run")
    assert dry.code == 0, dry.err
    gateway = dry.out.split("  api-gateway:", 1)[1].split("\n  background-worker:", 1)[0]
    assert "pillow - → 10.0.0: core declares it" in gateway, dry.out
