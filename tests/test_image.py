"""`build --image` for real: the example's apps built by buildah (no daemon, no registry:
the base images are made locally by tests/images/base-images.sh), proven inside, run.
Marked `network`: the images install the third-party projection from the real index."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monolock.uv import uv_binary
from tests.conftest import SHOP, Run, aged
from tests.test_affected import commit, git

pytestmark = pytest.mark.network
SCRIPT = Path(__file__).parent / "images" / "base-images.sh"
UID = "10001:10001"


def _buildah(*args: str, check: bool = True) -> str:
    out = subprocess.run(
        ["buildah", "--storage-driver", "vfs", *args], capture_output=True, text=True, check=False
    )
    if check and out.returncode != 0:
        raise AssertionError(f"buildah {' '.join(args)}: {out.stderr}")
    return out.stdout


@pytest.fixture(scope="module")
def images() -> Iterator[None]:
    """buildah (installed if missing) and the two base images, in vfs storage."""
    if os.geteuid() != 0:
        pytest.skip("building images without a daemon here needs root (buildah, chroot)")
    missing = [p for p in ("buildah", "debootstrap") if shutil.which(p) is None]
    made = shutil.which("buildah") is not None and _buildah(
        "inspect", "--type", "image", "python:3.11-slim", check=False
    )
    if "debootstrap" in missing and made:
        missing.remove("debootstrap")  # the base image is made already
    if missing:
        if shutil.which("apt-get") is None:
            pytest.skip(f"{' and '.join(missing)} missing, and no apt-get to install them")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)
    subprocess.run(["bash", str(SCRIPT), "3.11", uv_binary()], check=True)
    yield


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, images: None) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns(".venv", "build", "__pycache__"))
    git(root, "init", "-q")
    commit(root, "shop")
    monkeypatch.setenv("STORAGE_DRIVER", "vfs")
    monkeypatch.setenv("BUILDAH_ISOLATION", "chroot")
    return aged(root)


def _build(cli: Callable[..., Run], root: Path, app: str, tag: str) -> dict[str, Any]:
    result = cli(
        "-C", root, "build", app, "--image", tag, "--builder", "buildah", "--format", "json"
    )
    assert result.code == 0, result.err + result.out
    image: dict[str, Any] = json.loads(result.out)["image"]
    return image


def _inside(tag: str, *argv: str) -> str:
    container = _buildah("from", "--pull=never", tag).strip().splitlines()[-1]
    try:
        return _buildah("run", "--user", UID, container, "--", *argv)
    finally:
        _buildah("rm", container, check=False)


_LIST = (
    "import importlib.metadata as m, json; "
    "print(json.dumps(sorted((d.metadata['Name'].lower().replace('_', '-'), d.version) "
    "for d in m.distributions())))"
)


def _exported(cli: Callable[..., Run], root: Path, app: str) -> set[tuple[str, str]]:
    lines = cli("-C", root, "export", app, "--no-hashes").out.splitlines()
    pins = [
        line.split(";")[0].strip() for line in lines if "==" in line and not line.startswith("#")
    ]
    return {(n.lower(), v) for n, v in (p.split("==") for p in pins)}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serves(tag: str, command: list[str]) -> str:
    """GET /health from the image's own command (on a free port: the host's network)."""
    port = _free_port()
    assert command[-2:] == ["--port", "8000"], command
    command = [*command[:-1], str(port)]
    container = _buildah("from", "--pull=never", tag).strip().splitlines()[-1]
    proc = subprocess.Popen(
        ["buildah", "--storage-driver", "vfs", "run", "--user", UID, container, "--", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                    return str(answer.read().decode())
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.5)
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
        _buildah("rm", container, check=False)


def test_both_example_apps_as_images(shop: Path, cli: Callable[..., Run]) -> None:
    gateway = _build(cli, shop, "api-gateway", "localhost/monolock-test/api-gateway:t")
    assert gateway["ok"] and gateway["builder"] == "buildah" and gateway["user"] == UID
    listed = _buildah("images", "--no-trunc", "--format", "{{.ID}}", gateway["tag"])
    assert gateway["id"] == listed.strip(), "the image proven is the image tagged"
    proof = gateway["proof"]
    assert not proof["missing"] and not proof["extra"] and proof["smoke"]["ok"]
    labels = gateway["labels"]
    assert labels["dev.monolock.app"] == "api-gateway" and "dev.monolock.dirty" not in labels
    assert labels["org.opencontainers.image.revision"] == git(shop, "rev-parse", "HEAD").strip()
    assert labels["dev.monolock.lock"].startswith("sha256:")

    tag = gateway["tag"]
    installed = {tuple(pair) for pair in json.loads(_inside(tag, "python", "-c", _LIST))}
    internal = {("api-gateway", "0.1.0"), ("core", "0.1.0")}
    assert installed == _exported(cli, shop, "api-gateway") | internal
    config = json.loads(_buildah("inspect", tag))["OCIv1"]["config"]
    assert config["User"] == UID
    assert json.loads(_serves(tag, config["Cmd"])) == {"status": "ok"}

    worker = _build(cli, shop, "background-worker", "localhost/monolock-test/worker:t")
    assert worker["ok"] and worker["user"] == UID
    names = {n for n, _ in json.loads(_inside(worker["tag"], "python", "-c", _LIST))}
    assert "celery" in names and "fastapi" not in names and "uvicorn" not in names

    # an internal change: the third-party layer comes from the cache, the wheels do not
    init = shop / "packages/core/src/core/__init__.py"
    init.write_text(init.read_text() + "\nCHANGED = True\n")
    commit(shop, "core changes")
    again = _build(cli, shop, "api-gateway", "localhost/monolock-test/api-gateway:t2")
    assert again["ok"]
    reused = " ".join(again["cached"])
    assert "-r requirements.txt" in reused and "-r internal.txt" not in reused, again["cached"]
