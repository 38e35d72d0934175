"""`monolock lock` vs bare `uv lock` on the same repository, alternated, medians and ratios.

    python benchmarks/lock_overhead.py [--repo PATH] [--packages 30] [--rounds 5]

Without --repo a synthetic monorepo is generated (real PyPI distributions, so the
index is reached). Three scenarios, each timed for both commands in alternating order:

- resolve:  uv.lock deleted before every run: a full resolution, index revalidated
- offline:  the same from uv's cache alone (--offline): resolution cost only
- no-op:    uv.lock already fresh: what a pre-commit hook or CI check pays

monolock's share is its own start-up plus reading both locks and diffing every app's
projection (it runs while uv resolves), so the ratio is closest to 1 where uv works.
"""

from __future__ import annotations

import argparse
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
from monolock.uv import uv_binary

MONOLOCK = str(Path(sys.executable).parent / "monolock")


def _compiled() -> None:
    """monolock's bytecode written once, as an installed package has it: with
    PYTHONDONTWRITEBYTECODE set, every timed run would compile every module again."""
    import compileall

    import monolock

    compileall.compile_dir(Path(monolock.__file__).parent, quiet=1)


_compiled()


def timed(argv: list[str], cwd: Path, before: Callable[[], None]) -> float:
    before()
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def scenario(
    repo: Path, name: str, extra: list[str], reset: Callable[[], None], rounds: int
) -> tuple[float, float]:
    ours = [MONOLOCK, "lock", *extra]
    theirs = [uv_binary(), "lock", *extra]
    mine: list[float] = []
    uvs: list[float] = []
    for i in range(rounds):
        pair = [(ours, mine), (theirs, uvs)]
        for argv, sink in pair if i % 2 == 0 else reversed(pair):
            sink.append(timed(argv, repo, reset))
    m, u = statistics.median(mine), statistics.median(uvs)
    print(
        f"{name:<10} monolock {m * 1000:7.0f} ms   uv {u * 1000:7.0f} ms   "
        f"ratio {m / u:5.2f}   monolock's own share {(m - u) * 1000:+5.0f} ms"
    )
    return m, u


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=None)
    parser.add_argument("--packages", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="monolock-bench-"))
    try:
        if args.repo is None:
            repo = generate(workdir / "repo", Spec(packages=args.packages, modules=2))
        else:
            repo = workdir / "repo"
            shutil.copytree(args.repo, repo, ignore=shutil.ignore_patterns(".git", ".venv"))
        lock = repo / "uv.lock"
        subprocess.run([uv_binary(), "lock"], cwd=repo, check=True, capture_output=True)  # warm
        what = args.repo or f"generated, {args.packages} packages"
        print(f"repository: {what}; rounds: {args.rounds}")

        def delete() -> None:
            lock.unlink(missing_ok=True)

        def keep() -> None:
            pass

        ratios = {
            "resolve": scenario(repo, "resolve", [], delete, args.rounds),
            "offline": scenario(repo, "offline", ["--offline"], delete, args.rounds),
            "no-op": scenario(repo, "no-op", [], keep, args.rounds),
        }
        m, u = ratios["resolve"]
        print(f"median ratio (full resolution): {m / u:.2f}  (target <= 1.15)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
