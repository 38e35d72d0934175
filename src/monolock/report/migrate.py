"""`monolock init --from-poetry`'s plan and version changes, as text or JSON."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable

from monolock.poetry.migrate import Plan


def as_json(plan: Plan, *, dry_run: bool) -> str:
    data = {
        "dry_run": dry_run,
        "blocked": plan.blocked,  # why the plan would fail, or null
        "members": list(plan.members),
        "writes": [path for path, _ in plan.writes],
        "deletes": list(plan.deletes),
        "notes": [{"file": f, "note": n} for f, n in plan.notes],
        "changes": {
            name: [
                {"name": c.name, "before": c.before, "after": c.after, "why": c.why}
                for c in changes
            ]
            for name, changes in plan.changes
        },
    }
    return json.dumps(data, indent=2, sort_keys=True)


def text(plan: Plan, before: Callable[[str], str | None], *, dry_run: bool) -> str:
    """`before(path)`: a file's text before the migration, None when it did not exist."""
    lines = [f"uv workspace members: {', '.join(plan.members)}"]
    for path, new in plan.writes:
        old = before(path)
        lines.append(f"{'create' if old is None else 'update'} {path}")
        if dry_run and path.endswith("pyproject.toml"):
            diff = difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                new.splitlines(keepends=True),
                f"a/{path}",
                f"b/{path}",
            )
            lines += ["    " + line.rstrip("\n") for line in diff]
    lines += [f"delete {path}" for path in plan.deletes]
    if plan.notes:
        lines.append("to do by hand:")
        lines += [f"  {path}: {note}" for path, note in plan.notes]
    lines.append("versions against the old poetry.lock files:")
    for name, changes in plan.changes:
        if not changes:
            lines.append(f"  {name}: unchanged")
            continue
        lines.append(f"  {name}: {len(changes)} changed")
        lines += [f"    {c.name} {c.before or '-'} → {c.after or '-'}: {c.why}" for c in changes]
    if plan.blocked:
        lines.append("dry run: nothing written; this plan would fail (see uv.lock above)")
    else:
        lines.append(
            "dry run: nothing written"
            if dry_run
            else "migrated: next, `monolock check` and `monolock run test`"
        )
    return "\n".join(lines)
