"""`monolock add` and `remove` on a real uv workspace: manifests edited in their own
format, the Single Version Policy kept, one lock, and nothing left half-done."""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import RepoFactory, Run, project, uv_export, write_toml

Cli = Callable[..., Run]
WS = {"core": {"workspace": True}}

CORE = """[project]
name = "core"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = [
    "alpha==1.0.0",  # pinned on purpose
    "zeta",
]
"""


def locked(root: Path) -> dict[str, str]:
    data = tomllib.loads((root / "uv.lock").read_text())
    return {p["name"]: p["version"] for p in data["package"] if "registry" in p["source"]}


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".venv" not in p.parts
    }


@pytest.fixture
def repo(make_repo: RepoFactory, cli: Cli) -> Path:
    """web depends on core and devtool, locked at 1.0.0 (2.0.0 exists); worker depends on
    neither."""
    root = make_repo(
        {
            "core": project("core"),
            "web": project(
                "web", ["core", "devtool==1.0.0"], sources={"core": {"workspace": True}}
            ),
            "worker": project("worker", ["reqish"]),
        },
        apps=["web", "worker"],
    )
    (root / "core/pyproject.toml").write_text(CORE)
    assert cli("-C", root, "lock").code == 0
    write_toml(root / "web/pyproject.toml", project("web", ["core", "devtool"], sources=WS))
    assert cli("-C", root, "lock").code == 0  # devtool stays at 1.0.0, as locked
    return root


def test_a_locked_distribution_is_added_at_a_range_that_admits_its_version(
    repo: Path, cli: Cli
) -> None:
    result = cli("-C", repo, "add", "devtool", "--to", "core", "--format", "json")
    assert result.code == 0, result.err
    text = (repo / "core/pyproject.toml").read_text()
    # sorted place, comment kept, the locked version admitted (never a second one)
    assert '    "alpha==1.0.0",  # pinned on purpose\n    "devtool>=1.0.0",\n    "zeta",' in text
    assert locked(repo)["devtool"] == "1.0.0"
    assert cli("-C", repo, "lock", "--check").code == 0
    apps = json.loads(result.out)["lock"]["apps"]
    assert apps["worker"] == []  # does not depend on core: its projection is unchanged
    assert apps["web"] == []  # already shipped devtool 1.0.0 through its own requirement


def test_an_addition_changes_exactly_the_apps_that_depend_on_the_member(
    repo: Path, cli: Cli
) -> None:
    result = cli("-C", repo, "add", "pyyaml", "--to", "core", "--format", "json")
    assert result.code == 0, result.err
    apps = json.loads(result.out)["lock"]["apps"]
    assert [(c["name"], c["change"]) for c in apps["web"]] == [("pyyaml", "added")]
    assert apps["worker"] == []
    # new to the lock, added without a range: pinned at what uv resolved, as uv add does
    assert '"pyyaml>=6.0.1"' in (repo / "core/pyproject.toml").read_text()
    assert cli("-C", repo, "lock", "--check").code == 0
    assert uv_export(repo, "web")["pyyaml"] == "6.0.1"


def test_a_range_that_excludes_the_locked_version_is_refused_and_nothing_changes(
    repo: Path, cli: Cli
) -> None:
    before = files(repo)
    result = cli("-C", repo, "add", "devtool>=2", "--to", "core")
    assert result.code == 2
    assert "excludes devtool 1.0.0, the version uv.lock holds for every member" in result.err
    assert "apps that ship it: web" in result.err
    assert "monolock lock -P devtool" in result.err
    assert files(repo) == before


def test_a_member_is_added_with_its_workspace_source(repo: Path, cli: Cli) -> None:
    assert cli("-C", repo, "add", "core", "--to", "worker").code == 0
    data = tomllib.loads((repo / "worker/pyproject.toml").read_text())
    assert "core" in data["project"]["dependencies"]
    assert data["tool"]["uv"]["sources"]["core"] == {"workspace": True}
    graph = json.loads(cli("-C", repo, "graph", "--format", "json").out)
    assert any(e["source"] == "worker" and e["target"] == "core" for e in graph["edges"])
    assert cli("-C", repo, "lock", "--check").code == 0


def test_groups_and_extras_get_their_own_tables(repo: Path, cli: Cli) -> None:
    assert cli("-C", repo, "add", "devtool", "--to", "worker", "--group", "dev").code == 0
    assert cli("-C", repo, "add", "delta", "--to", "worker", "--extra", "fast").code == 0
    data = tomllib.loads((repo / "worker/pyproject.toml").read_text())
    assert data["dependency-groups"]["dev"] == ["devtool>=1.0.0"]
    assert data["project"]["optional-dependencies"]["fast"] == ["delta>=1.0.0"]
    exported = cli("-C", repo, "export", "worker", "--no-hashes")
    assert "devtool" not in exported.out and "delta" not in exported.out  # neither ships


