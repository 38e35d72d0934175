"""Freshness of per-package Poetry locks: `monolock lock --check` vs Poetry itself.

    python benchmarks/poetry_speed.py ROOT [--rounds 5]

ROOT is a Poetry monorepo (a pyproject.toml and poetry.lock per package). The peer is
the Makefile loop a team writes: `poetry check --lock` in each package, one after the
other. monolock answers for every package at once, without Poetry, and also sees the
locks made stale by an edit to a path dependency (which the loop does not). Then
`monolock drift --no-resolve` (the versions that differ between the locks) for scale.
Prints medians and the ratio to the peer.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.lock_overhead import MONOLOCK


def _median(argv_list: list[tuple[list[str], Path]], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for argv, cwd in argv_list:
            subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    poetry = shutil.which("poetry") or str(Path(sys.executable).parent / "poetry")
    root = args.root.resolve()
    packages = sorted(p.parent for p in root.rglob("poetry.lock") if ".venv" not in p.parts)
    loop = [([poetry, "check", "--lock"], p) for p in packages]
    rows = [
        ("poetry check --lock, per package", _median(loop, args.rounds)),
        ("monolock lock --check", _median([([MONOLOCK, "lock", "--check"], root)], args.rounds)),
        (
            "monolock drift --no-resolve",
            _median([([MONOLOCK, "drift", "--no-resolve"], root)], args.rounds),
        ),
    ]
    base = rows[0][1]
    print(f"{root.name}: {len(packages)} poetry.lock files, median of {args.rounds} rounds")
    for name, seconds in rows:
        print(f"  {name:<36} {seconds * 1000:8.0f} ms  {seconds / base:5.2f}")


if __name__ == "__main__":
    main()
