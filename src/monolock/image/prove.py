"""The proof that an image holds the app's projection and nothing else: run inside it, as
its user, the same checks `--venv` runs here (the installed set against the lock, every
internal module imported, the smoke command), and who it runs as."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monolock.container import UID, VENV, Plan
from monolock.environment import IMPORTS, PROBE, Proof, Smoke, expected
from monolock.errors import BuildError
from monolock.image.builders import Ran
from monolock.model import normalize
from monolock.uv import tail
from monolock.wheels import Wheel

Run = Callable[[Sequence[str], float], Ran]
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
    proof: Proof
    user: str  # uid:gid the image runs as

    @property
    def unprivileged(self) -> bool:
        return self.user == f"{UID}:{UID}"

    @property
    def ok(self) -> bool:
        return self.proof.ok and self.unprivileged


def _json(ran: Ran, what: str) -> dict[str, object]:
    try:
        data: dict[str, object] = json.loads(ran.output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise BuildError(f"{what} failed inside the image: {tail(ran.output)}") from None
    return data


def prove(
    run: Run, plan: Plan, wheels: list[Wheel], modules: list[str], smoke_timeout: float
) -> ImageProof:
    probe = _json(run([_PYTHON, "-I", "-c", PROBE], _QUICK), "reading the interpreter")
    env: dict[str, str] = probe["markers"]  # type: ignore[assignment]
    paths: list[str] = probe["paths"]  # type: ignore[assignment]
    listing = _json(run([_PYTHON, "-I", "-c", _LISTING, *paths], _QUICK), "listing")
    imports = run([_PYTHON, "-I", "-c", IMPORTS, *modules], _QUICK)
    try:
        errors: dict[str, str] = json.loads(imports.output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        errors = {"(interpreter)": tail(imports.output, 4)}
    smoke = None
    if plan.app.smoke:
        start = time.monotonic()
        ran = run(["sh", "-c", plan.app.smoke], smoke_timeout)
        seconds = time.monotonic() - start
        smoke = Smoke(plan.app.smoke, ran.returncode, seconds, tail(ran.output, 20))
    installed = {normalize(k): str(v) for k, v in listing["installed"].items()}  # type: ignore[attr-defined]
    proof = Proof(
        python=env["python_full_version"],
        expected=expected(plan, wheels, env),
        installed=installed,
        imports=tuple(modules),
        import_errors=errors,
        smoke=smoke,
        size=int(listing["size"]),  # type: ignore[call-overload]
    )
    return ImageProof(proof, f"{listing['uid']}:{listing['gid']}")
