"""The shared task cache against a real S3-compatible server (moto's, on the loopback
address): two clones with their own local caches replay each other's results through
it; what comes back is checked before it is believed; read-only runs store nothing;
signed entries are refused under another key; a remote that is down costs a warning."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from monolock.tasks.entry import Rejected, seal, unseal
from monolock.tasks.results import Stored
from tests.conftest import Run
from tests.test_run import _log_env, repo  # noqa: F401  (fixtures)

TASKS = {"test": "python task.py"}
MEMBERS = {"core", "tools", "web", "admin"}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    found = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    found.start()
    host, port = found.get_host_and_port()
    yield f"http://{host}:{port}"
    found.stop()


@pytest.fixture
def s3(server: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A new bucket on the server, named by MONOLOCK_CACHE_URL; the client to inspect it."""
    import boto3

    for key, value in {
        "AWS_ENDPOINT_URL": server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MONOLOCK_CACHE_SIGNING_KEY", raising=False)
    monkeypatch.delenv("MONOLOCK_CACHE", raising=False)
    bucket = f"cache-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=server, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    monkeypatch.setenv("MONOLOCK_CACHE_URL", f"s3://{bucket}/team")
    client.bucket = bucket
    return client


def _objects(s3: Any) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=s3.bucket).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=s3.bucket, Key=o["Key"])["Body"].read() for o in listed}


def _clone(root: Path, tmp: Path) -> Path:
    target = tmp / "second"
    subprocess.run(["git", "clone", "-q", str(root), str(target)], check=True)
    return target


@dataclass
class Runner:
    """A locked, committed repository whose `run test` each test calls with a local cache
    of its own naming."""

    root: Path
    cli: Callable[..., Run]
    env: pytest.MonkeyPatch
    caches: Path

    def run(self, cache: str, *args: str, root: Path | None = None) -> tuple[dict[str, Any], str]:
        """`run test` with local cache `cache`: (summary, warnings and members' output)."""
        self.env.setenv("MONOLOCK_CACHE_DIR", str(self.caches / cache))
        result = self.cli("-C", root or self.root, "run", "test", "--format", "json", *args)
        assert result.code == 0, result.err
        return json.loads(result.out), result.err


