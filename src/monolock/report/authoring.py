"""What `add`, `remove`, `upgrade` and `new` say: text, or JSON for a pipe."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from monolock.report import lock as locked

if TYPE_CHECKING:
    from monolock.authoring.requirements import Done
    from monolock.authoring.scaffold import Created
    from monolock.authoring.upgrade import Upgraded


def edited(done: Done, fmt: str, removed: Sequence[str] = ()) -> tuple[str, list[str]]:
    """(standard output, warnings) for `add` and `remove`."""
    lost = done.lost(removed)
    if fmt == "json":
        data: dict[str, object] = {"changes": list(done.said), "diff": done.diff}
        if removed:
            data["lost"] = lost
        if done.outcome is not None:
            data["lock"] = json.loads(locked.as_json(done.outcome))
        if done.relocked:
            data["relocked"] = list(done.relocked)
        return json.dumps(data, indent=2, sort_keys=True), []
    lines = list(done.said)
    lines += [f"locked {name} with Poetry" for name in done.relocked]
    if done.outcome is None and not done.relocked and done.diff:  # a dry run: the edit
        lines.append(done.diff.rstrip("\n"))
    if done.outcome is not None:
        lines.append(locked.text(done.outcome))
    lines += [f"{n} no longer ships in: {', '.join(sorted(a))}" for n, a in sorted(lost.items())]
    warnings = list(done.outcome.warnings) if done.outcome is not None else []
    return "\n".join(lines), warnings


def upgraded(done: Upgraded, fmt: str) -> str:
    changes = done.outcome.changes if done.outcome is not None else done.planned
    if fmt == "json":
        data = {
            "written": done.outcome is not None,
            "redeploy": done.redeploy(),
            "apps": {app: locked.rows(found) for app, found in changes.items()},
            "new": list(done.new),
        }
        return json.dumps(data, indent=2, sort_keys=True)
    apps = done.redeploy()
    head = "would redeploy" if done.outcome is None else "redeploy"
    lines = [f"{head}: {', '.join(apps)}" if apps else "no app's projection changes"]
    for app in apps:
        lines += [f"{app}:", *(f"  {change}" for change in changes[app])]
    lines += [f"new in the lock: {e} (its apps are known once locked)" for e in done.new]
    return "\n".join(lines)


def created(done: Created, kind: str, fmt: str) -> str:
    if fmt == "json":
        data = {
            "member": done.member,
            "path": done.path,
            "files": list(done.files),
            "lock": json.loads(locked.as_json(done.outcome)),
        }
        return json.dumps(data, indent=2, sort_keys=True)
    lines = [f"created {kind} {done.member} in {done.path}/", *(f"  {f}" for f in done.files)]
    return "\n".join([*lines, locked.text(done.outcome)])
