"""An app's environment on this machine, made by the build context's own install steps, and
the proof that it is the image's: exactly the projection installed, every internal module
importable, the smoke command passing. Its size, next to the whole workspace's, is the point.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import InvalidMarker, Marker
from packaging.utils import canonicalize_version

from monolock import targets, uv
from monolock.container import FILES, Plan
from monolock.errors import BuildError, UvError
from monolock.fsutil import on_path
from monolock.model import normalize
from monolock.wheels import Wheel

_SMOKE_TAIL = 20

# Run by the environment's own interpreter: its marker environment and where it installs.
PROBE = """
import json, os, platform, sys, sysconfig
impl = sys.implementation
version = "{0.major}.{0.minor}.{0.micro}".format(impl.version)
if impl.version.releaselevel != "final":
    version += impl.version.releaselevel[0] + str(impl.version.serial)
print(json.dumps({
    "markers": {
        "implementation_name": impl.name,
        "implementation_version": version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    },
    "paths": sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}),
}))
"""

IMPORTS = """
import importlib, json, sys
failed = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except BaseException as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failed))
"""


@dataclass(frozen=True)
class Smoke:
    command: str
    returncode: int
    seconds: float
    output: str  # the tail of stdout and stderr

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass(frozen=True)
class Proof:
    python: str  # the interpreter's full version
    expected: dict[str, str]  # name -> version
    installed: dict[str, str]
    imports: tuple[str, ...]  # the modules tried
    import_errors: dict[str, str]
    smoke: Smoke | None
    size: int  # bytes

    @property
    def missing(self) -> list[str]:
        return [f"{n}=={v}" for n, v in sorted(self.expected.items()) if n not in self.installed]

    @property
    def extra(self) -> list[str]:
        return [f"{n}=={v}" for n, v in sorted(self.installed.items()) if n not in self.expected]

    @property
    def wrong(self) -> list[str]:
        """Installed at another version than the lock's."""
        return [
            f"{n}: expected {v}, installed {self.installed[n]}"
            for n, v in sorted(self.expected.items())
            if n in self.installed
            and canonicalize_version(self.installed[n]) != canonicalize_version(v)
        ]

    @property
    def ok(self) -> bool:
        exact = not (self.missing or self.extra or self.wrong)
        return exact and not self.import_errors and (self.smoke is None or self.smoke.ok)


