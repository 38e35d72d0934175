"""The shared lock, end to end with the real uv against the fake wheelhouse."""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from monolock.lockfile import read_lock
from monolock.projection import project
from monolock.uv import uv_binary
from tests.conftest import SHOP, RepoFactory, Run, uv_export, write_toml
from tests.conftest import project as manifest

WS = {"lib": {"workspace": True}, "tools": {"workspace": True}}


def sample(make_repo: RepoFactory) -> Path:
    return make_repo(
        {
            "packages/lib": manifest("lib", ["alpha>=1,<2", "oldpy"], sources=WS),
            "packages/tools": manifest("tools", ["pyyaml"], optional={"speed": ["delta[fast]"]}),
            "packages/web": manifest(
                "web",
                ["lib", "tools[speed]", "pillow"],
                groups={"dev": ["devtool==1.0.0"]},
                sources=WS,
            ),
            "packages/worker": manifest("worker", ["lib", "devtool"], sources=WS),
        },
        globs=["packages/*"],
        apps=["web", "worker"],
    )


def test_lock_then_projection_equals_uv_export(
    make_repo: RepoFactory, cli: Callable[..., Run]
) -> None:
    root = sample(make_repo)
    result = cli("-C", root, "lock")
    assert result.code == 0, result.err
    assert "created uv.lock" in result.out
    lock = read_lock(root / "uv.lock")
    for member in ("lib", "tools", "web", "worker"):
        mine = {p.name: p.version for p in project(lock, member).third_party}
        assert mine == uv_export(root, member), member
    web = project(lock, "web")
    assert [p.name for p in web.local] == ["lib", "tools", "web"]
    names = {p.name for p in web.third_party}
    assert {"delta", "epsilon", "pyyaml", "pillow", "alpha", "beta"} <= names  # extras followed
    assert "devtool" not in names  # a dev group does not ship
    assert "zeta" not in names  # its marker contradicts requires-python
    markers = {p.name: p.marker for p in web.third_party}
    assert markers["gamma"] == "sys_platform == 'win32'"
    assert markers["beta"] is None


def test_lock_reports_what_changed_per_app(make_repo: RepoFactory, cli: Callable[..., Run]) -> None:
    root = sample(make_repo)
    assert cli("-C", root, "lock").code == 0
    write_toml(
        root / "packages/lib/pyproject.toml", manifest("lib", ["alpha>=2", "oldpy"], sources=WS)
    )
    result = cli("-C", root, "lock", "--format", "json")
    assert result.code == 0, result.err
    import json

    apps = json.loads(result.out)["apps"]
    assert {
        (c["name"], c["change"], tuple(c["before"]), tuple(c["after"])) for c in apps["web"]
    } == {
        ("alpha", "changed", ("1.1.0",), ("2.0.0",)),
        ("beta", "changed", ("1.0.0",), ("2.0.0",)),
    }
    assert {c["name"] for c in apps["worker"]} == {"alpha", "beta"}


def test_lock_check_and_stale(make_repo: RepoFactory, cli: Callable[..., Run]) -> None:
    root = sample(make_repo)
    assert cli("-C", root, "lock", "--check").code == 1  # no lock yet
    assert cli("-C", root, "lock").code == 0
    fresh = cli("-C", root, "lock", "--check")
    assert (fresh.code, fresh.out.strip()) == (0, "uv.lock is up to date")
    write_toml(
        root / "packages/worker/pyproject.toml", manifest("worker", ["lib", "gamma"], sources=WS)
    )
    stale = cli("-C", root, "lock", "--check")
    assert stale.code == 1 and "stale" in stale.out


def test_failed_lock_leaves_the_lockfile_untouched(
    make_repo: RepoFactory, cli: Callable[..., Run]
) -> None:
    root = sample(make_repo)
    assert cli("-C", root, "lock").code == 0
    before = (root / "uv.lock").read_bytes()
    write_toml(
        root / "packages/worker/pyproject.toml", manifest("worker", ["lib", "alpha>=9"], sources=WS)
    )
    result = cli("-C", root, "lock")
    assert result.code == 2
    assert "error: `uv lock` failed" in result.err and "alpha" in result.err
    assert "Traceback" not in result.err
    assert (root / "uv.lock").read_bytes() == before


