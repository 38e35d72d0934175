"""The root `[tool.monolock]` table: which members are apps, and how they run.

Everything here may end up in a Dockerfile or a shell, so it is validated as it is read:
a Python version is digits and dots, a base image is an image reference, shipped files are
relative paths that stay inside the repository.
"""

from __future__ import annotations

import re
import shlex
from pathlib import PurePosixPath
from typing import Any

from monolock.errors import ManifestError, UsageError, known
from monolock.manifest.toml import known_keys, table
from monolock.model import App, Workspace, normalize

_FIELDS = ("package", "command", "smoke", "python", "base-image", "files")
# every pattern is matched whole (`fullmatch`): `$` would let a trailing newline through
# into a Dockerfile line
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_PYTHON = re.compile(r"3\.[0-9]{1,2}(\.[0-9]{1,3})?")
# registry/path:tag@digest, lowercase path components as the OCI distribution spec has them
_REFERENCE = (
    r"(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
)
_IMAGE = re.compile(_REFERENCE + r"(?:@sha256:[0-9a-f]{64})?")
_TAG = re.compile(_REFERENCE)  # what an image is built as: a digest names what exists


def is_image_tag(text: str) -> bool:
    return len(text) <= 255 and _TAG.fullmatch(text) is not None


def is_python_version(text: str) -> bool:
    return _PYTHON.fullmatch(text) is not None


def _string(spec: dict[str, Any], field: str, key: str, where: str) -> str | None:
    value = spec.get(field)
    if value is not None and not isinstance(value, str):
        raise ManifestError(f"{key}.{field}: expected a string, found {value!r}", where=where)
    return value


def _files(spec: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    raw = spec.get("files", [])
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
        raise ManifestError(f"{key}.files: expected a list of paths", where=where)
    out: list[str] = []
    for item in raw:
        path = PurePosixPath(item)
        if (
            not path.parts
            or path.is_absolute()
            or ".." in path.parts
            or ".git" in path.parts
            or "\\" in item
        ):
            raise ManifestError(
                f"{key}.files: {item!r} must be a relative path inside the repository",
                where=where,
                hint="paths are relative to the repository root, without '..', and name "
                "something below it other than .git",
            )
        out.append(str(path))
    return tuple(sorted(set(out)))


def _check_name(name: str, key: str, where: str) -> None:
    if _NAME.fullmatch(name) is None:
        raise ManifestError(
            f"{key}: {name!r} is not a valid app name",
            where=where,
            hint="use letters, digits, '.', '-' and '_' (a PEP 508 name)",
        )


def _app(name: str, spec: Any, where: str) -> App:
    from monolock.shape import join

    key = join("tool.monolock.apps", name)
    _check_name(name, key, where)
    if not isinstance(spec, dict):
        raise ManifestError(f"{key}: expected a table", where=where)
    known_keys(spec, _FIELDS, key=key, where=where, what="an app")
    command = _string(spec, "command", key, where)
    if command is not None:
        try:
            if not shlex.split(command):
                raise ValueError("empty")
        except ValueError as exc:
            raise ManifestError(
                f"{key}.command: cannot be split into arguments ({exc})", where=where
            ) from None
    python = _string(spec, "python", key, where)
    if python is not None and not is_python_version(python):
        raise ManifestError(
            f'{key}.python: {python!r} is not a Python version like "3.12"', where=where
        )
    image = _string(spec, "base-image", key, where)
    if image is not None and (len(image) > 255 or _IMAGE.fullmatch(image) is None):
        raise ManifestError(
            f"{key}.base-image: {image!r} is not an image reference",
            where=where,
            hint='for example "python:3.12-slim" or "registry.example.com/base/python:3.12"',
        )
    return App(
        name=name,
        package=normalize(_string(spec, "package", key, where) or name),
        command=command,
        smoke=_string(spec, "smoke", key, where),
        python=python,
        base_image=image,
        files=_files(spec, key, where),
    )


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
            _check_name(name, f"tool.monolock.apps[{i}]", where)
            apps.append(App(name=name, package=normalize(name)))
    elif isinstance(raw, dict):
        apps = [_app(name, spec, where) for name, spec in raw.items()]
    else:
        raise ManifestError(
            "tool.monolock.apps: expected a list of member names or a table of apps", where=where
        )
    return tuple(sorted(apps, key=lambda a: normalize(a.name)))


def find_app(workspace: Workspace, name: str) -> App:
    """The app called `name`; any member is also an app, with default settings."""
    app = workspace.app(name)
    if app is not None:
        return app
    member = workspace.get(name)
    if member is not None:
        return App(name=member.name, package=member.name)
    raise UsageError(
        f"unknown app '{name}': no app or member is called that",
        hint=known(name, [a.name for a in workspace.apps] + list(workspace.by_name))
        + "; declare apps under [tool.monolock.apps.NAME] in the root pyproject.toml",
    )


def read_import_names(data: dict[str, Any], *, where: str) -> dict[str, tuple[str, ...]]:
    """`[tool.monolock.import-names]`: "dist" = ["module", ...], for the rare distribution
    whose wheel cannot be read."""
    raw = table(data, "tool.monolock").get("import-names", {})
    if not isinstance(raw, dict):
        raise ManifestError("tool.monolock.import-names: expected a table", where=where)
    out: dict[str, tuple[str, ...]] = {}
    for dist, names in raw.items():
        key = f"tool.monolock.import-names.{dist}"
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(
            isinstance(n, str) and all(p.isidentifier() for p in n.split(".")) for n in names
        ):
            raise ManifestError(
                f"{key}: expected a list of dotted module names",
                where=where,
                hint='for example "scikit-learn" = ["sklearn"]',
            )
        out[normalize(dist)] = tuple(names)
    return out


# the name a requirement line starts with (PEP 508), what follows it left to uv
_LEADING_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:[\[(;@<>=!~]|$)")


def read_root_groups(data: dict[str, Any]) -> frozenset[str]:
    """Names the root manifest declares for development (PEP 735 groups, uv's
    dev-dependencies), whether or not the root is a project itself. Only the names are
    needed: a line uv would refuse is uv's to report."""
    texts: list[str] = []
    groups = data.get("dependency-groups", {})
    if isinstance(groups, dict):
        for group in groups.values():
            texts += [t for t in group if isinstance(t, str)] if isinstance(group, list) else []
    dev = table(data, "tool.uv").get("dev-dependencies", [])
    if isinstance(dev, list):
        texts += [t for t in dev if isinstance(t, str)]
    found = (_LEADING_NAME.match(text) for text in texts)
    return frozenset(normalize(m.group(1)) for m in found if m)
