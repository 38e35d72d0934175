"""Two CI runners sharing one remote task cache: what the second saves by replaying the first.

    python benchmarks/remote_cache.py [--packages 50] [--rounds 3]

A generated workspace (`generate.py`, each package with a small test) is committed and
cloned: two "runners", each with its own empty local cache, and one S3-compatible server
(moto's) on the loopback address as `[tool.monolock.cache]`. Runner A runs `run test`
and writes every result to the remote; runner B, a fresh clone with an empty local cache,
then runs the same command. Reported: B's hit rate and time against B running without the
remote (`--cache=local`, an empty cache: what every fresh runner pays today); the same after
a change to a package many depend on (B on its own cache reruns it and its dependents; with
the remote it replays A's results); and what a remote that is down costs (connection
refused: one warning, the tasks run).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import Spec, generate
from benchmarks.lock_overhead import MONOLOCK
from benchmarks.run_speed import prepare, sh, touch
from monolock.graph import ALL_KINDS, Graph
from monolock.uv import uv_binary
from monolock.workspace import discover


def run(repo: Path, env: dict[str, str], cache: Path, *extra: str) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    out = subprocess.run(
        [MONOLOCK, "run", "test", "--format", "json", *extra],
        cwd=repo,
        env={**env, "MONOLOCK_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if out.returncode not in (0, 1):
        raise SystemExit(f"monolock run failed:\n{out.stderr}")
    return seconds, json.loads(out.stdout)


def hits(data: dict[str, Any]) -> str:
    return f"{data['remote']}/{len(data['members'])} from the remote"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
    }
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_REGION="us-east-1",
    )
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    times: dict[str, list[float]] = {k: [] for k in ("a", "off", "b", "hub-off", "hub-b", "down")}
    seen: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="monolock-remote-") as scratch:
        base = Path(scratch)
        first = generate(base / "a", Spec(args.packages, 5))
        prepare(first, {**env, "MONOLOCK_CACHE_DIR": str(base / "warmup")})
        graph = Graph(discover(first))
        hub = max(
            discover(first).packages, key=lambda p: len(graph.dependents([p.name], ALL_KINDS))
        )
        for i in range(args.rounds):
            bucket = f"bench-{uuid.uuid4().hex[:12]}"
            s3.create_bucket(Bucket=bucket)
            env["MONOLOCK_CACHE_URL"] = f"s3://{bucket}/ci"
            second = base / f"b{i}"
            sh(["git", "clone", "-q", str(first), str(second)], base, env)
            sh(
                [uv_binary(), "sync", "--all-packages", "--all-groups", "--frozen", "-q"],
                second,
                env,
            )
            seconds, seen["a"] = run(first, env, base / f"cache-a{i}")
            times["a"].append(seconds)
            seconds, seen["off"] = run(second, env, base / f"cache-own{i}", "--cache=local")
            times["off"].append(seconds)
            seconds, seen["b"] = run(second, env, base / f"cache-b{i}")
            times["b"].append(seconds)
            # a change to the hub: A runs it and its dependents, B replays A's new results
            touch(first, hub.path, i)
            touch(second, hub.path, i)
            run(first, env, base / f"cache-a{i}")
            seconds, seen["hub-off"] = run(second, env, base / f"cache-own{i}", "--cache=local")
            times["hub-off"].append(seconds)
            seconds, seen["hub-b"] = run(second, env, base / f"cache-b{i}")
            times["hub-b"].append(seconds)
            sh(["git", "checkout", "-q", "."], first, env)
            # the remote refuses connections: one warning, everything runs
            down = {**env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
            seconds, seen["down"] = run(second, down, base / f"cache-down{i}")
            assert seen["down"]["remote"] == 0 and seen["down"]["failed"] == 0
            times["down"].append(seconds)
    server.stop()

    def median(key: str) -> float:
        return statistics.median(times[key])

    n = len(seen["b"]["members"])
    print(f"\ngenerated workspace: {n} members, {args.rounds} rounds, medians")
    rows = [
        ("a", "runner A, empty caches: runs all, writes the remote", "off", ""),
        ("off", "runner B on its own empty cache (--cache=local)", "off", ""),
        ("b", "runner B, empty local cache, remote filled by A", "off", hits(seen["b"])),
        ("hub-off", f"after a change to {hub.name}: B on its own cache", "hub-off", ""),
        (
            "hub-b",
            f"after a change to {hub.name}: B with the remote",
            "hub-off",
            hits(seen["hub-b"]),
        ),
        ("down", "runner B, remote down (connection refused)", "off", ""),
    ]
    for key, text, against, note in rows:
        ratio = median(key) / median(against)
        print(f"  {text:<56} {median(key) * 1000:8.0f} ms   ratio {ratio:5.2f}   {note}")
    saved = median("off") - median("b")
    print(f"  time saved on B: {saved:.1f} s of {median('off'):.1f} s")


if __name__ == "__main__":
    main()
