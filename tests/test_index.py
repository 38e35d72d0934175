"""The workspace index: a member is read back from it only while nothing it was read from
changed; a damaged index, a recent change, a glob it cannot follow: read anew."""

from __future__ import annotations

import marshal
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monolock import index, workspace
from monolock.errors import WorkspaceError
from monolock.fsutil import cache_root
from monolock.model import Package
from monolock.workspace import discover
from tests.conftest import aged, project, write_toml


def _no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on a member read from its manifest fails the test: only the index answers."""

    def refuse(*args: object) -> Package:
        raise AssertionError("a member was read anew")

    monkeypatch.setattr(workspace, "_member", refuse)



@settings(max_examples=200, deadline=None)
@given(st.from_type(Package))
def test_a_package_comes_back_from_the_index_as_it_went_in(package: Package) -> None:
    assert index._decode(marshal.loads(marshal.dumps(index._encode(package)))) == package


def test_a_settled_workspace_is_answered_from_the_index_as_reading_it_would(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = discover(shop)
    _no_reading(monkeypatch)
    assert discover(shop) == first


def test_an_edited_manifest_is_read_anew(shop: Path) -> None:
    discover(shop)
    manifest = shop / "packages/core/pyproject.toml"
    manifest.write_text(manifest.read_text().replace('"0.1.0"', '"0.2.0"', 1))
    aged(shop)  # the same mtime as before: the bytes alone tell
    assert discover(shop).by_name["core"].version == "0.2.0"


def test_a_package_added_to_a_layout_is_seen(shop: Path) -> None:
    before = discover(shop).by_name["core"].import_names
    (shop / "packages/core/src/extra_tools").mkdir()
    (shop / "packages/core/src/extra_tools/__init__.py").write_text("")
    assert discover(shop).by_name["core"].import_names == tuple(sorted({*before, "extra_tools"}))


def test_a_change_within_the_same_clock_tick_is_seen(tmp_path: Path) -> None:
    """A directory just written is not trusted by its mtime: a second change in the same
    tick would leave the mtime as it was (simulated here by putting it back)."""
    write_toml(tmp_path / "pyproject.toml", {"tool": {"uv": {"workspace": {"members": ["p/*"]}}}})
    write_toml(tmp_path / "p/a/pyproject.toml", project("a"))
    (tmp_path / "p/a/src/a").mkdir(parents=True)
    (tmp_path / "p/a/src/a/__init__.py").write_text("")
    assert discover(tmp_path).by_name["a"].import_names == ("a",)
    src = tmp_path / "p/a/src"
    mtime = src.stat().st_mtime_ns
    (src / "b.py").write_text("")
    os.utime(src, ns=(mtime, mtime))
    assert discover(tmp_path).by_name["a"].import_names == ("a", "b")


def test_a_layout_read_through_a_glob_is_never_taken_from_the_index(tmp_path: Path) -> None:
    write_toml(tmp_path / "pyproject.toml", {"tool": {"uv": {"workspace": {"members": ["p/*"]}}}})
    data = project("a")
    data["tool"] = {"pdm": {"build": {"includes": ["pkg_*"]}}}
    data["build-system"] = {"build-backend": "pdm.backend", "requires": ["pdm-backend"]}
    write_toml(tmp_path / "p/a/pyproject.toml", data)
    (tmp_path / "p/a/pkg_one").mkdir(parents=True)
    (tmp_path / "p/a/pkg_one/__init__.py").write_text("")
    aged(tmp_path)
    assert discover(tmp_path).by_name["a"].import_names == ("pkg_one",)
    (tmp_path / "p/a/pkg_two").mkdir()
    (tmp_path / "p/a/pkg_two/__init__.py").write_text("")
    aged(tmp_path)  # every mtime as it was: only reading the glob again can tell
    assert discover(tmp_path).by_name["a"].import_names == ("pkg_one", "pkg_two")


@pytest.mark.parametrize("damage", [b"", b"garbage", None])
def test_a_damaged_index_is_rebuilt_not_trusted(
    shop: Path, damage: bytes | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = discover(shop)
    (slot,) = [p for p in (cache_root() / "index").iterdir() if p.read_bytes() and _holds(p, shop)]
    raw = slot.read_bytes()
    # cut short, replaced, or a byte flipped in the middle of the entry
    slot.write_bytes(damage if damage is not None else _flip(raw, len(raw) // 2))
    assert discover(shop) == first
    _no_reading(monkeypatch)
    assert discover(shop) == first  # and written back whole


def _holds(slot: Path, root: Path) -> bool:
    return index.MemberIndex(root.resolve())._slot == slot


def _flip(raw: bytes, at: int) -> bytes:
    return raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1 :]


def test_a_removed_member_is_gone(shop: Path) -> None:
    discover(shop)
    shutil.rmtree(shop / "packages/background-worker")
    with pytest.raises(WorkspaceError, match="'background-worker' is not a member"):
        discover(shop)  # its app now names nothing: the index did not bring it back
