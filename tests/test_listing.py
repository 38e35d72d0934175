"""Import names of locked distributions, from the nearest place that knows them: uv's
cache before the network, an sdist's own file list when there is no wheel, and every
guess reported with its reason."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from uv import find_uv_bin

from monolock.imports.listing import Unlisted, UvCache, names, sdist_provided
from monolock.model import Artifact, LockedPackage, LockSource
from tests.conftest import RepoFactory, Run, project


def _sdist(path: Path, files: dict[str, str]) -> Artifact:
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return Artifact(url=None, path=path.name, hash=None)


def _package(name: str, sdist: Artifact) -> LockedPackage:
    return LockedPackage(
        name, "1.0", LockSource("registry", "https://pypi.org/simple"), sdist=sdist
    )


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (  # setuptools' own record of what it installs wins
            {
                "legacy-1.0/legacy.egg-info/top_level.txt": "legacy_core\n_legacy_c\n",
                "legacy-1.0/legacy_core/__init__.py": "",
                "legacy-1.0/tests/test_x.py": "",
            },
            ["_legacy_c", "legacy_core"],
        ),
        (  # src layout: what is below src/
            {
                "thing-1.0/pyproject.toml": "",
                "thing-1.0/src/thing_api/__init__.py": "",
                "thing-1.0/src/thing_api/sub/__init__.py": "",
                "thing-1.0/tests/test_x.py": "",
                "thing-1.0/setup.py": "",
            },
            ["thing_api"],
        ),
        (  # flat: packages and modules at the top, without tests, docs or build scripts
            {
                "flat-1.0/setup.py": "",
                "flat-1.0/conftest.py": "",
                "flat-1.0/flatmod.py": "",
                "flat-1.0/flatpkg/__init__.py": "",
                "flat-1.0/docs/conf.py": "",
                "flat-1.0/tests/__init__.py": "",
            },
            ["flatmod", "flatpkg"],
        ),
    ],
)
def test_an_sdist_is_read_when_there_is_no_wheel(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    name = next(iter(files)).split("-", 1)[0]
    sdist = _sdist(tmp_path / f"{name}-1.0.tar.gz", files)
    assert names(_package(name, sdist), tmp_path, UvCache(None), {}) == expected


def test_a_namespace_sdist_maps_below_the_namespace() -> None:
    listed = ["acme-plugin-1.0/src/acme/plugin/__init__.py", "acme-plugin-1.0/src/acme/x.py"]
    assert sdist_provided(listed, None) == ["acme.plugin", "acme.x"]


def test_nothing_to_read_says_why(tmp_path: Path) -> None:
    bare = LockedPackage("bare", "1.0", LockSource("registry", "https://pypi.org/simple"))
    with pytest.raises(Unlisted, match="names no wheel and no sdist"):
        names(bare, tmp_path, UvCache(None), {})
    broken = tmp_path / "broken-1.0.tar.gz"
    broken.write_bytes(b"not a tar")
    with pytest.raises(Unlisted, match="its sdist could not be read"):
        names(_package("broken", Artifact(None, broken.name, None)), tmp_path, UvCache(None), {})


def test_uv_cache_answers_before_an_unreachable_index(
    make_repo: RepoFactory, cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock whose index cannot be reached from here: what uv installed on this machine
    still gives every name; without it, each name is guessed, with the reason."""
    root = make_repo(
        {"web": project("web", ["pyyaml", "pillow"])},
    )
    (root / "web/src/web/__init__.py").write_text("import yaml\nfrom PIL import Image\n")
    assert cli("-C", root, "lock").code == 0
    uv_sync = subprocess.run(
        [find_uv_bin(), "sync", "--all-packages", "--frozen"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert uv_sync.returncode == 0, uv_sync.stderr
    shutil.rmtree(root / ".venv")  # only uv's cache is left
    lock = (root / "uv.lock").read_text()
    # the same wheels, now behind a private index nobody here can reach
    pattern = r'\{ (?:path|url) = "[^"]*/([^"/]+\.whl)"'
    moved = re.sub(pattern, r'{ url = "http://127.0.0.1:9/\1"', lock)
    assert moved != lock
    (root / "uv.lock").write_text(moved)

    result = cli("-C", root, "check", "--format", "json", "--no-lock-check")
    report = json.loads(result.out)
    assert report["guessed"] == {}, result.err
    assert report["findings"] == []

    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-uv-cache"))
    result = cli("-C", root, "check", "--format", "json", "--no-lock-check", "--no-cache")
    report = json.loads(result.out)
    assert set(report["guessed"]) == {"pyyaml", "pillow"}
    assert all("127.0.0.1:9 could not be reached" in why for why in report["guessed"].values())
    assert "import names of 2 distribution(s) are guessed" in result.err
    found = {(f["code"], f["subject"]) for f in report["findings"]}
    assert found == {  # the guesses were wrong, and the report says they were guesses
        ("ML102", "yaml"),
        ("ML102", "PIL"),
        ("ML103", "pyyaml"),
        ("ML103", "pillow"),
    }


def test_directories_a_pth_file_adds_are_top_level(tmp_path: Path) -> None:
    """pywin32: `win32api` lives in `win32/`, which `pywin32.pth` puts on sys.path."""
    wheel = tmp_path / "pywin32-306-cp311-cp311-win_amd64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            "pywin32.pth", "# .pth file\nwin32\nwin32\\lib\nPythonwin\nimport pywin32_bootstrap\n"
        )
        archive.writestr("win32/win32api.pyd", "")
        archive.writestr("win32/lib/win32con.py", "")
        archive.writestr("pythonwin/pywin/__init__.py", "")
        archive.writestr("pywin32_bootstrap.py", "")
        archive.writestr("pywin32-306.dist-info/RECORD", "")
    package = LockedPackage(
        "pywin32",
        "306",
        LockSource("registry", "https://pypi.org/simple"),
        wheels=(Artifact(url=None, path=wheel.name, hash=None),),
    )
    found = names(package, tmp_path, UvCache(None), {})
    assert {"win32api", "win32con", "pywin", "pywin32_bootstrap"} <= set(found)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("llama-cpp-python", ("llama_cpp_python", "llama_cpp")),
        ("python-dateutil", ("python_dateutil", "dateutil")),
        ("zope.interface", ("zope_interface",)),
    ],
)
def test_a_guess_tries_the_names_distributions_add_to_a_module(
    name: str, expected: tuple[str, ...]
) -> None:
    from monolock.imports.mapping import guess_names

    assert guess_names(name) == expected
