"""The two sides of a conflicted lockfile.

git leaves them in two places during a merge or a rebase: in the file, between conflict
markers, and in its index (stage 2 is ours, stage 3 theirs). The index holds each side
whole, so it is read first; a file whose markers outlived the merge (committed, stashed,
copied) is split at its markers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from monolock import git
from monolock.errors import LockError

# git's default marker size; a label follows the opening and closing ones
_OPEN, _BASE, _SPLIT, _CLOSE = (
    re.compile(rb"%s(?: (.*?))?\r?\n?" % re.escape(bytes([c]) * 7)) for c in b"<|=>"
)
# a conflict is there when one opens: a lone `=======` may be part of a TOML string
_OPENING = re.compile(rb"^<{7}(?: |\r?$)", re.MULTILINE)


# the first line of the lock monolock writes for uv or Poetry to relock a merge from: a
# run killed before they replace it leaves a file every reader refuses and `lock` redoes
PENDING = b"# monolock: a merge being relocked; run `monolock lock` to finish it\n"


@dataclass(frozen=True)
class Sides:
    ours: bytes
    theirs: bytes
    ours_label: str = "ours"
    theirs_label: str = "theirs"


def has_markers(raw: bytes) -> bool:
    return _OPENING.search(raw) is not None


def conflicted(raw: bytes) -> bool:
    """A lock a merge left unresolved: with conflict markers, or monolock's preferences
    for relocking it still in place."""
    return raw.startswith(PENDING) or has_markers(raw)


def settle(path: Path) -> None:
    """After uv or Poetry relocked from the preferences: their first line gone, should
    the tool have found nothing to rewrite."""
    from monolock.fsutil import atomic_write

    raw = path.read_bytes()
    if raw.startswith(PENDING):
        atomic_write(path, raw[len(PENDING) :])


def refuse(raw: bytes, display: str) -> None:
    """What a reader of a lock says of one a merge left unresolved."""
    if conflicted(raw):
        raise LockError(
            "git conflict markers: a merge left the lockfile unresolved"
            if has_markers(raw)
            else "a merge monolock was relocking was interrupted",
            where=display,
            hint="regenerate it from the merged manifests with `monolock lock` "
            "(never merge a lockfile by hand)",
        )


def split(raw: bytes, *, display: str = "uv.lock") -> Sides:
    """Each side of every conflict, with what both sides share around them."""
    ours: list[bytes] = []
    theirs: list[bytes] = []
    labels = ["ours", "theirs"]
    state = "both"
    for number, line in enumerate(raw.splitlines(keepends=True), 1):
        opening, base, middle, closing = (m.fullmatch(line) for m in (_OPEN, _BASE, _SPLIT, _CLOSE))
        if opening and state == "both":
            state = "ours"
            labels[0] = _label(opening.group(1), labels[0])
        elif base and state == "ours":
            state = "base"
        elif middle and state in ("ours", "base"):
            state = "theirs"
        elif closing and state == "theirs":
            state = "both"
            labels[1] = _label(closing.group(1), labels[1])
        elif opening or middle or closing:
            raise LockError(
                f"line {number}: a conflict marker out of place (markers do not pair up)",
                where=display,
                hint="restore git's conflict with `git checkout --merge uv.lock`, or the "
                "lockfile of one side with `git checkout --ours uv.lock`, then `monolock lock`",
            )
        elif state == "both":
            ours.append(line)
            theirs.append(line)
        elif state == "ours":
            ours.append(line)
        elif state == "theirs":
            theirs.append(line)
    if state != "both":
        raise LockError(
            "a conflict is opened and never closed (no `>>>>>>>` line)",
            where=display,
            hint="restore git's conflict with `git checkout --merge uv.lock`, then `monolock lock`",
        )
    return Sides(b"".join(ours), b"".join(theirs), labels[0], labels[1])


def _label(found: bytes | None, default: str) -> str:
    text = (found or b"").decode("utf-8", "replace").strip()
    return text[:80] or default


def read(root: Path, name: str, raw: bytes) -> Sides | None:
    """The conflict in `root/name` whose bytes are `raw`, or None when there is none.
    Unmerged in git's index is a conflict even when the file shows no markers (say, after
    an interrupted `monolock lock`): the merge is not done until the lock is regenerated."""
    staged = git.unmerged(root, name)
    if 2 in staged and 3 in staged:
        if has_markers(raw):
            try:
                labels = split(raw, display=name)
                return Sides(staged[2], staged[3], labels.ours_label, labels.theirs_label)
            except LockError:
                pass  # the index holds the sides; the labels are a nicety
        return Sides(staged[2], staged[3], "HEAD", git.merging(root) or "theirs")
    if has_markers(raw):
        return split(raw, display=name)
    return None
