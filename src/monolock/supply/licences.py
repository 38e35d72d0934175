"""What licence each distribution an app installs says it has, read from its wheel's
METADATA: PEP 639's `License-Expression` (an SPDX expression), else the older `License`
field, else the `License ::` classifiers. A wheel on an index is read in ranges (its
central directory, then METADATA alone: a few KiB of a 100 MB wheel), a local one from
disk; each answer is kept by the wheel's hash.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from monolock.findings import Finding, Location
from monolock.fsutil import cache_root, cache_write
from monolock.model import Lock, LockedPackage, Workspace

_FORMAT = 1  # in each cache entry's name: a new reading of METADATA makes new entries


@dataclass(frozen=True)
class Licence:
    name: str
    version: str
    text: str  # the expression, the field, the classifiers; "unknown" when none says
    spdx: bool  # `text` is an SPDX expression (License-Expression)
    source: str  # the field it came from, or why none could be read


def read(package: LockedPackage, lock_dir: Path) -> Licence:
    from monolock.imports.listing import wheel

    artifact = wheel(package)
    version = package.version or ""
    if artifact is None:
        return Licence(package.name, version, "unknown", False, "no wheel in the lock")
    slot = (
        cache_root() / "licences" / f"{_FORMAT}-{artifact.hash.replace(':', '-')}.json"
        if artifact.hash
        else None
    )
    if slot is not None and slot.is_file():
        try:
            text, spdx, source = json.loads(slot.read_text())
            return Licence(package.name, version, text, spdx, source)
        except (ValueError, OSError):
            pass
    try:
        found = _from_metadata(_metadata(artifact.path, artifact.url, lock_dir))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        return Licence(package.name, version, "unknown", False, f"unreadable: {exc}")
    if slot is not None:
        cache_write(slot, json.dumps(list(found)))
    return Licence(package.name, version, *found)


def _metadata(path: str | None, url: str | None, lock_dir: Path) -> str:
    from monolock.imports.remote import RemoteFile

    if path:
        return _read(zipfile.ZipFile(lock_dir / path))
    if url and url.startswith("file://"):
        return _read(zipfile.ZipFile(Path(unquote(urlparse(url).path))))
    if url:
        return _read(zipfile.ZipFile(RemoteFile(url)))
    raise ValueError("the lock gives no location for the wheel")


def _read(archive: zipfile.ZipFile) -> str:
    with archive:
        names = [n for n in archive.namelist() if n.count("/") == 1]
        found = next((n for n in names if n.endswith(".dist-info/METADATA")), None)
        if found is None:
            raise KeyError("no .dist-info/METADATA in the wheel")
        return archive.read(found).decode("utf-8", "replace")


def _from_metadata(text: str) -> tuple[str, bool, str]:
    headers = HeaderParser().parsestr(text)
    expression = (headers.get("License-Expression") or "").strip()
    if expression:
        return expression, True, "License-Expression"
    field = (headers.get("License") or "").strip()
    if field and "\n" not in field and len(field) <= 80:  # a name, not a licence's full text
        return field, False, "License"
    classifiers = [
        c.split("::")[-1].strip()
        for c in headers.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    if classifiers:
        return " AND ".join(classifiers), False, "classifier"
    return "unknown", False, "METADATA names none"


def of_apps(
    workspace: Workspace, lock: Lock, apps: Sequence[str], *, jobs: int = 16
) -> dict[str, list[Licence]]:
    """App -> the licence of every third-party distribution it installs, by name."""
    from concurrent.futures import ThreadPoolExecutor

    from monolock.config import find_app
    from monolock.projection import project
    from monolock.relock import targets

    chosen = {a: find_app(workspace, a).package for a in apps} or targets(workspace)
    shipped = {
        app: project(lock, member).third_party
        for app, member in sorted(chosen.items())
        if lock.member(member)
    }
    every = {item.package.key: item.package for items in shipped.values() for item in items}
    with ThreadPoolExecutor(max(1, min(jobs, len(every)))) as pool:
        read_all = pool.map(lambda p: read(p, lock.path.parent), every.values())
        found = dict(zip(every, read_all, strict=True))
    return {
        app: sorted((found[item.package.key] for item in items), key=lambda x: x.name)
        for app, items in shipped.items()
    }


def findings(workspace: Workspace, lock: Lock) -> list[Finding]:
    """ML207: a distribution an app ships under a licence the root's policy
    (`[tool.monolock.check] licenses = { allow = [...], deny = [...] }`) does not admit.
    An SPDX expression is read with `license-expression`: `A OR B` passes when either
    passes, `A AND B` when both do. A licence given only by name, or not at all, cannot be
    shown to be allowed: a finding when there is an allow list."""
    from license_expression import ExpressionError, get_spdx_licensing

    allow, deny = workspace.check.allow, workspace.check.deny
    if not allow and not deny:
        return []
    licensing = get_spdx_licensing()
    out: dict[tuple[str, str], Finding] = {}
    for app, licences in of_apps(workspace, lock, ()).items():
        for licence in licences:
            verdict: bool | None = None
            if licence.spdx:
                try:
                    verdict = _admits(licensing.parse(licence.text), allow, deny)
                except ExpressionError:
                    verdict = None
            if verdict is True or (verdict is None and not allow):
                continue
            key = (licence.name, licence.text)
            if key in out:
                continue
            why = "the policy denies it" if verdict is False else "it is not known to be allowed"
            out[key] = Finding(
                "ML207",
                None,
                licence.name,
                f"{app} ships {licence.name} {licence.version} under '{licence.text}' "
                f"({licence.source}): {why}",
                "allow its licence in [tool.monolock.check] licenses of the root, or ignore "
                f'it with `ignore = ["ML207:{licence.name}"]`',
                Location("pyproject.toml"),
            )
    return list(out.values())


def _admits(expression: Any, allow: Sequence[str], deny: Sequence[str]) -> bool:
    kind = type(expression).__name__
    if kind == "OR":
        return any(_admits(arg, allow, deny) for arg in expression.args)
    if kind == "AND":
        return all(_admits(arg, allow, deny) for arg in expression.args)
    symbol = getattr(expression, "license_symbol", expression)  # `A WITH exception`: A
    key = str(getattr(symbol, "key", symbol))
    folded = key.casefold()
    if any(folded == d.casefold() for d in deny):
        return False
    return not allow or any(folded == a.casefold() for a in allow)
