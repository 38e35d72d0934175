"""Markers of reachability: under which environments a locked package is needed.

A package reached along several paths is needed when any path's markers all hold, so a
reachability marker is kept in disjunctive normal form: a set of conjunctions of the
lock's own marker strings. Conjunctions that no environment can satisfy (including those
that contradict the lock's `requires-python`) are dropped, and so are atoms every
allowed Python satisfies — the same simplifications uv's export makes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from packaging.markers import InvalidMarker, Marker, default_environment
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from monolock.model import normalize

Conj = frozenset[str]
Dnf = frozenset[Conj]

TRUE: Dnf = frozenset({frozenset()})
FALSE: Dnf = frozenset()
_PYTHON_VARS = {"python_version", "python_full_version"}
_MAX_ENVIRONMENTS = 4096


def _literals(node: Any, out: dict[str, set[str]]) -> None:
    """Variable -> literal values it is compared with, from packaging's parsed tree."""
    if isinstance(node, list):
        for item in node:
            _literals(item, out)
    elif isinstance(node, tuple) and len(node) == 3:
        lhs, _, rhs = node
        for var, val in ((lhs, rhs), (rhs, lhs)):
            if type(var).__name__ == "Variable" and type(val).__name__ == "Value":
                out.setdefault(var.value, set()).add(val.value)


@lru_cache(maxsize=65536)
def _parse(atom: str) -> tuple[Marker, dict[str, frozenset[str]]] | None:
    try:
        marker = Marker(atom)
    except InvalidMarker:
        return None
    found: dict[str, set[str]] = {}
    _literals(getattr(marker, "_markers", []), found)
    return marker, {k: frozenset(v) for k, v in found.items()}


def is_valid(marker: str) -> bool:
    """A PEP 508 marker packaging can read (parsed once per distinct text)."""
    return _parse(marker) is not None


def _python_candidates(literals: Iterable[str]) -> list[str]:
    """Full versions around every Python version a marker mentions."""
    out: set[str] = set()
    for text in literals:
        parts = [int(p) for p in text.split(".")[:3] if p.isdigit()]
        if len(parts) < 2:
            continue
        major, minor = parts[0], parts[1]
        patch = parts[2] if len(parts) > 2 else 0
        for m in (minor - 1, minor, minor + 1):
            if m >= 0:
                out.add(f"{major}.{m}.0")
                out.add(f"{major}.{m}.99")
        out.add(f"{major}.{minor}.{patch}")
        if patch > 0:
            out.add(f"{major}.{minor}.{patch - 1}")
        out.add(f"{major}.{minor}.{patch + 1}")
    return sorted(out)


# uv encodes "this extra / group is active" as `extra == 'extra-<n>-<package>-<name>'`
# (or `group-...`) to keep conflicting extras apart in one universal lock
_CONFLICT = re.compile(r"""extra\s*(==|!=)\s*(['"])((?:extra|group)-\d+-[^'"]+)\2""")


def names_conflict_items(marker: str) -> bool:
    """The marker depends on which extras or groups are active (uv's conflict markers)."""
    return "extra" in marker and _CONFLICT.search(marker) is not None


def _fold(node: Any) -> bool | str:
    """A parsed marker with constant comparisons folded away: True, False or the text
    of what is left (`and` binds tighter than `or`, as in PEP 508)."""
    if isinstance(node, tuple):
        lhs, op, rhs = node
        if type(lhs).__name__ == "Value" and type(rhs).__name__ == "Value":
            # only the constants `resolve` substitutes: '1' == '1' and '1' == '0'
            return bool((lhs.value == rhs.value) == (op.value == "=="))

        def text(part: Any) -> str:
            return part.value if type(part).__name__ == "Variable" else f"'{part.value}'"

        return f"{text(lhs)} {op.value} {text(rhs)}"
    groups: list[list[Any]] = [[]]
    for item in node:
        if item == "or":
            groups.append([])
        elif item != "and":
            groups[-1].append(item)
    kept_groups: list[str] = []
    for group in groups:
        values = [_fold(item) for item in group]
        if False in values:
            continue  # this conjunction never holds
        parts = [f"({v})" if " or " in v else v for v in values if isinstance(v, str)]
        if not parts:
            return True  # every comparison in it holds: so does the whole marker
        kept_groups.append(" and ".join(parts))
    return " or ".join(kept_groups) if kept_groups else False


def _settle(
    marker: str, pattern: re.Pattern[str], active: Callable[[re.Match[str]], bool]
) -> bool | str | None:
    """`marker` with every `extra ==`/`!=` comparison `pattern` matches decided (`active`
    tells whether the named extra is on), then folded: True, False or what remains.
    The marker itself when nothing matched; None when the result does not parse."""

    def decide(m: re.Match[str]) -> str:
        holds = active(m) == (m.group(1) == "==")
        return "'1' == '1'" if holds else "'1' == '0'"

    substituted = pattern.sub(decide, marker)
    if substituted == marker:
        return marker
    parsed = _parse(substituted)
    return None if parsed is None else _fold(getattr(parsed[0], "_markers", []))


