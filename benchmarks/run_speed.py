"""`monolock run test` vs the Makefile loop of the Poetry-style monorepo, medians and ratios.

    python benchmarks/run_speed.py [--packages 50] [--rounds 3] [--skip-shop]

The peer is the second seed's Makefile with uv in Poetry's place: for each package, one
after the other, `cd packages/X && uv run --frozen pytest -q` (uv syncs the environment
and runs the tests). monolock runs the same tests: cold (nothing cached, in parallel),
then again with nothing changed (every result replayed), then after editing one file of
a leaf package (only that leaf runs) and of a package many others depend on (it and its
dependents run). Each repository is a git clone, locked once from the real index; uv's
cache is warm for both. Run on examples/shop and on a generated workspace (`generate.py`)
whose packages each have a small test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import Spec, generate
from benchmarks.lock_overhead import MONOLOCK
from monolock.graph import ALL_KINDS, Graph
from monolock.uv import uv_binary
from monolock.workspace import discover

SHOP = Path(__file__).resolve().parent.parent / "examples" / "shop"
TASKS = '\n[tool.monolock.tasks]\ntest = "pytest -q"\n'


def sh(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    return subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def prepare(repo: Path, env: dict[str, str]) -> None:
    (repo / "pyproject.toml").write_text((repo / "pyproject.toml").read_text() + TASKS)
    (repo / ".gitignore").write_text(".venv/\n.pytest_cache/\n__pycache__/\n")
    sh([MONOLOCK, "lock"], repo, env)
    sh(["git", "init", "-q"], repo, env)
    sh(["git", "add", "-A"], repo, env)
    sh(
        ["git", "-c", "user.name=b", "-c", "user.email=b@example.org", "commit", "-qm", "b"],
        repo,
        env,
    )
    sh([uv_binary(), "sync", "--all-packages", "--all-groups", "--frozen", "-q"], repo, env)


def makefile_loop(repo: Path, env: dict[str, str]) -> None:
    for member in discover(repo).packages:
        subprocess.run(
            [uv_binary(), "run", "--frozen", "pytest", "-q"],
            cwd=repo / member.path,
            env=env,
            check=False,  # a package without tests (pytest exit 5) does not stop the loop
            capture_output=True,
        )


def monolock_run(repo: Path, env: dict[str, str], *extra: str) -> dict[str, int]:
    out = subprocess.run(
        [MONOLOCK, "run", "test", "--format", "json", *extra],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode not in (0, 1):
        raise SystemExit(f"monolock run failed:\n{out.stderr}")
    data = json.loads(out.stdout)
    return {"ran": sum(not m["cached"] for m in data["members"]), "failed": data["failed"]}


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def touch(repo: Path, member_path: str, stamp: int) -> None:
    init = next((repo / member_path / "src").glob("*/__init__.py"))
    init.write_text(init.read_text() + f"# edit {stamp}\n")


def bench(repo: Path, label: str, rounds: int, env: dict[str, str]) -> None:
    ws = discover(repo)
    graph = Graph(ws)
    dependents = {p.name: len(graph.dependents([p.name], ALL_KINDS)) for p in ws.packages}
    leaf = min(ws.packages, key=lambda p: (dependents[p.name], p.name))
    hub = max(ws.packages, key=lambda p: (dependents[p.name], p.name))
    times: dict[str, list[float]] = {k: [] for k in ("loop", "cold", "noop", "leaf", "hub")}
    ran: dict[str, object] = {}
    for i in range(rounds):
        steps: list[tuple[str, Callable[[], object]]] = [
            ("loop", lambda: makefile_loop(repo, env)),
            ("cold", lambda: monolock_run(repo, env, "--no-cache")),
        ]
        for name, action in steps if i % 2 == 0 else reversed(steps):
            seconds, result = timed(action)
            times[name].append(seconds)
            ran[name] = result
        monolock_run(repo, env)  # store every result
        seconds, ran["noop"] = timed(lambda: monolock_run(repo, env))
        times["noop"].append(seconds)
        touch(repo, leaf.path, i)
        seconds, ran["leaf"] = timed(lambda: monolock_run(repo, env))
        times["leaf"].append(seconds)
        touch(repo, hub.path, i)
        seconds, ran["hub"] = timed(lambda: monolock_run(repo, env))
        times["hub"].append(seconds)
    base = statistics.median(times["loop"])
    print(f"\n{label}: {len(ws.packages)} members, {rounds} rounds, medians")
    rows = [
        ("loop", "Makefile loop (uv run pytest per package)", ""),
        ("cold", "monolock run test, nothing cached", ""),
        ("noop", "monolock run test, nothing changed", ""),
        ("leaf", f"monolock run test, one file of {leaf.name} changed", ""),
        ("hub", f"monolock run test, one file of {hub.name} changed", ""),
    ]
    for key, text, _ in rows:
        median = statistics.median(times[key])
        note = "" if key == "loop" else f"   members run: {ran[key]['ran']}"  # type: ignore[index]
        print(f"  {text:<58} {median * 1000:8.0f} ms   ratio {median / base:5.2f}{note}")
    print(f"  ({hub.name} has {dependents[hub.name]} dependents, {leaf.name} none)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=50)
    parser.add_argument("--modules", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-shop", action="store_true")
    args = parser.parse_args()
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
    }
    with tempfile.TemporaryDirectory(prefix="monolock-run-") as scratch:
        env["MONOLOCK_CACHE_DIR"] = str(Path(scratch) / "cache")
        if not args.skip_shop:
            shop = Path(scratch) / "shop"
            shutil.copytree(SHOP, shop, ignore=shutil.ignore_patterns(".venv", "build"))
            prepare(shop, env)
            bench(shop, "examples/shop", args.rounds, env)
        generated = generate(Path(scratch) / "gen", Spec(args.packages, args.modules))
        prepare(generated, env)
        bench(generated, "generated workspace", args.rounds, env)


if __name__ == "__main__":
    main()
