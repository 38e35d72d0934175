"""`monolock check` vs tach and deptry on the same synthetic monorepo: medians, ratios, memory.

    pip install -e '.[bench]'
    python benchmarks/check_speed.py [--packages 20] [--modules 200] [--rounds 5]

The repository comes from benchmarks/generate.py (real PyPI distributions, so it is
locked against the real index once, before timing). The peers are configured to do
their part of the job on it:
- `tach check`: internal boundaries, from a generated tach.toml with one module per
  package and its declared internal dependencies;
- deptry, run once per package, as it has to be (it reads one pyproject at a time).
monolock does both in one run, plus the policy rules. It is timed cold (its scan cache
removed: every file parsed) and warm (nothing changed since the last run). The import
map and `uv lock --check` are cached per lock, so both runs have them; the first run on
a new lock, which reads the wheels' file lists from the index, is timed once on its own.
Runs alternate; peak memory is the largest resident set of each command's processes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import Spec, generate
from benchmarks.lock_overhead import MONOLOCK

BIN = Path(sys.executable).parent
# runs a command and prints the peak resident set of its processes, in kB
_PEAK = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def run(argvs: list[list[str]], cwd: Path, before: Callable[[], None]) -> tuple[float, int]:
    """Seconds for the commands in sequence, and the peak memory of any of them (kB)."""
    before()
    peak = 0
    start = time.perf_counter()
    for argv in argvs:
        out = subprocess.run(
            [sys.executable, "-c", _PEAK, *argv], cwd=cwd, capture_output=True, text=True
        )
        peak = max(peak, int(out.stdout.strip() or 0))
    return time.perf_counter() - start, peak


def tach_config(repo: Path) -> None:
    packages = sorted((repo / "packages").iterdir())
    lines = ['exclude = ["**/tests", "**/__pycache__"]', "source_roots = ["]
    lines += [f'    "packages/{p.name}/src",' for p in packages] + ["]", ""]
    for package in packages:
        data = tomllib.loads((package / "pyproject.toml").read_text())
        internal = [d for d in data["project"]["dependencies"] if d.startswith("pkg-")]
        deps = ", ".join(f'"{d.replace("-", "_")}"' for d in internal)
        lines += ["[[modules]]", f'path = "{package.name.replace("-", "_")}"']
        lines += [f"depends_on = [{deps}]", ""]
    (repo / "tach.toml").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=20)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tach, deptry = shutil.which("tach", path=str(BIN)), shutil.which("deptry", path=str(BIN))
    if tach is None or deptry is None:
        sys.exit("tach and deptry are needed: pip install -e '.[bench]'")
    workdir = Path(tempfile.mkdtemp(prefix="monolock-bench-"))
    try:
        repo = generate(workdir / "repo", Spec(args.packages, args.modules))
        cache = workdir / "cache"
        os.environ["MONOLOCK_CACHE_DIR"] = str(cache)
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as once installed
        subprocess.run([MONOLOCK, "lock"], cwd=repo, check=True, capture_output=True)
        tach_config(repo)
        files = sum(1 for _ in repo.rglob("*.py"))
        key = hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:16]
        scan_cache = cache / "check" / key / "scan.marshal"

        def cold() -> None:
            scan_cache.unlink(missing_ok=True)

        check = [[MONOLOCK, "check"]]
        first, _ = run(check, repo, lambda: shutil.rmtree(cache, ignore_errors=True))
        packages = sorted((repo / "packages").iterdir())
        deptry_runs = [
            [deptry, str(p / "src"), "--config", str(p / "pyproject.toml")] for p in packages
        ]
        cases: dict[str, tuple[list[list[str]], Callable[[], None]]] = {
            "monolock check, cold": (check, cold),
            "monolock check, warm": (check, lambda: None),
            "tach check": ([[tach, "check"]], lambda: None),
            "deptry, once per package": (deptry_runs, lambda: None),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        peaks: dict[str, int] = {name: 0 for name in cases}
        names = list(cases)
        for i in range(args.rounds):
            for name in names if i % 2 == 0 else reversed(names):
                argvs, before = cases[name]
                seconds, peak = run(argvs, repo, before)
                times[name].append(seconds)
                peaks[name] = max(peaks[name], peak)
        medians = {name: statistics.median(values) for name, values in times.items()}
        fastest = min(medians["tach check"], medians["deptry, once per package"])
        print(f"repository: {args.packages} packages x {args.modules} modules, {files} files")
        print(f"rounds: {args.rounds}, alternated; ratio = time / fastest peer")
        print(f"{'first run on a new lock (wheel lists read)':<42} {first * 1000:7.0f} ms")
        for name in names:
            print(
                f"{name:<42} {medians[name] * 1000:7.0f} ms   ratio {medians[name] / fastest:5.2f}"
                f"   peak {peaks[name] / 1024:6.1f} MB"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
