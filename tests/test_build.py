"""`monolock build`: contexts and proven environments, with the real uv against the fake
wheelhouse. Members use uv's own build backend, which uv runs without fetching anything."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from monolock.uv import uv_binary
from tests.conftest import RepoFactory, Run
from tests.conftest import project as manifest

UV_BUILD = {"requires": ["uv_build>=0.8"], "build-backend": "uv_build"}
WS = {"lib": {"workspace": True}, "tools": {"workspace": True}}
APPS = {
    "web": {
        "package": "web",
        "command": "python -m web --port 8000",
        # runs where the image's workdir would be: the shipped file is there
        "smoke": "python -c 'import web; print(open(\"conf/web.toml\").read())'",
        "files": ["conf/web.toml"],
    },
    "worker": {"command": "python -m worker"},
}


def member(name: str, deps: list[str], **extra: object) -> dict[str, object]:
    return manifest(name, deps, sources=WS, **{"build-system": UV_BUILD}, **extra)


def sample(make_repo: RepoFactory, apps: object = APPS) -> Path:
    root = make_repo(
        {
            "packages/lib": member("lib", ["alpha>=1,<2", "oldpy"]),
            "packages/tools": member("tools", ["pyyaml"], optional={"speed": ["delta[fast]"]}),
            "packages/web": member(
                "web", ["lib", "tools[speed]"], groups={"dev": ["devtool==1.0.0"]}
            ),
            "packages/worker": member("worker", ["lib", "pillow"]),
        },
        globs=["packages/*"],
        apps=apps,
    )
    (root / "packages/web/src/web/__init__.py").write_text("import lib, tools, yaml, delta\n")
    (root / "packages/lib/src/lib/__init__.py").write_text("import alpha\n")
    (root / "conf").mkdir()
    (root / "conf/web.toml").write_text("port = 8000\n")
    return root


def installed(venv: Path) -> dict[str, str]:
    """What uv itself says is in the environment: name -> version."""
    out = subprocess.run(
        [uv_binary(), "pip", "list", "--python", str(venv / "bin/python"), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {row["name"]: row["version"] for row in json.loads(out)}


def tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


@pytest.fixture
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory outside the repository (make_repo's root is tmp_path)."""
    return tmp_path_factory.mktemp("out")


@pytest.fixture
def locked(make_repo: RepoFactory, cli: Callable[..., Run]) -> Path:
    root = sample(make_repo)
    result = cli("-C", root, "lock")
    assert result.code == 0, result.err
    return root


def test_venv_holds_exactly_the_projection_and_passes_its_smoke(
    locked: Path, cli: Callable[..., Run], scratch: Path
) -> None:
    venv = scratch / "web"
    result = cli("-C", locked, "build", "web", "--venv", venv)
    assert result.code == 0, result.out + result.err
    assert installed(venv) == {
        "alpha": "1.1.0",
        "beta": "1.0.0",
        "delta": "1.0.0",
        "epsilon": "1.0.0",  # reached through the extra tools[speed] activates
        "lib": "0.1.0",
        "oldpy": "1.0.0",
        "pyyaml": "6.0.1",
        "tools": "0.1.0",
        "web": "0.1.0",
    }  # no pillow (the worker's), no devtool (a dev group), no gamma (win32 only)
    assert "missing: none" in result.out and "extra:   none" in result.out
    assert "ok   imports: 3 module(s) of the internal closure (lib, tools, web)" in result.out
    assert "ok   smoke:" in result.out
    assert "whole workspace installed" in result.out
    # the internal packages are real wheels, not links back into the repository
    site = next(venv.glob("lib/python3*/site-packages"))
    assert (site / "lib" / "__init__.py").read_text() == "import alpha\n"
    assert not list(site.glob("*.pth"))


