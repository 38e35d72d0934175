"""The one place that runs git: which files changed between two commits (or a commit and
the working tree), a file as it was at a commit, and every file's content id as git sees it.

Paths are POSIX and relative to the directory git runs in (the monolock root), which may
be below the repository's top level; files outside it are not reported.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

from monolock.errors import GitError


def _call(
    root: Path, args: tuple[str, ...], env: dict[str, str] | None = None, given: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=root, env=env, capture_output=True, check=False, input=given
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror}", hint="install git") from None


def output(root: Path, *args: str) -> str | None:
    """git's standard output, or None when git is absent or the command failed."""
    try:
        out = _call(root, args)
    except GitError:
        return None
    return out.stdout.decode() if out.returncode == 0 else None


def _run(
    root: Path, *args: str, what: str, env: dict[str, str] | None = None, given: bytes = b""
) -> bytes:
    out = _call(root, args, env, given)
    if out.returncode != 0:
        message = out.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"{what}: {message[-1] if message else 'git failed'}")
    return out.stdout


def _untracked(root: Path) -> list[str]:
    """Files git does not track and does not ignore."""
    return _paths(
        _run(root, "ls-files", "-z", "--others", "--exclude-standard", what="git ls-files")
    )


def _paths(raw: bytes) -> list[str]:
    return [p.decode("utf-8", "surrogateescape") for p in raw.split(b"\0") if p]


def is_repository(root: Path) -> bool:
    return (output(root, "rev-parse", "--is-inside-work-tree") or "").strip() == "true"


def prefix(root: Path) -> str:
    """`root` relative to the top of its repository ("" at the top or outside git), with a
    trailing slash: what turns a workspace path into one a code host knows."""
    return (output(root, "rev-parse", "--show-prefix") or "").strip()


def require_repository(root: Path) -> None:
    if not is_repository(root):
        raise GitError(
            f"{root.name or root} is not inside a git repository",
            hint="run monolock in a git clone (changes are read from git)",
        )


def commit(root: Path, ref: str) -> str:
    """The commit `ref` names, as a full hash."""
    named = (output(root, "rev-parse", "--verify", "--quiet", ref) or "").strip()
    out = named and output(root, "rev-parse", "--verify", "--quiet", f"{named}^{{commit}}")
    if not out:
        raise GitError(
            f"'{ref}' does not name a commit in this clone",
            hint="check the name; in CI fetch the history it needs (a shallow clone lacks the "
            "base: use fetch-depth: 0, or `git fetch origin main`)",
        )
    return out.strip()


def merge_base(root: Path, base: str, head: str) -> str:
    """Where `head`'s branch left `base`: changes made on `base` since are not `head`'s."""
    out = output(root, "merge-base", base, head)
    if not out:
        raise GitError(
            f"{base[:12]} and {head[:12]} have no common ancestor",
            hint="fetch more history (a shallow clone may lack it), or pass another --base",
        )
    return out.strip()


def changed(root: Path, base: str, head: str | None) -> list[str]:
    """Files that differ between `base` and `head`, or, with no head, between `base` and
    the working tree (staged, unstaged and untracked files not ignored). A rename is its
    old path and its new one."""
    args = ["diff", "--name-only", "-z", "--no-renames", "--relative", base]
    if head is not None:
        found = _paths(_run(root, *args, head, what="git diff"))
    else:
        found = _paths(_run(root, *args, what="git diff")) + _untracked(root)
    return sorted(set(found))


def show(root: Path, ref: str, path: str) -> bytes | None:
    """`path` (relative to root) as it is at `ref`, or None when it does not exist there."""
    out = _call(root, ("show", f"{ref}:./{path}"))
    return out.stdout if out.returncode == 0 else None


