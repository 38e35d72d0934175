"""The one place that runs uv.

The binary comes from the `uv` distribution monolock depends on (`uv.find_uv_bin()`),
unless MONOLOCK_UV names another. uv is never allowed to download an interpreter: it
uses one that is installed, and says which `requires-python` could not be met.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monolock.errors import UvError

ENV_OVERRIDE = "MONOLOCK_UV"
_TAIL_LINES = 12


_FINDING = threading.Lock()


def uv_binary() -> str:
    # found once, under a lock: the lookup reads sysconfig, which is not safe to
    # initialise from several threads at once
    with _FINDING:
        return _binary(os.environ.get(ENV_OVERRIDE) or None)


@functools.cache
def _binary(override: str | None) -> str:
    if override:
        found = shutil.which(override)
        if found is None or not _is_uv(found):
            raise UvError(
                f"{ENV_OVERRIDE}={override} does not name a uv executable",
                hint=f"point {ENV_OVERRIDE} at a uv binary, or unset it to use the bundled one",
            )
        return found
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise UvError(
                "uv is not installed",
                hint=f"install monolock with its dependencies, or set {ENV_OVERRIDE}",
            ) from None
        return found


def _is_uv(binary: str) -> bool:
    """Whether `binary --version` answers as uv does ("uv 0.13.9 ..."): anything else in
    its place (a script, `true`) would make every answer built on it a guess."""
    try:
        out = subprocess.run(
            [binary, "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and re.match(r"uv [0-9]+\.[0-9]+", out.stdout) is not None


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env.setdefault("NO_COLOR", "1")
    env.update(extra or {})
    return env


def tail(text: str, lines: int = _TAIL_LINES) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def failure(result: Result) -> UvError:
    text = tail(result.stderr or result.stdout)
    hint = "see uv's message above"
    lowered = text.lower()
    if "required uv version" in lowered:
        hint = (
            "the repository's [tool.uv] required-version does not admit the uv monolock "
            f"runs ({result.argv[0]}): point {ENV_OVERRIDE} at a uv it admits, or install the "
            "monolock release that bundles one"
        )
    elif "no interpreter found" in lowered or "no python installation" in lowered:
        hint = (
            "no installed Python satisfies requires-python; install one, or pass "
            "`--python PATH` (monolock never lets uv download interpreters)"
        )
    elif any(
        word in lowered
        for word in (
            "failed to fetch",
            "network",
            "dns",
            "lookup address",
            "connection",
            "error sending request",
        )
    ):
        hint = "the package index could not be reached; use --offline, --find-links or --index-url"
    return UvError(f"`uv {' '.join(result.argv[1:])}` failed:\n{text}", hint=hint)


class Running:
    """uv working in the background while monolock does its own part of the job."""

    def __init__(
        self, args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None
    ) -> None:
        self.argv = (uv_binary(), *args)
        try:
            self._proc = subprocess.Popen(
                self.argv,
                cwd=cwd,
                env=_env(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        except OSError as exc:
            raise UvError(f"cannot run uv: {exc.strerror}", hint=f"check {self.argv[0]}") from None

    def wait(self, *, check: bool = True) -> Result:
        stdout, stderr = self._proc.communicate()
        result = Result(self.argv, self._proc.returncode, stdout, stderr)
        if check and result.returncode != 0:
            raise failure(result)
        return result

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()


def run(
    args: Sequence[str],
    *,
    cwd: Path,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> Result:
    return Running(args, cwd=cwd, env=env).wait(check=check)


def version() -> str:
    """The bare version of the uv monolock drives, e.g. "0.13.9"."""
    words = run(["--version"], cwd=Path.cwd()).stdout.split()
    # it becomes an image tag in a Dockerfile: only a plain version may pass
    found = len(words) > 1 and re.fullmatch(r"[0-9]+(\.[0-9]+){1,3}", words[1])
    return words[1] if found else "latest"


def _required(root: Path) -> tuple[str, str, str] | None:
    """The repository's `required-version` of uv: (specifier, file, key)."""
    import tomllib

    for name in ("uv.toml", "pyproject.toml"):
        data: Any
        try:
            data = tomllib.loads((root / name).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            continue  # absent or unreadable: discovery says what is wrong with it
        if name == "pyproject.toml":
            tool = data.get("tool")
            data = tool.get("uv") if isinstance(tool, dict) else None
        found = data.get("required-version") if isinstance(data, dict) else None
        if isinstance(found, str):
            key = "required-version" if name == "uv.toml" else "tool.uv.required-version"
            return found, name, key
    return None


def check_required_version(root: Path) -> None:
    """A repository that asks for another uv than the one monolock runs is told so before
    uv is asked anything: uv's own advice (`uv self update`) does not apply."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    required = _required(root)
    if required is None:
        return
    text, where, key = required
    running = version()
    try:
        allowed = SpecifierSet(text).contains(running, prereleases=True)
    except InvalidSpecifier:
        return  # uv says what is wrong with the specifier
    if not allowed:
        raise UvError(
            f"{key} is {text!r}, and monolock runs uv {running} ({uv_binary()})",
            where=where,
            hint=f"point {ENV_OVERRIDE} at a uv that {text!r} admits, or install the monolock "
            "release that bundles one",
        )


def start_lock(
    root: Path, extra: Sequence[str] = (), env: Mapping[str, str] | None = None
) -> Running:
    return Running(["lock", *extra], cwd=root, env=env)


def lock_is_fresh(root: Path, extra: Sequence[str] = ()) -> tuple[bool, str]:
    """(fresh, uv's message). Stale is an answer, not an error; other failures raise."""
    result = run(["lock", "--check", *extra], cwd=root, check=False)
    if result.returncode == 0:
        return True, tail(result.stderr)
    message = tail(result.stderr or result.stdout)
    if "does not need to be updated" in message:
        return True, message
    if (
        "needs to be updated" in message
        or "--locked" in message
        or "out of date" in message.lower()
    ):
        return False, message
    raise failure(result)
