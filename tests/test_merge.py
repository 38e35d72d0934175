"""A conflicted uv.lock regenerated, never hand-merged: real git merges and rebases of
branches that each relocked, resolved by `monolock lock` and by the merge driver."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monolock.errors import LockError, UsageError
from monolock.merging import prefer
from monolock.merging.conflict import PENDING, has_markers, split
from monolock.merging.driver import Handed
from monolock.uv import uv_binary
from tests.conftest import RepoFactory, Run, poetry_manifest, project, uv_export, write_toml
from tests.test_crash import MONOLOCK, _env, monolock

Cli = Callable[..., Run]
WORKSPACE = {"core": {"workspace": True}}


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=check,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def core(root: Path, deps: list[str]) -> None:
    """core's manifest, one requirement per line: git merges edits at either end."""
    lines = "".join(f'    "{d}",\n' for d in deps)
    (root / "core/pyproject.toml").write_text(
        '[project]\nname = "core"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        f"dependencies = [\n{lines}]\n"
    )


def locked(root: Path) -> dict[str, str]:
    data = tomllib.loads((root / "uv.lock").read_text())
    return {p["name"]: p["version"] for p in data["package"] if "registry" in p["source"]}


def lock(cli: Cli, root: Path, *args: str) -> Run:
    result = cli("-C", root, "lock", *args)
    assert result.code == 0, result.err
    return result


@pytest.fixture
def repo(make_repo: RepoFactory, cli: Cli) -> Path:
    """Two apps over a library, locked at versions older than the newest (alpha 1.0.0,
    devtool 1.0.0): a relock that kept nothing would move them."""
    root = make_repo(
        {
            "core": project("core"),
            "api": project(
                "api", ["core", "devtool==1.0.0"], sources={"core": {"workspace": True}}
            ),
            "worker": project("worker", ["reqish"]),
        },
        apps=["api", "worker"],
    )
    core(root, ["alpha==1.0.0", "zeta"])
    lock(cli, root)
    core(root, ["alpha", "zeta"])
    write_toml(
        root / "api/pyproject.toml",
        project("api", ["core", "devtool"], sources=WORKSPACE),
    )
    lock(cli, root)
    assert locked(root)["alpha"] == "1.0.0" and locked(root)["devtool"] == "1.0.0"
    git(root, "init", "-q", "-b", "main")
    commit(root, "base")
    return root


def branch(cli: Cli, root: Path, name: str, change: Callable[[], object], *lock_args: str) -> None:
    git(root, "checkout", "-q", "-b", name, "main")
    change()
    lock(cli, root, *lock_args)
    commit(root, name)


def both_add(cli: Cli, root: Path) -> None:
    """Branch a adds delta at the start of core's list, b adds pyyaml at its end."""
    branch(cli, root, "a", lambda: core(root, ["delta", "alpha", "zeta"]))
    branch(cli, root, "b", lambda: core(root, ["alpha", "zeta", "pyyaml"]))
    git(root, "checkout", "-q", "a")


def unmerged(root: Path) -> list[str]:
    return git(root, "diff", "--name-only", "--diff-filter=U").stdout.split()


def test_a_conflicted_lock_is_regenerated_keeping_every_version_either_side_had(
    repo: Path, cli: Cli
) -> None:
    both_add(cli, repo)
    parents = [locked(repo)]
    git(repo, "checkout", "-q", "b")
    parents.append(locked(repo))
    git(repo, "checkout", "-q", "a")
    merge = git(repo, "merge", "b", check=False)
    assert merge.returncode == 1 and unmerged(repo) == ["uv.lock"]  # the manifest merged

    result = cli("-C", repo, "lock", "--format", "json")
    assert result.code == 0, result.err
    assert cli("-C", repo, "lock", "--check").code == 0
    now = locked(repo)
    assert {"delta", "pyyaml"} <= set(now)
    for name, version in now.items():
        if name not in ("delta", "pyyaml"):
            assert version in {p.get(name) for p in parents}, name
    assert now["alpha"] == "1.0.0" and now["devtool"] == "1.0.0"
    merged = json.loads(result.out)["merged"]
    assert (merged["ours"], merged["theirs"]) == ("HEAD", "b")
    api = merged["apps"]["api"]
    assert [(c["name"], c["change"]) for c in api["against_ours"]] == [("pyyaml", "added")]
    assert [(c["name"], c["change"]) for c in api["against_theirs"]] == [("delta", "added")]
    assert merged["apps"]["worker"] == {"against_ours": [], "against_theirs": []}
    assert merged["moved"] == []
    # the text report says the same, per side
    git(repo, "checkout", "--merge", "uv.lock")
    text = cli("-C", repo, "lock")
    assert text.code == 0, text.err
    assert "against ours: 1 added" in text.out and "+ pyyaml" in text.out, text.out


