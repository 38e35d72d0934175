"""Rendering a projection as an installable file: requirements.txt or PEP 751 pylock.toml.

Both hold the third-party part only, pinned with hashes, because pip and uv refuse a
hash-checked requirements file that also names a local directory. Internal packages are
listed in a header: install them as wheels with `--no-deps` next to this file (that is
what `monolock build` does), so nothing outside the lock can slip in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from monolock.model import LockedPackage
from monolock.projection import Projected, Projection

HEADER = "# monolock export "  # the first line of every export: `-o` may replace such a file


def _git(value: str) -> tuple[str, str, str | None]:
    """A locked git source (`URL?subdirectory=DIR&rev=REF#COMMIT`, as uv.lock writes it)
    -> (repository URL, commit, subdirectory)."""
    parts = urlsplit(value)
    subdirectory = parse_qs(parts.query).get("subdirectory", [None])[0]
    return parts._replace(query="", fragment="").geturl(), parts.fragment, subdirectory


def _direct_url(package: LockedPackage) -> str | None:
    """A PEP 508 direct reference for a git or URL source, as uv writes it."""
    source = package.source
    if source.kind == "git":
        base, commit, subdirectory = _git(source.value)
        url = f"git+{base}@{commit}" if commit else f"git+{base}"
        # the project inside the repository: without it pip installs the repository's root
        return url + (f"#subdirectory={subdirectory}" if subdirectory else "")
    if source.kind == "url":
        return source.value
    return None


def requirements(
    projection: Projection, *, hashes: bool = True, indexes: Sequence[str] = ()
) -> str:
    """`indexes`: where the pins are fetched from, the first as --index-url."""
    internal = ", ".join(p.name for p in projection.local) or "none"
    lines = [
        f"{HEADER}{projection.root}: the third-party projection of {projection.lock.path.name}",
        f"# lock sha256:{projection.lock.digest}",
    ]
    lines += [f"--{'extra-' if i else ''}index-url {url}" for i, url in enumerate(indexes)]
    lines.append(f"# internal packages (install their wheels with --no-deps): {internal}")
    for item in projection.third_party:
        package = item.package
        url = _direct_url(package)
        head = f"{package.name} @ {url}" if url else f"{package.name}=={package.version}"
        if item.marker:
            head += f" ; {item.marker}"
        digests = package.hashes() if hashes and url is None else ()
        if digests:
            lines.append(head + " \\")
            lines.extend(
                f"    --hash={d}" + (" \\" if i < len(digests) - 1 else "")
                for i, d in enumerate(digests)
            )
        else:
            lines.append(head)
    return "\n".join(lines) + "\n"


def _q(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _hashes(digest: str | None) -> str:
    if not digest or ":" not in digest:
        return "{}"
    algo, value = digest.split(":", 1)
    return f"{{ {algo} = {_q(value)} }}"


def _pylock_package(item: Projected) -> list[str]:
    package = item.package
    out = ["[[packages]]", f"name = {_q(package.name)}"]
    if package.version:
        out.append(f"version = {_q(package.version)}")
    if item.marker:
        out.append(f"marker = {_q(item.marker)}")
    source = package.source
    if source.kind == "registry":
        out.append(f"index = {_q(source.value)}")
    elif source.kind == "git":
        base, commit, subdirectory = _git(source.value)
        where = f", subdirectory = {_q(subdirectory)}" if subdirectory else ""
        out.append(f'vcs = {{ type = "git", url = {_q(base)}, commit-id = {_q(commit)}{where} }}')
    if package.sdist and source.kind in ("registry", "url"):
        s = package.sdist
        where = f"url = {_q(s.url)}" if s.url else f"path = {_q(s.path or '')}"
        size = f", size = {s.size}" if s.size is not None else ""
        out.append(
            f"sdist = {{ name = {_q(s.filename)}, {where}{size}, hashes = {_hashes(s.hash)} }}"
        )
    if package.wheels and source.kind in ("registry", "url"):
        out.append("wheels = [")
        for w in package.wheels:
            where = f"url = {_q(w.url)}" if w.url else f"path = {_q(w.path or '')}"
            size = f", size = {w.size}" if w.size is not None else ""
            out.append(
                f"    {{ name = {_q(w.filename)}, {where}{size}, hashes = {_hashes(w.hash)} }},"
            )
        out.append("]")
    return out


def pylock(projection: Projection) -> str:
    lock = projection.lock
    lines = [
        f"{HEADER}{projection.root} --format pylock: third-party projection of "
        f"{projection.lock.path.name}",
        'lock-version = "1.0"',
    ]
    if lock.requires_python:
        lines.append(f"requires-python = {_q(lock.requires_python)}")
    lines += ['created-by = "monolock"', ""]
    for item in projection.third_party:
        lines += [*_pylock_package(item), ""]
    internal = ", ".join(_q(p.name) for p in projection.local)
    lines += [
        "[tool.monolock]",
        f"app = {_q(projection.root)}",
        f"lock = {_q('sha256:' + lock.digest)}",
        f"internal = [{internal}]",
    ]
    return "\n".join(lines) + "\n"
