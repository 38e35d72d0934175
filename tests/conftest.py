from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from monolock.cli.main import main
from monolock.uv import uv_binary
from tests import wheelhouse

REPO = Path(__file__).resolve().parent.parent
SHOP = REPO / "examples" / "shop"


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wheelhouse.build(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="session", autouse=True)
def _caches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """uv's and monolock's caches for the session only: fake wheels never meet a user's."""
    saved = {k: os.environ.get(k) for k in ("UV_CACHE_DIR", "MONOLOCK_CACHE_DIR")}
    for key in saved:
        os.environ[key] = str(tmp_path_factory.mktemp(key.lower()))
    yield
    for key, old in saved.items():
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


HOUR_AGO = time.time() - 3600


def aged(root: Path) -> Path:
    """Every file and directory an hour old: a checkout once it has settled, whose
    mtimes the caches may trust."""
    for top, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            os.utime(os.path.join(top, name), (HOUR_AGO, HOUR_AGO))
    os.utime(root, (HOUR_AGO, HOUR_AGO))
    return root


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A settled copy of the example shop."""
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns(".venv", "build", "__pycache__"))
    return aged(root)


def write_toml(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomlkit.dumps(data))


def project(name: str, deps: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """A PEP 621 manifest; `sources`, `groups` and `optional` become their tables."""
    data: dict[str, Any] = {
        "project": {
            "name": name,
            "version": "0.1.0",
            "requires-python": ">=3.11",
            "dependencies": list(deps or []),
        }
    }
    if "optional" in extra:
        data["project"]["optional-dependencies"] = extra.pop("optional")
    if "groups" in extra:
        data["dependency-groups"] = extra.pop("groups")
    if "sources" in extra:
        data.setdefault("tool", {}).setdefault("uv", {})["sources"] = extra.pop("sources")
    data.update(extra)
    return data


RepoFactory = Callable[..., Path]


@pytest.fixture
def make_repo(tmp_path: Path, wheels: Path) -> RepoFactory:
    """A uv workspace in tmp_path: `members` maps a path to a manifest dict; a `src/<module>`
    with an `__init__.py` is added for each member. uv resolves from the fake wheelhouse."""

    def make(
        members: dict[str, dict[str, Any]],
        root: dict[str, Any] | None = None,
        globs: list[str] | None = None,
        apps: Any = None,
    ) -> Path:
        data = root if root is not None else {}
        tool = data.setdefault("tool", {})
        tool.setdefault("uv", {}).setdefault(
            "workspace", {"members": globs if globs is not None else sorted(members)}
        )
        tool["uv"]["index"] = [
            {"name": "wheelhouse", "url": (wheels / "simple").as_uri(), "default": True}
        ]
        if apps is not None:
            tool["monolock"] = {"apps": apps}
        write_toml(tmp_path / "pyproject.toml", data)
        for path, manifest in members.items():
            write_toml(tmp_path / path / "pyproject.toml", manifest)
            module = (
                manifest.get("project", {}).get("name", path).replace("-", "_").replace(".", "_")
            )
            init = tmp_path / path / "src" / module / "__init__.py"
            init.parent.mkdir(parents=True, exist_ok=True)
            init.write_text("")
        return tmp_path

    return make


def uv_export(root: Path, member: str) -> dict[str, str]:
    """uv's own answer to "what does this member install": name -> version."""
    out = subprocess.run(
        [
            uv_binary(),
            "export",
            "--package",
            member,
            "--frozen",
            "--no-default-groups",
            "--no-hashes",
            "--no-emit-workspace",
            "--no-header",
            "--no-annotate",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pins = {}
    for line in out.splitlines():
        if "==" in line:
            name, version = line.split(";")[0].strip().split("==")
            pins[name] = version
    return pins


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run monolock in-process, as a user types it; returns exit code and output."""

    def run(*args: str | Path) -> Run:
        capsys.readouterr()
        code = 0
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


@pytest.fixture(scope="session")
def poetry_index(wheels: Path) -> Iterator[str]:
    """The wheelhouse over HTTP, as Poetry needs an index to be: a PEP 503 page per
    project with links relative to the server. Yields the simple index's URL."""
    import functools
    import hashlib
    import http.server
    import shutil
    import threading

    pages = wheels / "poetry-simple"
    served = wheels / "served"
    served.mkdir(exist_ok=True)
    for wheel in wheels.glob("*.whl"):
        shutil.copy(wheel, served)
    # the build backends, from the test environment: poetry-core for the Poetry packages,
    # hatchling (and what it needs) for the members a migration makes of them
    backends = ("poetry-core", "hatchling", "packaging", "pathspec", "pluggy", "tomlkit")
    for backend in (*backends, "trove-classifiers"):
        wheelhouse.repack(backend, served)
    for wheel in sorted(served.glob("*.whl")):
        project_dir = pages / wheel.name.split("-")[0].replace("_", "-")
        project_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        page = project_dir / "index.html"
        old = page.read_text() if page.exists() else ""
        link = f"../../served/{wheel.name}"
        page.write_text(old + f'<a href="{link}#sha256={digest}">{wheel.name}</a>\n')

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(wheels))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/poetry-simple/"
    server.shutdown()


def poetry_manifest(
    name: str,
    deps: dict[str, Any],
    *,
    index: str,
    python: str = "^3.11",
    dev: dict[str, Any] | None = None,
    **poetry: Any,
) -> dict[str, Any]:
    """A Poetry project whose only package source is the test wheelhouse."""
    tool: dict[str, Any] = {
        "name": name,
        "version": "0.1.0",
        "description": "",
        "authors": ["Team <team@example.com>"],
        "dependencies": {"python": python, **deps},
        **poetry,
    }
    if dev is not None:
        tool["group"] = {"dev": {"dependencies": dev}}
    tool["source"] = [{"name": "wheelhouse", "url": index, "priority": "primary"}]
    return {
        "tool": {"poetry": tool},
        "build-system": {
            "requires": ["poetry-core>=2"],
            "build-backend": "poetry.core.masonry.api",
        },
    }


def poetry_binary() -> str:
    """The Poetry installed next to the interpreter running the tests (a dev dependency)."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / "poetry"
    found = str(beside) if beside.exists() else shutil.which("poetry")
    if found is None:
        pytest.fail("Poetry is not installed: it is a test dependency (pip install -e '.[dev]')")
    return found


@pytest.fixture
def poetry_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> str:
    """Poetry found through MONOLOCK_POETRY, its caches and environments kept apart."""
    binary = poetry_binary()
    monkeypatch.setenv("MONOLOCK_POETRY", binary)
    monkeypatch.setenv("POETRY_CACHE_DIR", str(tmp_path_factory.mktemp("poetry-cache")))
    monkeypatch.setenv("POETRY_VIRTUALENVS_PATH", str(tmp_path_factory.mktemp("poetry-envs")))
    return binary
