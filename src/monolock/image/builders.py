"""The programs that build an OCI image from a context: Docker (with a daemon), Podman
and buildah (neither needs one). Each owns its command lines; `auto` takes the first that
answers, in that order.

The image is named by the ID the builder writes (`--iidfile`), not by its tag, from the
build to the proof: a tag can be moved, or pulled from a registry, in between.
buildah needs `--layers` to keep intermediate layers (its default squashes). buildah and
Podman take their storage driver from their configuration or STORAGE_DRIVER (passed on as
`--storage-driver`, which not every release reads from the environment), buildah its
isolation from BUILDAH_ISOLATION: `vfs` and `chroot` in a container without privileges.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
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
_ANSWER = 30  # seconds a builder may take to say it works, or to clean up


@dataclass(frozen=True)
class Ran:
    returncode: int
    output: str  # stdout (and stderr, unless asked apart)
    errors: str = ""  # stderr, when asked apart


@dataclass(frozen=True)
class Built:
    ran: Ran
    image: str  # the image's ID, "" when the build failed


Inside = Callable[[Sequence[str], float], Ran]


@dataclass(frozen=True)
class Builder:
    kind: Kind
    program: str

    def _call(self, argv: Sequence[str], timeout: float | None = None, apart: bool = False) -> Ran:
        """The builder, in a process group of its own: a timeout stops what it started."""
        driver = os.environ.get("STORAGE_DRIVER") if self.kind != "docker" else None
        storage = ["--storage-driver", driver] if driver else []
        try:
            proc = subprocess.Popen(
                [self.program, *storage, *argv],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE if apart else subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise BuildError(f"cannot run {self.program}: {exc.strerror}") from None
        try:
            out, err = proc.communicate(timeout=timeout)
            code = proc.returncode
        except BaseException as exc:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            if not isinstance(exc, subprocess.TimeoutExpired):
                raise
            code = 124
            out += f"\n(timed out after {timeout:g} s)".encode()
        return Ran(code, out.decode("utf-8", "replace"), (err or b"").decode("utf-8", "replace"))

    def works(self) -> Ran:
        """Docker answers `info` only with its daemon up; the others need none."""
        return self._call(["info"] if self.kind == "docker" else ["version"], _ANSWER)

    def build_argv(
        self, context: Path, tag: str, labels: Mapping[str, str], epoch: int
    ) -> list[str]:
        argv = ["bud", "--layers"] if self.kind == "buildah" else ["build"]
        if self.kind != "docker":
            argv.append("--pull=false")  # a base image that is there is used: pulled if not
        argv += ["-t", tag, "-f", str(context / "Dockerfile")]
        for key, value in sorted(labels.items()):
            argv += ["--label", f"{key}={value}"]
        # BuildKit reads SOURCE_DATE_EPOCH as a build argument
        return [*argv, "--build-arg", f"SOURCE_DATE_EPOCH={epoch}"]

    def build(self, context: Path, tag: str, labels: Mapping[str, str], epoch: int) -> Built:
        with tempfile.TemporaryDirectory(prefix="monolock-image-") as scratch:
            iid = Path(scratch) / "iid"
            argv = self.build_argv(context, tag, labels, epoch)
            ran = self._call([*argv, "--iidfile", str(iid), str(context)])
            image = iid.read_text().strip() if ran.returncode == 0 and iid.is_file() else ""
        return Built(ran, image)

    def user(self, image: str) -> str:
        """The user the image runs as."""
        template = "{{.OCIv1.Config.User}}" if self.kind == "buildah" else "{{.Config.User}}"
        ran = self._call(["inspect", "--type", "image", "--format", template, image], _ANSWER)
        if ran.returncode != 0:
            raise BuildError(f"{self.kind} cannot inspect {image}: {tail(ran.output)}")
        return ran.output.strip()

    @contextlib.contextmanager
    def inside(self, image: str) -> Iterator[Inside]:
        """A way to run commands inside the image, as its user, in its working directory,
        without its entrypoint (buildah runs none): with buildah one working container for
        all of them, removed after use; stdout apart from stderr."""
        if self.kind != "buildah":

            def run(argv: Sequence[str], timeout: float) -> Ran:
                name = f"monolock-{uuid.uuid4().hex[:12]}"
                head = ["run", "--rm", "--pull=never", "--name", name, "--entrypoint", argv[0]]
                try:
                    return self._call([*head, image, *argv[1:]], timeout, apart=True)
                finally:
                    self._call(["rm", "-f", name], _ANSWER)  # what a timeout left running

            yield run
            return
        user = self.user(image)
        name = f"monolock-{uuid.uuid4().hex[:12]}"
        try:
            made = self._call(["from", "--pull=never", "--name", name, image], _ANSWER * 10)
            if made.returncode != 0:
                raise BuildError(f"buildah cannot start {image}: {tail(made.output)}")

            def run_here(argv: Sequence[str], timeout: float) -> Ran:
                as_user = ["--user", user] if user else []
                return self._call(["run", *as_user, name, "--", *argv], timeout, apart=True)

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
    raise UsageError("; ".join([wanted, *silent]), hint=INSTALL)
