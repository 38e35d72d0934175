"""Which import names a package ships, read from its source layout.

Directory, distribution and import names often differ (`pydantic_ai_slim/` ships the
distribution `pydantic-ai-slim`, which is imported as `pydantic_ai`), so the names come
from the files the build backend would pack, never from the distribution's name.
Namespace packages (no `__init__.py`) are followed down to the first regular package,
giving dotted names such as `opentelemetry.sdk`.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monolock.cachedir import settled
from monolock.fsutil import is_dir, is_file
from monolock.manifest.toml import table

_NOT_SHIPPED = {
    "tests",
    "test",
    "testing",
    "docs",
    "doc",
    "examples",
    "example",
    "scripts",
    "benchmarks",
    "build",
    "dist",
    "node_modules",
    "__pycache__",
    "site-packages",
    "venv",
    "env",
}
_NOT_MODULES = {"setup", "conftest", "noxfile", "fabfile", "tasks", "manage"}
_MAX_NAMESPACE_DEPTH = 6


@dataclass
class Witness:
    """The directories a layout was read from, each with its mtime (-1: absent) when it
    was looked at: a file created, removed or renamed in one of them changes its mtime.
    Not `trusted` when a glob walked where no list of directories can follow, or when
    an mtime is so recent that a change in the same clock tick would not move it."""

    seen: dict[str, int] = field(default_factory=dict)
    trusted: bool = True

    def look(self, directory: str) -> None:
        if directory in self.seen:
            return
        try:
            mtime = os.stat(directory).st_mtime_ns
        except OSError:
            mtime = -1
        if not settled(mtime):
            self.trusted = False
        self.seen[directory] = mtime


_witness: ContextVar[Witness | None] = ContextVar("layout_witness", default=None)


@contextlib.contextmanager
def witnessed() -> Iterator[Witness]:
    """Record what the layouts read inside the block."""
    witness = Witness()
    token = _witness.set(witness)
    try:
        yield witness
    finally:
        _witness.reset(token)


def unchanged(seen: dict[str, int]) -> bool:
    """Whether every directory a layout was read from is as it was."""
    for directory, mtime in seen.items():
        try:
            now = os.stat(directory).st_mtime_ns
        except OSError:
            now = -1
        if now != mtime:
            return False
    return True


def _scan(directory: Path) -> list[os.DirEntry[str]]:
    """The entries of a directory, sorted (none if it cannot be listed)."""
    witness = _witness.get()
    if witness is not None:
        witness.look(str(directory))
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return []
    if witness is not None and any(e.is_symlink() and _may_ship(e.name) for e in entries):
        witness.trusted = False  # what a link leads to changes no mtime here
    return entries


def _may_ship(name: str) -> bool:
    """A name that could be a module or a package (`CLAUDE.md -> AGENTS.md` cannot)."""
    return name.endswith((".py", ".pyi")) or name.isidentifier()


def _probe(path: Path) -> Path:
    """`path`, whose existence or kind is about to be asked: its directory is witnessed.
    A link is followed to where no mtime of its directory can tell: not witnessed."""
    witness = _witness.get()
    if witness is not None:
        witness.look(str(path.parent))
        if os.path.islink(path):
            witness.trusted = False
    return path


def _glob(base: Path, pattern: str) -> list[Path]:
    """A glob's matches (ValueError for an empty one, as pathlib's); one with wildcards
    cannot be witnessed by a list of directories."""
    if not pattern:
        raise ValueError(f"unacceptable pattern: {pattern!r}")
    if not set(pattern) & set("*?["):
        return [base / pattern] if _probe(base / pattern).exists() else []
    witness = _witness.get()
    if witness is not None:
        witness.trusted = False
    return sorted(base.glob(pattern))


def _is_identifier(name: str) -> bool:
    return name.isidentifier() and not name.startswith(".")


def _is_test_module(stem: str) -> bool:
    """`test_agent.py`, `agent_test.py`: a test beside the code, never what a build ships."""
    return stem.startswith("test_") or stem.endswith("_test")


def _is_project(directory: Path) -> bool:
    return _probe(directory / "pyproject.toml").is_file() or (directory / "setup.py").is_file()


def _has_python(directory: Path, depth: int = 0) -> bool:
    if depth > _MAX_NAMESPACE_DEPTH:
        return False
    for entry in _scan(directory):
        if is_file(entry) and entry.name.endswith(".py"):
            return True
        if (
            is_dir(entry)
            and _is_identifier(entry.name)
            and _has_python(Path(entry.path), depth + 1)
        ):
            return True
    return False


def _names_in(directory: Path, prefix: str = "", depth: int = 0) -> list[tuple[str, Path]]:
    """Top-level importable names below `directory` (dotted below namespace packages),
    each with the directory or file that holds it."""
    names: list[tuple[str, Path]] = []
    for entry in _scan(directory):
        if entry.name.startswith("."):
            continue
        if is_dir(entry):
            if not _is_identifier(entry.name) or (not prefix and entry.name in _NOT_SHIPPED):
                continue
            path = Path(entry.path)
            if _is_project(path):
                continue  # a project of its own (a nested member): it ships its own names
            if _probe(path / "__init__.py").is_file():
                names.append((prefix + entry.name, path))
            elif depth < _MAX_NAMESPACE_DEPTH and _has_python(path):
                # a namespace package: what it ships is named below it
                names.extend(_names_in(path, f"{prefix}{entry.name}.", depth + 1))
        elif is_file(entry) and entry.name.endswith((".py", ".pyi")) and prefix:
            stem = entry.name.rsplit(".", 1)[0]
            if stem not in ("__init__", "__main__") and _is_identifier(stem):
                names.append((prefix + stem, Path(entry.path)))
        elif is_file(entry) and entry.name.endswith(".py"):
            stem = entry.name[:-3]
            if _is_identifier(stem) and stem not in _NOT_MODULES and not _is_test_module(stem):
                names.append((stem, Path(entry.path)))
    return names


def _module_name(name: str) -> str:
    """The import name build backends derive from a project name (`acme-tools` ->
    `acme_tools`), as poetry-core, flit and uv's backend do."""
    return name.lower().replace("-", "_").replace(".", "_")