def blob_id(data: bytes) -> str:
    """The id git gives these bytes: equal ids mean equal content, staged or not."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def contents(root: Path) -> dict[str, str]:
    """Every file below root as git sees the working tree, path -> content id: tracked
    files from the index, those edited since from their bytes, untracked files that are
    not ignored from theirs, deleted files left out."""
    ids: dict[str, str] = {}
    listed = _run(root, "ls-files", "-s", "-z", what="git ls-files")
    for entry in listed.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        ids[name.decode("utf-8", "surrogateescape")] = meta.split(b" ")[1].decode()
    edited = _paths(_run(root, "diff-files", "--name-only", "-z", "--relative", what="git diff"))
    edited += _untracked(root)
    for path in edited:
        try:
            ids[path] = blob_id((root / path).read_bytes())
        except FileNotFoundError:
            ids.pop(path, None)
        except IsADirectoryError:
            continue  # a submodule: the index holds its commit
    return ids


def unmerged(root: Path, path: str) -> dict[int, bytes]:
    """A file git holds unmerged (a merge or a rebase stopped on it): stage -> content
    (1 the common ancestor, 2 ours, 3 theirs; a side that deleted the file is absent).
    Empty when the file is merged, or outside git."""
    listed = _call(root, ("ls-files", "-u", "-z", "--", path))
    if listed.returncode != 0:
        return {}
    blobs = _stages(listed.stdout).get(path, {})
    return {n: _run(root, "cat-file", "blob", b, what="git cat-file") for n, b in blobs.items()}


def merging(root: Path) -> str | None:
    """The name of what a stopped merge, rebase or cherry-pick brings in, as git labels
    its side of a conflict: a branch, or a short commit."""
    for head in ("MERGE_HEAD", "REBASE_HEAD", "CHERRY_PICK_HEAD"):
        named = output(root, "name-rev", "--name-only", "--no-undefined", head)
        if named:
            return named.strip().removesuffix("~0").removesuffix("^0")
        short = output(root, "rev-parse", "--verify", "-q", "--short", head)
        if short:
            return short.strip()
    return None


def _stages(listing: bytes) -> dict[str, dict[int, str]]:
    """`git ls-files -u -z` read: path -> stage -> blob id."""
    stages: dict[str, dict[int, str]] = {}
    for entry in listing.split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        fields = meta.split(b" ")
        if len(fields) == 3:
            path = name.decode("utf-8", "surrogateescape")
            stages.setdefault(path, {})[int(fields[2])] = fields[1].decode()
    return stages


def top_level(root: Path) -> Path:
    out = output(root, "rev-parse", "--show-toplevel")
    if not out:
        raise GitError(f"{root} is not inside a git work tree", hint="run it in a git clone")
    return Path(out.strip())


def config(root: Path, *args: str) -> str | None:
    """`git config --local ARGS`: its output, or None when git says no (an unset key)."""
    return output(root, "config", "--local", *args)


def merged_tree(
    top: Path, trees: tuple[str, str, str], dest: Path, keep: Callable[[str], bool]
) -> list[str]:
    """The three-way merge of trees (base, ours, theirs) written below `dest`, file by file
    as git merges text, without touching the repository's index or work tree: the files
    `keep` admits only. Returns the paths that did not merge cleanly (written with
    conflict markers, or one side's file). Files git-lfs keeps elsewhere stay pointers."""
    import os
    import tempfile

    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "GIT_INDEX_FILE": str(Path(scratch) / "index"),
            "GIT_LFS_SKIP_SMUDGE": "1",
        }
        _run(top, "read-tree", "-i", "-m", "--aggressive", *trees, what="git read-tree", env=env)
        stages = _stages(_run(top, "ls-files", "-u", "-z", what="git ls-files", env=env))
        every = _paths(_run(top, "ls-files", "-z", what="git ls-files", env=env))
        merged = sorted({p for p in every if keep(p) and p not in stages})
        checkout = ("checkout-index", "--force", f"--prefix={dest}/", "--stdin", "-z")
        given = b"".join(os.fsencode(p) + b"\0" for p in merged)
        _run(top, *checkout, what="git checkout-index", env=env, given=given)
        return [
            path
            for path, blobs in sorted(stages.items())
            if keep(path) and not _merge_file(top, blobs, Path(scratch), dest / path)
        ]


def _merge_file(top: Path, blobs: dict[int, str], scratch: Path, target: Path) -> bool:
    """One unmerged file merged as text into `target`: whether it merged cleanly."""
    sides = [scratch / name for name in ("base", "ours", "theirs")]
    for stage, side in zip((1, 2, 3), sides, strict=True):
        side.write_bytes(
            _run(top, "cat-file", "blob", blobs[stage], what="git cat-file")
            if stage in blobs
            else b""
        )
    # merge-file exits with the number of conflicts (up to 127), negative on error
    out = _call(top, ("merge-file", "-p", "-q", str(sides[1]), str(sides[0]), str(sides[2])))
    if not 0 <= out.returncode < 128:
        raise GitError("git merge-file failed")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(out.stdout)
    return out.returncode == 0 and 2 in blobs and 3 in blobs
