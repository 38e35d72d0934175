"""A small wheelhouse of tiny fake distributions, written as real wheel files.

Tests point uv at it with `no-index` + `find-links`, so resolution is hermetic and fast.
The distributions have dependencies between them, several versions, a marker, an extra,
and import names that differ from their distribution names (pyyaml -> yaml).
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    requires: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()  # top-level import names; default: the name with underscores
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)
    licence: tuple[str, ...] = ()  # METADATA lines that say it, in whichever style


DISTS: tuple[Dist, ...] = (
    Dist("alpha", "1.0.0", ("beta<2",), licence=("License-Expression: MIT",)),
    Dist("alpha", "1.1.0", ("beta<2",), licence=("License-Expression: MIT",)),
    Dist("alpha", "2.0.0", ("beta>=2",), licence=("License-Expression: MIT OR Apache-2.0",)),
    Dist("beta", "1.0.0", ('gamma; sys_platform == "win32"',)),
    Dist("beta", "2.0.0", ('gamma; sys_platform == "win32"',)),
    Dist("gamma", "1.0.0"),
    Dist("delta", "1.0.0", (), extras={"fast": ("epsilon>=1",)}),
    Dist("epsilon", "1.0.0"),
    Dist("oldpy", "1.0.0", ('zeta; python_version < "3.8"',)),
    Dist("zeta", "1.0.0"),
    Dist("pyyaml", "5.3.1", (), ("yaml",), licence=("License: MIT",)),  # PYSEC-2021-142 hits it
    Dist("pyyaml", "6.0.1", (), ("yaml",), licence=("License: MIT",)),
    Dist(
        "pillow",
        "10.0.0",
        (),
        ("PIL",),
        licence=(
            "Classifier: License :: OSI Approved :: Historical Permission Notice and "
            "Disclaimer (HPND)",
        ),
    ),
    Dist("devtool", "1.0.0"),
    Dist("devtool", "2.0.0"),
    # a namespace package shared with others: ships acme/tools/, no acme/__init__.py
    Dist("acme-tools", "1.0.0", (), ("acme.tools",)),
    # one distribution locked at two versions, chosen by the Python (urllib3's shape:
    # requests takes either, botocore splits by python_version)
    Dist("urlish", "1.26.0"),
    Dist("urlish", "2.4.0"),
    Dist("reqish", "2.0.0", ("urlish>=1.21,<3",)),
    Dist(
        "botish",
        "1.0.0",
        ('urlish<1.27; python_version < "3.10"', 'urlish>=1.25,<2.5; python_version >= "3.10"'),
    ),
)


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def write_wheel(directory: Path, dist: Dist) -> Path:
    stem = dist.name.replace("-", "_")
    info = f"{stem}-{dist.version}.dist-info"
    modules = dist.modules or (stem,)
    metadata = ["Metadata-Version: 2.1", f"Name: {dist.name}", f"Version: {dist.version}"]
    metadata += list(dist.licence)
    metadata += [f"Requires-Dist: {r}" for r in dist.requires]
    for extra, reqs in dist.extras.items():
        metadata.append(f"Provides-Extra: {extra}")
        metadata += [f'Requires-Dist: {r}; extra == "{extra}"' for r in reqs]
    files: dict[str, bytes] = {
        f"{m.replace('.', '/')}/__init__.py": f'N = "{dist.name}"\nV = "{dist.version}"\n'.encode()
        for m in modules
    }
    files[f"{info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: monolock-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    top = sorted({m.split(".")[0] for m in modules})
    files[f"{info}/top_level.txt"] = ("\n".join(top) + "\n").encode()
    record = [_record_line(p, d) for p, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = directory / f"{stem}-{dist.version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in sorted(files.items()):
            entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            archive.writestr(entry, data)
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_index(directory: Path, wheels: list[Path]) -> Path:
    """A PEP 503 simple index over the wheels, with sha256 fragments, so that uv records
    hashes in the lock exactly as it does for a real index."""
    simple = directory / "simple"
    by_project: dict[str, list[Path]] = {}
    for wheel in wheels:
        by_project.setdefault(wheel.name.split("-")[0].replace("_", "-"), []).append(wheel)
    for project, files in by_project.items():
        links = "".join(
            f'<a href="{w.as_uri()}#sha256={_sha256(w)}">{w.name}</a>\n' for w in sorted(files)
        )
        page = simple / project / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
    return simple


def build(directory: Path) -> Path:
    """The wheelhouse: wheels in `directory`, a simple index in `directory/simple`."""
    directory.mkdir(parents=True, exist_ok=True)
    wheels = [write_wheel(directory, dist) for dist in DISTS]
    write_index(directory, wheels)
    return directory


def repack(name: str, directory: Path) -> Path:
    """A wheel of an installed pure-Python distribution, made from its installed files
    (so that tests can offer a build backend, poetry-core, without the network)."""
    from importlib.metadata import distribution

    dist = distribution(name)
    stem = f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}"
    path = directory / f"{stem}-py3-none-any.whl"
    files = [f for f in dist.files or () if not str(f).startswith("..")]
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(files, key=str):
            local = Path(str(file.locate()))
            if local.is_file() and "__pycache__" not in str(file):
                archive.write(local, str(file))
    return path