def test_context_is_self_contained_and_reproducible(
    locked: Path, cli: Callable[..., Run], scratch: Path
) -> None:
    first, second = scratch / "ctx1", scratch / "ctx2"
    assert cli("-C", locked, "build", "web", "--out", first).code == 0
    assert cli("-C", locked, "build", "web", "--out", second, "-q").code == 0
    assert tree(first) == tree(second)  # same commit, same bytes
    files = set(tree(first))
    assert files == {
        ".dockerignore",
        ".monolock-made",  # the stamp: this directory is monolock's to replace
        "Dockerfile",
        "app/conf/web.toml",
        "internal.txt",
        "manifest.json",
        "requirements.txt",
        "sbom.cdx.json",
        "wheels/lib-0.1.0-py3-none-any.whl",
        "wheels/tools-0.1.0-py3-none-any.whl",
        "wheels/web-0.1.0-py3-none-any.whl",
    }
    dockerfile = (first / "Dockerfile").read_text()
    assert dockerfile.index("COPY requirements.txt") < dockerfile.index("COPY wheels/")
    assert "--require-hashes -r requirements.txt" in dockerfile
    assert "--no-deps" in dockerfile and "--no-index --require-hashes -r internal.txt" in dockerfile
    assert (
        "FROM ${BASE_IMAGE} AS build" in dockerfile
        and "ARG BASE_IMAGE=python:3.11-slim" in dockerfile
    )
    assert "USER 10001:10001" in dockerfile
    assert 'CMD ["python", "-m", "web", "--port", "8000"]' in dockerfile
    assert "COPY app/ /app/" in dockerfile
    data = json.loads((first / "manifest.json").read_text())
    digest = hashlib.sha256((locked / "uv.lock").read_bytes()).hexdigest()
    assert data["lock"] == f"sha256:{digest}"
    origins = {d["name"]: d["origin"] for d in data["distributions"]}
    assert origins["web"] == "internal wheel" and origins["alpha"] == "lock"
    assert "pillow" not in origins and "devtool" not in origins
    wheel = first / "wheels/lib-0.1.0-py3-none-any.whl"
    lib = next(d for d in data["distributions"] if d["name"] == "lib")
    assert lib["hashes"] == [f"sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}"]


def test_an_earlier_context_is_replaced_whole(
    locked: Path, cli: Callable[..., Run], scratch: Path
) -> None:
    out = scratch / "ctx"
    assert cli("-C", locked, "build", "web", "--out", out, "-q").code == 0
    (out / "notes.txt").write_text("mine")
    refused = cli("-C", locked, "build", "worker", "--out", out, "-q")
    assert refused.code == 2 and "1 file(s) monolock did not write (notes.txt)" in refused.err
    assert (out / "notes.txt").read_text() == "mine"  # a user's file is never deleted
    assert json.loads((out / "manifest.json").read_text())["app"] == "web"
    (out / "notes.txt").unlink()
    assert cli("-C", locked, "build", "worker", "--out", out, "-q").code == 0
    assert json.loads((out / "manifest.json").read_text())["app"] == "worker"
    assert sorted(p.name for p in scratch.iterdir()) == ["ctx"]  # no staging dirs left


def test_an_undeclared_import_fails_the_proof(
    locked: Path, cli: Callable[..., Run], scratch: Path
) -> None:
    # lib imports pillow's PIL, which only the worker declares: the web image lacks it
    (locked / "packages/lib/src/lib/__init__.py").write_text("import alpha\nimport PIL\n")
    result = cli("-C", locked, "build", "web", "--venv", scratch / "env", "--no-compare")
    assert result.code == 1
    assert "FAIL imports" in result.out
    assert "lib: ModuleNotFoundError: No module named 'PIL'" in result.out
    assert "extra:   none" in result.out  # the set is still exact: the code is what is wrong


def test_a_failing_smoke_command_fails_the_proof(
    make_repo: RepoFactory, cli: Callable[..., Run], tmp_path_factory: pytest.TempPathFactory
) -> None:
    apps = {"worker": {"smoke": "python -c 'import sys; print(\"no broker\"); sys.exit(3)'"}}
    root = sample(make_repo, apps)
    assert cli("-C", root, "lock").code == 0
    venv = tmp_path_factory.mktemp("envs") / "worker"
    result = cli("-C", root, "build", "worker", "--venv", venv, "--no-compare", "--format", "json")
    assert result.code == 1
    proof = json.loads(result.out)["proof"]
    assert proof["smoke"]["returncode"] == 3 and "no broker" in proof["smoke"]["output"]
    assert proof["missing"] == [] and proof["extra"] == []
    assert "pillow" in installed(venv) and "tools" not in installed(venv)