def test_a_merge_relock_killed_at_random_instants_is_finished_by_the_next_lock(
    repo: Path, cli: Cli, tmp_path: Path
) -> None:
    """Outside git (the markers are all there is of the two sides), killed while uv
    resolves: the file is the conflicted one, the final one, or the preferences, which
    every reader refuses and the next `lock` finishes into the same final lock."""
    both_add(cli, repo)
    git(repo, "merge", "b", check=False)
    base = tmp_path / "base"
    shutil.copytree(repo, base, ignore=shutil.ignore_patterns(".git"))
    conflicted = (base / "uv.lock").read_bytes()
    done = tmp_path / "done"
    shutil.copytree(base, done)
    started = time.monotonic()
    assert monolock("-C", done, "lock").returncode == 0
    took = time.monotonic() - started
    final = (done / "uv.lock").read_bytes()
    rng = random.Random(20)
    seen = set()
    for i in range(5):
        trial = tmp_path / f"trial-{i}"
        shutil.copytree(base, trial)
        child = subprocess.Popen(
            [*MONOLOCK, "-C", str(trial), "lock"],
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.2, took))
        os.killpg(child.pid, signal.SIGKILL)  # uv with it, as when the machine goes down
        child.wait()
        left = (trial / "uv.lock").read_bytes()
        if left.startswith(PENDING):
            seen.add("pending")
            refused = monolock("-C", trial, "export", "api")
            assert refused.returncode == 2 and "interrupted" in refused.stderr
            assert monolock("-C", trial, "lock", "--check").returncode == 1
        else:
            seen.add("final" if left == final else "conflicted")
            assert left in (conflicted, final)
        assert monolock("-C", trial, "lock").returncode == 0
        assert (trial / "uv.lock").read_bytes() == final
    assert seen  # which states the kills met varies with the machine's speed


def _install(cli: Cli, root: Path) -> None:
    result = cli("-C", root, "merge-driver", "install")
    assert result.code == 0, result.err
    commit(root, "driver")


def test_a_bump_on_one_side_is_kept_beside_the_others_addition(repo: Path, cli: Cli) -> None:
    _install(cli, repo)
    branch(cli, repo, "bump", lambda: None, "-P", "devtool")
    branch(cli, repo, "add", lambda: core(repo, ["alpha", "zeta", "pyyaml"]))
    git(repo, "checkout", "-q", "add")
    assert locked(repo)["devtool"] == "1.0.0"
    merge = git(repo, "merge", "bump", "-m", "merge")
    assert "regenerated" in merge.stderr
    now = locked(repo)
    assert now["devtool"] == "2.0.0"  # theirs, the newer of the two sides
    assert now["alpha"] == "1.0.0" and "pyyaml" in now
    assert cli("-C", repo, "lock", "--check").code == 0


def _bump_and_pin(cli: Cli, root: Path) -> None:
    """Ours bumps alpha to 2.0.0 (which needs beta 2); theirs pins beta below 2."""
    branch(cli, root, "bump", lambda: None, "-P", "alpha")
    branch(cli, root, "pin", lambda: core(root, ["alpha", "zeta", "beta<2"]))
    git(root, "checkout", "-q", "bump")
    assert locked(root)["alpha"] == "2.0.0"


