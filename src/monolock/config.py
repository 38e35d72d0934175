"""The root `[tool.monolock]` table: which members are apps, and how they run."""

from __future__ import annotations

from typing import Any

from monolock.errors import ManifestError
from monolock.manifest.toml import table
from monolock.model import App, normalize


def read_apps(data: dict[str, Any], *, where: str) -> tuple[App, ...]:
    """`apps = ["a", "b"]`, or one `[tool.monolock.apps.NAME]` table per app."""
    raw = table(data, "tool.monolock").get("apps")
    if raw is None:
        return ()
    apps: list[App] = []
    if isinstance(raw, list):
        for i, name in enumerate(raw):
            if not isinstance(name, str):
                raise ManifestError(
                    f"tool.monolock.apps[{i}]: expected a member name, found {name!r}", where=where
                )
            apps.append(App(name=name, package=normalize(name)))
    elif isinstance(raw, dict):
        for name, spec in raw.items():
            key = f"tool.monolock.apps.{name}"
            if not isinstance(spec, dict):
                raise ManifestError(f"{key}: expected a table", where=where)
            for field in ("package", "command", "smoke"):
                if field in spec and not isinstance(spec[field], str):
                    raise ManifestError(f"{key}.{field}: expected a string", where=where)
            apps.append(
                App(
                    name=name,
                    package=normalize(spec.get("package", name)),
                    command=spec.get("command"),
                    smoke=spec.get("smoke"),
                )
            )
    else:
        raise ManifestError(
            "tool.monolock.apps: expected a list of member names or a table of apps", where=where
        )
    return tuple(sorted(apps, key=lambda a: normalize(a.name)))