def test_upgrade_package_passes_through(make_repo: RepoFactory, cli: Callable[..., Run]) -> None:
    root = make_repo({"p/a": manifest("a", ["devtool"])}, apps=["a"])
    (root / "uv.lock").unlink(missing_ok=True)
    assert cli("-C", root, "lock", "--", "--upgrade-package", "devtool").code == 0
    assert {p.name: p.version for p in project(read_lock(root / "uv.lock"), "a").third_party} == {
        "devtool": "2.0.0"
    }


def test_export_requirements_installs_with_hash_checking(
    make_repo: RepoFactory,
    cli: Callable[..., Run],
    wheels: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root = sample(make_repo)
    assert cli("-C", root, "lock").code == 0
    out = root / "web.txt"
    result = cli("-C", root, "export", "web", "-o", out)
    assert result.code == 0, result.err
    text = out.read_text()
    assert "# internal packages (install their wheels with --no-deps): lib, tools, web" in text
    assert "--hash=sha256:" in text and "packages/" not in text
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([uv_binary(), "venv", "-q", str(venv)], check=True)
    install = subprocess.run(
        [
            uv_binary(),
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin" / "python"),
            "--no-index",
            "--find-links",
            str(wheels),
            "--require-hashes",
            "--no-deps",
            "-r",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    frozen = subprocess.run(
        [uv_binary(), "pip", "freeze", "--python", str(venv / "bin" / "python")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(frozen) == sorted(
        f"{k}=={v}" for k, v in uv_export(root, "web").items() if k != "gamma"
    )


def test_export_pylock_is_valid_toml_with_the_same_set(
    make_repo: RepoFactory, cli: Callable[..., Run]
) -> None:
    root = sample(make_repo)
    assert cli("-C", root, "lock").code == 0
    result = cli("-C", root, "export", "worker", "--format", "pylock")
    data = tomllib.loads(result.out)
    assert data["lock-version"] == "1.0"
    assert {p["name"]: p["version"] for p in data["packages"]} == uv_export(root, "worker")
    assert all(w["hashes"]["sha256"] for p in data["packages"] for w in p["wheels"])
    assert data["tool"]["monolock"]["internal"] == ["lib", "worker"]


def test_why_lists_every_path(make_repo: RepoFactory, cli: Callable[..., Run]) -> None:
    root = sample(make_repo)
    assert cli("-C", root, "lock").code == 0
    result = cli("-C", root, "why", "beta")
    assert result.code == 0, result.err
    assert "web -> lib -> alpha -> beta" in result.out
    assert "worker -> lib -> alpha -> beta" in result.out
    epsilon = cli("-C", root, "why", "epsilon", "--format", "json")
    import json

    members = {m["member"]: m["paths"] for m in json.loads(epsilon.out)["members"]}
    assert members["web"] == [["web", "tools", "delta", "epsilon"]]
    assert "worker" not in members
    missing = cli("-C", root, "why", "nothing-like-this")
    assert missing.code == 2 and "not in uv.lock" in missing.err


def test_lock_says_unchanged_when_the_file_is_byte_identical(
    make_repo: RepoFactory, cli: Callable[..., Run]
) -> None:
    root = sample(make_repo)
    first = cli("-C", root, "lock")
    assert first.code == 0 and "created uv.lock" in first.out
    before = (root / "uv.lock").read_bytes()
    again = cli("-C", root, "lock")
    assert again.code == 0 and "uv.lock unchanged" in again.out
    assert (root / "uv.lock").read_bytes() == before
    import json

    assert json.loads(cli("-C", root, "lock", "--format", "json").out)["unchanged"] is True


def test_export_o_replaces_an_earlier_export_only(
    make_repo: RepoFactory, cli: Callable[..., Run], tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = sample(make_repo)
    assert cli("-C", root, "lock").code == 0
    out = tmp_path_factory.mktemp("exports") / "web.txt"
    assert cli("-C", root, "export", "web", "-o", out).code == 0
    first = out.read_text()
    assert first.startswith("# monolock export web")
    pylock = cli("-C", root, "export", "web", "--format", "pylock", "-o", out)
    assert pylock.code == 0 and out.read_text().startswith("# monolock export web --format")
    out.write_text("flask==3.0\n")  # a file a person wrote
    refused = cli("-C", root, "export", "web", "-o", out)
    assert refused.code == 2 and "not written by monolock" in refused.err
    assert out.read_text() == "flask==3.0\n"


def test_a_git_dependency_in_a_subdirectory_is_exported_as_uv_exports_it(
    make_repo: RepoFactory, cli: Callable[..., Run], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A project inside a git repository (`#subdirectory=`): without it, an install
    would build the repository's root instead."""
    upstream = tmp_path_factory.mktemp("upstream")
    write_toml(
        upstream / "libs/gitdep/pyproject.toml",
        {
            **manifest("gitdep", []),
            "build-system": {"requires": ["uv_build>=0.8"], "build-backend": "uv_build"},
        },
    )
    (upstream / "libs/gitdep/src/gitdep").mkdir(parents=True)
    (upstream / "libs/gitdep/src/gitdep/__init__.py").write_text("")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=upstream, check=True)
    subprocess.run([*git, "add", "-A"], cwd=upstream, check=True)
    subprocess.run([*git, "commit", "-qm", "one"], cwd=upstream, check=True)
    url = f"git+{upstream.as_uri()}@main#subdirectory=libs/gitdep"
    root = make_repo({"web": manifest("web", [f"gitdep @ {url}"])})
    locked = cli("-C", root, "lock")
    assert locked.code == 0, locked.err
    theirs = subprocess.run(
        [uv_binary(), "export", "--package", "web", "--frozen", "--no-hashes", "--no-header"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = next(line for line in theirs.splitlines() if line.startswith("gitdep"))
    assert expected.endswith("#subdirectory=libs/gitdep")
    mine = cli("-C", root, "export", "web", "--no-hashes").out.splitlines()
    assert expected.split(" ;")[0] in [line.split(" ;")[0] for line in mine]
    pylock = tomllib.loads(cli("-C", root, "export", "web", "--format", "pylock").out)
    vcs = next(p["vcs"] for p in pylock["packages"] if p["name"] == "gitdep")
    assert vcs["subdirectory"] == "libs/gitdep" and vcs["url"] == upstream.as_uri()


def _reaches_equal_projections(lock_path: Path) -> int:
    """Every member, with and without its extras and groups, every third-party name as a
    target: what the shared bottom-up walk says is what `project` says. Returns the
    number of comparisons."""
    from monolock.projection import Reaches

    lock = read_lock(lock_path)
    names = sorted({p.name for p in lock.packages if not p.source.is_local})
    compared = 0
    for size in (1, 3, len(names)):
        for start in range(0, len(names), max(size, 1)):
            targets = set(names[start : start + size])
            reaches = Reaches(lock, targets)
            assert reaches.exact
            for member in lock.members:
                root = lock.member(member)
                assert root is not None
                for extras, groups in (((), ()), (tuple(root.optional), tuple(root.groups))):
                    want = project(lock, member, extras=extras, groups=groups).held(targets)
                    got = reaches.signature(member, extras=extras, groups=groups)
                    assert got == want, (member, targets)
                    compared += 1
    return compared


def test_shared_reaches_equal_each_members_projection(
    make_repo: RepoFactory, cli: Callable[..., Run]
) -> None:
    """`affected` answers from one walk shared by all members: it must say, for the
    distributions it asks about, exactly what each member's projection says."""
    root = sample(make_repo)
    assert cli("-C", root, "lock").code == 0
    assert _reaches_equal_projections(root / "uv.lock") > 20
    assert _reaches_equal_projections(SHOP / "uv.lock") > 20  # real markers, real extras
