"""Poetry version constraints, converted to PEP 440 exactly as Poetry reads them.

Poetry's grammar: `*`, `^1.2`, `~1.2`, `~=1.2`, `1.2.*`, bare `1.2.3` (exact), PEP 440
comparisons, clauses joined by `,` or spaces, and unions with `||`. A caret or tilde keeps
the precision the user wrote (`^1.2` is `>=1.2,<2.0`) and follows Poetry's 0.x rules.
A union becomes one range only when its parts touch or overlap; one with a gap has no
PEP 440 spelling and is refused instead of being widened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

_OPS = ("===", "==", "!=", ">=", "<=", "~=", ">", "<", "=", "^", "~")
_GLUE = re.compile(r"(===|==|!=|>=|<=|~=|>|<|=|\^|~)\s+")
_SPLIT_OR = re.compile(r"\s*\|\|?\s*")
_SPLIT_AND = re.compile(r"\s*,\s*|\s+")
_WILDCARD = re.compile(r"^(?P<base>\d+(?:\.\d+)*)\.[*xX]$")


class ConstraintError(ValueError):
    """A constraint with no PEP 440 equivalent, or that is not valid Poetry syntax."""


@dataclass(frozen=True)
class Bound:
    version: Version
    text: str
    inclusive: bool


@dataclass(frozen=True)
class Interval:
    low: Bound | None
    high: Bound | None

    def specifier(self) -> str:
        low, high = self.low, self.high
        if low and high and low.version == high.version and low.inclusive and high.inclusive:
            return f"=={low.text}"
        parts = []
        if self.low:
            parts.append((">=" if self.low.inclusive else ">") + self.low.text)
        if self.high:
            parts.append(("<=" if self.high.inclusive else "<") + self.high.text)
        return ",".join(parts)


def _version(text: str, constraint: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise ConstraintError(f"'{text}' in '{constraint}' is not a version") from None


def _release(text: str) -> list[int]:
    return list(Version(text).release)


def _bump(release: list[int], index: int, precision: int) -> str:
    """The release with component `index` incremented and later ones zeroed, written with
    the precision the user gave (Poetry keeps it: `^1.2` -> `<2.0`)."""
    padded = release + [0] * (max(precision, index + 1) - len(release))
    bumped = [*padded[:index], padded[index] + 1] + [0] * (len(padded) - index - 1)
    return ".".join(str(p) for p in bumped[: max(precision, index + 1)])


def _caret_upper(text: str) -> str:
    release = _release(text)
    precision = len(release)
    major = release[0]
    minor = release[1] if precision > 1 else None
    patch = release[2] if precision > 2 else None
    if major > 0 or minor is None:
        return _bump(release, 0, precision)
    if minor > 0 or patch is None:
        return _bump(release, 1, precision)
    return _bump(release, 2, precision)


def _tilde_upper(text: str) -> str:
    release = _release(text)
    return _bump(release, 0 if len(release) == 1 else 1, len(release))


def _clause(token: str, constraint: str) -> list[tuple[str, str]]:
    """One clause as (operator, version) pairs in PEP 440 terms."""
    if token in ("*", ""):
        return []
    op = next((o for o in _OPS if token.startswith(o)), "")
    text = token[len(op) :].strip()
    if not text:
        raise ConstraintError(f"'{token}' in '{constraint}' has an operator but no version")
    wild = _WILDCARD.match(text)
    if wild:
        if op in ("", "==", "="):
            return [("==", f"{wild.group('base')}.*")]
        if op == "!=":
            return [("!=", f"{wild.group('base')}.*")]
        raise ConstraintError(f"'{token}' in '{constraint}': a wildcard goes with == or != only")
    if text in ("*", "x", "X"):
        return []
    if text[:1] in "vV" and text[1:2].isdigit():
        text = text[1:]  # Poetry reads `^v0.30.0` as `^0.30.0`, as PEP 440 reads `v0.30.0`
    _version(text, constraint)
    if op == "^":
        return [(">=", text), ("<", _caret_upper(text))]
    if op == "~":
        return [(">=", text), ("<", _tilde_upper(text))]
    if op == "~=":
        if len(_release(text)) < 2:
            return [(">=", text), ("<", _bump(_release(text), 0, 1))]
        return [("~=", text)]
    if op in ("", "="):
        return [("==", text)]
    return [(op, text)]


def _clauses(part: str, constraint: str) -> list[tuple[str, str]]:
    glued = _GLUE.sub(r"\1", part.strip())
    out: list[tuple[str, str]] = []
    for token in _SPLIT_AND.split(glued):
        if token:
            out.extend(_clause(token, constraint))
    return out


def _interval(clauses: list[tuple[str, str]], constraint: str) -> Interval:
    """The range a conjunction of clauses admits; `!=` has no place in a union's range."""
    low: Bound | None = None
    high: Bound | None = None

    def tighten_low(bound: Bound) -> None:
        nonlocal low
        if (
            low is None
            or bound.version > low.version
            or (bound.version == low.version and not bound.inclusive)
        ):
            low = bound

    def tighten_high(bound: Bound) -> None:
        nonlocal high
        if (
            high is None
            or bound.version < high.version
            or (bound.version == high.version and not bound.inclusive)
        ):
            high = bound

    for op, text in clauses:
        if op == "==" and text.endswith(".*"):
            base = text[:-2]
            tighten_low(Bound(_version(base, constraint), base, True))
            upper = _bump(_release(base), len(_release(base)) - 1, len(_release(base)))
            tighten_high(Bound(_version(upper, constraint), upper, False))
        elif op in ("==", "==="):
            v = _version(text, constraint)
            tighten_low(Bound(v, text, True))
            tighten_high(Bound(v, text, True))
        elif op in (">=", ">"):
            tighten_low(Bound(_version(text, constraint), text, op == ">="))
        elif op in ("<=", "<"):
            tighten_high(Bound(_version(text, constraint), text, op == "<="))
        elif op == "~=":
            tighten_low(Bound(_version(text, constraint), text, True))
            upper = _bump(_release(text), len(_release(text)) - 2, len(_release(text)) - 1)
            tighten_high(Bound(_version(upper, constraint), upper, False))
        else:
            raise ConstraintError(
                f"'{op}{text}' in the union '{constraint}' cannot be part of a single range"
            )
    return Interval(low, high)


