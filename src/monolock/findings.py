"""What `monolock check` reports: findings as data, each with a stable code."""

from __future__ import annotations

from dataclasses import dataclass

# code -> short name; codes are stable, names read better in output and config
RULES: dict[str, str] = {
    "ML100": "syntax-error",
    "ML101": "undeclared-dependency",
    "ML102": "unknown-import",
    "ML103": "unused-dependency",
    "ML104": "misplaced-dependency",
    "ML105": "undeclared-internal",
    "ML106": "private-import",
    "ML107": "undeclared-dev-dependency",
    "ML201": "stale-lock",
    "ML202": "python-range",
    "ML203": "dev-pins",
    "ML204": "workspace-source",
    "ML205": "runtime-cycle",
    "ML206": "same-sources",
    "ML207": "licence-policy",
}


@dataclass(frozen=True, order=True)
class Location:
    path: str  # POSIX, relative to the repository root
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Finding:
    code: str
    package: str | None  # the member it is about; None for the workspace as a whole
    subject: str  # what `ignore = ["CODE:subject"]` matches: a distribution, member or module
    message: str
    hint: str
    location: Location
    also: tuple[Location, ...] = ()  # further places with the same finding

    @property
    def rule(self) -> str:
        return RULES[self.code]

    def sort_key(self) -> tuple[str, str, str, int, str]:
        where = self.location
        return (self.package or "", self.code, where.path, where.line or 0, self.subject)


def ignored(finding: Finding, entries: tuple[str, ...]) -> bool:
    """`entries` as written in `ignore = [...]`: a code, or CODE:subject."""
    for entry in entries:
        code, _, subject = entry.partition(":")
        if code == finding.code and (not subject or subject == finding.subject):
            return True
    return False