def test_stale_lock_is_refused_and_nothing_is_written(
    locked: Path, cli: Callable[..., Run], scratch: Path
) -> None:
    path = locked / "packages/worker/pyproject.toml"
    path.write_text(path.read_text().replace('"pillow"', '"pillow", "zeta"'))
    result = cli("-C", locked, "build", "worker", "--out", scratch / "ctx")
    assert result.code == 2
    assert "uv.lock is stale" in result.err and "monolock lock" in result.err
    assert not (scratch / "ctx").exists()


def test_failing_wheel_build_leaves_the_old_context(
    locked: Path, cli: Callable[..., Run], scratch: Path
) -> None:
    out = scratch / "ctx"
    assert cli("-C", locked, "build", "web", "--out", out, "-q").code == 0
    before = tree(out)
    (locked / "packages/tools/src/tools/__init__.py").unlink()  # uv_build needs the module
    result = cli("-C", locked, "build", "web", "--out", out, "-q")
    assert result.code == 2
    assert "building the wheel of tools (packages/tools) failed" in result.err
    assert "Traceback" not in result.err
    assert tree(out) == before
    assert sorted(p.name for p in scratch.iterdir()) == ["ctx"]


def test_refuses_to_replace_a_directory_it_did_not_write(
    locked: Path, cli: Callable[..., Run], scratch: Path
) -> None:
    (scratch / "mine").mkdir()
    (scratch / "mine" / "notes.txt").write_text("keep me")
    result = cli("-C", locked, "build", "web", "--out", scratch / "mine")
    assert result.code == 2 and "was not made by monolock as a build context" in result.err
    (scratch / "mine" / "pyvenv.cfg").write_text("home = /usr/bin\n")  # looks like a venv
    result = cli("-C", locked, "build", "web", "--venv", scratch / "mine")
    assert result.code == 2 and "not made by monolock as a virtual environment" in result.err
    assert (scratch / "mine" / "notes.txt").read_text() == "keep me"


def test_unknown_app_and_missing_target(locked: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", locked, "build", "nope", "--out", locked / "ctx")
    assert result.code == 2 and "unknown app 'nope'" in result.err and "web, worker" in result.err
    result = cli("-C", locked, "build", "web")
    assert result.code == 2 and "--out DIR" in result.err
    result = cli("-C", locked, "build", "web", "--out", locked / "b", "--venv", locked / "b/env")
    assert result.code == 2 and "overlap" in result.err and not (locked / "b").exists()


def test_runtime_cycle_in_the_closure_is_refused(
    make_repo: RepoFactory, cli: Callable[..., Run], scratch: Path
) -> None:
    root = make_repo(
        {
            "packages/lib": member("lib", ["tools"]),
            "packages/tools": member("tools", ["lib"]),
            "packages/web": member("web", ["lib"]),
        },
        globs=["packages/*"],
    )
    result = cli("-C", root, "build", "web", "--out", scratch / "ctx")
    assert result.code == 2
    assert "form a cycle: lib -> tools -> lib" in result.err
    assert not (scratch / "ctx").exists()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"base-image": "python:3.12; rm -rf /"}, "base-image: 'python:3.12; rm -rf /' is not"),
        ({"files": ["../secrets.env"]}, "files: '../secrets.env' must be a relative path"),
        ({"python": "latest"}, "python: 'latest' is not a Python version"),
        ({"comand": "python -m web"}, "unknown key 'comand'"),
        ({"command": "python -c 'unbalanced"}, "command: cannot be split"),
    ],
)
def test_app_config_that_would_reach_a_dockerfile_is_validated(
    make_repo: RepoFactory, cli: Callable[..., Run], spec: dict[str, object], message: str
) -> None:
    root = sample(make_repo, {"web": spec})
    result = cli("-C", root, "build", "web", "--out", root / "ctx")
    assert result.code == 2
    assert f"tool.monolock.apps.web.{message}" in result.err or message in result.err
    assert "pyproject.toml" in result.err
    assert not (root / "ctx").exists()


