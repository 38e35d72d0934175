"""`monolock list` as aligned columns of plain text: fast at a thousand members, the same
on a terminal and in a pipe (one line per member, nothing wrapped)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

COLUMNS = ("member", "version", "path", "app", "python", "imports", "internal deps", "third-party")


def _cell(text: str) -> str:
    """Printable, whatever a directory name holds; "-" for nothing."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text) or "-"


def _cells(row: Mapping[str, Any]) -> tuple[str, ...]:
    third = "dynamic (not readable statically)" if row["dynamic"] else str(len(row["third_party"]))
    return tuple(
        _cell(text)
        for text in (
            str(row["name"]),
            str(row["version"] or ""),
            str(row["path"]),
            str(row["app"] or ""),
            str(row["requires_python"] or ""),
            ", ".join(row["imports"]),
            ", ".join(row["internal"]),
            third,
        )
    )


def table(rows: Sequence[Mapping[str, Any]], kind: str) -> str:
    body = [COLUMNS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in body) for i in range(len(COLUMNS))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    title = f"{len(rows)} members ({'uv workspace' if kind == 'uv' else 'path-linked'})"
    return "\n".join(
        [title, line(COLUMNS), line(["-" * w for w in widths])] + [line(r) for r in body[1:]]
    )
