"""`monolock check` findings as text (grouped by member), JSON, GitHub annotations or
SARIF for code scanning. Paths a code host reads are relative to the git repository's top,
so annotations attach where the workspace is a subdirectory."""

from __future__ import annotations

import json
from itertools import groupby

from rich.console import Console
from rich.markup import escape

from monolock import __version__
from monolock.check import Report
from monolock.findings import RULES, Finding

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
        "guessed": dict(report.guessed),  # distribution -> why its names are a guess
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
        props = [f"file={_escape_property(report.prefix + f.location.path)}"]
        if f.location.line is not None:
            props.append(f"line={f.location.line}")
        props.append(f"title={_escape_property(f'{f.code} {f.rule}')}")
        lines.append(f"::error {','.join(props)}::{_escape_data(f'{f.message}. Fix: {f.hint}')}")
    return "\n".join(lines)


_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif(report: Report) -> str:
    """SARIF 2.1.0, one run: every rule described, each finding a result at its file and
    line, further places as related locations."""
    codes = sorted(RULES)
    index = {code: i for i, code in enumerate(codes)}

    def where(path: str, line: int | None) -> dict[str, object]:
        physical: dict[str, object] = {
            "artifactLocation": {"uri": report.prefix + path, "uriBaseId": "%SRCROOT%"}
        }
        if line is not None:
            physical["region"] = {"startLine": line}
        return {"physicalLocation": physical}

    results = []
    for f in report.findings:
        result: dict[str, object] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": "error",
            "message": {"text": f"{f.message}. Fix: {f.hint}"},
            "locations": [where(f.location.path, f.location.line)],
            # stable across runs and line moves: what code scanning tracks an alert by
            "partialFingerprints": {"monolock/v1": f"{f.code}:{f.package or ''}:{f.subject}"},
        }
        if f.also:
            result["relatedLocations"] = [
                {"id": i, **where(a.path, a.line)} for i, a in enumerate(f.also, start=1)
            ]
        results.append(result)
    rules = [
        {
            "id": code,
            "name": RULES[code],
            "shortDescription": {"text": RULES[code].replace("-", " ")},
            "defaultConfiguration": {"level": "error"},
        }
        for code in codes
    ]
    data = {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "monolock",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(data, indent=2, sort_keys=True)
