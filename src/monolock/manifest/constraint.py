"""Poetry version constraints, read by poetry-core (Poetry's own parser) and said in PEP
440 and PEP 508 terms.

Carets (with Poetry's 0.x rules), tildes, `v` prefixes, wildcards, bare versions and
`||` unions mean exactly what they mean to Poetry, because Poetry's parser reads them. A
union becomes one range when its parts touch or overlap, or a `!=` exclusion; one with a
gap has no PEP 440 spelling and is refused instead of being widened. A `python`
constraint becomes the very marker Poetry writes into its locks.
"""

from __future__ import annotations

from poetry.core.constraints.version import (
    Version,
    VersionConstraint,
    VersionRange,
    VersionUnion,
    parse_constraint,
)
from poetry.core.constraints.version.exceptions import ParseConstraintError


class ConstraintError(ValueError):
    """A constraint Poetry does not read, or one PEP 440 has no single range for."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def parse(constraint: str) -> VersionConstraint:
    try:
        return parse_constraint(constraint)
    except (ParseConstraintError, ValueError, IndexError, TypeError, RecursionError):
        raise ConstraintError(
            f"{constraint!r} is not a version constraint Poetry reads",
            'write it as Poetry does: "^1.2", "~1.2", ">=1.2,<2.0", "1.2.*" or "*"',
        ) from None


def _shown(bound: VersionRange) -> str:
    if bound.min is not None and bound.min == bound.max:
        return f"=={bound.min.text}"
    return str(bound).replace(" ", "")


def _stated_max(bound: VersionRange) -> Version | None:
    """The upper bound as written: Poetry stores `<2` as `<2.dev0` to keep 2.0's
    pre-releases out, which PEP 440's `<2` does by itself."""
    high = bound.max
    if high is not None and not bound.include_max and high.text.endswith(".dev0"):
        return high.without_devrelease()
    return high


def _touches(low: VersionRange, high: VersionRange) -> bool:
    """Whether `high` (starting at or after `low`'s start) begins where `low` ends."""
    end = _stated_max(low)
    if end is None or high.min is None:
        return True
    return high.min < end or (high.min == end and (high.include_min or low.include_max))


def _as_range(part: object) -> VersionRange:
    if isinstance(part, Version):
        return VersionRange(part, part, True, True)
    assert isinstance(part, VersionRange)  # a union holds versions and ranges only
    return part


def _merged(union: VersionUnion) -> VersionConstraint:
    """The union's ranges, touching ones joined: one range if they leave no gap."""
    ranges = sorted(
        (_as_range(r) for r in union.ranges),
        key=lambda r: (r.min is not None, r.min or Version.parse("0"), not r.include_min),
    )
    joined: list[VersionRange] = [ranges[0]]
    for current in ranges[1:]:
        last = joined[-1]
        if not _touches(last, current):
            joined.append(current)
            continue
        last_end, current_end = _stated_max(last), _stated_max(current)
        if last_end is None or current_end is None:
            high, include = None, False
        elif current_end > last_end or (current_end == last_end and current.include_max):
            high, include = current.max, current.include_max
        else:
            high, include = last.max, last.include_max
        joined[-1] = VersionRange(last.min, high, last.include_min, include)
    return joined[0] if len(joined) == 1 else VersionUnion(*joined)


def to_specifier(constraint: str) -> str:
    """A Poetry constraint as one PEP 440 specifier set ('' means any version)."""
    parsed = parse(constraint)
    if parsed.is_empty():
        raise ConstraintError(
            f"{constraint!r} admits no version at all",
            "fix the bounds: the lower one is above the upper one",
        )
    if parsed.is_any():
        return ""
    if isinstance(parsed, VersionUnion):
        if parsed.excludes_single_version or parsed.excludes_single_wildcard_range:
            return str(parsed)  # `!=1.5`, `!=1.2.*`
        parsed = _merged(parsed)
        if isinstance(parsed, VersionUnion):
            parts = " and ".join(_shown(_as_range(r)) for r in parsed.ranges)
            raise ConstraintError(
                f"the union {constraint!r} leaves a gap ({parts}); PEP 440 has no single "
                "range for it",
                "split it into ranges Poetry and PEP 440 share, or one range",
            )
    if isinstance(parsed, Version):
        return f"=={parsed.text}"
    return str(parsed).replace(" ", "")


def python_marker(constraint: str) -> str | None:
    """A Poetry `python = ...` constraint as the PEP 508 marker Poetry itself writes;
    None when every Python is allowed."""
    from poetry.core.packages.dependency import Dependency  # 30 ms: only when needed

    parse(constraint)  # refused with our own error before Poetry's own is raised
    dependency = Dependency("python-marker", "*")
    try:
        dependency.python_versions = constraint
    except (ParseConstraintError, ValueError) as exc:
        raise ConstraintError(f"python {constraint!r}: {exc}", "write a Python range") from None
    marker = str(dependency.marker)
    return marker or None
