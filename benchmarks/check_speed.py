"""`monolock check` vs tach and deptry on the same synthetic monorepo: medians, ratios,
memory, and how many planted violations each finds.

    pip install -e '.[bench]'
    python benchmarks/check_speed.py [--packages 20] [--modules 200] [--rounds 5]

The repository comes from benchmarks/generate.py (real PyPI distributions, locked
against the real index once, before timing), with violations planted in a quarter of
its packages: an import no manifest declares (`yaml`, whose distribution is `pyyaml`,
where the pool allows) and a declared dependency nothing imports. The peers do the part
of the job comparable to monolock's, each in the corpus's own environment (synced from
its lock, the peers installed into it), since both map import names through the
installed distributions' metadata and mis-map names without it:
- `tach check-external`: undeclared and unused third-party dependencies per package
  (`tach check`, its boundary check, is not comparable: with one pyproject.toml per
  package it does not see cross-package imports at all);
- deptry, run once per package, as it has to be (it reads one pyproject at a time).
monolock does both in one run, plus the internal and policy rules. It is timed cold (its
scan cache removed: every file parsed) and warm (nothing changed since the last run).
The import map and `uv lock --check` are cached per lock, so both runs have them; the
first run on a new lock, which reads the wheels' file lists, is timed once on its own.
Runs alternate; peak memory is the largest resident set of each command's processes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
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
from monolock.model import normalize
from monolock.uv import uv_binary

PEERS = ("tach>=0.30", "deptry>=0.20")
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


def _planted_found(repo: Path, planted: list[dict[str, str]]) -> dict[str, tuple[int, int]]:
    """Per tool: (planted violations it reports, other reports) on the corpus."""
    env = repo / ".venv" / "bin"
    packages = sorted((repo / "packages").iterdir())
    said: dict[str, set[tuple[str, str, str]]] = {"monolock": set(), "tach": set(), "deptry": set()}
    out = subprocess.run(
        [MONOLOCK, "check", "--format", "json", "--no-lock-check"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    for f in json.loads(out.stdout)["findings"]:
        kind = {"ML101": "undeclared", "ML102": "undeclared", "ML103": "unused"}.get(f["code"])
        if kind:
            said["monolock"].add((f["package"], kind, normalize(f["subject"])))
    tach = subprocess.run(
        [str(env / "tach"), "check-external"], cwd=repo, capture_output=True, text=True
    )
    for line in (tach.stdout + tach.stderr).splitlines():
        found = re.search(r"Dependency '([^']+)' is not declared in package '([^']+)'", line)
        if found:
            said["tach"].add((found[2], "undeclared", normalize(found[1])))
        found = re.search(r"package '([^']+)' is not used in package '([^']+)'", line)
        if found:
            said["tach"].add((found[2], "unused", normalize(found[1])))
    for package in packages:
        run = subprocess.run(
            [str(env / "deptry"), "src", "--no-ansi"],
            cwd=package,
            capture_output=True,
            text=True,
        )
        for line in (run.stdout + run.stderr).splitlines():
            found = re.search(r"(DEP00[123]) '([^']+)'", line)
            if found:
                kind = "unused" if found[1] == "DEP002" else "undeclared"
                said["deptry"].add((package.name, kind, normalize(found[2])))
    truth = {
        (p["package"], p["kind"], normalize(p["dist"])): normalize(p.get("import", p["dist"]))
        for p in planted
    }
    result = {}
    for tool, reports in said.items():
        hit = {t for t, module in truth.items() if t in reports or (*t[:2], module) in reports}
        names = {(*t[:2], m) for t, m in truth.items()} | set(truth)
        result[tool] = (len(hit), len(reports - names))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=20)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="monolock-bench-"))
    try:
        planted = max(1, args.packages // 4)
        repo = generate(workdir / "repo", Spec(args.packages, args.modules, planted=planted))
        truth = json.loads((repo / "planted.json").read_text())
        cache = workdir / "cache"
        os.environ["MONOLOCK_CACHE_DIR"] = str(cache)
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as once installed
        subprocess.run([MONOLOCK, "lock"], cwd=repo, check=True, capture_output=True)
        # the corpus's own environment, with the peers in it: they read its metadata
        subprocess.run(
            [uv_binary(), "sync", "--all-packages", "--frozen", "-q"], cwd=repo, check=True
        )
        subprocess.run(
            [uv_binary(), "pip", "install", "-q", "--python", str(repo / ".venv"), *PEERS],
            cwd=repo,
            check=True,
        )
        env = repo / ".venv" / "bin"
        tach_config(repo)
        files = sum(1 for _ in repo.rglob("*.py") if ".venv" not in _.parts)
        key = hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:16]
        scan_cache = cache / "check" / key / "scan.marshal"

        def cold() -> None:
            scan_cache.unlink(missing_ok=True)

        check = [[MONOLOCK, "check"]]
        first, _ = run(check, repo, lambda: shutil.rmtree(cache, ignore_errors=True))
        packages = sorted((repo / "packages").iterdir())
        deptry_runs = [
            [str(env / "deptry"), str(p / "src"), "--config", str(p / "pyproject.toml")]
            for p in packages
        ]
        cases: dict[str, tuple[list[list[str]], Callable[[], None]]] = {
            "monolock check, cold": (check, cold),
            "monolock check, warm": (check, lambda: None),
            "tach check-external": ([[str(env / "tach"), "check-external"]], lambda: None),
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
        fastest = min(medians["tach check-external"], medians["deptry, once per package"])
        found = _planted_found(repo, truth)
        print(f"repository: {args.packages} packages x {args.modules} modules, {files} files")
        print(f"planted: {len(truth)} violations in {planted} packages")
        print(f"rounds: {args.rounds}, alternated; ratio = time / fastest peer")
        print(f"{'first run on a new lock (wheel lists read)':<42} {first * 1000:7.0f} ms")
        for name in names:
            print(
                f"{name:<42} {medians[name] * 1000:7.0f} ms   ratio {medians[name] / fastest:5.2f}"
                f"   peak {peaks[name] / 1024:6.1f} MB"
            )
        for tool, (hit, other) in found.items():
            print(f"{tool:<10} found {hit} of {len(truth)} planted, {other} other report(s)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
