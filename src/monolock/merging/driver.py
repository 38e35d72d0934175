"""A git merge driver for uv.lock: `git merge` and `git rebase` regenerate it.

git calls a driver for a file both sides changed, with the ancestor's, ours and theirs
contents in three temporary files, before it writes the merged manifests anywhere. So the
driver merges the workspace's files itself, as git merges text, in a scratch directory
(from the commits git is merging: `GITHEAD_<commit>` during a merge, the pick being
replayed during a rebase, each checked against the contents git handed over), relocks
there with the same algorithm as `monolock lock`, and hands the lock back. When it cannot
(another operation, manifests that conflict, requirements that cannot be met together),
it leaves git's text merge with the file conflicted, and says to run `monolock lock`.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from monolock import git
from monolock.errors import MonolockError, UsageError
from monolock.fsutil import atomic_write

if TYPE_CHECKING:
    from monolock.model import Workspace

NAME = "monolock"
ATTRIBUTE = f"/uv.lock merge={NAME}"
_SECTION = f"merge.{NAME}"
# the rebase commands that replay one commit
_PICKS = ("pick", "p", "reword", "r", "edit", "e", "fixup", "f", "squash", "s")
# files a relock reads: one of them in conflict leaves nothing to relock
_MANIFESTS = ("pyproject.toml", "uv.toml", ".python-version", "setup.py", "setup.cfg")


@dataclass(frozen=True)
class Installed:
    changed: bool  # False: it already was (or, uninstalling, already was not)
    attributes: Path
    command: str


def command() -> str:
    """What git runs: this interpreter's monolock, wherever the shell's PATH leads. git
    runs it at the top of the work tree: -P keeps a `monolock.py` there (or any module
    monolock imports) from being run in its place."""
    return f"{shlex.quote(sys.executable)} -P -m monolock merge-driver run %O %A %B %L %P"


def install(root: Path) -> Installed:
    """The driver registered in the clone's git config, and uv.lock's attribute in the
    root's .gitattributes (the file everyone shares). Idempotent."""
    git.require_repository(root)
    path = root / ".gitattributes"
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    lines = (old or "").splitlines()
    wanted = command()
    registered = git.config(root, "--get", f"{_SECTION}.driver")
    changed = ATTRIBUTE not in lines or registered != wanted + "\n"
    git.config(root, f"{_SECTION}.name", "monolock: regenerate uv.lock from the merged manifests")
    if git.config(root, f"{_SECTION}.driver", wanted) is None:
        raise MonolockError("git refused to write its config", where=".git/config")
    if ATTRIBUTE not in lines:
        atomic_write(path, "".join(f"{line}\n" for line in [*lines, ATTRIBUTE]))
    return Installed(changed, path, wanted)


def uninstall(root: Path) -> Installed:
    """Both undone: the attribute line (the file too, when that line was all of it) and
    the config section. What else is in .gitattributes stays."""
    git.require_repository(root)
    path = root / ".gitattributes"
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    lines = (old or "").splitlines()
    registered = git.config(root, "--get", f"{_SECTION}.driver")
    changed = ATTRIBUTE in lines or registered is not None
    if registered is not None:
        git.config(root, "--remove-section", _SECTION)
    if ATTRIBUTE in lines:
        kept = [line for line in lines if line != ATTRIBUTE]
        if kept:
            atomic_write(path, "".join(f"{line}\n" for line in kept))
        else:
            path.unlink()
    return Installed(changed, path, registered.strip() if registered else "")


@dataclass(frozen=True)
class _Commits:
    base: str
    ours: str
    theirs: str
    theirs_label: str


@dataclass(frozen=True)
class Handed:
    """What git hands a driver: %O %A %B (temporary files), %L and %P."""

    base: Path
    ours: Path  # the result goes here
    theirs: Path
    marker_size: int
    name: str  # the file's path from the top of the work tree

    @classmethod
    def of(cls, args: Sequence[str]) -> Handed:
        """%O %A %B %L %P, or %O %A %B %P as an older install registered it."""
        if len(args) == 4:
            args = (*args[:3], "7", args[3])
        if len(args) != 5 or not args[3].isdigit():
            raise UsageError(
                f"a merge driver is given %O %A %B %L %P, not {' '.join(args)}",
                hint="register it again with `monolock merge-driver install`",
            )
        return cls(Path(args[0]), Path(args[1]), Path(args[2]), int(args[3]), args[4])


def run(handed: Handed, say: Callable[[str], None]) -> int:
    """git's driver protocol: the merged file into `ours`, exit 0 when merged cleanly."""
    top = Path.cwd()
    raw = [p.read_bytes() for p in (handed.base, handed.ours, handed.theirs)]
    try:
        commits = _commits(top, handed.name, *raw)
        if commits is None:
            reason = "could not tell which commits git is merging (only merge and rebase are known)"
        else:
            return _relock(top, handed.name, commits, raw, handed.ours, say)
    except MonolockError as exc:
        reason = f"{exc}" + (f" ({exc.hint})" if exc.hint else "")
    except Exception as exc:  # a bug in monolock must not cost a merge: git's text merge
        reason = f"internal error: {type(exc).__name__}: {exc}"
    say(f"monolock: {handed.name} not regenerated: {reason}")
    say("monolock: once the merge's other conflicts are resolved, run `monolock lock`")
    _text_merge(top, handed)
    return 1


