"""`monolock new lib|app NAME`: a member wired into the workspace, then one lock.

The files come from a template directory: monolock's own (`templates/lib`, `templates/app`)
or the repository's (`[tool.monolock] templates = "DIR"`, or `--template DIR`, holding
`lib/` and `app/`). Every `*.tmpl` file is written without that suffix, `__module__` in a
path becomes the import name, and `{{name}}`, `{{module}}`, `{{python}}` and `{{dev}}`
in a text become the member's name, its import name, the workspace's Python range and the
dev requirements most members share (so the dev pins stay uniform, ML203). The new
member goes inside a members glob when one fits (`packages/*`), else into `members`; an
app is also declared under `[tool.monolock.apps]`. All files are written as one change,
and taken back if uv fails.
"""

from __future__ import annotations

import fnmatch
import json
import keyword
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import tomlkit

from monolock import journal, relock
from monolock.errors import UsageError
from monolock.fsutil import restore
from monolock.model import Workspace, is_name, normalize

KINDS = ("lib", "app")
_BUILTIN = Path(__file__).parent / "templates"
_SUFFIX = ".tmpl"


@dataclass(frozen=True)
class Created:
    member: str
    path: str  # the member's directory, from the root
    files: tuple[str, ...]  # every file written, from the root (the root manifest too)
    outcome: relock.Outcome


def new(
    root: Path,
    kind: str,
    name: str,
    *,
    path: str | None = None,
    python: str | None = None,
    template: Path | None = None,
    uv_args: Sequence[str] = (),
) -> Created:
    from monolock.workspace import discover

    workspace = discover(root)
    relock.require_uv_workspace(root)
    if not is_name(name):
        raise UsageError(f"'{name}' is not a valid distribution name (PEP 508)")
    member = normalize(name)
    if workspace.get(member) is not None or any(
        normalize(a.name) == member for a in workspace.apps
    ):
        raise UsageError(f"a member or an app called '{member}' exists already")
    module = member.replace("-", "_")
    if not module.isidentifier() or keyword.iskeyword(module):
        raise UsageError(
            f"'{member}' would be imported as '{module}', which Python cannot import",
            hint="choose a name that starts with a letter and is no Python keyword",
        )
    manifest = root / "pyproject.toml"
    old_root = manifest.read_bytes()
    data = tomllib.loads(old_root.decode("utf-8"))
    where = _directory(data, member, path)
    if (root / where).exists() and any((root / where).iterdir()):
        raise UsageError(f"{where} exists and is not empty", hint="choose another --path")
    values = {
        "name": member,
        "module": module,
        "python": _python(workspace, python),
        "dev": ", ".join(json.dumps(r) for r in _dev(workspace)),
    }
    files = _render(_templates(root, data, template) / kind, values, where)
    new_root = _wire(old_root.decode("utf-8"), data, where, member, kind, values["module"])
    changes = [journal.Change(p, c) for p, c in files.items()]
    if new_root != old_root.decode("utf-8"):
        changes.append(journal.Change("pyproject.toml", new_root.encode("utf-8")))
    made = sorted(  # the directories it makes for them, deepest first
        {d for p in files for d in (root / p).parents if not d.exists()},
        key=lambda d: -len(d.parts),
    )
    lock = root / "uv.lock"
    old_lock = lock.read_bytes() if lock.is_file() else None
    journal.commit(root, f"new {kind}", changes)
    try:
        outcome = relock.relock(root, uv_args)
        if discover(root).get(member) is None:  # an exclude, a glob that does not reach it
            raise UsageError(
                f"{where} is not a member of the workspace as uv reads it (an exclude?)",
                where="pyproject.toml",
                hint="choose another --path, or change [tool.uv.workspace]",
            )
    except BaseException:
        undo = [journal.Change(p, None) for p in files]
        undo.append(journal.Change("pyproject.toml", old_root))
        journal.commit(root, f"new {kind} (undone)", undo)
        restore(lock, old_lock)
        for directory in made:
            directory.rmdir()
        raise
    return Created(member, where, tuple(c.path for c in changes), outcome)


