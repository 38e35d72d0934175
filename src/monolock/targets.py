"""Where monolock may write, and what it may delete: only what it made.

Every directory monolock makes to be replaced later (a build context, an app's
environment) carries a stamp, `.monolock-made`, listing the files it wrote. A directory
is replaced only when it is new, empty, or stamped with every file in it listed; and
never when it is, holds or lies inside the repository root, a member, a `.git`, or a file
git tracks. A file written by an option (`export -o`) is replaced only when it is new,
empty, or an earlier export. One set of rules, for every path option.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from monolock import git
from monolock.errors import UsageError
from monolock.fsutil import atomic_write
from monolock.model import Workspace

STAMP = ".monolock-made"
_SHOWN = 5
# files a Python interpreter adds by itself to an environment it runs from
_DERIVED = ("__pycache__",)


def _refuse(option: str, path: Path, why: str, hint: str) -> UsageError:
    return UsageError(f"{option} {path}: {why}", hint=hint)


def _real(path: Path, option: str) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        raise _refuse(
            option, path, "is a symlink loop", "name a real directory for monolock to write"
        ) from None


def _protected(path: Path, workspace: Workspace, option: str) -> None:
    """The repository itself is never a target: not its root, its members, its `.git`,
    nor anything git tracks."""
    root = workspace.root
    hint = "name a new directory, for example one under build/ that git ignores"
    if path == root or root.is_relative_to(path):
        raise _refuse(option, path, "is or contains the repository root: refusing", hint)
    for package in workspace.packages:
        member = root / package.path
        if package.path == ".":
            continue
        if path == member or member.is_relative_to(path):
            raise _refuse(option, path, f"is or contains the member {package.name}: refusing", hint)
        if path.is_relative_to(member):
            raise _refuse(
                option,
                path,
                f"lies inside the member {package.name}, whose sources it would join",
                hint,
            )
    if ".git" in path.parts:
        raise _refuse(option, path, "lies inside a .git directory: refusing", hint)
    if path.is_relative_to(root) and path.exists():
        tracked = git.output(root, "ls-files", "-z", "--", path.relative_to(root).as_posix())
        if tracked:
            first = tracked.split("\0", 1)[0]
            raise _refuse(option, path, f"holds files git tracks ({first}): refusing", hint)


def _below_a_directory(path: Path, option: str) -> None:
    """The nearest existing ancestor of `path` is a directory, not a file."""
    parent = next(p for p in path.parents if p.exists())
    if not parent.is_dir():
        raise _refuse(option, path, f"{parent} is a file, not a directory", "name another path")


def _files(directory: Path) -> list[str]:
    """Every file and link below `directory`, relative, POSIX; empty directories too."""
    out: list[str] = []
    for base, dirs, files in os.walk(directory):
        rel = Path(base).relative_to(directory)
        out += [(rel / f).as_posix() for f in files]
        out += [(rel / d).as_posix() + "/" for d in dirs if not os.listdir(Path(base) / d)]
        # links to directories are entries, never followed
        links = [d for d in dirs if (Path(base) / d).is_symlink()]
        out += [(rel / d).as_posix() for d in links]
        dirs[:] = [d for d in dirs if d not in links]
    return sorted(out)


def _stamp(directory: Path) -> dict[str, object] | None:
    try:
        data = json.loads((directory / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("made-by") == "monolock" else None


def _derived(path: str) -> bool:
    return any(part in _DERIVED for part in path.split("/")) or path.endswith(".pyc")


def foreign(directory: Path, kind: str) -> list[str] | None:
    """The files in `directory` monolock did not write (empty: all of them are its own);
    None when it carries no stamp of this kind at all."""
    stamp = _stamp(directory)
    if stamp is None or stamp.get("kind") != kind:
        return None
    listed = stamp.get("files")
    if listed is None:
        return []  # an interrupted build of monolock's own: all it holds is monolock's
    known = set(listed) if isinstance(listed, list) else set()
    # an empty directory holds nothing of anyone's (an interrupted removal leaves some)
    return [
        f
        for f in _files(directory)
        if f != STAMP and f not in known and not _derived(f) and not f.endswith("/")
    ]


def check_directory(path: Path, workspace: Workspace, *, option: str, kind: str) -> Path:
    """`path`, made absolute, if monolock may fill or replace it; else a UsageError."""
    if path.is_symlink():
        raise _refuse(option, path, "is a symlink", "name the directory itself")
    path = _real(path.absolute(), option)
    _protected(path, workspace, option)
    _below_a_directory(path, option)
    if not path.exists():
        return path
    if not path.is_dir():
        raise _refuse(option, path, "exists and is not a directory", "name a directory")
    if not any(path.iterdir()):
        return path
    found = foreign(path, kind)
    if found is None:
        raise _refuse(
            option,
            path,
            f"exists and was not made by monolock as a {kind} (no {STAMP} stamp): "
            "refusing to replace it",
            "name a new or empty directory; if monolock made it before it stamped its "
            "directories, remove it yourself",
        )
    if found:
        shown = ", ".join(found[:_SHOWN]) + (" …" if len(found) > _SHOWN else "")
        raise _refuse(
            option,
            path,
            f"holds {len(found)} file(s) monolock did not write ({shown}): refusing to replace it",
            "move those files elsewhere, or name another directory",
        )
    return path


def stamp(directory: Path, kind: str, *, complete: bool = True) -> None:
    """Mark `directory` as monolock's: with `complete`, listing every file it holds now;
    without, as being made (an interruption leaves it replaceable)."""
    data = {
        "made-by": "monolock",
        "kind": kind,
        "files": [f for f in _files(directory) if f != STAMP] if complete else None,
    }
    atomic_write(directory / STAMP, json.dumps(data, indent=1, sort_keys=True) + "\n")


def _tracked(directory: Path) -> bool:
    """Whether git tracks anything below `directory` (outside a repository: no)."""
    listed = git.output(directory.parent, "ls-files", "-z", "--", directory.name)
    return bool(listed)


def remove(directory: Path, kind: str) -> None:
    """Delete a directory monolock made; anything else is left where it is, and so is
    anything git tracks, whatever stamp it carries."""
    if directory.is_symlink() or not directory.is_dir():
        return
    if foreign(directory, kind) != [] or _tracked(directory):
        return
    # the stamp goes last: interrupted, what is left is still stamped, still monolock's
    for entry in os.scandir(directory):
        if entry.name == STAMP:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
    with contextlib.suppress(OSError):
        (directory / STAMP).unlink()
        directory.rmdir()


def check_file(path: Path, *, option: str, header: str) -> Path:
    """`path`, made absolute, if monolock may write it: new, empty, or a file it wrote
    before (its first line starts with `header`)."""
    path = path.absolute()
    if path.is_symlink():
        raise _refuse(option, path, "is a symlink", "name the file itself")
    try:
        path = path.parent.resolve() / path.name  # where it really lands, links followed
    except (OSError, RuntimeError):
        raise _refuse(option, path, "lies below a symlink loop", "name another file") from None
    if ".git" in path.parts:
        raise _refuse(option, path, "lies inside a .git directory: refusing", "name another file")
    _below_a_directory(path, option)
    if not path.exists():
        return path
    if not path.is_file():
        raise _refuse(option, path, "exists and is not a file", "name a file")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(header.encode()))
    except OSError as exc:
        raise _refuse(
            option, path, f"cannot be read ({exc.strerror})", "name another file"
        ) from None
    if head and head != header.encode():
        raise _refuse(
            option,
            path,
            "exists and was not written by monolock: refusing to overwrite it",
            "name a new file, or remove this one first",
        )
    return path


def leftovers(parent: Path, prefixes: Iterable[str], kind: str) -> None:
    """Remove what an interrupted run left next to its target: staging directories of
    its own (stamped), found by name."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) and entry.name.startswith(tuple(prefixes)):
            for candidate in (Path(entry.path), Path(entry.path) / "tree"):
                remove(candidate, kind)
            with contextlib.suppress(OSError):
                os.rmdir(entry.path)  # the holder of an old tree, now empty