@dataclass(frozen=True)
class Space:
    """The environments a lock covers: every platform, Pythons within requires-python,
    and, for uv's conflict markers, exactly the extras and groups that are `active`."""

    requires_python: str | None
    active: frozenset[str] = frozenset()

    @lru_cache(maxsize=65536)  # noqa: B019
    def resolve(self, marker: str) -> bool | str:
        """An edge marker with uv's conflict markers decided by `active`: True (always),
        False (never) or the platform/Python condition that remains."""
        if "extra" not in marker:
            return marker

        settled = _settle(marker, _CONFLICT, lambda m: m.group(3) in self.active)
        return True if settled is None else settled

    def pythons(self, literals: Iterable[str]) -> list[str]:
        candidates = _python_candidates([*literals, *self._bounds()])
        spec = self._spec()
        return [c for c in candidates if spec is None or spec.contains(c, prereleases=True)]

    def _bounds(self) -> list[str]:
        spec = self._spec()
        return [s.version for s in spec] if spec else ["3.8"]

    @lru_cache(maxsize=1)  # noqa: B019 - one Space per lock, few instances
    def _spec(self) -> SpecifierSet | None:
        if not self.requires_python:
            return None
        try:
            return SpecifierSet(self.requires_python)
        except InvalidSpecifier:
            return None

    def _environments(self, atoms: Iterable[str]) -> list[dict[str, str]] | None:
        literals: dict[str, set[str]] = {}
        for atom in atoms:
            parsed = _parse(atom)
            if parsed is None:
                return None
            for var, mentioned in parsed[1].items():
                literals.setdefault(var, set()).update(mentioned)
        pythons = self.pythons(v for var in _PYTHON_VARS for v in literals.get(var, ())) or [
            "3.12.0"
        ]
        others = {
            k: sorted(v | {"\x00other"}) for k, v in literals.items() if k not in _PYTHON_VARS
        }
        size = len(pythons)
        for values in others.values():
            size *= len(values)
        if size > _MAX_ENVIRONMENTS:
            return None
        base = default_environment()
        envs = []
        for python in pythons:
            for combo in itertools.product(*others.values()):
                env: dict[str, str] = {**base, "extra": ""}  # type: ignore[dict-item]
                env["python_full_version"] = python
                env["python_version"] = ".".join(python.split(".")[:2])
                env.update(zip(others, combo, strict=True))
                envs.append(env)
        return envs

    @lru_cache(maxsize=65536)  # noqa: B019
    def satisfiable(self, conj: Conj) -> bool:
        envs = self._environments(conj)
        if envs is None:
            return True  # too many combinations to try: keep it (never wrongly drop)
        markers = [p[0] for a in conj if (p := _parse(a))]
        return any(all(m.evaluate(env) for m in markers) for env in envs)

    @lru_cache(maxsize=65536)  # noqa: B019
    def always(self, atom: str) -> bool:
        """True when every environment of the lock satisfies the atom (e.g. a Python
        bound already implied by requires-python)."""
        parsed = _parse(atom)
        if parsed is None or set(parsed[1]) - _PYTHON_VARS:
            return False
        envs = self._environments([atom])
        return envs is not None and all(parsed[0].evaluate(e) for e in envs)


def conj_of(marker: str | None, space: Space) -> Conj | None:
    """One edge's marker as a conjunction; None when no environment satisfies it."""
    if marker:
        resolved = space.resolve(marker)
        if resolved is False:
            return None
        marker = None if resolved is True else resolved
    if not marker or space.always(marker):
        return frozenset()
    conj = frozenset({marker})
    return conj if space.satisfiable(conj) else None


def extend(dnf: Dnf, conj: Conj, space: Space) -> Dnf:
    """`dnf and conj`, minimised."""
    out = set()
    for c in dnf:
        merged = c | conj
        if merged == c or space.satisfiable(merged):
            out.add(merged)
    return minimise(out)


def minimise(conjs: Iterable[Conj]) -> Dnf:
    """Drop every conjunction implied by a smaller one (absorption)."""
    ordered = sorted(set(conjs), key=len)
    kept: list[Conj] = []
    for c in ordered:
        if not any(k <= c for k in kept):
            kept.append(c)
    return frozenset(kept)


def union(a: Dnf, b: Dnf) -> Dnf:
    return minimise(a | b)


def render(dnf: Dnf) -> str | None:
    """A marker string, or None for "always"."""
    if frozenset() in dnf:
        return None
    if not dnf:
        return "python_version < '0'"  # never: unreachable, kept explicit

    def atom(a: str) -> str:
        return f"({a})" if " or " in a else a

    def conj(c: Conj) -> str:
        return " and ".join(atom(a) for a in sorted(c))

    rendered = sorted((conj(c), len(c)) for c in dnf)
    if len(rendered) == 1:
        return rendered[0][0]
    return " or ".join(f"({text})" if size > 1 else text for text, size in rendered)


def equivalent(a: str | None, b: str | None) -> bool:
    """Whether two markers hold in exactly the same environments (None: always). Markers
    written differently for the same condition (`python = "^3.8"` converted by two tools,
    quotes, spacing) compare equal; too many combinations to try compare as written."""
    if (a or None) == (b or None):
        return True
    atoms = [m for m in (a, b) if m]
    envs = Space(None)._environments(atoms)
    parsed = [_parse(m) if m else None for m in (a, b)]
    if envs is None or any(m and p is None for m, p in zip((a, b), parsed, strict=True)):
        return False

    def holds(p: tuple[Marker, dict[str, frozenset[str]]] | None, env: dict[str, str]) -> bool:
        return True if p is None else p[0].evaluate(env)

    return all(holds(parsed[0], env) == holds(parsed[1], env) for env in envs)


_EXTRA = re.compile(r"""extra\s*(==|!=)\s*(['"])([^'"]+)\2""")


def under_extra(marker: str | None, extra: str) -> str | Literal[False] | None:
    """A marker read while `extra` (and no other) is active: Poetry writes the markers of
    an optional dependency with its `extra == "…"` clause, which the lock model leaves
    out. None when the rest always holds, False when it never does."""
    if not marker or "extra" not in marker:
        return marker
    settled = _settle(marker, _EXTRA, lambda m: normalize(m.group(3)) == extra)
    if settled is None or isinstance(settled, str):
        return marker if settled is None else settled
    return None if settled else False