def test_what_is_already_declared_changes_nothing(repo: Path, cli: Cli) -> None:
    before = files(repo)
    result = cli("-C", repo, "add", "zeta", "--to", "core")
    assert result.code == 0 and "already in [project].dependencies" in result.out
    assert files(repo) == before


def test_when_uv_fails_every_file_is_left_as_it_was(repo: Path, cli: Cli) -> None:
    before = files(repo)
    result = cli("-C", repo, "add", "no-such-distribution", "--to", "core")
    assert result.code == 2 and "uv lock" in result.err
    assert files(repo) == before


def test_a_dry_run_shows_the_change_and_writes_nothing(repo: Path, cli: Cli) -> None:
    before = files(repo)
    result = cli("-C", repo, "add", "pyyaml", "--to", "core", "--dry-run")
    assert result.code == 0, result.err
    assert '+    "pyyaml",' in result.out
    assert files(repo) == before


def test_remove_says_which_apps_lose_the_distribution(repo: Path, cli: Cli) -> None:
    assert cli("-C", repo, "add", "pyyaml", "--to", "core").code == 0
    result = cli("-C", repo, "remove", "pyyaml", "--from", "core", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["lost"] == {"pyyaml": ["web"]}
    assert "pyyaml" not in locked(repo)
    assert "# pinned on purpose" in (repo / "core/pyproject.toml").read_text()


def test_removing_a_member_drops_its_workspace_source(repo: Path, cli: Cli) -> None:
    assert cli("-C", repo, "remove", "core", "--from", "web").code == 0
    data = tomllib.loads((repo / "web/pyproject.toml").read_text())
    assert "core" not in data["project"]["dependencies"]
    assert "core" not in data.get("tool", {}).get("uv", {}).get("sources", {})
    assert cli("-C", repo, "lock", "--check").code == 0


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["remove", "pyyaml", "--from", "core"], "core does not declare it anywhere"),
        (["remove", "devtool", "--from", "web", "--group", "dev"], "there is no"),
        (["add", "alpha", "--to", "nobody"], "no member is called 'nobody'"),
        (["add", "alpha (", "--to", "core"], "is not a PEP 508 requirement"),
        (["add", "core", "--to", "core"], "cannot require itself"),
        (["add", "alpha", "--to", "core", "--group", "g", "--extra", "e"], "give one of them"),
    ],
)
def test_bad_requests_are_refused_with_nothing_changed(
    repo: Path, cli: Cli, args: list[str], said: str
) -> None:
    before = files(repo)
    result = cli("-C", repo, *args)
    assert result.code == 2 and said in result.err, result.err
    assert files(repo) == before


