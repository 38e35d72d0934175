"""Read-only answers replayed while nothing they were computed from changed: the real
command line, run as a user runs it, twice; every kind of input changed in between."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHOP, aged, project, write_toml

# a second interpreter in which any module of monolock beyond the replay refuses to load:
# what it answers was replayed, not computed
_BLOCKER = """
import sys
class _Refuse:
    def find_spec(self, name, path=None, target=None):
        if name in ("monolock.workspace", "monolock.cli.main"):
            raise ImportError("replay only: " + name)
sys.meta_path.insert(0, _Refuse())
"""


def _run(
    root: Path, *argv: str, replay_only: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if replay_only is not None:
        env["PYTHONPATH"] = str(replay_only)
    return subprocess.run(
        [sys.executable, "-m", "monolock", *argv],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def blocker(tmp_path: Path) -> Path:
    directory = tmp_path / "blocker"
    directory.mkdir()
    (directory / "sitecustomize.py").write_text(_BLOCKER)
    return directory



@pytest.mark.parametrize(
    "argv",
    [("list",), ("graph", "--format", "json"), ("export", "api-gateway"), ("why", "fastapi")],
)
def test_the_same_command_is_answered_again_without_computing(
    shop: Path, blocker: Path, argv: tuple[str, ...]
) -> None:
    first = _run(shop, *argv)
    assert first.returncode in (0, 1), first.stderr
    again = _run(shop, *argv, replay_only=blocker)
    assert (again.returncode, again.stdout, again.stderr) == (
        first.returncode,
        first.stdout,
        first.stderr,
    )


def _computed(found: subprocess.CompletedProcess[str]) -> bool:
    """Whether the replay-only interpreter had to compute (and was refused)."""
    return "replay only: monolock." in found.stderr


def test_the_blocker_does_block(shop: Path, blocker: Path) -> None:
    """Without a recorded answer, the blocked interpreter cannot answer: the test above
    proves a replay, not an accident."""
    assert _computed(_run(shop, "list", replay_only=blocker))


def _changed(shop: Path, blocker: Path, argv: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    """After a change: the replay-only interpreter must refuse, the real one answer anew."""
    assert _computed(_run(shop, *argv, replay_only=blocker))
    return _run(shop, *argv)


def test_an_edited_manifest_is_answered_anew(shop: Path, blocker: Path) -> None:
    assert "0.1.0" in _run(shop, "list").stdout
    manifest = shop / "packages/core/pyproject.toml"
    manifest.write_text(manifest.read_text().replace('version = "0.1.0"', 'version = "0.7.0"'))
    aged(shop)  # the bytes alone tell
    assert "0.7.0" in _changed(shop, blocker, ("list",)).stdout


def test_an_edited_lock_is_answered_anew(shop: Path, blocker: Path) -> None:
    before = _run(shop, "export", "api-gateway").stdout
    lock = shop / "uv.lock"
    lock.write_text(lock.read_text() + "\n")
    aged(shop)
    after = _changed(shop, blocker, ("export", "api-gateway")).stdout
    assert after != before  # the header names the lock's digest


def test_a_new_member_is_seen(shop: Path, blocker: Path) -> None:
    _run(shop, "list")
    shutil.copytree(shop / "packages/core", shop / "packages/extra")
    manifest = shop / "packages/extra/pyproject.toml"
    manifest.write_text(manifest.read_text().replace('name = "core"', 'name = "extra"'))
    assert "packages/extra" in _changed(shop, blocker, ("list",)).stdout


def test_a_new_module_in_a_layout_is_seen(shop: Path, blocker: Path) -> None:
    _run(shop, "list", "--format", "json")
    (shop / "packages/core/src/core_extras.py").write_text("")
    assert "core_extras" in _changed(shop, blocker, ("list", "--format", "json")).stdout


def test_an_interrupted_change_is_recovered_not_replayed(shop: Path, blocker: Path) -> None:
    _run(shop, "list")
    (shop / ".monolock").mkdir()
    (shop / ".monolock/staged").mkdir()  # what a killed writer leaves
    found = _changed(shop, blocker, ("list",))
    assert found.returncode == 0
    assert "interrupted" in found.stderr
    assert not (shop / ".monolock/staged").exists()


def test_another_place_or_environment_is_another_question(shop: Path, blocker: Path) -> None:
    _run(shop, "list")
    assert _computed(_run(shop / "packages", "list", replay_only=blocker))
    env = dict(os.environ, PYTHONPATH=str(blocker), MONOLOCK_SOMETHING="1")
    found = subprocess.run(
        [sys.executable, "-m", "monolock", "list"],
        cwd=shop,
        capture_output=True,
        text=True,
        env=env,
    )
    assert _computed(found)


def test_an_error_is_never_replayed(shop: Path, blocker: Path) -> None:
    assert _run(shop, "export", "nope").returncode == 2
    assert _computed(_run(shop, "export", "nope", replay_only=blocker))


def _entries_for(shop: Path) -> list[Path]:
    answers = Path(os.environ["MONOLOCK_CACHE_DIR"]) / "answers"
    return [p for p in answers.rglob("*.marshal") if os.fsencode(shop) in p.read_bytes()]


def test_a_tree_written_just_now_is_not_trusted(tmp_path: Path, blocker: Path) -> None:
    """Nothing is replayed from directories whose mtime a change in the same clock tick
    would not move."""
    root = tmp_path / "fresh"
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns(".venv", "build", "__pycache__"))
    aged(root)
    os.utime(root / "packages")  # a member just added or removed: the glob's directory
    assert _run(root, "list").returncode == 0
    assert _computed(_run(root, "list", replay_only=blocker))


def test_a_damaged_answer_is_no_answer(shop: Path, blocker: Path) -> None:
    first = _run(shop, "list")
    (entry,) = _entries_for(shop)
    raw = entry.read_bytes()
    entry.write_bytes(raw[:20] + bytes([raw[20] ^ 0xFF]) + raw[21:])
    assert _computed(_run(shop, "list", replay_only=blocker))
    assert _run(shop, "list").stdout == first.stdout


def test_an_answer_cut_short_by_its_reader_is_not_kept(shop: Path, blocker: Path) -> None:
    """`monolock list | head -0`: what reached no one is not the answer."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "monolock", "list"],
        cwd=shop,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader goes away before anything is written
    proc.wait(timeout=120)
    assert _computed(_run(shop, "list", replay_only=blocker))


