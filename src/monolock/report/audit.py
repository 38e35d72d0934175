"""What `monolock audit` says: per app, each known vulnerability and how it gets in."""

from __future__ import annotations

import json
from collections.abc import Sequence

from monolock.report.check import _SARIF_SCHEMA
from monolock.supply.audit import Audit, Hit, Remedy


def _row(hit: Hit) -> dict[str, object]:
    return {
        "app": hit.app,
        "name": hit.name,
        "version": hit.version,
        "id": hit.id,
        "aliases": list(hit.aliases),
        "summary": hit.summary,
        "fixed": list(hit.fixed),
        "path": list(hit.path),
        "ignored": hit.ignored,
    }


def render(report: Audit, fixes: Sequence[Remedy], fmt: str) -> str:
    if fmt == "sarif":
        return sarif(report)
    if fmt == "json":
        return as_json(report, fixes)
    return "\n".join([text(report), *map(_remedy, fixes)])


def _remedy(fix: Remedy) -> str:
    now = ", ".join(fix.installed)
    if not fix.to:
        return (
            f"fix: {fix.name} {now}: no newer version within the declared ranges; "
            f"widen the range that holds it back to clear {', '.join(fix.remains)}"
        )
    line = f"fix: upgrade {fix.name} {now} -> {', '.join(fix.to)}"
    line += f" (`monolock upgrade {fix.name}`), redeploying {', '.join(fix.redeploy) or 'no app'}"
    if fix.clears:
        line += f"; clears {', '.join(fix.clears)}"
    if fix.remains:
        line += f"; still open: {', '.join(fix.remains)}"
    return line


def as_json(report: Audit, fixes: Sequence[Remedy] = ()) -> str:
    data = {
        "apps": list(report.apps),
        "source": report.source,
        "vulnerabilities": [_row(h) for h in report.hits],
        "expired_ignores": [
            {"id": r.id, "reason": r.reason, "expires": str(r.expires)} for r in report.expired
        ],
        "fixes": [
            {
                "name": f.name,
                "installed": list(f.installed),
                "to": list(f.to),
                "clears": list(f.clears),
                "remains": list(f.remains),
                "redeploy": list(f.redeploy),
            }
            for f in fixes
        ],
    }
    return json.dumps(data, indent=2, sort_keys=True)


def text(report: Audit) -> str:
    lines = []
    for app in report.apps:
        mine = [h for h in report.hits if h.app == app]
        if not mine:
            lines.append(f"{app}: no known vulnerability")
            continue
        lines.append(f"{app}:")
        for hit in mine:
            also = f" ({', '.join(hit.aliases)})" if hit.aliases else ""
            fix = f"fixed in {', '.join(hit.fixed)}" if hit.fixed else "no fixed version"
            state = f"  [ignored: {hit.ignored}]" if hit.ignored else ""
            lines.append(f"  {hit.name} {hit.version}  {hit.id}{also}  {fix}{state}")
            if hit.summary:
                lines.append(f"      {hit.summary}")
            lines.append(f"      via {' -> '.join(hit.path)}")
    for rule in report.expired:
        lines.append(f"expired ignore: {rule.id} ({rule.reason}), until {rule.expires}")
    apps = {h.app for h in report.found}
    lines.append(
        f"{len(report.found)} known vulnerabilities in {len(apps)} of {len(report.apps)} "
        f"app(s) ({report.source})"
    )
    return "\n".join(lines)


def sarif(report: Audit) -> str:
    """SARIF 2.1.0: an advisory a rule, each app's hit a result at uv.lock."""
    ids = sorted({h.id for h in report.found})
    index = {advisory: i for i, advisory in enumerate(ids)}
    results = [
        {
            "ruleId": hit.id,
            "ruleIndex": index[hit.id],
            "level": "error",
            "message": {
                "text": f"{hit.app} ships {hit.name} {hit.version} ({hit.id}), via "
                f"{' -> '.join(hit.path)}"
                + (f"; fixed in {', '.join(hit.fixed)}" if hit.fixed else "")
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "uv.lock", "uriBaseId": "%SRCROOT%"}
                    }
                }
            ],
            "partialFingerprints": {"monolock/v1": f"{hit.id}:{hit.app}:{hit.name}"},
        }
        for hit in report.found
    ]
    summaries = {h.id: h.summary for h in report.found}
    rules = [
        {"id": advisory, "shortDescription": {"text": summaries[advisory] or advisory}}
        for advisory in ids
    ]
    run = {"tool": {"driver": {"name": "monolock audit", "rules": rules}}, "results": results}
    return json.dumps({"$schema": _SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)