def test_upgrade_dry_run_names_the_apps_that_would_redeploy_and_writes_nothing(
    repo: Path, cli: Cli
) -> None:
    before = files(repo)
    result = cli("-C", repo, "upgrade", "--dry-run", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["written"] is False and data["redeploy"] == ["web"]
    assert [(c["name"], c["before"], c["after"]) for c in data["apps"]["web"]] == [
        ("devtool", ["1.0.0"], ["2.0.0"])
    ]
    assert files(repo) == before


def test_upgrade_moves_within_the_ranges_and_says_who_redeploys(repo: Path, cli: Cli) -> None:
    planned = json.loads(cli("-C", repo, "upgrade", "devtool", "--dry-run", "--format", "json").out)
    result = cli("-C", repo, "upgrade", "devtool")
    assert result.code == 0, result.err
    assert result.out.startswith("redeploy: web\nweb:\n  ~ devtool 1.0.0 -> 2.0.0")
    assert locked(repo)["devtool"] == "2.0.0"
    assert locked(repo)["alpha"] == "1.0.0"  # pinned by core's range: not moved
    again = json.loads(cli("-C", repo, "upgrade", "--dry-run", "--format", "json").out)
    assert again["redeploy"] == [] and planned["redeploy"] == ["web"]
    assert cli("-C", repo, "upgrade", "nosuch").code == 2


# --- new ----------------------------------------------------------------------------------


@pytest.fixture
def packages(make_repo: RepoFactory, cli: Cli) -> Path:
    """Members under a `packages/*` glob, all with the same dev group."""
    dev = {"dev": ["devtool==1.0.0"]}
    root = make_repo(
        {
            "packages/core": project("core", ["alpha"], groups=dev),
            "packages/web": project("web", ["core"], groups=dev, sources=WS),
        },
        globs=["packages/*"],
        apps=["web"],
    )
    assert cli("-C", root, "lock").code == 0
    return root


def test_a_new_library_is_wired_in_and_check_is_clean_on_it(packages: Path, cli: Cli) -> None:
    result = cli("-C", packages, "new", "lib", "payments")
    assert result.code == 0, result.err
    member = packages / "packages/payments"
    assert (member / "src/payments/py.typed").is_file()
    assert (member / "tests/test_payments.py").read_text().startswith("import payments\n")
    data = tomllib.loads((member / "pyproject.toml").read_text())
    assert data["project"]["requires-python"] == ">=3.11"
    assert data["dependency-groups"]["dev"] == ["devtool==1.0.0"]  # as every member has it
    listed = json.loads(cli("-C", packages, "list", "--format", "json").out)
    assert "payments" in {m["name"] for m in listed["members"]}
    checked = cli("-C", packages, "check", "--package", "payments")
    assert checked.code == 0, checked.out  # (core's own findings are core's)
    assert cli("-C", packages, "lock", "--check").code == 0


def test_a_new_app_is_added_to_members_and_apps(make_repo: RepoFactory, cli: Cli) -> None:
    root = make_repo({"core": project("core", ["alpha"])})
    assert cli("-C", root, "lock").code == 0
    result = cli("-C", root, "new", "app", "svc", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["path"] == "svc"
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert "svc" in data["tool"]["uv"]["workspace"]["members"]
    assert data["tool"]["monolock"]["apps"]["svc"] == {
        "package": "svc",
        "command": "svc",
        "smoke": "python -c 'import svc'",
    }
    manifest = tomllib.loads((root / "svc/pyproject.toml").read_text())
    assert manifest["project"]["scripts"] == {"svc": "svc.__main__:main"}
    checked = cli("-C", root, "check", "--package", "svc")
    assert checked.code == 0, checked.out


def test_a_repository_template_is_used_and_a_failed_lock_undoes_everything(
    packages: Path, cli: Cli, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    (templates / "lib/src/__module__").mkdir(parents=True)
    (templates / "lib/pyproject.toml.tmpl").write_text(
        '[project]\nname = "{{name}}"\nversion = "0.1.0"\nrequires-python = "{{python}}"\n'
        'dependencies = ["no-such-distribution"]\n'
    )
    (templates / "lib/src/__module__/__init__.py.tmpl").write_text("NAME = '{{module}}'\n")
    before = files(packages)
    failed = cli("-C", packages, "new", "lib", "ledger", "--template", templates)
    assert failed.code == 2 and "uv lock" in failed.err
    assert files(packages) == before
    assert not (packages / "packages/ledger").exists()  # nor the directories made for it
    (templates / "lib/pyproject.toml.tmpl").write_text(
        '[project]\nname = "{{name}}"\nversion = "0.1.0"\nrequires-python = "{{python}}"\n'
    )
    assert cli("-C", packages, "new", "lib", "ledger", "--template", templates).code == 0
    assert (packages / "packages/ledger/src/ledger/__init__.py").read_text() == "NAME = 'ledger'\n"
    # the repository's own, named once in the root
    shutil.copytree(templates, packages / "tools/templates")
    data = tomllib.loads((packages / "pyproject.toml").read_text())
    data["tool"]["monolock"]["templates"] = "tools/templates"
    write_toml(packages / "pyproject.toml", data)
    assert cli("-C", packages, "new", "lib", "audit-log").code == 0
    made = packages / "packages/audit-log/src/audit_log/__init__.py"
    assert made.read_text() == "NAME = 'audit_log'\n"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["new", "lib", "core"], "a member or an app called 'core' exists already"),
        (["new", "lib", "no way"], "is not a valid distribution name"),
        (["new", "lib", "x", "--path", "../x"], "a directory inside the repository"),
        (["new", "lib", "x", "--python", "three"], "not a version range"),
    ],
)
def test_a_new_member_that_cannot_be_is_refused_with_nothing_written(
    packages: Path, cli: Cli, args: list[str], said: str
) -> None:
    before = files(packages)
    result = cli("-C", packages, *args)
    assert result.code == 2 and said in result.err, result.err
    assert files(packages) == before


# --- check --fix --------------------------------------------------------------------------