def test_a_text_merge_that_leaves_a_stale_lock_is_caught_by_lock_check(
    repo: Path, cli: Cli
) -> None:
    _bump_and_pin(cli, repo)
    merge = git(repo, "merge", "pin", "-m", "merge", check=False)
    assert merge.returncode == 0, "git merged the locks as text without a conflict"
    uv = subprocess.run([uv_binary(), "lock", "--check"], cwd=repo, capture_output=True)
    assert uv.returncode == 0  # uv calls it up to date: it compares requirements only
    stale = cli("-C", repo, "lock", "--check")
    assert stale.code == 1
    assert "core requires beta<2, and uv.lock holds beta 2.0.0" in stale.out
    found = cli("-C", repo, "check", "--format", "json")
    ml201 = [f for f in json.loads(found.out)["findings"] if f["code"] == "ML201"]
    assert len(ml201) == 1 and "beta 2.0.0" in ml201[0]["message"]
    # and `lock` moves what uv alone would keep (it calls the lock satisfied)
    fixed = cli("-C", repo, "lock")
    assert fixed.code == 0 and "relocked them" in fixed.err
    assert locked(repo)["beta"] == "1.0.0"
    assert cli("-C", repo, "lock", "--check").code == 0


def test_the_newer_version_gives_way_to_the_older_where_the_merge_excludes_it(
    repo: Path, cli: Cli
) -> None:
    """The merged manifests exclude ours' alpha 2.0.0; uv alone would take 1.1.0, which
    neither side had: the driver prefers theirs' 1.0.0."""
    _install(cli, repo)
    _bump_and_pin(cli, repo)
    merge = git(repo, "merge", "pin", "-m", "merge")
    assert "regenerated" in merge.stderr
    assert (locked(repo)["alpha"], locked(repo)["beta"]) == ("1.0.0", "1.0.0")
    assert cli("-C", repo, "lock", "--check").code == 0


def test_manifests_that_cannot_be_locked_together_name_each_side_and_leave_the_file(
    repo: Path, cli: Cli
) -> None:
    branch(cli, repo, "new", lambda: core(repo, ["alpha", "zeta", "beta>=2"]))
    branch(cli, repo, "old", lambda: core(repo, ["alpha<2", "zeta"]))
    git(repo, "checkout", "-q", "new")
    assert git(repo, "merge", "old", check=False).returncode == 1
    assert unmerged(repo) == ["uv.lock"]
    conflicted = (repo / "uv.lock").read_bytes()

    result = cli("-C", repo, "lock")
    assert result.code == 2
    assert "cannot be locked together" in result.err
    assert "core requires alpha<2 (runtime; from old)" in result.err
    assert "core requires beta>=2 (runtime; from HEAD)" in result.err
    assert "zeta" not in result.err.split("uv says")[0]  # on both sides, and no cause
    assert (repo / "uv.lock").read_bytes() == conflicted


def test_sides_that_only_relocked_give_a_lock_with_every_edge(
    repo: Path, cli: Cli, wheels: Path
) -> None:
    """Neither side touched a manifest: the merged manifests are what each lock recorded,
    so uv must not find the preferences satisfied as they stand (they hold no edges)."""
    branch(cli, repo, "old", lambda: None, "-P", "alpha==1.1.0")
    branch(cli, repo, "new", lambda: None, "-P", "alpha")
    git(repo, "checkout", "-q", "old")
    assert git(repo, "merge", "new", check=False).returncode == 1
    assert cli("-C", repo, "lock").code == 0
    assert (locked(repo)["alpha"], locked(repo)["beta"]) == ("2.0.0", "2.0.0")
    exported = cli("-C", repo, "export", "api", "--no-hashes")
    assert exported.code == 0
    pins = {line.split(";")[0].strip() for line in exported.out.splitlines() if "==" in line}
    assert pins == {f"{n}=={v}" for n, v in uv_export(repo, "api").items()}
    assert "alpha==2.0.0" in pins


def test_without_markers_the_sides_are_named_as_git_names_them(repo: Path, cli: Cli) -> None:
    both_add(cli, repo)
    git(repo, "merge", "b", check=False)
    git(repo, "checkout", "--ours", "uv.lock")  # no markers: git's index holds the sides
    merged = json.loads(cli("-C", repo, "lock", "--format", "json").out)["merged"]
    assert (merged["ours"], merged["theirs"]) == ("HEAD", "b")
    assert [c["name"] for c in merged["apps"]["api"]["against_ours"]] == ["pyyaml"]


def test_an_override_is_not_taken_for_a_merge_left_behind(make_repo: RepoFactory, cli: Cli) -> None:
    root = make_repo(
        {"core": project("core", ["alpha", "beta<2"])},
        root={"tool": {"uv": {"override-dependencies": ["beta>=2"]}}},
    )
    lock(cli, root)
    assert locked(root)["beta"] == "2.0.0"
    assert cli("-C", root, "lock", "--check").code == 0


