"""The errors monolock reports to a user: what went wrong, where, and what to do.

Only the CLI boundary prints them (one line, plus a hint) and exits with code 2.
"""

from __future__ import annotations

from collections.abc import Iterable


class MonolockError(Exception):
    """A problem the user can fix. `where` is a file (optionally with `:line:col` or a key)."""

    def __init__(self, message: str, *, hint: str | None = None, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def known(wanted: str, names: Iterable[str]) -> str:
    """A hint's list of the names that exist, nearest to `wanted` first ("did you mean")."""
    import difflib

    choices = sorted(set(names))
    if not choices:
        return "there are none"
    close = difflib.get_close_matches(wanted, choices, n=1)
    shown = ", ".join(choices[:12]) + (f", … ({len(choices)} in all)" if len(choices) > 12 else "")
    return (f"did you mean '{close[0]}'? " if close else "") + f"known: {shown}"


class ManifestError(MonolockError):
    """A pyproject.toml (or other input file) that cannot be read as written."""


class WorkspaceError(MonolockError):
    """The set of members does not make a consistent workspace."""


class LockError(MonolockError):
    """uv.lock is missing, unreadable or stale."""


class UvError(MonolockError):
    """uv is missing or failed."""


class UsageError(MonolockError):
    """A command-line argument names something that does not exist."""


class BuildError(MonolockError):
    """A wheel build or an install step of an app's environment failed."""


class GitError(MonolockError):
    """git is missing, or a ref or range it was asked about does not exist."""