@pytest.fixture
def planted(make_repo: RepoFactory, cli: Cli) -> Path:
    """One of each finding a manifest edit settles."""
    root = make_repo(
        {
            # ML103: zeta is declared, never imported
            "core": project("core", ["alpha", "zeta"], groups={"dev": ["devtool>=1"]}),
            # ML101: imports beta (locked through alpha); ML104: yaml only in a group
            "web": project("web", ["core"], groups={"dev": ["devtool>=1", "pyyaml"]}, sources=WS),
            # ML204: core without its workspace source; ML203: devtool pinned apart;
            # ML107: its tests import zeta, declared nowhere of its own
            "worker": project("worker", ["core"], groups={"dev": ["devtool>=2"]}, sources=WS),
        },
        apps=["web", "worker"],
    )
    (root / "core/src/core/__init__.py").write_text("import alpha\n")
    (root / "web/src/web/__init__.py").write_text("import beta\nimport core\nimport yaml\n")
    (root / "worker/src/worker/__init__.py").write_text("import core\n")
    (root / "worker/tests").mkdir()
    (root / "worker/tests/test_worker.py").write_text("import devtool\nimport zeta\n")
    assert cli("-C", root, "lock").code == 0
    manifest = root / "worker/pyproject.toml"  # uv locks nothing without the source
    text = manifest.read_text().replace("[tool.uv.sources.core]\nworkspace = true\n", "")
    manifest.write_text(text + "\n# the worker's own notes\n")
    return root


def _codes(cli: Cli, root: Path) -> set[str]:
    out = json.loads(cli("-C", root, "check", "--no-lock-check", "--format", "json").out)
    return {f["code"] for f in out["findings"]}


def test_check_fix_settles_every_planted_finding_and_locks_once(planted: Path, cli: Cli) -> None:
    assert _codes(cli, planted) >= {"ML101", "ML103", "ML104", "ML107", "ML203", "ML204"}
    before = files(planted)
    shown = cli("-C", planted, "check", "--diff")
    assert shown.code == 1 and "would fix" in shown.err
    assert '+    "zeta>=1.0.0",' in shown.out or '"zeta>=1.0.0"' in shown.out
    assert files(planted) == before  # --diff alone writes nothing

    fixed = cli("-C", planted, "check", "--fix")
    assert fixed.code == 0, fixed.out + fixed.err
    assert "no findings" in fixed.out
    assert _codes(cli, planted) == set()
    assert cli("-C", planted, "lock", "--check").code == 0
    core = tomllib.loads((planted / "core/pyproject.toml").read_text())
    assert core["project"]["dependencies"] == ["alpha"]
    web = tomllib.loads((planted / "web/pyproject.toml").read_text())
    assert "pyyaml" in web["project"]["dependencies"]
    assert web["dependency-groups"]["dev"] == ["devtool>=1"]
    assert any(d.startswith("beta>=") for d in web["project"]["dependencies"])
    worker_text = (planted / "worker/pyproject.toml").read_text()
    assert "# the worker's own notes" in worker_text  # comments stay
    worker = tomllib.loads(worker_text)
    assert worker["tool"]["uv"]["sources"]["core"] == {"workspace": True}
    assert worker["dependency-groups"]["dev"] == ["devtool>=1", "zeta>=1.0.0"]


# --- a Poetry repository ------------------------------------------------------------------


def test_poetry_add_writes_poetrys_dialect_and_relocks_what_went_stale(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Cli
) -> None:
    from tests.test_poetry import seed_repo

    root = seed_repo(tmp_path, poetry_index)
    assert cli("-C", root, "lock").code == 0
    before = files(root)
    refused = cli("-C", root, "add", "pyyaml<6", "--to", "core")
    assert refused.code == 2 and "api-gateway lock" in refused.err
    assert files(root) == before

    added = cli("-C", root, "add", "pyyaml", "--to", "core", "--format", "json")
    assert added.code == 0, added.err
    manifest = tomllib.loads((root / "packages/core/pyproject.toml").read_text())
    assert manifest["tool"]["poetry"]["dependencies"]["pyyaml"] == ">=6.0.1"
    # core, and what reaches core by path, relocked with Poetry: every lock fresh
    assert set(json.loads(added.out)["relocked"]) >= {"core", "api-gateway", "background-worker"}
    assert cli("-C", root, "lock", "--check").code == 0

    removed = cli("-C", root, "remove", "pyyaml", "--from", "core")
    assert removed.code == 0, removed.err
    assert "pyyaml" not in (root / "packages/core/pyproject.toml").read_text()
    assert cli("-C", root, "lock", "--check").code == 0


# --- as a review found them ---------------------------------------------------------------