def test_python_version_follows_the_closure_or_the_option(
    make_repo: RepoFactory, cli: Callable[..., Run], scratch: Path
) -> None:
    root = sample(make_repo, {"web": {"base-image": "registry.example.com/py/base:3-slim"}})
    lib = root / "packages/lib/pyproject.toml"
    lib.write_text(lib.read_text().replace('">=3.11"', '">=3.11.2,<4"'))
    assert cli("-C", root, "lock").code == 0
    result = cli("-C", root, "build", "worker", "--out", scratch / "w", "--format", "json")
    assert json.loads(result.out)["python"] == "3.11"  # the oldest every range allows
    assert "python:3.11-slim" in (scratch / "w/Dockerfile").read_text()
    result = cli("-C", root, "build", "web", "--out", scratch / "web", "--python", "3.13")
    assert result.code == 0, result.err
    dockerfile = (scratch / "web/Dockerfile").read_text()
    assert "ARG BASE_IMAGE=registry.example.com/py/base:3-slim" in dockerfile
    assert "--python python3.13" in dockerfile


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def test_wheels_of_a_clean_commit_are_reused_and_a_change_is_rebuilt(
    locked: Path, cli: Callable[..., Run], scratch: Path
) -> None:
    git(locked, "init", "-q")
    git(locked, "add", "-A")
    git(locked, "commit", "-qm", "one")
    first = cli("-C", locked, "build", "web", "--out", scratch / "a", "--format", "json")
    assert json.loads(first.out)["wheels_from_cache"] == []
    second = cli("-C", locked, "build", "web", "--out", scratch / "b", "--format", "json")
    assert len(json.loads(second.out)["wheels_from_cache"]) == 3
    assert tree(scratch / "a") == tree(scratch / "b")
    # an uncommitted change is never served from the cache
    (locked / "packages/lib/src/lib/__init__.py").write_text("import alpha  # changed\n")
    third = cli("-C", locked, "build", "web", "--out", scratch / "c", "--format", "json")
    assert json.loads(third.out)["wheels_from_cache"] == []
    with zipfile.ZipFile(scratch / "c/wheels/lib-0.1.0-py3-none-any.whl") as wheel:
        assert b"# changed" in wheel.read("lib/__init__.py")
    git(locked, "commit", "-qam", "two")
    fourth = cli("-C", locked, "build", "web", "--out", scratch / "d", "--format", "json")
    assert json.loads(fourth.out)["wheels_from_cache"] == []  # a new commit: built anew
    no_cache = cli("-C", locked, "build", "web", "--out", scratch / "e", "--no-cache", "-q")
    assert "reused" not in no_cache.out


def test_a_killed_builds_leftovers_are_removed_and_nothing_else(
    locked: Path, cli: Callable[..., Run], scratch: Path
) -> None:
    from monolock.targets import STAMP, stamp

    staged = scratch / ".ctx.monolock-new-abc123"  # a build killed while it wrote
    (staged / "wheels").mkdir(parents=True)
    stamp(staged, "build context", complete=False)
    (staged / "wheels" / "half.whl").write_bytes(b"PK")
    old = scratch / ".ctx.monolock-old-def456" / "tree"  # killed while it swapped
    old.mkdir(parents=True)
    (old / "Dockerfile").write_text("FROM x\n")
    stamp(old, "build context")
    mine = scratch / ".ctx.monolock-new-mine"  # a user's, named alike but not stamped
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert cli("-C", locked, "build", "web", "--out", scratch / "ctx", "-q").code == 0
    assert sorted(p.name for p in scratch.iterdir()) == [".ctx.monolock-new-mine", "ctx"]
    assert (mine / "notes.txt").read_text() == "keep" and not (mine / STAMP).exists()


