"""kill -9 and a second writer: after either, a repository is exactly as before or exactly
as after, and the next monolock command completes what was interrupted."""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import RepoFactory, Run, project
from tests.test_trust import BASE, snapshot

MONOLOCK = [sys.executable, "-m", "monolock"]

# A child that kills itself (SIGKILL: nothing runs after it) at the N-th file system step
# of a multi-file write: every os.replace, os.unlink and os.fsync inside journal.commit
# counts. N = 0 never kills; the child then says how many steps there were. It runs a
# monolock command ("cli ARGS") or writes four files of a workspace itself ("write ROOT").
_CHILD = """
import os, signal, sys
from pathlib import Path
from monolock import journal

target, mode, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
count, armed = [0], [False]

def hooked(function):
    def step(*a, **k):
        if armed[0]:
            count[0] += 1
            if count[0] == target:
                os.kill(os.getpid(), signal.SIGKILL)
        return function(*a, **k)
    return step

for name in ("replace", "unlink", "fsync"):
    setattr(os, name, hooked(getattr(os, name)))
commit = journal.commit

def counted(*a, **k):
    armed[0] = True
    try:
        return commit(*a, **k)
    finally:
        armed[0] = False
        print(f"steps={count[0]}", file=sys.stderr)

journal.commit = counted
if mode == "cli":
    from monolock.cli.main import main
    main(args)
else:
    root = Path(args[0])
    def bumped(path):
        return (root / path).read_bytes().replace(b'version = "0.1.0"', b'version = "0.2.0"')
    journal.commit(root, "test write", [
        journal.Change("packages/core/pyproject.toml", bumped("packages/core/pyproject.toml")),
        journal.Change("packages/api/pyproject.toml", bumped("packages/api/pyproject.toml")),
        journal.Change("packages/new/README.md", b"a new file in a new directory\\n"),
        journal.Change("packages/api/src/api/__init__.py", None),
    ])
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return env


def killed_at(step: int, mode: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CHILD, str(step), mode, *map(str, args)],
        capture_output=True,
        text=True,
        env=_env(),
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def steps(child: subprocess.CompletedProcess[str]) -> int:
    return int(child.stderr.rsplit("steps=", 1)[1].split()[0])


def monolock(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MONOLOCK, *map(str, argv)],
        capture_output=True,
        text=True,
        env=_env(),
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def no_state_left(root: Path) -> None:
    assert not (root / ".monolock").exists()
    assert not (root / ".git" / "monolock").exists()
    assert not list(root.rglob("*.tmp"))


def every_kill(
    tmp_path: Path,
    base: Path,
    mode: str,
    *args: str,
    pick: Callable[[int], list[int]] = lambda n: list(range(1, n + 1)),
) -> set[str]:
    """Kill a copy of `base` at each step (or those `pick` chooses of them), then let
    `monolock list` recover it: it must be exactly as before or exactly as after. Which
    did it become?"""
    before = snapshot(base)
    done = tmp_path / "done"
    shutil.copytree(base, done)
    full = killed_at(0, mode, *[a.replace("{root}", str(done)) for a in args])
    assert full.returncode == 0, full.stderr
    after = snapshot(done)
    assert after != before
    no_state_left(done)
    seen = set()
    for step in pick(steps(full)):
        trial = tmp_path / f"trial-{step}"
        shutil.copytree(base, trial)
        child = killed_at(step, mode, *[a.replace("{root}", str(trial)) for a in args])
        assert child.returncode == -signal.SIGKILL, child.stderr
        recovered = monolock("-C", trial, "list", "--format", "names")
        assert recovered.returncode == 0, recovered.stderr
        state = snapshot(trial)
        assert state in (before, after), f"torn tree after a kill at step {step}"
        no_state_left(trial)
        seen.add("after" if state == after else "before")
        if (trial / ".monolock").exists() or (trial / ".git/monolock").exists():
            pytest.fail("recovery left its state behind")
        assert "monolock: " in recovered.stderr or state == before  # said what it did
    return seen


# --- the journal, at every step of a write ------------------------------------------------


@pytest.mark.parametrize("with_git", [False, True], ids=["plain", "git"])
def test_a_write_killed_at_any_step_is_completed_by_the_next_command(
    tmp_path: Path, with_git: bool
) -> None:
    base = tmp_path / "base"
    shutil.copytree(BASE, base)
    if with_git:
        subprocess.run(["git", "init", "-q"], cwd=base, check=True)
    # kills land on both sides of the commit point: before it the write never happened,
    # after it the next command completes it
    assert every_kill(tmp_path, base, "write", "{root}") == {"before", "after"}


# --- init --from-poetry, killed while it writes -----------------------------------------------


def test_init_from_poetry_killed_while_writing_is_all_or_nothing(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    from tests.test_poetry import seed_repo

    base = seed_repo(tmp_path / "base", poetry_index)
    assert cli("-C", base, "lock").code == 0  # a poetry.lock per package
    dry = killed_at(0, "cli", "-C", str(base), "init", "--from-poetry", "--dry-run")
    assert dry.returncode == 0 and "steps=" not in dry.stderr  # a dry run writes nothing

    def around_the_commit(n: int) -> list[int]:
        # each trial resolves with uv again: the first writes, the middle, the last ones
        return sorted({1, 2, n // 2, n - 2, n - 1, n})

    seen = every_kill(
        tmp_path, base, "cli", "-C", "{root}", "init", "--from-poetry", pick=around_the_commit
    )
    assert seen == {"before", "after"}


def test_init_killed_at_random_instants(
    tmp_path: Path, poetry_index: str, poetry_env: str, cli: Callable[..., Run]
) -> None:
    from tests.test_poetry import seed_repo

    base = seed_repo(tmp_path / "base", poetry_index)
    assert cli("-C", base, "lock").code == 0
    before = snapshot(base)
    done = tmp_path / "done"
    shutil.copytree(base, done)
    started = time.monotonic()
    assert monolock("-C", done, "init", "--from-poetry").returncode == 0
    took = time.monotonic() - started
    after = snapshot(done)
    rng = random.Random(13)
    for i in range(4):
        trial = tmp_path / f"trial-{i}"
        shutil.copytree(base, trial)
        child = subprocess.Popen(
            [*MONOLOCK, "-C", str(trial), "init", "--from-poetry"],
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.1, took))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert monolock("-C", trial, "list").returncode == 0
        assert snapshot(trial) in (before, after)
        no_state_left(trial)


# --- lock, killed while uv resolves -----------------------------------------------------------


def test_lock_killed_at_random_instants_leaves_the_old_lock_or_the_new(
    make_repo: RepoFactory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = make_repo(
        {"packages/a": project("a", ["alpha>=1"]), "packages/b": project("b", ["beta"])},
        globs=["packages/*"],
    )
    assert monolock("-C", root, "lock").returncode == 0
    manifest = root / "packages/b/pyproject.toml"
    manifest.write_text(manifest.read_text().replace('"beta"', '"beta", "gamma"'))
    before = snapshot(root)
    done = tmp_path_factory.mktemp("done") / "repo"
    shutil.copytree(root, done)
    started = time.monotonic()
    assert monolock("-C", done, "lock").returncode == 0
    took = time.monotonic() - started
    new_lock = (done / "uv.lock").read_bytes()
    rng = random.Random(7)
    for i in range(6):
        trial = tmp_path_factory.mktemp(f"lock-{i}") / "repo"
        shutil.copytree(root, trial)
        child = subprocess.Popen(
            [*MONOLOCK, "-C", str(trial), "lock"],
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, took))
        child.send_signal(signal.SIGKILL)
        child.wait()
        state = snapshot(trial)
        assert state["uv.lock"] in (before["uv.lock"], new_lock)
        assert {k: v for k, v in state.items() if k != "uv.lock"} == {
            k: v for k, v in before.items() if k != "uv.lock"
        }  # no temporary file, nothing else touched


# --- a second writer waits --------------------------------------------------------------------


def test_a_second_writer_waits_for_the_first(make_repo: RepoFactory) -> None:
    root = make_repo({"packages/a": project("a", ["alpha>=1"])}, globs=["packages/*"])
    holder = os.open(root, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another monolock, busy writing this repository
    try:
        second = subprocess.Popen(
            [*MONOLOCK, "-C", str(root), "lock"],
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert second.stderr is not None
        waiting = ""
        deadline = time.monotonic() + 60
        while "waiting for another monolock" not in waiting and time.monotonic() < deadline:
            waiting += second.stderr.readline()
        assert f"waiting for another monolock process writing in {root}" in waiting
        time.sleep(0.5)
        assert second.poll() is None  # still waiting: it has not touched uv.lock
        assert not (root / "uv.lock").exists()
    finally:
        os.close(holder)  # the first one is done
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert (root / "uv.lock").is_file()


# --- a journal is untrusted input -------------------------------------------------------------


def _planted(root: Path, entries: list[dict[str, object]]) -> Path:
    state = root / ".monolock"
    state.mkdir()
    journal = {"format": 1, "command": "init --from-poetry", "entries": entries}
    (state / "journal.json").write_text(json.dumps(journal))
    return state


@pytest.mark.parametrize(
    ("label", "entry"),
    [
        ("outside", {"path": "../outside.txt", "old": None, "mode": 420}),
        ("absolute", {"path": "/tmp/pwned.txt", "old": None, "mode": 420}),
        ("into-git", {"path": ".git/config", "old": None, "mode": 420}),
        ("not-a-table", 5),
        ("mode-is-text", {"path": "x.txt", "old": None, "mode": "rw"}),
        ("old-not-base64", {"path": "x.txt", "old": "!!!", "mode": 420}),
        # a file that no longer holds its old content is never overwritten
        ("changed-since", {"path": "packages/core/pyproject.toml", "old": "", "mode": 420}),
    ],
)
def test_a_foreign_or_damaged_journal_is_refused_and_nothing_changes(
    tmp_path: Path, label: str, entry: object
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    _planted(root, [entry])  # type: ignore[list-item]
    outside = tmp_path / "outside.txt"
    outside.write_text("mine")
    before = snapshot(root)
    result = monolock("-C", root, "list")
    assert result.returncode == 2, result.stderr
    assert "was not written by this monolock, or no longer matches" in result.stderr
    assert snapshot(root) == before and outside.read_text() == "mine"


def test_a_directory_of_the_same_name_is_not_monolocks_to_remove(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    (root / ".monolock").mkdir()
    (root / ".monolock/notes.txt").write_text("mine")
    assert monolock("-C", root, "list").returncode == 0
    assert (root / ".monolock/notes.txt").read_text() == "mine"
