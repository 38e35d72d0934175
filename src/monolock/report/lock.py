"""`monolock lock`'s answers: whether uv.lock is fresh, and what a relock changed per app."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from monolock.relock import Freshness, Outcome

if TYPE_CHECKING:
    from monolock.merging.resolve import Merged
    from monolock.projection import Change


def freshness(found: Freshness, fmt: str) -> str:
    if fmt == "json":
        data = {"fresh": found.fresh, "message": found.why or found.message}
        return json.dumps(data, indent=2, sort_keys=True)
    if found.fresh:
        return "uv.lock is up to date"
    return found.why or "uv.lock is stale: run `monolock lock`"


def rows(found: list[Change]) -> list[dict[str, object]]:
    return [
        {"name": c.name, "change": c.kind, "before": list(c.before), "after": list(c.after)}
        for c in found
    ]


def as_json(outcome: Outcome) -> str:
    data: dict[str, object] = {
        "created": outcome.created,
        "unchanged": outcome.unchanged,
        "apps": {name: rows(found) for name, found in outcome.changes.items()},
    }
    merged = outcome.merged
    if merged is not None:
        data["merged"] = {
            "ours": merged.ours,
            "theirs": merged.theirs,
            "apps": {
                name: {
                    "against_ours": rows(found),
                    "against_theirs": rows(merged.against_theirs[name]),
                }
                for name, found in merged.against_ours.items()
            },
            "moved": rows(list(merged.moved)),
        }
    return json.dumps(data, indent=2, sort_keys=True)


def text(outcome: Outcome) -> str:
    if outcome.merged is not None:
        return _merged(outcome.merged)
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
        lines.append(f"{name}: {_summary(changes)}")
        lines += [f"  {change}" for change in changes]
    return "\n".join(lines)


def _merged(merged: Merged) -> str:
    lines = [
        f"resolved the conflict in uv.lock: relocked the merged manifests, keeping the versions "
        f"{merged.ours} and {merged.theirs} locked"
    ]
    if merged.moved:
        lines.append("moved past both sides (the merged manifests admit no version either locked):")
        lines += [f"  {change}" for change in merged.moved]
    for name, changes in merged.against_ours.items():
        lines.append(f"{name}:")
        for label, found in ((merged.ours, changes), (merged.theirs, merged.against_theirs[name])):
            lines.append(f"  against {label}: {_summary(found)}")
            lines += [f"    {change}" for change in found]
    lines.append("then commit uv.lock (in a merge: `git add uv.lock`, and finish it)")
    return "\n".join(lines)


def _summary(changes: list[Change]) -> str:
    if not changes:
        return "projection unchanged"
    kinds = ("added", "removed", "changed")
    counts = {k: sum(1 for c in changes if c.kind == k) for k in kinds}
    return ", ".join(f"{n} {k}" for k, n in counts.items() if n)