def test_check_and_lock_check_say_to_regenerate_a_conflicted_lock(repo: Path, cli: Cli) -> None:
    both_add(cli, repo)
    git(repo, "merge", "b", check=False)
    stale = cli("-C", repo, "lock", "--check")
    assert stale.code == 1
    assert "conflict markers in uv.lock: run `monolock lock`" in stale.out
    found = cli("-C", repo, "check", "--format", "json")
    assert found.code == 1, found.err
    ml201 = [f for f in json.loads(found.out)["findings"] if f["code"] == "ML201"]
    assert len(ml201) == 1 and "conflict markers" in ml201[0]["message"]


def test_markers_alone_are_enough_outside_git(repo: Path, cli: Cli, tmp_path: Path) -> None:
    """A lock whose markers outlived the merge (copied, committed): split at them."""
    both_add(cli, repo)
    git(repo, "merge", "b", check=False)
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy, ignore=shutil.ignore_patterns(".git"))
    assert has_markers((copy / "uv.lock").read_bytes())
    assert cli("-C", copy, "lock").code == 0
    assert cli("-C", copy, "lock", "--check").code == 0
    assert {"delta", "pyyaml"} <= set(locked(copy))
    assert locked(copy)["alpha"] == "1.0.0"


def test_with_the_driver_a_merge_completes_and_the_lock_is_what_lock_would_write(
    repo: Path, cli: Cli, tmp_path: Path
) -> None:
    # git runs the driver at the top of the work tree: a module there named as monolock
    # (or as anything it imports) must not run in its place
    (repo / "monolock.py").write_text("raise SystemExit('a module of the repository ran')\n")
    _install(cli, repo)
    both_add(cli, repo)
    by_hand = tmp_path / "by-hand"
    shutil.copytree(repo, by_hand)
    git(by_hand, "config", "--remove-section", "merge.monolock")  # git merges it as text
    assert git(by_hand, "merge", "b", check=False).returncode == 1
    assert cli("-C", by_hand, "lock").code == 0

    merge = git(repo, "merge", "b", "-m", "merge b")
    assert "regenerated from the merged manifests" in merge.stderr
    assert unmerged(repo) == [] and not has_markers((repo / "uv.lock").read_bytes())
    assert cli("-C", repo, "lock", "--check").code == 0
    assert (repo / "uv.lock").read_bytes() == (by_hand / "uv.lock").read_bytes()


def test_a_rebase_through_the_driver_regenerates_each_pick(repo: Path, cli: Cli) -> None:
    _install(cli, repo)
    both_add(cli, repo)
    git(repo, "checkout", "-q", "b")
    rebase = git(repo, "rebase", "a", check=False)
    assert rebase.returncode == 0, rebase.stderr
    assert cli("-C", repo, "lock", "--check").code == 0
    assert {"delta", "pyyaml"} <= set(locked(repo)) and locked(repo)["alpha"] == "1.0.0"
    assert git(repo, "status", "--porcelain").stdout == ""


def test_the_driver_regenerates_a_workspace_below_the_top_of_the_repository(
    repo: Path, cli: Cli, tmp_path: Path
) -> None:
    top = tmp_path.parent / f"{tmp_path.name}-top"
    root = top / "python"
    shutil.copytree(repo, root, ignore=shutil.ignore_patterns(".git"))
    (top / "README").write_text("the Python part lives below\n")
    git(top, "init", "-q", "-b", "main")
    _install(cli, root)
    assert (root / ".gitattributes").read_text() == "/uv.lock merge=monolock\n"
    both_add(cli, root)
    merge = git(root, "merge", "b", "-m", "merge b")
    assert "python/uv.lock regenerated" in merge.stderr
    assert cli("-C", root, "lock", "--check").code == 0
    assert {"delta", "pyyaml"} <= set(locked(root)) and locked(root)["alpha"] == "1.0.0"