def test_a_crlf_manifest_keeps_its_line_endings_whatever_happens(repo: Path, cli: Cli) -> None:
    manifest = repo / "core/pyproject.toml"
    manifest.write_bytes(manifest.read_bytes().replace(b"\n", b"\r\n"))
    before = files(repo)
    assert cli("-C", repo, "add", "pyyaml", "--to", "core", "--dry-run").code == 0
    assert cli("-C", repo, "add", "no-such-distribution", "--to", "core").code == 2
    assert files(repo) == before
    assert cli("-C", repo, "add", "pyyaml", "--to", "core").code == 0
    raw = manifest.read_bytes()
    assert b'"pyyaml>=6.0.1",\r\n' in raw and b"\n" not in raw.replace(b"\r\n", b"")


def test_a_direct_reference_is_written_as_given(repo: Path, cli: Cli, wheels: Path) -> None:
    url = (wheels / "pyyaml-6.0.1-py3-none-any.whl").as_uri()
    assert cli("-C", repo, "add", f"pyyaml @ {url}", "--to", "worker").code == 0
    assert f"pyyaml @ {url}" in (repo / "worker/pyproject.toml").read_text()


def test_a_one_line_group_with_an_include_stays_a_group(repo: Path, cli: Cli) -> None:
    manifest = repo / "worker/pyproject.toml"
    manifest.write_text(
        manifest.read_text() + '\n[dependency-groups]\ntest = ["zeta"]\n'
        'dev = [{include-group = "test"}, "pyyaml"]\n'
    )
    assert cli("-C", repo, "lock").code == 0
    assert cli("-C", repo, "add", "devtool", "--to", "worker", "--group", "dev").code == 0
    data = tomllib.loads(manifest.read_text())
    assert data["dependency-groups"]["dev"] == [
        {"include-group": "test"},
        "devtool>=1.0.0",
        "pyyaml",
    ]


def test_dev_pins_are_aligned_with_extras_and_markers_kept(
    make_repo: RepoFactory, cli: Cli
) -> None:
    odd = "delta[fast]>=1; sys_platform != 'win32'"
    root = make_repo(
        {
            "a": project("a", groups={"dev": [odd]}),
            "b": project("b", groups={"dev": ["delta==1.0.0"]}),
            "c": project("c", groups={"dev": ["delta==1.0.0"]}),
        }
    )
    assert cli("-C", root, "lock").code == 0
    fixed = cli("-C", root, "check", "--fix", "--no-lock-check")
    assert "ML203" in fixed.err
    dev = tomllib.loads((root / "a/pyproject.toml").read_text())["dependency-groups"]["dev"]
    assert dev == ['delta[fast]==1.0.0; sys_platform != "win32"']


def test_upgrade_reads_a_distribution_locked_at_two_versions() -> None:
    from monolock.authoring.upgrade import _moves
    from monolock.errors import UvError

    said = "Resolved 5 packages\nUpdate alpha v1.0.0, v2.0.0 -> v1.1.0, v2.0.0\nAdd beta v2.0.0\n"
    assert _moves(said) == {
        "alpha": ("Update", ("1.1.0", "2.0.0")),
        "beta": ("Add", ("2.0.0",)),
    }
    with pytest.raises(UvError):
        _moves("Update alpha from 1 to 2\n")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["new", "app", "web"], "a member or an app called 'web' exists already"),
        (["new", "lib", "x", "--path", ".git/x"], "a directory inside the repository"),
        (["new", "lib", "3d-tools"], "which Python cannot import"),
        (["new", "lib", "class"], "which Python cannot import"),
    ],
)
def test_new_refuses_what_would_not_be_a_member(
    repo: Path, cli: Cli, args: list[str], said: str
) -> None:
    before = files(repo)
    result = cli("-C", repo, *args)
    assert result.code == 2 and said in result.err, result.err
    assert files(repo) == before


def test_new_under_an_exclude_is_taken_back(make_repo: RepoFactory, cli: Cli) -> None:
    root = make_repo({"packages/core": project("core")}, globs=["packages/*"])
    data = tomllib.loads((root / "pyproject.toml").read_text())
    data["tool"]["uv"]["workspace"]["exclude"] = ["packages/legacy-*"]
    write_toml(root / "pyproject.toml", data)
    assert cli("-C", root, "lock").code == 0
    before = files(root)
    result = cli("-C", root, "new", "lib", "legacy-x")
    assert result.code == 2 and "not a member of the workspace" in result.err
    assert files(root) == before and not (root / "packages/legacy-x").exists()
