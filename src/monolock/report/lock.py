"""`monolock lock`'s answers: whether uv.lock is fresh, and what a relock changed per app."""

from __future__ import annotations

import json

from monolock.relock import Outcome


def freshness(fresh: bool, message: str, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"fresh": fresh, "message": message}, indent=2, sort_keys=True)
    return "uv.lock is up to date" if fresh else "uv.lock is stale: run `monolock lock`"


def as_json(outcome: Outcome) -> str:
    data = {
        "created": outcome.created,
        "unchanged": outcome.unchanged,
        "apps": {
            name: [
                {"name": c.name, "change": c.kind, "before": list(c.before), "after": list(c.after)}
                for c in changes
            ]
            for name, changes in outcome.changes.items()
        },
    }
    return json.dumps(data, indent=2, sort_keys=True)


def text(outcome: Outcome) -> str:
    if outcome.created:
        lines = ["created uv.lock"]
    elif outcome.unchanged:
        lines = ["uv.lock unchanged"]
    else:
        lines = ["updated uv.lock"]
    for name, changes in outcome.changes.items():
        if not changes:
            lines.append(f"{name}: projection unchanged")
            continue
        kinds = ("added", "removed", "changed")
        counts = {k: sum(1 for c in changes if c.kind == k) for k in kinds}
        lines.append(f"{name}: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n))
        lines += [f"  {change}" for change in changes]
    return "\n".join(lines)
