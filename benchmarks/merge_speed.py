"""A conflicted uv.lock resolved: monolock vs what a user does by hand today.

    python benchmarks/merge_speed.py [--packages 30] [--rounds 5]

A synthetic monorepo (real PyPI distributions, so the index is reached) is made a git
repository; two branches each add a dependency to the same member and relock; merging
them conflicts in uv.lock. Timed, alternating, from the same conflicted state:

- monolock: `monolock lock` (both sides read, relocked preferring their versions)
- by hand:  `git checkout --ours uv.lock && uv lock` (fast, and loses every version
            the other side moved: the baseline in time, not in result)
- driver:   the whole `git merge` with monolock's merge driver installed, against
            `git merge` (text, stops on the conflict) followed by the by-hand relock
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import REAL_POOL, Spec, generate
from benchmarks.lock_overhead import MONOLOCK
from monolock.uv import uv_binary

_GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]


def git(repo: Path, *args: str, check: bool = True) -> None:
    subprocess.run([*_GIT, *args], cwd=repo, check=check, capture_output=True)


def add_dependency(repo: Path, member: str, requirement: str, first: bool) -> None:
    manifest = repo / member / "pyproject.toml"
    lines = manifest.read_text().splitlines()
    at = lines.index("dependencies = [") + 1
    if not first:
        at = lines.index("]", at)
    lines.insert(at, f'    "{requirement}",')
    manifest.write_text("\n".join(lines) + "\n")


def _neighbours(manifest: Path) -> tuple[str, str]:
    """Two requirements the member lacks whose names sort next to each other among its
    own: both land at the same place in its lock entry, so git's text merge conflicts."""
    import tomllib

    have = {d.split(">")[0] for d in tomllib.loads(manifest.read_text())["project"]["dependencies"]}
    free = sorted((name, spec) for name, _, spec in REAL_POOL if name not in have)
    for (a, a_spec), (b, b_spec) in itertools.pairwise(free):
        if not any(a < name < b for name in have):
            return a + a_spec, b + b_spec
    raise SystemExit("no two free neighbours in the pool for this member")


def branch(repo: Path, name: str, member: str, requirement: str, first: bool) -> None:
    git(repo, "checkout", "-q", "-b", name, "main")
    add_dependency(repo, member, requirement, first)
    subprocess.run([MONOLOCK, "lock"], cwd=repo, check=True, capture_output=True)
    git(repo, "commit", "-qam", name)


def timed(argv: list[str] | str, repo: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=repo, check=False, capture_output=True, shell=isinstance(argv, str))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="monolock-bench-"))
    try:
        repo = generate(workdir / "repo", Spec(packages=args.packages, modules=2))
        subprocess.run([uv_binary(), "lock"], cwd=repo, check=True, capture_output=True)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "base")
        member = sorted(p.parent.name for p in (repo / "packages").glob("*/pyproject.toml"))[0]
        member = f"packages/{member}"
        first, last = _neighbours(repo / member / "pyproject.toml")
        branch(repo, "a", member, first, first=True)
        branch(repo, "b", member, last, first=False)
        git(repo, "checkout", "-q", "a")

        def conflicted() -> bool:
            git(repo, "merge", "--abort", check=False)
            git(repo, "merge", "b", check=False)
            return b"<<<<<<<" in (repo / "uv.lock").read_bytes()

        if not conflicted():
            print("git merged uv.lock without a conflict: nothing to time")
            return
        by_hand = f"git checkout --ours uv.lock && {uv_binary()} lock"
        ours: list[float] = []
        hand: list[float] = []
        for i in range(args.rounds):
            pair: list[tuple[list[str] | str, list[float]]] = [
                ([MONOLOCK, "lock"], ours),
                (by_hand, hand),
            ]
            for argv, sink in pair if i % 2 == 0 else reversed(pair):
                git(repo, "checkout", "--merge", "uv.lock")
                sink.append(timed(argv, repo))
        git(repo, "merge", "--abort")
        subprocess.run([MONOLOCK, "merge-driver", "install"], cwd=repo, check=True)
        driver: list[float] = []
        text: list[float] = []
        start = subprocess.run(
            ["git", "rev-parse", "a"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()  # a merge commits onto a: each round starts from a as it was
        for _ in range(args.rounds):
            git(repo, "reset", "-q", "--hard", start)
            driver.append(timed([*_GIT, "merge", "-q", "--no-edit", "b"], repo))
            git(repo, "reset", "-q", "--hard", start)
            text.append(
                timed(
                    f"{' '.join(_GIT)} -c merge.monolock.driver=false merge -q b; {by_hand}", repo
                )
            )
        m, h = statistics.median(ours), statistics.median(hand)
        d, t = statistics.median(driver), statistics.median(text)
        print(f"repository: generated, {args.packages} packages; rounds: {args.rounds}")
        print(
            f"monolock lock    {m * 1000:6.0f} ms   by hand     {h * 1000:6.0f} ms   {m / h:4.2f}x"
        )
        print(
            f"merge + driver   {d * 1000:6.0f} ms   merge + hand {t * 1000:5.0f} ms   {d / t:4.2f}x"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