def interpreter(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def materialise(plan: Plan, context: Path, venv: Path, kind: str) -> None:
    """Run the context's install steps into `venv` (checked replaceable: new, empty or
    stamped `kind`), stamped as monolock's from the first step; on failure, leave no half
    environment."""
    steps = plan.steps(str(venv), plan.python)
    # the old environment (monolock's) goes, and the new one is stamped before uv writes
    # into it: interrupted at any instant, what is left is monolock's to replace
    targets.remove(venv, kind)
    venv.mkdir(parents=True, exist_ok=True)
    targets.stamp(venv, kind, complete=False)
    try:
        try:
            uv.run((*steps[0], "--allow-existing", "--quiet"), cwd=context)
        except UvError as exc:
            raise BuildError(
                exc.message,
                hint=f"install Python {plan.python}, or pass --python X.Y (or set `python` in "
                f"[tool.monolock.apps.{plan.app.name}])",
            ) from None
        for step in steps[1:]:
            uv.run(step, cwd=context)
    except BaseException:
        targets.remove(venv, kind)
        raise
    targets.stamp(venv, kind)


def _probe(python: Path) -> dict[str, object]:
    out = subprocess.run(
        [str(python), "-I", "-c", PROBE], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise BuildError(f"cannot run {python}: {uv.tail(out.stderr)}")
    data: dict[str, object] = json.loads(out.stdout)
    return data


def _installed(paths: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for directory in map(Path, paths):
        for info in sorted(directory.glob("*.dist-info")):
            name = version = None
            metadata = info / "METADATA"
            if not metadata.is_file():  # absent, or a pipe that would never end
                continue
            for line in metadata.read_text(errors="replace").splitlines():
                if not line:
                    break  # the headers end at the first empty line
                key, _, value = line.partition(":")
                if key == "Name":
                    name = normalize(value.strip())
                elif key == "Version":
                    version = value.strip()
            if name and version:
                found[name] = version
    return found


def _applies(marker: str | None, env: dict[str, str]) -> bool:
    if marker is None:
        return True
    try:
        return Marker(marker).evaluate({**env, "extra": ""})
    except InvalidMarker:
        return True  # keep it expected: a marker we cannot read must not hide a missing dist


def expected(plan: Plan, wheels: list[Wheel], env: dict[str, str]) -> dict[str, str]:
    want = {
        item.name: item.version or ""
        for item in plan.projection.third_party
        if _applies(item.marker, env)
    }
    want.update({w.name: w.version for w in wheels})
    return want


def size_of(path: Path) -> int:
    total = 0
    for directory, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_size
            except OSError:
                continue
    return total


def _scrubbed_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = on_path(interpreter(venv).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONSAFEPATH"] = "1"  # the working directory must not shadow what is installed
    return env


def run_smoke(command: str, venv: Path, workdir: Path, timeout: float) -> Smoke:
    start = time.monotonic()
    try:
        out = subprocess.run(
            command,
            shell=True,
            cwd=workdir,
            env=_scrubbed_env(venv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        code, text = out.returncode, (out.stdout + out.stderr)
    except subprocess.TimeoutExpired:
        code, text = 124, f"timed out after {timeout:g} s"
    return Smoke(command, code, time.monotonic() - start, uv.tail(text, _SMOKE_TAIL))


def _import_errors(python: Path, modules: list[str], workdir: Path, venv: Path) -> dict[str, str]:
    checked = subprocess.run(
        [str(python), "-c", IMPORTS, *modules],
        cwd=workdir,
        env=_scrubbed_env(venv),
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        errors: dict[str, str] = json.loads(checked.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        errors = {"(interpreter)": uv.tail(checked.stderr or checked.stdout, 4)}
    return errors


def prove(
    plan: Plan,
    wheels: list[Wheel],
    modules: list[str],
    context: Path,
    venv: Path,
    *,
    smoke_timeout: float = 120.0,
) -> Proof:
    python = interpreter(venv)
    probe = _probe(python)
    env: dict[str, str] = probe["markers"]  # type: ignore[assignment]
    paths: list[str] = probe["paths"]  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="monolock-smoke-") as scratch:
        workdir = Path(scratch) / "app"
        if (context / FILES).is_dir():
            shutil.copytree(context / FILES, workdir)  # the image's working directory
        else:
            workdir.mkdir()
        # the two checks are independent processes: run them side by side
        with ThreadPoolExecutor(max_workers=2) as pool:
            smoke = (
                pool.submit(run_smoke, plan.app.smoke, venv, workdir, smoke_timeout)
                if plan.app.smoke
                else None
            )
            errors = _import_errors(python, modules, workdir, venv)
            smoked = smoke.result() if smoke is not None else None
    return Proof(
        python=env["python_full_version"],
        expected=expected(plan, wheels, env),
        installed=_installed(paths),
        imports=tuple(modules),
        import_errors=errors,
        smoke=smoked,
        size=size_of(venv),
    )


def whole_workspace_size(root: Path, python: str) -> int:
    """The size of the environment a team gets from `uv sync --all-packages`: every member
    and every runtime dependency of any of them, installed as the app's would be."""
    with tempfile.TemporaryDirectory(prefix="monolock-whole-") as scratch:
        venv = Path(scratch) / "venv"
        uv.run(
            [
                "sync",
                "--all-packages",
                "--frozen",
                "--no-default-groups",
                "--no-editable",
                "--compile-bytecode",
                "--python",
                python,
                "--quiet",
            ],
            cwd=root,
            env={"UV_PROJECT_ENVIRONMENT": str(venv)},
        )
        return size_of(venv)
