"""`monolock check` findings as text (grouped by member), JSON or GitHub annotations."""

from __future__ import annotations

import json
from itertools import groupby

from rich.console import Console
from rich.markup import escape

from monolock.check import Report
from monolock.findings import Finding

_WORKSPACE = "(workspace)"


def summary(report: Report) -> str:
    n = len(report.findings)
    members = len({f.package for f in report.findings})
    head = "no findings" if not n else f"{n} finding{'s' if n != 1 else ''}"
    if n:
        head += f" in {members} group{'s' if members != 1 else ''}"
    tail = f"{len(report.packages)} member(s), {report.files} files scanned, {report.parsed} parsed"
    if report.ignored:
        tail += f", {report.ignored} ignored"
    return f"{head} ({tail})"


def text(report: Report, console: Console) -> None:
    def group(f: Finding) -> str:
        return f.package or _WORKSPACE

    ordered = sorted(report.findings, key=lambda f: (group(f) == _WORKSPACE, group(f)))
    for name, items in groupby(ordered, key=group):
        console.print(f"[bold]{escape(name)}[/bold]")
        for f in items:
            console.print(
                f"  [cyan]{escape(str(f.location))}[/cyan]  [red]{f.code}[/red] {f.rule}: "
                f"{escape(f.message)}",
                soft_wrap=True,
            )
            console.print(f"      [dim]fix: {escape(f.hint)}[/dim]", soft_wrap=True)
        console.print()
    style = "green" if report.ok else "red"
    console.print(f"[{style}]{escape(summary(report))}[/{style}]", soft_wrap=True)


def as_json(report: Report) -> str:
    data = {
        "ok": report.ok,
        "packages": list(report.packages),
        "files": report.files,
        "parsed": report.parsed,
        "ignored": report.ignored,
        "guessed": list(report.guessed),
        "warnings": list(report.warnings),
        "findings": [
            {
                "code": f.code,
                "rule": f.rule,
                "package": f.package,
                "subject": f.subject,
                "message": f.message,
                "hint": f.hint,
                "path": f.location.path,
                "line": f.location.line,
                "also": [{"path": a.path, "line": a.line} for a in f.also],
            }
            for f in report.findings
        ],
    }
    return json.dumps(data, indent=2, sort_keys=True)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(report: Report) -> str:
    """One workflow command per finding: an error annotation on its file and line."""
    lines = []
    for f in report.findings:
        props = [f"file={_escape_property(f.location.path)}"]
        if f.location.line is not None:
            props.append(f"line={f.location.line}")
        props.append(f"title={_escape_property(f'{f.code} {f.rule}')}")
        lines.append(f"::error {','.join(props)}::{_escape_data(f'{f.message}. Fix: {f.hint}')}")
    return "\n".join(lines)
