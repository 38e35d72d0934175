"""An app's image from its build context: labelled with where it comes from, built by the
builder found, proven inside, and pushed on request."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from monolock import git
from monolock.config import is_image_tag
from monolock.container import Plan
from monolock.errors import BuildError, UsageError
from monolock.image.builders import Builder
from monolock.image.prove import ImageProof, prove
from monolock.uv import tail
from monolock.wheels import Wheel

Progress = Callable[[str], None]
# a step as each builder announces it: buildah and Podman, Docker's classic builder
_STEP = re.compile(r"^(?:\[\d+/\d+\] )?STEP \d+/\d+: (.*)$|^Step \d+/\d+ : (.*)$")
_BUILDKIT = re.compile(r"^#(\d+) \[[^\]]*\] (.*)$")


def cached(output: str) -> tuple[str, ...]:
    """The instructions the builder took from its cache, as its output names them."""
    found: list[str] = []
    step: str | None = None
    named: dict[str, str] = {}
    for line in output.splitlines():
        if (match := _STEP.match(line)) is not None:
            step = match.group(1) or match.group(2)
        elif line.lstrip(" -").startswith("> Using cache") and step is not None:
            found.append(step)
        elif (match := _BUILDKIT.match(line)) is not None:
            named[match.group(1)] = match.group(2)
        elif line.startswith("#") and line.endswith(" CACHED"):
            found.append(named.get(line[1:].split()[0], line))
    return tuple(found)


@dataclass(frozen=True)
class Image:
    tag: str
    id: str  # what the builder wrote, and what was proven
    builder: str
    labels: dict[str, str]
    cached: tuple[str, ...]  # the instructions the builder took from its cache
    proof: ImageProof
    pushed: bool


def check_tag(tag: str) -> str:
    if not is_image_tag(tag):
        raise UsageError(
            f"--image {tag!r} is not an image name",
            hint="for example localhost/api-gateway:1.4 or registry.example.com/team/app:sha",
        )
    return tag


def labels(root: Path, plan: Plan, epoch: int) -> dict[str, str]:
    """OCI annotations: the app, the commit, the repository, the lock."""
    out = {
        "org.opencontainers.image.title": plan.app.name,
        "org.opencontainers.image.created": datetime.datetime.fromtimestamp(
            epoch, datetime.UTC
        ).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "dev.monolock.app": plan.app.name,
        "dev.monolock.lock": f"sha256:{plan.projection.lock.digest}",
    }
    revision = (git.output(root, "rev-parse", "HEAD") or "").strip()
    if revision:
        out["org.opencontainers.image.revision"] = revision
        if git.output(root, "status", "--porcelain", "--untracked-files=no", "."):
            out["dev.monolock.dirty"] = "true"  # built from changes the commit does not hold
    remote = (git.output(root, "remote", "get-url", "origin") or "").strip()
    if remote:
        out["org.opencontainers.image.source"] = _public(remote)
    return out


def _public(url: str) -> str:
    """A remote's URL without credentials, query or fragment."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return url.rsplit("@", 1)[-1] if "@" in url.split(":", 1)[0] else url  # scp-like
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def make(
    root: Path,
    plan: Plan,
    wheels: list[Wheel],
    modules: list[str],
    context: Path,
    *,
    tag: str,
    builder: Builder,
    push: bool,
    epoch: int,
    smoke_timeout: float,
    progress: Progress,
) -> Image:
    marks = labels(root, plan, epoch)
    progress(f"building image {tag} with {builder.kind} ({builder.program})…")
    built = builder.build(context, tag, marks, epoch)
    if built.ran.returncode != 0 or not built.image:
        raise BuildError(
            f"{builder.kind} could not build {tag}:\n{tail(built.ran.output, 25)}",
            hint="write the context with --out DIR and build it by hand to see every line",
        )
    progress(f"proving the image {tag}: exact set, imports, smoke, user…")
    with builder.inside(built.image) as run:
        proof = prove(run, plan, wheels, modules, smoke_timeout)
    pushed = False
    if push and proof.ok:
        progress(f"pushing {tag}…")
        sent = builder.push(tag)
        if sent.returncode != 0:
            raise BuildError(
                f"{builder.kind} could not push {tag}: {tail(sent.output, 6)}",
                hint=f"log in to the registry with `{builder.kind} login`",
            )
        pushed = True
    return Image(tag, built.image, builder.kind, marks, cached(built.ran.output), proof, pushed)