@pytest.mark.parametrize("flag", ["-o{}", "--output={}"])
def test_an_export_to_a_file_always_writes_it(shop: Path, blocker: Path, flag: str) -> None:
    target = shop / "req.txt"
    argv = ("export", "api-gateway", flag.format(target))
    assert _run(shop, *argv).returncode == 0
    target.unlink()
    assert _run(shop, *argv).returncode == 0
    assert target.read_text().startswith("# monolock export")


def test_the_roots_own_layout_is_an_input(tmp_path: Path, blocker: Path) -> None:
    root = tmp_path / "mono"
    write_toml(
        root / "pyproject.toml",
        {**project("mono"), "tool": {"uv": {"workspace": {"members": ["p/*"]}}}},
    )
    write_toml(root / "p/a/pyproject.toml", project("a"))
    for package in ("src/mono", "p/a/src/a"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
    aged(root)
    assert '"mono"' in _run(root, "list", "--format", "json").stdout
    (root / "src/extra").mkdir()
    (root / "src/extra/__init__.py").write_text("")
    assert '"extra"' in _changed(root, blocker, ("list", "--format", "json")).stdout


def test_a_member_behind_a_link_that_moves_is_read_anew(tmp_path: Path, blocker: Path) -> None:
    root = tmp_path / "linked"
    write_toml(root / "pyproject.toml", {"tool": {"uv": {"workspace": {"members": ["p/a"]}}}})
    for version in ("1.0.0", "2.0.0"):
        data = project("a")
        data["project"]["version"] = version
        write_toml(root / f"vendor/a-{version}/pyproject.toml", data)
    (root / "p").mkdir()
    (root / "p/a").symlink_to(root / "vendor/a-1.0.0")
    aged(root)
    assert "1.0.0" in _run(root, "list").stdout
    (root / "p/a").unlink()
    (root / "p/a").symlink_to(root / "vendor/a-2.0.0")
    aged(root)  # the directory holding the link looks as it did
    assert "2.0.0" in _changed(root, blocker, ("list",)).stdout


def test_a_link_that_cannot_be_a_module_does_not_stop_the_replay(
    shop: Path, blocker: Path
) -> None:
    """`CLAUDE.md -> AGENTS.md` at the root, as public repositories have it."""
    (shop / "AGENTS.md").write_text("notes\n")
    (shop / "CLAUDE.md").symlink_to("AGENTS.md")
    (shop / "packages/core/src/NOTES.md").symlink_to(shop / "AGENTS.md")
    aged(shop)
    first = _run(shop, "list")
    assert _run(shop, "list", replay_only=blocker).stdout == first.stdout
