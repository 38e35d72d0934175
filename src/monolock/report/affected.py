"""`monolock affected` as text, JSON, a GitHub Actions matrix, or bare names."""

from __future__ import annotations

import json
from typing import Any

from monolock.affected import Affected, Result


def _head(result: Result) -> str:
    return "the working tree" if result.head is None else result.head[:12]


def _reasons(member: Affected, shown: int = 3) -> str:
    """Reasons in order, the members it depends on folded into one."""
    parts: list[str] = []
    depends = [r.text.removeprefix("depends on ") for r in member.reasons if r.kind == "depends"]
    for reason in member.reasons:
        if reason.kind != "depends":
            parts.append(reason.text)
        elif reason.text.endswith(depends[0]):
            more = f" (+{len(depends) - shown} more)" if len(depends) > shown else ""
            parts.append(f"depends on {', '.join(depends[:shown])}{more}")
    return "; ".join(parts)


def _printable(text: str) -> str:
    """A file name as text: a newline or an escape in it is shown, not obeyed."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def text(result: Result) -> str:
    n = len(result.members)
    lines = [
        f"{n} of {result.total} member{'s' if result.total != 1 else ''} affected "
        f"({len(result.files)} file{'s' if len(result.files) != 1 else ''} changed "
        f"between {result.base[:12]} and {_head(result)})"
    ]
    width = max((len(m.name) for m in result.members), default=0)
    for member in result.members:
        lines.append(f"  {member.name:<{width}}  {_printable(_reasons(member))}")
    if result.apps:
        lines.append(f"apps: {', '.join(result.apps)}")
    return "\n".join(lines)


def as_data(result: Result) -> dict[str, Any]:
    return {
        "base": result.base,
        "head": result.head,
        "changed_files": list(result.files),
        "members": [
            {
                "name": m.name,
                "path": m.path,
                "reasons": [
                    {"kind": r.kind, "text": r.text, "runtime": r.runtime} for r in m.reasons
                ],
                "files": list(m.files),
            }
            for m in result.members
        ],
        "apps": list(result.apps),
        "total": result.total,
    }


def as_json(result: Result) -> str:
    return json.dumps(as_data(result), indent=2, sort_keys=True)


def apps_matrix(result: Result) -> str:
    """One line for `$GITHUB_OUTPUT`: the apps whose projection the change touched."""
    return json.dumps({"include": [{"app": a} for a in result.apps]}, separators=(",", ":"))


def matrix(result: Result) -> str:
    """One line for `$GITHUB_OUTPUT`: `strategy.matrix: ${{ fromJSON(...) }}`."""
    include = [{"member": m.name, "path": m.path} for m in result.members]
    return json.dumps({"include": include}, separators=(",", ":"))