def _low_key(interval: Interval) -> tuple[int, Version, int]:
    if interval.low is None:
        return (0, Version("0"), 0)
    return (1, interval.low.version, 0 if interval.low.inclusive else 1)


def _merge(intervals: list[Interval]) -> list[Interval]:
    """Sort and merge touching or overlapping ranges."""
    ordered = sorted(intervals, key=_low_key)
    merged: list[Interval] = []
    for interval in ordered:
        if not merged:
            merged.append(interval)
            continue
        last = merged[-1]
        if last.high is None:
            continue  # already unbounded above: swallows the rest
        touches = interval.low is None or (
            interval.low.version < last.high.version
            or (
                interval.low.version == last.high.version
                and (interval.low.inclusive or last.high.inclusive)
            )
        )
        if not touches:
            merged.append(interval)
            continue
        high: Bound | None = last.high
        if interval.high is None:
            high = None
        elif interval.high.version > last.high.version or (
            interval.high.version == last.high.version and interval.high.inclusive
        ):
            high = interval.high
        merged[-1] = Interval(last.low, high)
    return merged


def to_intervals(constraint: str) -> list[Interval]:
    """The disjoint ranges a (possibly `||`) constraint admits, sorted."""
    parts = [p for p in _SPLIT_OR.split(constraint.strip()) if p.strip()]
    intervals = [_interval(_clauses(p, constraint), constraint) for p in parts or ["*"]]
    return _merge(intervals)


def to_specifier(constraint: str) -> str:
    """A Poetry constraint as one PEP 440 specifier set ('' means any version)."""
    constraint = constraint.strip()
    parts = [p for p in _SPLIT_OR.split(constraint) if p.strip()]
    if len(parts) <= 1:
        return ",".join(op + text for op, text in _clauses(constraint, constraint))
    merged = to_intervals(constraint)
    if len(merged) > 1:
        gaps = " and ".join(f"'{m.specifier() or '*'}'" for m in merged)
        raise ConstraintError(
            f"the union '{constraint}' leaves a gap ({gaps}); PEP 440 has no single range for it"
        )
    return merged[0].specifier()


def _python_var(text: str) -> str:
    return "python_version" if len(_release(text)) <= 2 else "python_full_version"


def python_marker(constraint: str) -> str | None:
    """A Poetry `python = ...` constraint as a PEP 508 marker (unions become `or`)."""
    if not _SPLIT_OR.search(constraint) and "!=" in constraint:
        # an exclusion is not a range, but one part of clauses maps atom by atom
        clauses = _clauses(constraint.strip(), constraint)
        return " and ".join(f'{_python_var(t.rstrip(".*"))} {op} "{t}"' for op, t in clauses)
    pieces = []
    for interval in to_intervals(constraint):
        atoms = []
        if interval.low and interval.high and interval.low.version == interval.high.version:
            atoms.append(f'{_python_var(interval.low.text)} == "{interval.low.text}"')
        else:
            if interval.low:
                op = ">=" if interval.low.inclusive else ">"
                atoms.append(f'{_python_var(interval.low.text)} {op} "{interval.low.text}"')
            if interval.high:
                op = "<=" if interval.high.inclusive else "<"
                atoms.append(f'{_python_var(interval.high.text)} {op} "{interval.high.text}"')
        if not atoms:
            return None  # one part admits every Python: the whole union does
        pieces.append(" and ".join(atoms))
    if len(pieces) == 1:
        return pieces[0]
    return " or ".join(f"({p})" for p in pieces)
