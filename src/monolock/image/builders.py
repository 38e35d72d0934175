"""The programs that build an OCI image from a context: Docker (with a daemon), Podman
and buildah (neither needs one). Each owns its command lines; `auto` takes the first that
answers, in that order.

buildah needs `--layers` to keep intermediate layers (its default squashes). buildah and
Podman take their storage driver from their configuration or STORAGE_DRIVER (passed on as
`--storage-driver`, which not every release reads from the environment), buildah its
isolation from BUILDAH_ISOLATION: `vfs` and `chroot` in a container without privileges.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from monolock.errors import BuildError, UsageError
from monolock.uv import tail

Kind = Literal["docker", "podman", "buildah"]
KINDS: tuple[Kind, ...] = ("docker", "podman", "buildah")
INSTALL = (
    "install one of: Docker (https://docs.docker.com/engine/install/, with its daemon "
    "running), Podman (apt-get install podman, dnf install podman, brew install podman) or "
    "buildah (apt-get install buildah, dnf install buildah); or write the context with "
    "--out and build it your way"
)
_ANSWER = 30  # seconds a builder may take to say it works


@dataclass(frozen=True)
class Ran:
    returncode: int
    output: str  # stdout and stderr, interleaved as the program wrote them


@dataclass(frozen=True)
class Builder:
    kind: Kind
    program: str

    def _call(self, argv: Sequence[str], timeout: float | None = None) -> Ran:
        driver = os.environ.get("STORAGE_DRIVER") if self.kind != "docker" else None
        storage = ["--storage-driver", driver] if driver else []  # not read by every release
        try:
            out = subprocess.run(
                [self.program, *storage, *argv],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            text = (exc.output or b"").decode("utf-8", "replace")
            return Ran(124, text + f"\n(timed out after {timeout:g} s)")
        except OSError as exc:
            raise BuildError(f"cannot run {self.program}: {exc.strerror}") from None
        return Ran(out.returncode, out.stdout.decode("utf-8", "replace"))

    def works(self) -> Ran:
        """Docker answers `info` only with its daemon up; the others need none."""
        return self._call(["info"] if self.kind == "docker" else ["version"], _ANSWER)

    def build(self, context: Path, tag: str, labels: Mapping[str, str], epoch: int) -> Ran:
        argv = ["bud", "--layers"] if self.kind == "buildah" else ["build"]
        if self.kind != "docker":
            argv.append("--pull=false")  # a base image that is there is used: pulled if not
        argv += ["-t", tag, "-f", str(context / "Dockerfile")]
        for key, value in sorted(labels.items()):
            argv += ["--label", f"{key}={value}"]
        # BuildKit reads SOURCE_DATE_EPOCH as a build argument
        argv += ["--build-arg", f"SOURCE_DATE_EPOCH={epoch}", str(context)]
        return self._call(argv)

    def user(self, tag: str) -> str:
        """The user the image runs as."""
        template = "{{.OCIv1.Config.User}}" if self.kind == "buildah" else "{{.Config.User}}"
        argv = ["inspect", "--type", "image"] if self.kind != "buildah" else ["inspect"]
        ran = self._call([*argv, "--format", template, tag], _ANSWER)
        if ran.returncode != 0:
            raise BuildError(f"{self.kind} cannot inspect {tag}: {tail(ran.output)}")
        return ran.output.strip()

    @contextlib.contextmanager
    def inside(self, tag: str) -> Iterator[Callable[[Sequence[str], float], Ran]]:
        """A way to run commands inside the image, as its user, in its working directory:
        with buildah one working container for all of them, removed after use."""
        if self.kind != "buildah":

            def run(argv: Sequence[str], timeout: float) -> Ran:
                name = f"monolock-{uuid.uuid4().hex[:12]}"
                ran = self._call(["run", "--rm", "--name", name, tag, *argv], timeout)
                if ran.returncode == 124:
                    self._call(["rm", "-f", name], _ANSWER)  # what the timeout left running
                return ran

            yield run
            return
        user = self.user(tag)
        name = f"monolock-{uuid.uuid4().hex[:12]}"
        made = self._call(["from", "--pull=never", "--name", name, tag])
        if made.returncode != 0:
            raise BuildError(f"buildah cannot start {tag}: {tail(made.output)}")
        try:

            def run_here(argv: Sequence[str], timeout: float) -> Ran:
                as_user = ["--user", user] if user else []
                return self._call(["run", *as_user, name, "--", *argv], timeout)

            yield run_here
        finally:
            self._call(["rm", name], _ANSWER)

    def push(self, tag: str) -> Ran:
        return self._call(["push", tag])


def find(choice: str) -> Builder:
    """The builder asked for, or under `auto` the first of docker, podman, buildah that
    answers. None: a clear error saying what to install."""
    if choice != "auto" and choice not in KINDS:
        raise UsageError(f"--builder {choice!r}: expected auto, docker, podman or buildah")
    silent: list[str] = []
    for kind in KINDS if choice == "auto" else (choice,):
        program = shutil.which(kind)
        if program is None:
            continue
        builder = Builder(kind, program)  # type: ignore[arg-type]
        answer = builder.works()
        if answer.returncode == 0:
            return builder
        silent.append(f"{kind} is installed but does not work here ({tail(answer.output, 2)})")
    wanted = "no image builder found" if choice == "auto" else f"{choice} is not available"
    raise UsageError(
        "; ".join([wanted, *silent]) if silent else wanted,
        hint=INSTALL,
    )