def _directory(data: dict[str, Any], member: str, path: str | None) -> str:
    """Where the member goes: --path, else beside the others in a `DIR/*` members glob,
    else at the root."""
    if path is not None:
        shown = PurePosixPath(path).as_posix().strip("/")
        parts = PurePosixPath(shown).parts
        if not shown or PurePosixPath(path).is_absolute() or ".." in parts or ".git" in parts:
            raise UsageError(f"--path {path}: a directory inside the repository, please")
        return shown
    for pattern in _members(data):
        parent, _, last = pattern.rpartition("/")
        if last == "*" and parent and not any(c in parent for c in "*?["):
            return f"{parent}/{member}"
    return member


def _members(data: dict[str, Any]) -> list[str]:
    workspace = data.get("tool", {}).get("uv", {}).get("workspace", {})
    found = workspace.get("members", []) if isinstance(workspace, dict) else []
    return [m for m in found if isinstance(m, str)]


def _python(workspace: Workspace, given: str | None) -> str:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if given is not None:
        try:
            return str(SpecifierSet(given))
        except InvalidSpecifier:
            raise UsageError(f"--python {given}: not a version range, e.g. '>=3.11'") from None
    ranges = Counter(p.requires_python for p in workspace.packages if p.requires_python)
    return ranges.most_common(1)[0][0] if ranges else ">=3.11"


def _dev(workspace: Workspace) -> tuple[str, ...]:
    """The dev group most members declare, as they declare it."""
    groups = Counter(
        tuple(
            sorted(
                d.requirement.pep508()
                for d in p.dependencies
                if d.kind == "group" and d.context == "dev"
            )
        )
        for p in workspace.packages
    )
    groups.pop((), None)
    return groups.most_common(1)[0][0] if groups else ()


def _templates(root: Path, data: dict[str, Any], given: Path | None) -> Path:
    configured = data.get("tool", {}).get("monolock", {}).get("templates")
    found = given if given is not None else (root / configured if configured else _BUILTIN)
    if not found.is_dir():
        where = "--template" if given is not None else "tool.monolock.templates"
        raise UsageError(f"{where}: {found} is not a directory holding lib/ and app/")
    return found


def _render(source: Path, values: dict[str, str], where: str) -> dict[str, bytes]:
    if not source.is_dir():
        raise UsageError(f"the templates have no {source.name}/ directory", where=str(source))
    files: dict[str, bytes] = {}
    for template in sorted(p for p in source.rglob(f"*{_SUFFIX}") if p.is_file()):
        relative = template.relative_to(source).as_posix().removesuffix(_SUFFIX)
        relative = relative.replace("__module__", values["module"])
        text = template.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        files[f"{where}/{relative}"] = text.encode("utf-8")
    return files


def _glob(path: str, pattern: str) -> bool:
    """A members glob as uv matches it: segment by segment (`*` stays inside one)."""
    names, parts = path.split("/"), pattern.strip("/").split("/")
    return len(names) == len(parts) and all(map(fnmatch.fnmatchcase, names, parts))


def _wire(text: str, data: dict[str, Any], where: str, member: str, kind: str, module: str) -> str:
    """The root manifest with the member in `members` (unless a glob holds it already)
    and, for an app, its `[tool.monolock.apps]` entry."""
    doc = tomlkit.parse(text)
    patterns = _members(data)
    excluded = data.get("tool", {}).get("uv", {}).get("workspace", {}).get("exclude", [])
    held = any(_glob(where, p) for p in patterns) and not any(_glob(where, p) for p in excluded)
    if not held:
        doc["tool"]["uv"]["workspace"].setdefault("members", tomlkit.array()).append(where)
    if kind == "app":
        tool = doc["tool"]
        monolock = tool.setdefault("monolock", tomlkit.table(is_super_table=True))
        apps = monolock.get("apps")
        if isinstance(apps, list):
            apps.append(member)
        else:
            if apps is None:
                apps = monolock.setdefault("apps", tomlkit.table(is_super_table=True))
            entry = tomlkit.table()
            entry["package"] = member
            entry["command"] = member
            entry["smoke"] = f"python -c 'import {module}'"
            apps[member] = entry
    return tomlkit.dumps(doc)
