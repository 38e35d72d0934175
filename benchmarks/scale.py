"""monolock on generated workspaces of growing size: how each answer grows.

    python benchmarks/scale.py [--sizes 50,200,500,1000] [--topologies random,chain]
        [--rounds 3]

For each size and topology (random: each member depends on up to 3 earlier ones;
chain: each on the one before, the deepest graph there is), a workspace is generated,
locked once from the real index with `six` held back, and committed. Then, with nothing
changed, the read-only commands (`list`, `graph`, `export` of the last member): each
computed from the workspace index (its recorded answer removed before every round), then
replayed (asked again, nothing changed); a warm `check`; then `affected` after one leaf
file is edited, and after `six` is bumped in uv.lock (every member above it is touched).
Medians of --rounds runs, wall time of the command as a user types it, with a cache
directory of its own; then the growth exponent between consecutive sizes (1 is linear,
2 quadratic).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import Spec, generate
from benchmarks.lock_overhead import MONOLOCK
from monolock.uv import uv_binary

READ_ONLY = ("list", "graph", "export")
COMMANDS = (
    *(f"{c}{again}" for c in READ_ONLY for again in ("", " again")),
    "check",
    "affected-leaf",
    "affected-lock",
)


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@example.org", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def _time(argv: list[str], cwd: Path, rounds: int, forget: Path | None = None) -> float:
    """The median wall time; with `forget`, that directory is removed before each round."""
    samples = []
    for _ in range(rounds):
        if forget is not None:
            shutil.rmtree(forget, ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _workspace(base: Path, size: int, topology: str) -> Path:
    root = generate(base / f"{topology}-{size}", Spec(size, 2, topology=topology))
    first = root / "packages/pkg-0000/pyproject.toml"
    first.write_text(first.read_text().replace("dependencies = [", 'dependencies = [\n    "six",'))
    _git(root, "init", "-q", "-b", "main")
    subprocess.run([uv_binary(), "lock", "-q", "-P", "six==1.16.0"], cwd=root, check=True)
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "generated")
    time.sleep(2.1)  # directories written this recently are not trusted by their mtime
    return root


def measure(root: Path, size: int, rounds: int) -> dict[str, float]:
    last = f"pkg-{size - 1:04d}"
    answers = Path(os.environ["MONOLOCK_CACHE_DIR"]) / "answers"
    out: dict[str, float] = {}
    for command in READ_ONLY:
        argv = [MONOLOCK, command, *([last] if command == "export" else [])]
        subprocess.run(argv, cwd=root, capture_output=True)  # the index, written once
        out[command] = _time(argv, root, rounds, forget=answers)
        out[f"{command} again"] = _time(argv, root, rounds)
    subprocess.run([MONOLOCK, "check", "--no-lock-check"], cwd=root, capture_output=True)
    out["check"] = _time([MONOLOCK, "check", "--no-lock-check"], root, rounds)
    leaf = root / f"packages/{last}/src/{last.replace('-', '_')}/mod_0000.py"
    leaf.write_text(leaf.read_text() + "\n# edited\n")
    out["affected-leaf"] = _time([MONOLOCK, "affected"], root, rounds)
    _git(root, "checkout", "--", ".")
    subprocess.run([uv_binary(), "lock", "-q", "-P", "six==1.17.0"], cwd=root, check=True)
    out["affected-lock"] = _time([MONOLOCK, "affected"], root, rounds)
    _git(root, "checkout", "--", ".")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,200,500,1000")
    parser.add_argument("--topologies", default="random,chain")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="monolock-scale-") as tmp:
        os.environ["MONOLOCK_CACHE_DIR"] = str(Path(tmp) / "cache")
        for topology in args.topologies.split(","):
            results: dict[int, dict[str, float]] = {}
            for size in sizes:
                root = _workspace(Path(tmp), size, topology)
                results[size] = measure(root, size, args.rounds)
                print(f"{topology} {size}: done", file=sys.stderr)
            print(f"\n{topology} topology, seconds (growth exponent against the size before)")
            print("| members | " + " | ".join(COMMANDS) + " |")
            print("|---|" + "---|" * len(COMMANDS))
            for i, size in enumerate(sizes):
                cells = []
                for command in COMMANDS:
                    value = results[size][command]
                    cell = f"{value:.2f}"
                    if i:
                        before = results[sizes[i - 1]][command]
                        growth = math.log(value / before) / math.log(size / sizes[i - 1])
                        cell += f" (^{growth:.1f})"
                    cells.append(cell)
                print(f"| {size} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
