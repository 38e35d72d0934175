"""Why a merge cannot be locked: the merged requirements uv names, each with its side.

A side's lock records what each member required when it was locked (`requires-dist`,
`requires-dev`), so the side a requirement came from is read from the locks alone,
without asking git for the manifests of either parent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from monolock.model import Workspace, normalize

_Key = tuple[str, str, str]  # member, dependency name, its normalised specifier


def requirements(workspace: Workspace, said: str, sides: Mapping[str, dict[str, Any]]) -> list[str]:
    """ "member requires spec (where; side)" for every merged requirement on a distribution
    uv's message names."""
    text = said.lower()
    named = {
        d.name
        for p in workspace.packages
        for d in p.dependencies
        if re.search(rf"(?<![a-z0-9._-]){re.escape(d.name)}(?![a-z0-9_-])", text)
    }
    declared = {label: _declared(data) for label, data in sides.items()}
    lines = []
    for package in workspace.packages:
        for dep in package.dependencies:
            if dep.name not in named:
                continue
            key = (package.name, dep.name, _spec(dep.requirement.specifier))
            found = [label for label, keys in declared.items() if key in keys]
            origin = (
                "both sides"
                if len(found) == len(sides)
                else f"from {found[0]}"
                if found
                else "new in the merge"
            )
            spec = dep.requirement.pep508()
            lines.append(f"{package.name} requires {spec} ({dep.label}; {origin})")
    return lines


def _declared(data: dict[str, Any]) -> set[_Key]:
    keys: set[_Key] = set()
    for package in data.get("package", []):
        metadata = package.get("metadata")
        if not isinstance(metadata, dict):
            continue
        entries = list(metadata.get("requires-dist", []))
        for group in (metadata.get("requires-dev") or {}).values():
            entries += group
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                spec = entry.get("specifier", "")
                keys.add(
                    (
                        normalize(package["name"]),
                        normalize(entry["name"]),
                        _spec(spec if isinstance(spec, str) else ""),
                    )
                )
    return keys


def _spec(text: str) -> str:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return str(SpecifierSet(text))
    except InvalidSpecifier:
        return text.replace(" ", "")
