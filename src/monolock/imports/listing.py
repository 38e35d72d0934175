"""The files a locked distribution installs, from the nearest place that knows them.

In order: a wheel the lock names on this disk; uv's cache, which holds every wheel uv
installed here, unpacked, and the wheels it built from sdists; the workspace's `.venv`;
a remote wheel, read in ranges; an sdist's own file list (`top_level.txt` where the
sdist carries one), when the distribution has no wheel at all. Each miss says why, so a
guess can be explained.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from monolock.imports.remote import FetchError, RemoteFile, get
from monolock.model import Artifact, LockedPackage, normalize

_SDIST_LIMIT = 64 * 1024 * 1024  # an sdist is read whole: not beyond this
# what an sdist carries beside the code it installs
_NOT_SHIPPED = {"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks"}
_NOT_MODULES = {"setup", "conftest", "noxfile", "fabfile", "tasks", "manage", "versioneer"}


class Unlisted(Exception):
    """No file list could be read; the message says why (it becomes the guess's reason)."""


def _pth_roots(names: list[str], read: Callable[[str], bytes] | None) -> list[str]:
    """Directories a wheel's top-level `.pth` files put on sys.path (pywin32's `win32`,
    `win32/lib`): what is in them is imported as top-level."""
    roots: list[str] = []
    for name in names:
        if read is None or "/" in name or not name.endswith(".pth"):
            continue
        try:
            text = read(name).decode("utf-8", "replace")
        except (OSError, KeyError, ValueError):
            continue
        for line in text.splitlines():
            line = line.strip().replace("\\", "/").rstrip("/")
            if line and not line.startswith(("#", "import ", "import\t")) and ".." not in line:
                roots.append(line)
    # written for Windows, where `Pythonwin` finds `pythonwin/`: match the listed case
    listed: dict[str, str] = {}
    for name in names:
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            directory = "/".join(parts[:depth])
            listed[directory.lower()] = directory
    return [listed.get(r.lower(), r) for r in roots]


def provided(names: Iterable[str], read: Callable[[str], bytes] | None = None) -> list[str]:
    """Importable names in a wheel's file list, as dotted names: the outermost regular
    packages, and modules that are not inside one (top-level modules, and modules in a
    namespace directory shared with other distributions). `read` gives a listed file's
    bytes, for the `.pth` files that add directories to sys.path."""
    names = list(names)
    roots = _pth_roots(names, read)
    names += [n[len(r) + 1 :] for r in roots for n in names if n.startswith(r + "/")]
    regular: set[str] = set()
    modules: set[str] = set()
    for name in names:
        parts = name.split("/")
        if parts[0].endswith(".dist-info"):
            continue
        if parts[0].endswith(".data"):
            if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                continue
            parts = parts[2:]
        leaf = parts[-1]
        if leaf.endswith((".py", ".pyc")) or ".cpython-" in leaf or leaf.endswith((".so", ".pyd")):
            stem = leaf.split(".", 1)[0]
            dirs = parts[:-1]
            if not all(p.isidentifier() for p in dirs):
                continue
            if stem == "__init__":
                regular.add(".".join(dirs))
            elif stem.isidentifier():
                modules.add(".".join([*dirs, stem]))

    def outside(name: str) -> bool:  # not inside a regular package of the same wheel
        return "." not in name or name.rsplit(".", 1)[0] not in regular

    out = {r for r in regular if outside(r)} | {m for m in modules if outside(m)}
    return sorted(n for n in out if n)


def sdist_provided(names: list[str], top_level: str | None) -> list[str]:
    """Importable names of an sdist: its `top_level.txt` where setuptools left one, else
    its Python files below the archive's top directory (and `src/`), without tests,
    documentation or the build's own scripts."""
    if top_level is not None:
        return sorted({n.strip() for n in top_level.splitlines() if n.strip().isidentifier()})
    inner = [n.split("/", 1)[1] for n in names if "/" in n]
    if any(n.startswith("src/") for n in inner):
        inner = [n[4:] for n in inner if n.startswith("src/")]
    kept = [
        n
        for n in inner
        if n.split("/", 1)[0] not in _NOT_SHIPPED
        and not ("/" not in n and n.rsplit(".", 1)[0] in _NOT_MODULES)
    ]
    return provided(kept)


def _version_dirs(version: str) -> set[str]:
    from packaging.version import InvalidVersion, Version

    try:
        return {version, str(Version(version))}
    except InvalidVersion:
        return {version}


def _reader(directory: Path) -> Callable[[str], bytes]:
    """Bytes of a file below an unpacked wheel's (or an environment's) directory; a pipe
    or a device there is no file (reading it would never end)."""

    def read(name: str) -> bytes:
        path = directory / name
        if not path.is_file():
            raise OSError(f"{path} is not a regular file")
        return path.read_bytes()

    return read


@dataclass(frozen=True)
class UvCache:
    """uv's cache directory, read as uv lays it out: wheels unpacked under
    `wheels-v*/<index>/<name>/<version>-<tags>` (the index's own directory under
    `index/<hash>/`), wheels built from sdists under `sdists-v*/.../<name>/<version>/`.
    Its layout is uv's to change: what is not found there is read elsewhere."""

    root: Path | None

    def names(self, name: str, version: str) -> list[str] | None:
        """The import names of `name` at `version`, if uv holds one of its wheels."""
        if self.root is None:
            return None
        for v in _version_dirs(version):
            for pattern in (f"wheels-v*/*/{name}/{v}-*", f"wheels-v*/index/*/{name}/{v}-*"):
                for entry in sorted(self.root.glob(pattern)):
                    record = next(iter(sorted(entry.glob("*.dist-info/RECORD"))), None)
                    if record is not None and record.is_file():
                        lines = record.read_text("utf-8", "replace").splitlines()
                        listed = [line.split(",", 1)[0] for line in lines]
                        return provided(listed, _reader(entry))
            for pattern in (f"sdists-v*/*/{name}/{v}/*/*.whl", f"sdists-v*/*/*/{name}/{v}/*/*.whl"):
                for wheel in sorted(self.root.glob(pattern)):
                    if wheel.is_file():
                        with zipfile.ZipFile(wheel) as archive:
                            return provided(archive.namelist(), archive.read)
        return None


def installed(root: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, import names) of what the workspace's `.venv` holds."""
    out: dict[str, tuple[str, list[str]]] = {}
    for site in sorted((root / ".venv").glob("lib/python*/site-packages")) + sorted(
        (root / ".venv").glob("Lib/site-packages")
    ):
        for record in site.glob("*.dist-info/RECORD"):
            if not record.is_file():
                continue  # a pipe would never end
            name, _, version = record.parent.name[: -len(".dist-info")].rpartition("-")
            try:
                lines = record.read_text(encoding="utf-8").splitlines()
            except OSError:
                continue
            listed = [line.split(",", 1)[0] for line in lines]
            found = provided(listed, _reader(site))
            out[normalize(name)] = (version, found)
    return out


def _local(artifact: Artifact, lock_dir: Path) -> Path | None:
    if artifact.path:
        found = (lock_dir / artifact.path).resolve()
    elif artifact.url and artifact.url.startswith("file://"):
        found = Path(unquote(urlparse(artifact.url).path))
    else:
        return None
    if not found.is_file():  # a device or a pipe would never end: no listing from it
        raise Unlisted(f"{found} is not a regular file")
    return found


_LINK = re.compile(r"<a\s[^>]*?href=\"([^\"]+)\"[^>]*>([^<]*)</a>", re.IGNORECASE)


def _locate(package: LockedPackage, artifact: Artifact) -> str:
    """Where a file a lock names without a URL lies (Poetry's locks keep file names and
    hashes only): on its project's page of the lock's index, PEP 691 JSON or PEP 503
    HTML."""
    if package.source.kind != "registry" or not artifact.name:
        raise Unlisted("the lock gives no location for its files")
    import html

    page = get(
        f"{package.source.value.rstrip('/')}/{package.name}/",
        {"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"},
    )
    body = page.body.decode("utf-8", "replace")
    if "json" in page.content_type:
        files = json.loads(body).get("files", [])
        found = [str(f["url"]) for f in files if f.get("filename") == artifact.name]
    else:
        found = [
            html.unescape(href).split("#", 1)[0]
            for href, text in _LINK.findall(body)
            if html.unescape(text).strip() == artifact.name
        ]
    if not found:
        raise Unlisted(f"{artifact.name} is not on {package.source.value}")
    return urljoin(page.url, found[0])


def wheel(package: LockedPackage) -> Artifact | None:
    """The wheel to list: a pure one where there is one (every platform ships the same)."""
    if not package.wheels:
        return None
    pure = [w for w in package.wheels if w.filename.endswith("-none-any.whl")]
    return (pure or list(package.wheels))[0]


def _sdist_names(package: LockedPackage, sdist: Artifact, lock_dir: Path) -> list[str]:
    if sdist.size is not None and sdist.size > _SDIST_LIMIT:
        raise Unlisted(f"its sdist is {sdist.size // (1024 * 1024)} MB, too large to read")
    local = _local(sdist, lock_dir)
    data = local.read_bytes() if local else get(sdist.url or _locate(package, sdist)).body
    if sdist.filename.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            tops = [n for n in names if n.count("/") <= 2 and n.endswith(".egg-info/top_level.txt")]
            top = archive.read(tops[0]).decode("utf-8", "replace") if tops else None
            return sdist_provided(names, top)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        members = archive.getmembers()
        names = [m.name for m in members]
        top = None
        for m in members:
            if m.isfile() and m.name.count("/") <= 2 and m.name.endswith(".egg-info/top_level.txt"):
                handle = archive.extractfile(m)
                top = handle.read().decode("utf-8", "replace") if handle else None
                break
        return sdist_provided(names, top)


def names(
    package: LockedPackage,
    lock_dir: Path,
    cache: UvCache,
    venv: dict[str, tuple[str, list[str]]],
) -> list[str]:
    """The import names `package` provides, or Unlisted with the reason none could be read."""
    artifact = wheel(package)
    try:
        local = _local(artifact, lock_dir) if artifact is not None else None
        if local is not None:
            with zipfile.ZipFile(local) as archive:
                return provided(archive.namelist(), archive.read)
        if package.version is not None:
            cached = cache.names(package.name, package.version)
            if cached is not None:
                return cached
            have = venv.get(package.name)
            if have is not None and have[0] in _version_dirs(package.version):
                return have[1]
        if artifact is not None:
            url = artifact.url or _locate(package, artifact)
            with zipfile.ZipFile(RemoteFile(url)) as archive:
                return provided(archive.namelist(), archive.read)
        if package.sdist is not None:
            return _sdist_names(package, package.sdist, lock_dir)
    except FetchError as exc:
        raise Unlisted(str(exc)) from None
    except (OSError, zipfile.BadZipFile, tarfile.TarError, ValueError, KeyError) as exc:
        what = "wheel" if artifact else "sdist"
        raise Unlisted(f"its {what} could not be read ({exc})") from None
    if package.source.kind in ("git", "directory", "path", "editable", "virtual"):
        raise Unlisted(f"a {package.source.kind} source: no built file to read")
    raise Unlisted("the lock names no wheel and no sdist")
