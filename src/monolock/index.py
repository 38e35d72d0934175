"""The workspace index: each member as it was read last time, kept on disk per repository.

A member is taken from the index only while the bytes of its manifest (by digest) and
every directory its layout was read from (by mtime) are as they were; anything else is
read anew. An index that is damaged, cut short or written by another version of monolock
is no index: a thousand members are then read as if for the first time, never trusted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from monolock import __version__, replay
from monolock.fsutil import cache_root, sealed_read, sealed_write
from monolock.layout import unchanged, witnessed
from monolock.manifest.reader import manifest_key
from monolock.model import CheckSettings, Dependency, Index, Package, Requirement, Source

_FORMAT = "1"  # bump when what an entry holds changes, beyond the fields of the classes
# the fields of a Package that hold dataclasses: each (class, how many) - "one", "maybe"
# (or None), "many" (a tuple of them); every other field is plain data, stored as it is
_NESTED: dict[type[Any], dict[str, tuple[type[Any], str]]] = {
    Package: {
        "dependencies": (Dependency, "many"),
        "check": (CheckSettings, "one"),
        "indexes": (Index, "many"),
    },
    Dependency: {"requirement": (Requirement, "one"), "source": (Source, "maybe")},
    Requirement: {},
    Source: {},
    Index: {},
    CheckSettings: {},
}
# what the classes look like: an index written for other fields is no index
_SHAPE = tuple((cls.__name__, tuple(f.name for f in fields(cls))) for cls in _NESTED)

Entry = tuple[str, dict[str, int], Any]  # manifest key, directories witnessed, the package


def _encode(value: Any) -> Any:
    """A dataclass as the tuple of its fields (those holding dataclasses encoded too):
    plain data that marshal can hold."""
    nested = _NESTED[type(value)]
    out = []
    for f in fields(value):
        item = getattr(value, f.name)
        if f.name in nested and item is not None:
            item = tuple(map(_encode, item)) if nested[f.name][1] == "many" else _encode(item)
        out.append(item)
    return tuple(out)


def _decoder(cls: type[Any]) -> Callable[[Any], Any]:
    """What rebuilds an instance of `cls` from `_encode`'s tuple: only the fields that
    hold dataclasses are visited, so a thousand packages come back in milliseconds."""
    names = [f.name for f in fields(cls)]
    plan = [(names.index(name), _decoder(sub), how) for name, (sub, how) in _NESTED[cls].items()]

    def decode(value: Any) -> Any:
        items = list(value)
        for at, inner, how in plan:
            item = items[at]
            if how == "many":
                items[at] = tuple(map(inner, item))
            elif item is not None:
                items[at] = inner(item)
        return cls(*items)

    return decode


_decode = _decoder(Package)


def _format() -> tuple[Any, ...]:
    return (__version__, _FORMAT, _SHAPE)


class MemberIndex:
    """The index of one repository, read once, written back once if anything changed."""

    def __init__(self, root: Path) -> None:
        digest = hashlib.sha256(str(root).encode()).hexdigest()[:32]
        self._slot = cache_root() / "index" / f"{digest}.marshal"
        found = sealed_read(self._slot)
        self._old: dict[str, Entry] = {}
        if isinstance(found, dict) and found.get("format") == _format():
            self._old = found["members"]
        self._new: dict[str, Entry] = {}
        self._changed = False

    def member(self, relpath: str, raw: bytes, read: Callable[[], Package]) -> Package:
        """The package whose manifest at `relpath` holds `raw`: from the index if nothing
        it was read from changed, else `read()`, remembered when its layout can be
        witnessed."""
        key = manifest_key(raw)
        entry = self._old.get(relpath)
        if entry is not None and entry[0] == key and unchanged(entry[1]):
            try:
                package = _decode(entry[2])
            except (IndexError, TypeError, ValueError):
                package = None  # an entry of another shape: read anew
            if isinstance(package, Package) and package.path == relpath:
                self._new[relpath] = entry
                replay.directories(entry[1])
                return package
        with witnessed() as witness:
            package = read()
        self._changed = True
        if witness.trusted:
            self._new[relpath] = (key, witness.seen, _encode(package))
            replay.directories(witness.seen)
        else:
            replay.unwitnessed()
        return package

    def save(self) -> None:
        """Write the index back (only the members read this time) if anything changed."""
        if self._changed or self._new.keys() != self._old.keys():
            sealed_write(self._slot, {"format": _format(), "members": self._new})
