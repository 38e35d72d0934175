"""The proof that an image holds the app's projection and nothing else: run inside it, as
its user, the same checks `--venv` runs here (the installed set against the lock, every
internal module imported, the smoke command), and who it runs as."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from monolock.container import UID, VENV, Plan
from monolock.environment import IMPORTS, PROBE, Proof, Smoke, expected
from monolock.image.builders import Inside, Ran
from monolock.model import normalize
from monolock.uv import tail
from monolock.wheels import Wheel

_PYTHON = f"{VENV}/bin/python"
_QUICK = 120.0  # seconds for each check but the smoke command

# every distribution installed below the given directories, the user, the venv's size
_LISTING = """
import json, os, sys
found = {}
for directory in sys.argv[1:]:
    for entry in sorted(os.listdir(directory)) if os.path.isdir(directory) else ():
        metadata = os.path.join(directory, entry, "METADATA")
        if not entry.endswith(".dist-info") or not os.path.isfile(metadata):
            continue
        name = version = None
        with open(metadata, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                if key == "Name":
                    name = value.strip()
                elif key == "Version":
                    version = value.strip()
        if name and version:
            found[name] = version
size = 0
for top, _, files in os.walk(sys.prefix):
    for name in files:
        try:
            size += os.lstat(os.path.join(top, name)).st_size
        except OSError:
            pass
print(json.dumps({"installed": found, "uid": os.getuid(), "gid": os.getgid(), "size": size}))
"""


@dataclass(frozen=True)
class ImageProof:
    proof: Proof | None  # None when the image's interpreter could not even be asked
    user: str  # uid:gid the image runs as
    failure: str | None = None  # why there is no proof

    @property
    def unprivileged(self) -> bool:
        return self.user == f"{UID}:{UID}"

    @property
    def ok(self) -> bool:
        return self.proof is not None and self.proof.ok and self.unprivileged


class _Broken(Exception):
    """The image cannot answer: its proof fails (exit 1), it is not bad input."""


def _json(ran: Ran, what: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """The JSON object the last line of stdout holds, with these keys."""
    lines = ran.output.strip().splitlines()
    try:
        data = json.loads(lines[-1]) if ran.returncode == 0 and lines else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or any(k not in data for k in keys):
        raise _Broken(f"{what}: {tail(ran.errors or ran.output, 6) or f'exit {ran.returncode}'}")
    return data


def prove(
    run: Inside, plan: Plan, wheels: list[Wheel], modules: list[str], smoke_timeout: float
) -> ImageProof:
    try:
        return _prove(run, plan, wheels, modules, smoke_timeout)
    except _Broken as exc:
        return ImageProof(None, "?", str(exc))


def _prove(
    run: Inside, plan: Plan, wheels: list[Wheel], modules: list[str], smoke_timeout: float
) -> ImageProof:
    probe = run([_PYTHON, "-I", "-c", PROBE], _QUICK)
    found = _json(probe, f"{_PYTHON} does not run in the image", ("markers", "paths"))
    env, paths = found["markers"], found["paths"]
    if not isinstance(env, dict) or not isinstance(paths, list):
        raise _Broken(f"{_PYTHON} answered something else than monolock asked")
    listing = _json(
        run([_PYTHON, "-I", "-c", _LISTING, *map(str, paths)], _QUICK),
        "listing what the image holds failed",
        ("installed", "uid", "gid", "size"),
    )
    imports = run([_PYTHON, "-I", "-c", IMPORTS, *modules], _QUICK)
    try:
        errors = json.loads(imports.output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        errors = None
    if not isinstance(errors, dict):
        errors = {"(interpreter)": tail(imports.errors or imports.output, 4)}
    smoke = None
    if plan.app.smoke:
        start = time.monotonic()
        ran = run(["sh", "-c", plan.app.smoke], smoke_timeout)
        seconds = time.monotonic() - start
        smoke = Smoke(plan.app.smoke, ran.returncode, seconds, tail(ran.output + ran.errors, 20))
    installed = {normalize(str(k)): str(v) for k, v in dict(listing["installed"]).items()}
    proof = Proof(
        python=str(env.get("python_full_version", "?")),
        expected=expected(plan, wheels, {str(k): str(v) for k, v in env.items()}),
        installed=installed,
        imports=tuple(modules),
        import_errors={str(k): str(v) for k, v in errors.items()},
        smoke=smoke,
        size=int(listing["size"]),
    )
    return ImageProof(proof, f"{listing['uid']}:{listing['gid']}")