def test_the_driver_leaves_a_conflict_when_the_manifests_conflict_too(repo: Path, cli: Cli) -> None:
    _install(cli, repo)
    branch(cli, repo, "x", lambda: core(repo, ["alpha<2", "zeta"]))
    branch(cli, repo, "y", lambda: core(repo, ["alpha>=1", "zeta"]))
    merge = git(repo, "merge", "x", check=False)
    assert merge.returncode == 1
    assert "core/pyproject.toml conflict as well" in merge.stderr
    assert set(unmerged(repo)) == {"core/pyproject.toml", "uv.lock"}
    text = (repo / "uv.lock").read_text()  # git's own text merge, labelled as git labels
    assert "<<<<<<< HEAD\n" in text and ">>>>>>> x\n" in text
    core(repo, ["alpha>=1,<2", "zeta"])  # the user resolves the manifest, then relocks
    assert cli("-C", repo, "lock").code == 0
    assert cli("-C", repo, "lock", "--check").code == 0


def test_install_is_idempotent_and_uninstall_leaves_the_rest(repo: Path, cli: Cli) -> None:
    attributes = repo / ".gitattributes"
    attributes.write_text("*.png binary\n")
    for _ in range(2):
        assert cli("-C", repo, "merge-driver", "install").code == 0
    assert attributes.read_text() == "*.png binary\n/uv.lock merge=monolock\n"
    again = cli("-C", repo, "merge-driver", "install", "--format", "json")
    assert json.loads(again.out)["changed"] is False
    driver = git(repo, "config", "--get", "merge.monolock.driver").stdout
    assert driver.endswith("-P -m monolock merge-driver run %O %A %B %L %P\n")
    assert cli("-C", repo, "merge-driver", "install", "--uninstall").code == 0
    assert attributes.read_text() == "*.png binary\n"
    assert git(repo, "config", "--get", "merge.monolock.driver", check=False).returncode == 1
    attributes.unlink()
    cli("-C", repo, "merge-driver", "install")
    assert cli("-C", repo, "merge-driver", "install", "--uninstall").code == 0
    assert not attributes.exists()  # monolock made it, and only its line was in it


def test_install_outside_git_is_refused(make_repo: RepoFactory, cli: Cli) -> None:
    root = make_repo({"core": project("core")})
    result = cli("-C", root, "merge-driver", "install")
    assert result.code == 2 and "not inside a git repository" in result.err
    assert not (root / ".gitattributes").exists()


# the two readers, on their own


def _conflict(shared: list[str], ours: list[str], theirs: list[str], base: bool) -> bytes:
    middle = ["||||||| base\n", "old\n"] if base else []
    text = [shared[0], "<<<<<<< HEAD\n", *ours, *middle, "=======\n", *theirs, ">>>>>>> b\n"]
    return "".join(text + shared[1:]).encode()


_LINES = st.lists(st.from_regex(r"[a-z =\"\[\]{}]{0,12}\n", fullmatch=True), max_size=5)


@given(_LINES.filter(bool), _LINES, _LINES, st.booleans())
def test_split_returns_each_side_whole(
    shared: list[str], ours: list[str], theirs: list[str], base: bool
) -> None:
    sides = split(_conflict(shared, ours, theirs, base))
    assert sides.ours == "".join([shared[0], *ours, *shared[1:]]).encode()
    assert sides.theirs == "".join([shared[0], *theirs, *shared[1:]]).encode()
    assert (sides.ours_label, sides.theirs_label) == ("HEAD", "b")


@pytest.mark.parametrize(
    "raw",
    [b"a\n<<<<<<< HEAD\nx\n", b"a\n=======\nb\n", b"<<<<<<< HEAD\n<<<<<<< HEAD\n"],
)
def test_markers_that_do_not_pair_up_are_an_error_naming_the_file(raw: bytes) -> None:
    with pytest.raises(LockError) as caught:
        split(raw)
    assert caught.value.where == "uv.lock"


def test_a_driver_registered_before_it_took_the_marker_size_still_runs() -> None:
    handed = Handed.of(["%O", "%A", "%B", "uv.lock"])
    assert (handed.marker_size, handed.name) == (7, "uv.lock")
    assert Handed.of(["%O", "%A", "%B", "9", "sub/uv.lock"]).marker_size == 9
    with pytest.raises(UsageError):
        Handed.of(["%O", "%A", "uv.lock"])


def test_a_lone_separator_line_is_no_conflict() -> None:
    assert not has_markers(b'text = """\n=======\n"""\n')
    assert has_markers(b"a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> x\n")


