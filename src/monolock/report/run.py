"""`monolock run`: each member's output as a block, the summary as a table or JSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from monolock.tasks.plan import Plan
from monolock.tasks.runner import Outcome

_STYLE = {"passed": "green", "failed": "red", "skipped": "yellow"}


def status(outcome: Outcome) -> str:
    where = {"local": " (cached)", "remote": " (remote cache)", None: ""}[outcome.cache]
    return outcome.status + where


def heading(outcome: Outcome) -> str:
    parts = [outcome.member, status(outcome)]
    if outcome.reason:
        parts.append(outcome.reason)
    if outcome.seconds:
        parts.append(f"{outcome.seconds:.2f} s")
    return " · ".join(parts)


def block(outcome: Outcome, console: Console, *, output: bool, github: bool) -> None:
    """One member's heading and, if wanted, its captured output; folded in GitHub Actions."""
    title = escape(heading(outcome))
    style = _STYLE[outcome.status]
    if github:
        console.print(f"::group::{title}", markup=False, highlight=False)
    else:
        console.print(f"[{style}]── {title}[/{style}]", highlight=False)
    if output and outcome.output.strip():
        console.print(outcome.output.rstrip(), markup=False, highlight=False, soft_wrap=True)
    if github:
        console.print("::endgroup::", markup=False, highlight=False)


def counts(outcomes: Sequence[Outcome]) -> str:
    found = Counter(o.status for o in outcomes)
    cached = sum(o.cached for o in outcomes)
    remote = sum(o.cache == "remote" for o in outcomes)
    parts = [f"{found[s]} {s}" for s in ("passed", "failed", "skipped") if found[s]]
    if cached:
        parts.append(f"{cached} cached" + (f" ({remote} from the remote)" if remote else ""))
    return ", ".join(parts) or "nothing to run"


def in_plan_order(plan: Plan, outcomes: Sequence[Outcome]) -> list[Outcome]:
    position = {j.member: i for i, j in enumerate(plan.jobs)}
    return sorted(outcomes, key=lambda o: position[o.member])


def table(plan: Plan, outcomes: Sequence[Outcome], seconds: float, console: Console) -> None:
    grid = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for column in ("member", "status", "time", ""):
        grid.add_column(column, justify="right" if column == "time" else "left")
    for o in in_plan_order(plan, outcomes):
        grid.add_row(
            escape(o.member),
            f"[{_STYLE[o.status]}]{status(o)}[/{_STYLE[o.status]}]",
            f"{o.seconds:.2f} s" if o.seconds else "",
            escape(o.reason or ""),
        )
    console.print(grid)
    console.print(f"{plan.task}: {counts(outcomes)} in {seconds:.2f} s ({plan.env} environment)")


def as_json(plan: Plan, outcomes: Sequence[Outcome], seconds: float) -> str:
    members: list[dict[str, Any]] = [
        {
            "member": o.member,
            "status": o.status,
            "cached": o.cached,
            "cache": o.cache,
            "seconds": round(o.seconds, 3),
            "reason": o.reason,
            "returncode": o.returncode,
        }
        for o in in_plan_order(plan, outcomes)
    ]
    found = Counter(o.status for o in outcomes)
    data = {
        "task": plan.task,
        "env": plan.env,
        "members": members,
        "passed": found["passed"],
        "failed": found["failed"],
        "skipped": found["skipped"],
        "cached": sum(o.cached for o in outcomes),
        "remote": sum(o.cache == "remote" for o in outcomes),
        "seconds": round(seconds, 3),
    }
    return json.dumps(data, indent=2, sort_keys=True)
