"""`monolock build APP --venv` vs the hand-glued uv recipe, alternated, medians and ratios.

    python benchmarks/build_speed.py [--repo PATH] [--app NAME] [--python X.Y] [--rounds 3]

The peer is what uv's Docker guide has teams write by hand for one member of a
workspace: `uv sync --package APP --frozen --no-default-groups --no-editable
--compile-bytecode` into a fresh environment. monolock does more for its time: it checks
that the lock is fresh, builds the internal wheels reproducibly, writes the context's
files, installs with hash checking, then proves the environment (installed set, imports,
smoke command). Both start from an empty environment with uv's cache warm; monolock is
timed with its wheel cache (the copy is committed to git, so the tree is clean) and
without (--no-cache: every internal wheel built anew). The sizes and installed sets of
both environments are printed too: they should be equal.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.lock_overhead import MONOLOCK, timed
from monolock.environment import size_of
from monolock.uv import uv_binary

SHOP = Path(__file__).resolve().parent.parent / "examples" / "shop"


def installed(venv: Path) -> set[str]:
    out = subprocess.run(
        [uv_binary(), "pip", "freeze", "--python", str(venv / "bin" / "python")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split("==")[0].split(" @ ")[0].lower() for line in out.splitlines()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=SHOP)
    parser.add_argument("--app", default="api-gateway")
    parser.add_argument("--python", default="3.11")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="monolock-bench-"))
    try:
        repo = workdir / "repo"
        shutil.copytree(
            args.repo, repo, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist")
        )
        ours_env, theirs_env = workdir / "ours", workdir / "theirs"
        ours = [
            MONOLOCK,
            "build",
            args.app,
            "--venv",
            str(ours_env),
            "--no-compare",
            "--python",
            args.python,
            "-q",
        ]
        theirs = [
            uv_binary(),
            "sync",
            "--package",
            args.app,
            "--frozen",
            "--no-default-groups",
            "--no-editable",
            "--compile-bytecode",
            "--python",
            args.python,
            "--quiet",
        ]
        cold = [*ours, "--no-cache"]
        os.environ["UV_PROJECT_ENVIRONMENT"] = str(theirs_env)
        os.environ["MONOLOCK_CACHE_DIR"] = str(workdir / "cache")
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
        for step in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
            subprocess.run([*git, *step], cwd=repo, check=True, capture_output=True)

        def fresh() -> None:
            for env in (ours_env, theirs_env):
                shutil.rmtree(env, ignore_errors=True)

        timed(ours, repo, fresh)  # warm uv's cache and monolock's
        timed(theirs, repo, fresh)
        times: dict[str, list[float]] = {"cold": [], "warm": [], "uv": []}
        runs = [(cold, "cold"), (ours, "warm"), (theirs, "uv")]
        for i in range(args.rounds):
            for argv, name in runs if i % 2 == 0 else reversed(runs):
                times[name].append(timed(argv, repo, fresh))
        timed(ours, repo, lambda: None)
        timed(theirs, repo, lambda: None)
        m = {name: statistics.median(values) for name, values in times.items()}
        print(f"repository: {args.repo.name}, app {args.app}, Python {args.python}")
        print(f"rounds: {args.rounds}, empty environment, uv cache warm")
        print(f"uv sync --package                 {m['uv'] * 1000:7.0f} ms")
        for name, label in (("cold", "--no-cache"), ("warm", "wheel cache")):
            print(
                f"monolock build --venv {label:<11} {m[name] * 1000:7.0f} ms   "
                f"ratio {m[name] / m['uv']:.2f}"
            )
        same = installed(ours_env) == installed(theirs_env)
        print(
            f"sizes: {size_of(ours_env) / 1e6:.1f} MB vs {size_of(theirs_env) / 1e6:.1f} MB; "
            f"same installed set: {'yes' if same else 'NO'}"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
