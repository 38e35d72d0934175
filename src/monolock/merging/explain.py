"""Why a merge cannot be locked: the merged requirements uv names, each with its side.

A side's lock records what each member required when it was locked (`requires-dist`,
`requires-dev`), so the side a requirement came from is read from the locks alone,
without asking git for the manifests of either parent. A member whose dependencies a
build hook fills in has none in its manifest: what the sides recorded stands for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from monolock.merging.unmet import recorded
from monolock.model import Workspace, normalize

_Key = tuple[str, str, str]  # member, dependency name, its normalised specifier


def requirements(workspace: Workspace, said: str, sides: Mapping[str, dict[str, Any]]) -> list[str]:
    """ "member requires spec (where; side)" for the merged requirements on each
    distribution uv's message names and one side changed: the others did not cause it."""
    recorded = {label: _recorded(data) for label, data in sides.items()}
    merged: dict[_Key, str] = {}  # -> the requirement as shown, with its kind when known
    for package in workspace.packages:
        if {"dependencies", "optional-dependencies"} & set(package.dynamic):
            for shown in recorded.values():
                merged.update((k, f"{v} (") for k, v in shown.items() if k[0] == package.name)
            continue
        for dep in package.dependencies:
            key = (package.name, dep.name, _spec(dep.requirement.specifier))
            merged[key] = f"{dep.requirement.pep508()} ({dep.label}; "

    def origin(key: _Key) -> str:
        found = [label for label, keys in recorded.items() if key in keys]
        if len(found) == len(sides):
            return "both sides"
        return f"from {found[0]}" if found else "new in the merge"

    text = said.lower()
    named = {
        name
        for _, name, _ in merged
        if re.search(rf"(?<![a-z0-9._-]){re.escape(name)}(?![a-z0-9_-])", text)
    }
    changed = {key[1] for key in merged if key[1] in named and origin(key) != "both sides"}
    return [
        f"{key[0]} requires {shown}{origin(key)})"
        for key, shown in merged.items()
        if key[1] in changed
    ]


def _recorded(data: dict[str, Any]) -> dict[_Key, str]:
    """What each member required when this side locked: key -> the requirement shown."""
    found: dict[_Key, str] = {}
    for package in data.get("package", []):
        for entry in recorded(package):
            spec, marker = entry.get("specifier"), entry.get("marker")
            spec = spec if isinstance(spec, str) else ""
            marker = marker if isinstance(marker, str) else None
            name = normalize(entry["name"])
            key = (normalize(package["name"]), name, _spec(spec))
            found[key] = f"{name}{spec}" + (f"; {marker}" if marker else "")
    return found


def _spec(text: str) -> str:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return str(SpecifierSet(text))
    except InvalidSpecifier:
        return text.replace(" ", "")