Root = tuple[str, Path]  # the import name a backend gives a path it packs, and the path


def _named(path: Path) -> Root:
    return (path.stem if path.suffix == ".py" else path.name, path)


def _dotted(path: Path, base: Path) -> Root:
    """`include = "acme/log"` ships `acme.log`: the import name is the path below `from`."""
    relative = path.relative_to(base)
    if path.suffix == ".py":
        relative = relative.with_suffix("")
    return (".".join(relative.parts), path)


def poetry_roots(data: dict[str, Any], directory: Path) -> list[Root]:
    """What poetry-core packs: each `packages` entry whose formats include the wheel
    (`from` a directory, `include` a name or a glob); without any, the directory or
    module named after the project, at the top or under src/, as poetry-core looks."""
    poetry = table(data, "tool.poetry")
    if poetry.get("package-mode") is False:
        return []  # a project Poetry manages, but never builds
    entries = poetry.get("packages")
    if not entries:
        name = _module_name(str(poetry.get("name") or table(data, "project").get("name") or ""))
        for base in (directory, directory / "src"):
            for candidate in (base / name, base / f"{name}.py"):
                if _probe(candidate).exists():
                    return [_named(candidate)]
        return []
    roots: list[Root] = []
    for entry in entries:
        formats = entry.get("format", ["sdist", "wheel"])
        if "wheel" not in (formats if isinstance(formats, list) else [formats]):
            continue
        base = directory / str(entry.get("from", "."))
        try:
            roots += [_dotted(p, base) for p in _glob(base, str(entry["include"]))]
        except (ValueError, OSError):
            continue  # a glob the file system cannot answer: Poetry would fail the build
    return roots


def _flit_roots(data: dict[str, Any], directory: Path) -> list[Root]:
    """flit ships one module: [tool.flit.module] name (dotted below a namespace), or the
    project's name, at the top or under src/."""
    name = str(table(data, "tool.flit.module").get("name") or "")
    if not name:
        name = _module_name(str(table(data, "project").get("name") or ""))
    relative = name.replace(".", "/")
    for base in (directory, directory / "src"):
        for candidate in (base / relative, base / f"{relative}.py"):
            if _probe(candidate).exists():
                return [(name, candidate)]
    return []


def _uv_roots(data: dict[str, Any], directory: Path) -> list[Root]:
    """uv's own backend: `module-name` (default: the project's) under `module-root`
    (default: src)."""
    spec = table(data, "tool.uv.build-backend")
    names = spec.get("module-name") or _module_name(str(table(data, "project").get("name")))
    base = directory / str(spec.get("module-root", "src"))
    found: list[Root] = []
    for name in names if isinstance(names, list) else [names]:
        relative = str(name).replace(".", "/")
        for candidate in (base / relative, base / f"{relative}.py"):
            if _probe(candidate).exists():
                found.append((str(name), candidate))
    return found