@pytest.fixture
def runner(
    repo: Callable[..., Path],  # noqa: F811
    cli: Callable[..., Run],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Runner:
    return Runner(repo(TASKS), cli, monkeypatch, tmp_path_factory.mktemp("caches"))


def _where(data: dict[str, Any]) -> dict[str, str | None]:
    return {m["member"]: m["cache"] for m in data["members"]}


def _ran(root: Path) -> set[str]:
    """The members whose task ran (not replayed) since the log was last cleared."""
    log = Path(os.environ["RUN_LOG"])
    names = {line.split()[1] for line in log.read_text().splitlines() if line.startswith("end")}
    log.unlink()
    return names


def test_a_second_runner_replays_the_first_through_the_remote(
    runner: Runner, s3: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    first = runner.root
    data, _ = runner.run("a")
    assert _where(data) == dict.fromkeys(MEMBERS) and _ran(first) == MEMBERS
    stored = _objects(s3)
    assert len(stored) == 4 and all(k.startswith("team/tasks/") for k in stored)

    second = _clone(first, tmp_path_factory.mktemp("runner-b"))
    data, err = runner.run("b", root=second)
    assert _where(data) == dict.fromkeys(MEMBERS, "remote"), err
    assert data["remote"] == 4 and not Path(os.environ["RUN_LOG"]).exists(), "nothing ran"
    text = runner.cli("-C", second, "run", "test")
    assert "4 passed, 4 cached" in text.out and "(remote cache)" not in text.out, (
        "the remote's results were kept locally"
    )
    assert _objects(s3) == stored, "replaying writes nothing back"

    # a change in core: core, web and admin run again on the second runner and reach the
    # remote; the first runner then replays them
    (second / "libs/core/src/core/__init__.py").write_text("VALUE = 2\n")
    data, _ = runner.run("b", root=second)
    assert _ran(second) == {"core", "web", "admin"} and len(_objects(s3)) == 7
    (first / "libs/core/src/core/__init__.py").write_text("VALUE = 2\n")
    data, _ = runner.run("a")
    assert _where(data) == {"core": "remote", "web": "remote", "admin": "remote", "tools": "local"}


def test_a_corrupted_or_foreign_entry_is_a_miss_and_is_replaced(runner: Runner, s3: Any) -> None:
    root = runner.root
    runner.run("1")
    _ran(root)
    stored = _objects(s3)
    by_member = {json.loads(v.split(b"\n", 1)[1])["member"]: (k, v) for k, v in stored.items()}
    (core, core_data), web = by_member["core"], by_member["web"][0]
    # a failing run's output dressed as core's: the digest no longer matches
    s3.put_object(Bucket=s3.bucket, Key=core, Body=core_data.replace(b"ran core", b"ran c0re"))
    s3.put_object(Bucket=s3.bucket, Key=web, Body=core_data)  # core's entry under web's key

    data, err = runner.run("2")
    assert _where(data) == {"core": None, "web": None, "tools": "remote", "admin": "remote"}
    assert _ran(root) == {"core", "web"}
    assert "does not match its digest" in err and "stored for another key" in err
    data, _ = runner.run("3")
    assert _where(data) == dict.fromkeys(MEMBERS, "remote"), "the reruns replaced both"

    s3.put_object(Bucket=s3.bucket, Key=core, Body=b"not an entry at all")
    data, err = runner.run("4")
    assert _where(data)["core"] is None and "not a monolock task result" in err


def test_read_only_replays_and_stores_nothing(runner: Runner, s3: Any) -> None:
    root = runner.root
    runner.run("1")
    before = _objects(s3)
    (root / "libs/tools/src/tools/__init__.py").write_text("CHANGED = True\n")
    _ran(root)
    runner.env.setenv("MONOLOCK_CACHE", "read-only")  # as a fork's pull request sets it
    data, _ = runner.run("2")
    assert _where(data) == {"core": "remote", "web": "remote", "admin": "remote", "tools": None}
    assert _ran(root) == {"tools"}
    assert _objects(s3) == before, "nothing written to the remote"
    assert not (runner.caches / "2").exists() or not any(
        p.is_file() for p in (runner.caches / "2").rglob("*.json")
    ), "nothing written locally"


def test_signed_entries_are_refused_under_another_key_or_none(runner: Runner, s3: Any) -> None:
    root = runner.root
    runner.env.setenv("MONOLOCK_CACHE_SIGNING_KEY", "first secret")
    runner.run("1")
    _ran(root)
    assert all(b"hmac-sha256" in v.split(b"\n", 1)[0] for v in _objects(s3).values())

    runner.env.setenv("MONOLOCK_CACHE_SIGNING_KEY", "another secret")
    data, err = runner.run("2", "--cache", "read-only")
    assert _where(data) == dict.fromkeys(MEMBERS) and _ran(root) == MEMBERS
    assert err.count("signed with another key") == 4

    runner.env.setenv("MONOLOCK_CACHE_SIGNING_KEY", "first secret")
    data, _ = runner.run("3")
    assert _where(data) == dict.fromkeys(MEMBERS, "remote")

    # entries stored without a key are refused by a runner that has one
    runner.env.delenv("MONOLOCK_CACHE_SIGNING_KEY")
    (root / "libs/tools/src/tools/__init__.py").write_text("CHANGED = True\n")
    runner.run("4")
    _ran(root)
    runner.env.setenv("MONOLOCK_CACHE_SIGNING_KEY", "first secret")
    data, err = runner.run("5")
    assert _where(data)["tools"] is None and "not signed" in err

    # a remote configured `signed = true` is not used by a runner without the key
    manifest = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(manifest + "\n[tool.monolock.cache]\nsigned = true\n")
    runner.env.delenv("MONOLOCK_CACHE_SIGNING_KEY")
    data, err = runner.run("6")
    assert _where(data) == dict.fromkeys(MEMBERS)
    assert "MONOLOCK_CACHE_SIGNING_KEY is not set" in err


def test_a_remote_that_is_down_costs_a_warning(runner: Runner, s3: Any) -> None:
    root = runner.root
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    runner.env.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed}")
    data, err = runner.run("1")
    assert data["passed"] == 4 and _ran(root) == MEMBERS
    assert err.count("not used for the rest of this run") == 1, err
    data, _ = runner.run("1")
    assert _where(data) == dict.fromkeys(MEMBERS, "local"), "the local cache still works"


def test_a_shared_disk(runner: Runner, tmp_path_factory: pytest.TempPathFactory) -> None:
    root = runner.root
    disk = tmp_path_factory.mktemp("disk") / "monolock"
    runner.env.setenv("MONOLOCK_CACHE_URL", disk.as_uri())
    runner.run("1")
    assert len([p for p in (disk / "tasks").rglob("*") if p.is_file()]) == 4
    _ran(root)
    data, _ = runner.run("2", "--cache", "local")
    assert _where(data) == dict.fromkeys(MEMBERS) and _ran(root) == MEMBERS
    data, _ = runner.run("3")
    assert _where(data) == dict.fromkeys(MEMBERS, "remote")


def test_bad_cache_settings_are_named_and_exit_2(runner: Runner) -> None:
    root = runner.root
    manifest = (root / "pyproject.toml").read_text()
    runner.env.delenv("MONOLOCK_CACHE_URL", raising=False)
    runner.env.setenv("MONOLOCK_CACHE_DIR", str(runner.caches / "cache"))
    cases = [
        ('url = "http://example.com/cache"', "tool.monolock.cache.url", "not a store"),
        ('url = "file://relative/path"', "tool.monolock.cache.url", "must be an absolute"),
        ('url = "s3://"', "tool.monolock.cache.url", "not a store"),
        ("url = 3", "tool.monolock.cache.url", "expected a string"),
        ("timeout = 0", "tool.monolock.cache.timeout", "expected seconds"),
        ("timeout = inf", "tool.monolock.cache.timeout", "expected seconds"),
        ("timeout = nan", "tool.monolock.cache.timeout", "expected seconds"),
        ("timeout = 1e-12", "tool.monolock.cache.timeout", "expected seconds"),
        ("timeout = true", "tool.monolock.cache.timeout", "expected"),
        ("tiemout = 3", "tiemout", ""),
    ]
    for line, key, message in cases:
        (root / "pyproject.toml").write_text(manifest + f"\n[tool.monolock.cache]\n{line}\n")
        result = runner.cli("-C", root, "run", "test")
        assert result.code == 2 and "Traceback" not in result.err, (line, result.err)
        assert key in result.err and message in result.err and "pyproject.toml" in result.err
    (root / "pyproject.toml").write_text(manifest)
    runner.env.setenv("MONOLOCK_CACHE_URL", "ftp://example.com/x")
    result = runner.cli("-C", root, "run", "test")
    assert (
        result.code == 2
        and "MONOLOCK_CACHE_URL: 'ftp://example.com/x' is not a store" in result.err
    )
    assert "pyproject.toml" not in result.err
    runner.env.delenv("MONOLOCK_CACHE_URL")
    runner.env.setenv("MONOLOCK_CACHE", "sometimes")
    result = runner.cli("-C", root, "run", "test")
    assert result.code == 2 and "MONOLOCK_CACHE" in result.err
    assert not Path(os.environ["RUN_LOG"]).exists(), "nothing ran"


def test_a_read_only_run_creates_no_shared_disk(runner: Runner) -> None:
    disk = runner.caches / "not yet" / "monolock"
    runner.env.setenv("MONOLOCK_CACHE_URL", disk.as_uri())  # percent-encoded: not%20yet
    data, err = runner.run("cache", "--cache", "read-only")
    assert data["passed"] == 4 and not (runner.caches / "not yet").exists()
    assert "remote cache" not in err
    runner.run("cache")
    assert len([p for p in disk.rglob("*") if p.is_file()]) == 4, "the decoded path"


def _entry(secret: bytes | None = None, **changes: Any) -> tuple[str, bytes]:
    stored = Stored("core", "test", "pytest", "passed", None, 1.0, "ok")
    key = "ab" * 32
    return key, seal(key, replace(stored, **changes), secret)


def test_what_an_entry_must_be_to_be_believed() -> None:
    key, data = _entry(b"k1")
    assert unseal(key, data, b"k1").output == "ok"
    header, payload = data.split(b"\n", 1)
    forged = payload.replace(b'"ok"', b'"FORGED"')
    digest = hashlib.sha256(forged).hexdigest()
    rehashed = json.dumps({**json.loads(header), "sha256": digest}).encode() + b"\n" + forged
    with pytest.raises(Rejected, match="signed with another key"):
        unseal(key, rehashed, b"k1")  # the digest recomputed, the HMAC cannot be
    assert unseal(key, rehashed, None).output == "FORGED", "without a key: damage only"
    failed_key, failed = _entry(status="failed")
    with pytest.raises(Rejected, match="not a task result"):
        unseal(failed_key, failed, None)
    for hostile in (b"[" * 200_000 + b"\n{}", data.split(b"\n")[0] + b"\n" + b"[" * 200_000):
        with pytest.raises(Rejected):
            unseal(key, hostile, None)
    with pytest.raises(Rejected, match="stored for another key"):
        unseal("cd" * 32, data, b"k1")
    with pytest.raises(Rejected, match="not signed"):
        unseal(*_entry(None), b"k1")


def test_a_signing_key_is_its_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from monolock.tasks.cache import open_cache

    disk = tmp_path / "disk"
    (tmp_path / "pyproject.toml").write_text(f'[tool.monolock.cache]\nurl = "{disk.as_uri()}"\n')
    monkeypatch.delenv("MONOLOCK_CACHE_URL", raising=False)
    monkeypatch.setenv("MONOLOCK_CACHE_DIR", str(tmp_path / "local"))
    monkeypatch.setenv("MONOLOCK_CACHE_SIGNING_KEY", "k\udcff")  # the bytes b"k\xff"
    cache = open_cache(tmp_path, "read-write", print)
    assert cache is not None
    stored = Stored("core", "test", "pytest", "passed", None, 1.0, "ok")
    key = "ab" * 32
    cache.put(key, stored)
    cache.flush()
    written = (disk / "tasks" / key[:2] / key).read_bytes()
    assert unseal(key, written, b"k\xff") == stored
