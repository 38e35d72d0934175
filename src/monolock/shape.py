"""The shapes of TOML documents monolock reads, checked once where a file comes in.

A reader that has checked a document against its shape may trust every type it holds,
so a string where a list belongs (`members = "packages/*"`) is one clear error naming
the key, never a message about characters or a crash three modules later. Keys a shape
does not name are not checked: they belong to other tools.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from monolock.errors import MonolockError

_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),  # before int: a bool is an int to Python, not to TOML
    (str, "a string"),
    (int, "an integer"),
    (float, "a float"),
    (list, "an array"),
    (dict, "a table"),
    (datetime.datetime, "a date-time"),
    (datetime.date, "a date"),
    (datetime.time, "a time"),
)


def describe(value: Any) -> str:
    kind = next((name for t, name in _TYPE_NAMES if isinstance(value, t)), type(value).__name__)
    if isinstance(value, list | dict):
        return kind
    shown = repr(value)
    return f"{kind} ({shown if len(shown) <= 40 else shown[:37] + '...'})"


def join(key: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{key}[{part}]"
    bare = part.replace("-", "").replace("_", "")
    plain = bare.isascii() and bare.isalnum()
    name = part if plain else json.dumps(part)  # quoted and escaped, as TOML writes the key
    return f"{key}.{name}" if key else name


class Shape:
    """What a value must be: `what` names it in an error, `hint` says how to write it."""

    what: str = "a value"
    hint: str | None = None

    def matches(self, value: Any) -> bool:
        return True

    def check(self, value: Any, key: str, fail: Fail) -> None:
        if not self.matches(value):
            fail(key, self, value)


class Fail:
    """Raises the reader's own error for a value of the wrong shape."""

    def __init__(self, error: type[MonolockError], where: str, hint: str) -> None:
        self.error = error
        self.where = where
        self.hint = hint

    def __call__(self, key: str, shape: Shape, value: Any) -> None:
        raise self.error(
            f"{key}: expected {shape.what}, found {describe(value)}",
            where=self.where,
            hint=shape.hint or self.hint,
        )


@dataclass(frozen=True)
class Scalar(Shape):
    kind: type | tuple[type, ...]
    what: str = "a string"
    hint: str | None = None

    def matches(self, value: Any) -> bool:
        if isinstance(value, bool) and self.kind is not bool:
            return False
        return isinstance(value, self.kind)


@dataclass(frozen=True)
class Text(Shape):
    """A string that `check` accepts: a name, a version, a hash, a URL. Values that end up
    in a requirements file or a Dockerfile are checked here, whole."""

    check_text: Callable[[str], bool]
    what: str = "a string"
    hint: str | None = None

    def matches(self, value: Any) -> bool:
        return isinstance(value, str) and self.check_text(value)


def pattern(regex: str) -> Callable[[str], bool]:
    compiled = re.compile(regex)
    return lambda text: compiled.fullmatch(text) is not None


@dataclass(frozen=True)
class ListOf(Shape):
    item: Shape
    what: str = "an array"
    hint: str | None = None

    def matches(self, value: Any) -> bool:
        return isinstance(value, list)

    def check(self, value: Any, key: str, fail: Fail) -> None:
        if not isinstance(value, list):
            fail(key, self, value)
            return
        for i, item in enumerate(value):
            self.item.check(item, join(key, i), fail)


@dataclass(frozen=True)
class MapOf(Shape):
    """A table whose keys are names (extras, groups, sources) and whose values share a
    shape."""

    value: Shape
    what: str = "a table"
    hint: str | None = None

    def matches(self, value: Any) -> bool:
        return isinstance(value, dict)

    def check(self, value: Any, key: str, fail: Fail) -> None:
        if not isinstance(value, dict):
            fail(key, self, value)
            return
        for name, item in value.items():
            self.value.check(item, join(key, name), fail)


@dataclass(frozen=True)
class Table(Shape):
    fields: Mapping[str, Shape] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    what: str = "a table"
    hint: str | None = None
    closed: bool = False  # a key it does not name is a typo, not another tool's

    def matches(self, value: Any) -> bool:
        return isinstance(value, dict)

    def check(self, value: Any, key: str, fail: Fail) -> None:
        if not isinstance(value, dict):
            fail(key, self, value)
            return
        for name in self.required:
            if name not in value:
                raise fail.error(
                    f"{join(key, name)}: missing", where=fail.where, hint=self.hint or fail.hint
                )
        unknown = sorted(set(value) - set(self.fields)) if self.closed else []
        if unknown:
            raise fail.error(
                f"{join(key, unknown[0])}: unknown key",
                where=fail.where,
                hint=f"{key or 'the table'} takes: {', '.join(self.fields)}",
            )
        for name, shape in self.fields.items():
            if name in value:
                shape.check(value[name], join(key, name), fail)


@dataclass(frozen=True)
class OneOf(Shape):
    """The first option whose outer type matches decides (and checks the inside)."""

    options: tuple[Shape, ...]
    what: str = "a value"
    hint: str | None = None

    def matches(self, value: Any) -> bool:
        return any(o.matches(value) for o in self.options)

    def check(self, value: Any, key: str, fail: Fail) -> None:
        for option in self.options:
            if option.matches(value):
                option.check(value, key, fail)
                return
        fail(key, self, value)


ANY = Shape()
STR = Scalar(str)
BOOL = Scalar(bool, "true or false")
INT = Scalar(int, "an integer")
NUMBER = Scalar((int, float), "a number")
STRS = ListOf(STR, "an array of strings")


def validate(
    data: Any,
    shape: Shape,
    *,
    where: str,
    error: type[MonolockError],
    hint: str = "fix the value in the file",
) -> None:
    """Raise `error` naming the first key of `data` whose value does not have its shape;
    `hint` says what to do where the shape itself does not."""
    shape.check(data, "", Fail(error, where, hint))


def _version(text: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def _specifier(text: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return False
    return True


def _marker(text: str) -> bool:
    from monolock.markers import is_valid

    return is_valid(text)


NAME = Text(pattern(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"), "a PEP 508 name")
VERSION = Text(_version, "a PEP 440 version")
SPECIFIER = Text(_specifier, "a PEP 440 version range")
MARKER = Text(_marker, "a PEP 508 marker")
HASH = Text(pattern(r"[a-z0-9]+:[0-9a-fA-F]+"), "a hash like sha256:<hex>")
URL = Text(pattern(r"[^\s\x00-\x1f\x7f]+"), "a URL without spaces or control characters")
PATH = Text(lambda t: t.isprintable() and bool(t), "a path of printable characters")