def _setuptools_roots(data: dict[str, Any], directory: Path) -> list[Root] | None:
    """setuptools: a `packages` list, `py-modules`, or `packages.find` (where, include,
    exclude); None when none is configured (its automatic discovery stands)."""
    setuptools = table(data, "tool.setuptools")
    base = directory / str(table(setuptools, "package-dir").get("", "."))
    packages = setuptools.get("packages")
    modules = [
        (m, base / f"{m}.py") for m in setuptools.get("py-modules", []) if isinstance(m, str)
    ]
    if isinstance(packages, list):
        names = [str(p) for p in packages if "." not in str(p)]
        return [(n, base / n) for n in names] + modules
    find = table(setuptools, "packages.find")
    if not find:
        return modules or None
    include = [str(p) for p in find.get("include", ["*"])]
    exclude = [str(p) for p in find.get("exclude", [])]
    roots: list[Root] = list(modules)
    for where in find.get("where", ["."]):
        for entry in _scan(directory / str(where)):
            name = entry.name
            if (
                is_dir(entry)
                and _is_identifier(name)
                and name not in _NOT_SHIPPED
                and any(fnmatch.fnmatchcase(name, p) for p in include)
                and not any(fnmatch.fnmatchcase(name, p) for p in exclude)
            ):
                roots.append((name, Path(entry.path)))
    return roots


def _maturin_roots(data: dict[str, Any], directory: Path) -> list[Root]:
    """maturin: the Python packages under `python-source` beside the compiled module;
    without it, a package named after the module next to Cargo.toml, if there is one (a
    pure Rust extension has no Python to scan)."""
    maturin = table(data, "tool.maturin")
    module = str(maturin.get("module-name") or table(data, "project").get("name") or "")
    top = _module_name(module.split(".")[0])
    source = maturin.get("python-source")
    if source:
        python = directory / str(source)
        return _names_in(python) if _probe(python).is_dir() else []
    own = directory / top
    return [(top, own)] if _probe(own / "__init__.py").is_file() else []


def _pdm_roots(data: dict[str, Any], directory: Path) -> list[Root] | None:
    """pdm-backend: `includes` (paths and globs from the project's directory) under
    `package-dir`; None when it is left to find the packages itself."""
    build = table(data, "tool.pdm.build")
    includes = build.get("includes")
    if isinstance(includes, list) and includes:
        roots: list[Root] = []
        for pattern in includes:
            try:
                found = _glob(directory, str(pattern).rstrip("/"))
            except (ValueError, OSError):
                continue
            roots += [_named(p) for p in found if p.suffix == ".py" or _probe(p).is_dir()]
        return roots
    package_dir = build.get("package-dir")
    return _names_in(directory / str(package_dir)) if package_dir else None


def _configured_roots(data: dict[str, Any], directory: Path) -> list[Root] | None:
    """Package directories (or module files) the build backend is configured to pack;
    None when it is left to find them itself."""
    backend = str(table(data, "build-system").get("build-backend", ""))
    hatch = table(data, "tool.hatch.build.targets.wheel").get("packages")
    if isinstance(hatch, list):
        # hatchling ships a configured path under its last component (`src/acme` -> `acme`)
        return [_named(directory / str(p)) for p in hatch]
    if table(data, "tool.poetry") and (backend.startswith("poetry") or "project" not in data):
        return poetry_roots(data, directory)
    if backend.startswith("flit"):
        return _flit_roots(data, directory)
    if backend == "uv_build":
        return _uv_roots(data, directory)
    if backend.startswith("maturin"):
        return _maturin_roots(data, directory)
    if backend.startswith("pdm"):
        return _pdm_roots(data, directory)
    if backend.startswith("setuptools"):
        return _setuptools_roots(data, directory)
    return None


def shipped(directory: Path, data: dict[str, Any]) -> tuple[tuple[str, Path], ...]:
    """What the build backend would pack: (import name, package directory or module file)."""
    roots = _configured_roots(data, directory)
    found: list[tuple[str, Path]] = []
    if roots is None:
        src = directory / "src"
        if _probe(src).is_dir():
            found = _names_in(src)
        else:
            # flat layout: a package named after the project is what backends ship
            # (hatchling's default); scripts next to it (`update_readme.py`) are not
            name = table(data, "project").get("name") or table(data, "tool.poetry").get("name")
            own = str(name).lower().replace("-", "_").replace(".", "_") if name else ""
            if own and _probe(directory / own / "__init__.py").is_file():
                return ((own, directory / own),)
            found = _names_in(directory)
    else:
        for name, root in roots:
            if not Path(os.path.normpath(root)).is_relative_to(os.path.normpath(directory)):
                continue  # packed from another project's directory: that project's code
            if (root.suffix == ".py" and _probe(root).is_file()) or _probe(
                root / "__init__.py"
            ).is_file():
                found.append((name, root))
            elif _probe(root).is_dir():
                found.extend(_names_in(root, f"{name}.", 1))  # a namespace: name below
            elif _probe(root.with_suffix(".py")).is_file():
                found.append((name, root.with_suffix(".py")))
    return tuple(sorted(set(found)))