def _relock(
    top: Path, name: str, commits: _Commits, raw: list[bytes], out: Path, say: Callable[[str], None]
) -> int:
    from monolock.merging import resolve
    from monolock.merging.conflict import Sides
    from monolock.relock import targets
    from monolock.workspace import discover

    prefix = str(PurePosixPath(name).parent)
    trees = tuple(_tree(c, prefix) for c in (commits.base, commits.ours, commits.theirs))
    with tempfile.TemporaryDirectory(prefix="monolock-merge-") as scratch:
        root = Path(scratch) / "tree"
        conflicted = git.merged_tree(top, (trees[0], trees[1], trees[2]), root, _read_by_lock)
        blocking = [p for p in conflicted if PurePosixPath(p).name in _MANIFESTS]
        if blocking:
            raise MonolockError(f"{', '.join(blocking)} conflict as well")
        workspace = discover(root)
        sides = Sides(raw[1], raw[2], "HEAD", commits.theirs_label)
        env = _pretend_versions(top, workspace)
        merged, _ = resolve.relock(root, sides, workspace, targets(workspace), env=env)
        atomic_write(out, (root / "uv.lock").read_bytes())
    moved = f", {len(merged.moved)} moved past both sides" if merged.moved else ""
    say(
        f"monolock: {name} regenerated from the merged manifests (kept HEAD's and "
        f"{commits.theirs_label}'s versions{moved})"
    )
    return 0


# what the version plugins that ask git (uv-dynamic-versioning, setuptools-scm and
# hatch-vcs, poetry-dynamic-versioning, pdm's scm source) take in its place
_PRETEND = (
    "UV_DYNAMIC_VERSIONING_BYPASS",
    "SETUPTOOLS_SCM_PRETEND_VERSION",
    "POETRY_DYNAMIC_VERSIONING_BYPASS",
    "PDM_BUILD_SCM_VERSION",
)


def _pretend_versions(top: Path, workspace: Workspace) -> dict[str, str]:
    """The scratch tree has no git, so a member whose version comes from git is given the
    latest tag's: uv records no dynamic member's version, only what it requires."""
    if all(p.version is not None for p in workspace.packages):
        return {}
    tag = (git.output(top, "describe", "--tags", "--abbrev=0", "HEAD") or "").strip()
    version = tag.removeprefix("v") if re.fullmatch(r"v?[0-9]+(\.[0-9]+)*", tag) else "0.0.0"
    return {key: os.environ.get(key, version) for key in _PRETEND}


# what a relock reads of a member: its manifest, and what a build backend reads for its
# metadata (a version in code, a readme, licence files); data, tests' cassettes, images
# and the like are never read, and a large repository is mostly those
_SUFFIXES = (".py", ".pyi", ".toml", ".cfg", ".txt", ".md", ".rst", ".in", ".typed")
_NAMES = ("readme", "license", "licence", "copying", "notice", "authors", ".python-version")


def _read_by_lock(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.endswith(_SUFFIXES) or name.lower().startswith(_NAMES)


def _tree(commit: str, prefix: str) -> str:
    return f"{commit}^{{tree}}" if prefix == "." else f"{commit}:{prefix}"


def _commits(top: Path, name: str, base: bytes, ours: bytes, theirs: bytes) -> _Commits | None:
    """The commits whose merge git is computing, if their `name` is what git handed over."""
    head = (git.output(top, "rev-parse", "--verify", "-q", "HEAD") or "").strip()
    heads = [key[len("GITHEAD_") :] for key in os.environ if key.startswith("GITHEAD_")]
    found: _Commits | None = None
    if len(heads) == 1:  # `git merge` names the commit it merges (one: no octopus)
        other = heads[0]
        common = (git.output(top, "merge-base", "--all", head, other) or "").split()
        label = os.environ.get(f"GITHEAD_{other}") or other[:12]
        # criss-cross histories merge against a virtual base that is no commit: not ours
        found = _Commits(common[0], head, other, label) if len(common) == 1 else None
    else:  # a rebase: the pick it stopped on is the last line of its `done` list
        picked = _picked(top)
        if picked is not None:
            found = _Commits(f"{picked}^", head, picked, picked[:12])
    if found is None:
        return None
    for commit, content in ((found.base, base), (found.ours, ours), (found.theirs, theirs)):
        known = (git.output(top, "rev-parse", "--verify", "-q", f"{commit}:{name}") or "").strip()
        if known != (git.blob_id(content) if known or content else ""):
            return None
    return found


def _picked(top: Path) -> str | None:
    gitdir = (git.output(top, "rev-parse", "--git-dir") or "").strip()
    done = top / gitdir / "rebase-merge" / "done" if gitdir else None
    try:
        lines = done.read_text().splitlines() if done is not None else []
    except OSError:
        return None
    words = lines[-1].split() if lines else []
    if len(words) < 2 or words[0] not in _PICKS:
        return None
    found = (git.output(top, "rev-parse", "--verify", "-q", f"{words[1]}^{{commit}}") or "").strip()
    return found or None


def _text_merge(top: Path, handed: Handed) -> None:
    """What git would have done without the driver: the file merged as text, in place,
    with its labels, marker size and conflict style."""
    heads = [v for k, v in os.environ.items() if k.startswith("GITHEAD_")]
    labels = ("-L", "HEAD", "-L", "base", "-L", heads[0] if len(heads) == 1 else "theirs")
    style = (git.output(top, "config", "merge.conflictStyle") or "").strip()
    options = [f"--marker-size={handed.marker_size}", *labels]
    options += [f"--{style}"] if style in ("diff3", "zdiff3") else []
    paths = (str(handed.ours), str(handed.base), str(handed.theirs))
    git.output(top, "merge-file", "-q", *options, *paths)