def test_an_environment_is_replaced_only_while_it_holds_nothing_but_its_own(
    locked: Path, cli: Callable[..., Run], scratch: Path
) -> None:
    venv = scratch / "env"
    assert cli("-C", locked, "build", "worker", "--venv", venv, "--no-compare").code == 0
    assert cli("-C", locked, "build", "worker", "--venv", venv, "--no-compare").code == 0
    (venv / "secrets.env").write_text("TOKEN=1\n")
    refused = cli("-C", locked, "build", "worker", "--venv", venv, "--no-compare")
    assert refused.code == 2 and "monolock did not write (secrets.env)" in refused.err
    assert (venv / "secrets.env").read_text() == "TOKEN=1\n"
    assert (venv / "bin" / "python").exists()  # the environment itself was left alone too


@pytest.mark.parametrize("epoch", ["\u00b2", "-5", "9" * 11, "soon"])
def test_a_source_date_epoch_that_is_no_time_is_refused(
    locked: Path,
    cli: Callable[..., Run],
    scratch: Path,
    monkeypatch: pytest.MonkeyPatch,
    epoch: str,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    result = cli("-C", locked, "build", "web", "--out", scratch / "ctx")
    assert result.code == 2 and "SOURCE_DATE_EPOCH" in result.err
    assert not (scratch / "ctx").exists()


def test_an_environment_whose_removal_was_interrupted_is_still_monolocks(
    locked: Path, cli: Callable[..., Run], scratch: Path
) -> None:
    import shutil

    venv = scratch / "env"
    assert cli("-C", locked, "build", "worker", "--venv", venv, "--no-compare").code == 0
    for entry in venv.iterdir():  # a kill mid-removal: emptied directories, the stamp kept
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
            entry.mkdir()
        elif entry.name != ".monolock-made":
            entry.unlink()
    again = cli("-C", locked, "build", "worker", "--venv", venv, "--no-compare")
    assert again.code == 0, again.err


def test_the_user_is_made_with_the_tools_the_base_has_and_distroless_is_refused(
    make_repo: RepoFactory, cli: Callable[..., Run], scratch: Path
) -> None:
    root = sample(make_repo, {"web": {"base-image": "gcr.io/distroless/python3-debian12"}})
    assert cli("-C", root, "lock").code == 0, "only a build needs a shell in the image"
    assert cli("-C", root, "build", "worker", "--out", scratch / "d").code == 0
    dockerfile = (scratch / "d/Dockerfile").read_text()
    assert "command -v useradd" in dockerfile and "adduser -S -D -H -u 10001" in dockerfile
    result = cli("-C", root, "build", "web", "--out", scratch / "w")
    assert (
        result.code == 2
        and "base-image: 'gcr.io/distroless/python3-debian12' is distroless" in result.err
    )
    assert not (scratch / "w").exists()


def test_an_image_without_a_builder_says_what_to_install(
    locked: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    uv = Path(uv_binary())
    (empty / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    monkeypatch.setenv("MONOLOCK_UV", str(uv))
    monkeypatch.setenv("PATH", str(empty))
    result = cli("-C", locked, "build", "web", "--image", "localhost/web:t")
    assert result.code == 2, result.err
    assert "no image builder found" in result.err
    assert all(name in result.err for name in ("Docker", "Podman", "buildah"))
    result = cli("-C", locked, "build", "web", "--image", "localhost/web:t", "--builder", "podman")
    assert result.code == 2 and "podman is not available" in result.err
    for args, message in [
        (["--image", "Local Host/web"], "is not an image name"),
        (["--image", "web@sha256:" + "0" * 64], "is not an image name"),
        (["--out", str(tmp_path / "c"), "--push"], "--push pushes the image --image TAG builds"),
    ]:
        result = cli("-C", locked, "build", "web", *args)
        assert result.code == 2 and message in result.err, result.err
        assert not (tmp_path / "c").exists()


FAKE = """#!/bin/sh
# a stand-in builder: records its arguments, answers as told by FAKE_* variables
echo "$@" >> "$FAKE_LOG"
case "$1" in
  info|version) exit "${FAKE_WORKS:-0}" ;;
  build|bud)
    echo "STEP 1/2: FROM python:3.12-slim"
    echo "STEP 2/2: RUN uv pip install -r requirements.txt"
    echo "--> Using cache 1234"
    [ -n "$FAKE_BUILD_FAILS" ] && { echo "boom: the build broke"; exit 1; }
    while [ $# -gt 1 ]; do [ "$1" = --iidfile ] && echo sha256:feed > "$2"; shift; done
    exit 0 ;;
  inspect) echo "10001:10001" ;;
  run) echo "sh: /opt/venv/bin/python: not found" >&2; exit 127 ;;
  *) exit 0 ;;
esac
"""


def _fake(bin_dir: Path, name: str, **env: str) -> None:
    script = bin_dir / name
    script.write_text(FAKE)
    script.chmod(0o755)


@pytest.fixture
def fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH with git and stand-in builders only; their calls logged."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    for name in ("python3", f"python3.{sys.version_info.minor}"):  # for uv
        (bin_dir / name).symlink_to(sys.executable)
    monkeypatch.setenv("MONOLOCK_UV", uv_binary())
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "calls.log"))
    monkeypatch.delenv("STORAGE_DRIVER", raising=False)
    return bin_dir


def test_auto_passes_over_a_builder_that_does_not_answer(
    locked: Path, cli: Callable[..., Run], fakes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monolock.image.builders import find

    _fake(fakes, "docker")
    _fake(fakes, "podman")
    monkeypatch.setenv("FAKE_WORKS", "0")
    assert find("auto").kind == "docker"
    (fakes / "docker").write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon'\nexit 1\n")
    assert find("auto").kind == "podman"
    (fakes / "podman").unlink()
    result = cli("-C", locked, "build", "web", "--image", "localhost/web:t")
    assert result.code == 2 and "docker is installed but does not work here" in result.err
    assert "Cannot connect to the Docker daemon" in result.err


def test_a_failed_build_and_an_image_that_cannot_run_python(
    locked: Path,
    cli: Callable[..., Run],
    fakes: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _fake(fakes, "podman")
    monkeypatch.setenv("FAKE_BUILD_FAILS", "1")
    result = cli("-C", locked, "build", "web", "--image", "localhost/web:t")
    assert result.code == 2 and "podman could not build localhost/web:t" in result.err
    assert "boom: the build broke" in result.err
    calls = (tmp_path / "calls.log").read_text()
    assert "build --pull=false -t localhost/web:t" in calls and "--iidfile" in calls
    assert "--label dev.monolock.app=web" in calls and "SOURCE_DATE_EPOCH=" in calls

    monkeypatch.delenv("FAKE_BUILD_FAILS")
    result = cli("-C", locked, "build", "web", "--image", "localhost/web:t", "--format", "json")
    assert result.code == 1, result.err  # a proof that fails, not bad input
    image = json.loads(result.out)["image"]
    assert image["ok"] is False and image["id"] == "sha256:feed"
    assert "does not run in the image" in image["failure"] and "not found" in image["failure"]
    assert image["cached"] == ["RUN uv pip install -r requirements.txt"]
    runs = [
        line for line in (tmp_path / "calls.log").read_text().splitlines() if line.startswith("run")
    ]
    assert runs and all("--pull=never" in r and " sha256:feed " in r for r in runs), runs


def test_each_builders_cached_steps_are_read() -> None:
    from monolock.image.make import cached

    buildah = (
        "[1/2] STEP 5/9: COPY requirements.txt ./\n--> Using cache abc\n"
        "[1/2] STEP 6/9: RUN x\n--> 12ab"
    )
    buildkit = (
        "#7 [build 5/9] COPY requirements.txt ./\n#7 CACHED\n#8 [build 6/9] RUN x\n#8 DONE 1.0s"
    )
    classic = "Step 5/9 : COPY requirements.txt ./\n ---> Using cache\n ---> 1a2b\nStep 6/9 : RUN x"
    for output in (buildah, buildkit, classic):
        assert cached(output) == ("COPY requirements.txt ./",), output