def test_the_preference_lock_takes_the_newer_side_without_edges() -> None:
    def side(alpha: str, beta: str) -> dict[str, object]:
        return {
            "version": 1,
            "package": [
                {
                    "name": "alpha",
                    "version": alpha,
                    "source": {"registry": "x"},
                    "dependencies": [{"name": "beta"}],
                },
                {"name": "beta", "version": beta, "source": {"registry": "x"}},
                {
                    "name": "core",
                    "version": "0.1.0",
                    "source": {"editable": "core"},
                    "dependencies": [{"name": "alpha"}],
                },
            ],
        }

    ours, theirs = side("1.10.0", "2.0.0"), side("1.9.0", "3.0.0")
    chosen = tomllib.loads(prefer.preferred(ours, theirs).decode())
    assert prefer.versions(chosen) == {"alpha": ("1.10.0",), "beta": ("3.0.0",)}
    assert not any("dependencies" in p for p in chosen["package"])
    flipped = tomllib.loads(prefer.preferred(ours, theirs, older={"beta"}).decode())
    assert prefer.versions(flipped)["beta"] == ("2.0.0",)


def test_a_conflicted_poetry_lock_is_relocked_keeping_both_sides_versions(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Cli
) -> None:
    svc = tmp_path / "packages/svc"

    def manifest(deps: dict[str, str]) -> None:
        write_toml(svc / "pyproject.toml", poetry_manifest("svc", deps, index=poetry_index))

    def relock(*poetry: str) -> None:
        if poetry:
            subprocess.run([poetry_env, *poetry], cwd=svc, check=True, capture_output=True)
        assert cli("-C", tmp_path, "lock").code == 0
        commit(tmp_path, "lock")

    (svc / "svc").mkdir(parents=True)
    (svc / "svc/__init__.py").write_text("")
    manifest({"alpha": "1.0.0", "devtool": "1.0.0", "zeta": "*"})
    assert cli("-C", tmp_path, "lock").code == 0
    manifest({"alpha": "*", "devtool": "*", "zeta": "*"})  # the lock keeps both at 1.0.0
    git(tmp_path, "init", "-q", "-b", "main")
    relock()
    git(tmp_path, "checkout", "-q", "-b", "a")
    manifest({"delta": "*", "alpha": "*", "devtool": "*", "zeta": "*"})
    relock()
    git(tmp_path, "checkout", "-q", "-b", "b", "main")
    manifest({"alpha": "*", "devtool": "*", "zeta": "*", "pyyaml": "*"})
    relock("update", "devtool")  # and b moves devtool to its newest
    assert _poetry_locked(svc)["devtool"] == "2.0.0"
    git(tmp_path, "checkout", "-q", "a")
    assert git(tmp_path, "merge", "b", check=False).returncode == 1
    assert unmerged(tmp_path) == ["packages/svc/poetry.lock"]

    stale = cli("-C", tmp_path, "lock", "--check")
    assert stale.code == 1 and "conflicted svc" in stale.out
    result = cli("-C", tmp_path, "lock")
    assert result.code == 0, result.err
    now = _poetry_locked(svc)
    assert {"delta", "pyyaml"} <= set(now)
    assert now["devtool"] == "2.0.0"  # b's newer version
    assert now["alpha"] == "1.0.0"  # neither side moved it; Poetry alone would take 2.0.0
    assert cli("-C", tmp_path, "lock", "--check").code == 0


def _poetry_locked(package: Path) -> dict[str, str]:
    data = tomllib.loads((package / "poetry.lock").read_text())
    return {p["name"]: p["version"] for p in data["package"]}


_TEXT = st.text(st.characters(codec="utf-8"), max_size=8)
_VALUE = st.recursive(
    st.one_of(_TEXT, st.integers(), st.booleans()),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(_TEXT.filter(bool), inner, max_size=3)
    ),
    max_leaves=12,
)
_TABLE = st.dictionaries(_TEXT.filter(bool), _VALUE, max_size=4)


@given(_TABLE, st.lists(_TABLE.filter(bool), max_size=3))
def test_the_preference_writer_round_trips_what_toml_reads(
    top: dict[str, object], packages: list[dict[str, object]]
) -> None:
    document = {**top, "package": packages}
    assert tomllib.loads(prefer.dumps(document)) == document


def test_the_preference_writer_round_trips_the_example_lock() -> None:
    data = tomllib.loads((Path(__file__).parent.parent / "examples/shop/uv.lock").read_text())
    assert tomllib.loads(prefer.dumps(data)) == data
