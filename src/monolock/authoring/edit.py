"""A requirement written into (or taken out of) one manifest, in its own dialect, with
its formatting and comments kept (tomlkit): PEP 621 lists, PEP 735 groups, uv's
workspace sources; `[tool.poetry]` tables for Poetry packages."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement

from monolock.errors import ManifestError, UsageError
from monolock.model import Package, normalize

Place = tuple[str, str | None]  # ("runtime" | "group" | "extra", its name)


@dataclass(frozen=True)
class Edit:
    text: str  # the manifest after the edit
    changed: bool
    said: str  # "added alpha>=1 to [project].dependencies", "already declared", …


def text_of(path: Path) -> str:
    """A manifest's text with its line endings as they are (read_text would make CRLF
    LF, and a restore of that would rewrite every line)."""
    return path.read_bytes().decode("utf-8")


def unified(shown: str, before: str, after: str) -> str:
    lines = (before.splitlines(keepends=True), after.splitlines(keepends=True))
    return "".join(difflib.unified_diff(*lines, f"a/{shown}", f"b/{shown}"))


def asked(raw: str, package: Package) -> tuple[Requirement, str]:
    """What the user typed, read as PEP 508 (and its normalised name) for `package`."""
    try:
        requirement = Requirement(raw)
    except InvalidRequirement as exc:
        raise UsageError(f"'{raw}' is not a PEP 508 requirement: {exc}") from None
    name = normalize(requirement.name)
    if name == package.name:
        raise UsageError(f"{package.name} cannot require itself")
    return requirement, name


def _name_of(entry: object) -> str | None:
    if not isinstance(entry, str):
        return None
    try:
        return normalize(Requirement(entry).name)
    except ValueError:
        return None


def _pep621_list(doc: Any, place: Place, *, create: bool) -> tuple[Any, str] | None:
    kind, name = place
    if kind == "runtime":
        project = doc.get("project")
        if project is None:
            return None
        if "dependencies" not in project and create:
            project["dependencies"] = tomlkit.array()
        found = project.get("dependencies")
        return (found, "[project].dependencies") if found is not None else None
    table = (
        doc.get("dependency-groups")
        if kind == "group"
        else (doc.get("project") or {}).get("optional-dependencies")
    )
    key = "[dependency-groups]" if kind == "group" else "[project.optional-dependencies]"
    if table is None:
        if not create:
            return None
        table = tomlkit.table()
        if kind == "group":
            doc["dependency-groups"] = table
        else:
            doc["project"]["optional-dependencies"] = table
    for existing in table:
        if normalize(existing) == normalize(name or ""):
            return table[existing], f"{key}.{existing}"
    if not create or name is None:
        return None
    table[name] = tomlkit.array()
    return table[name], f"{key}.{name}"


def add_pep621(
    text: str, requirement: str, place: Place, *, workspace: bool, replace: bool = True
) -> Edit:
    """`requirement` in its list, at its sorted place when the list is sorted; one on the
    same name is replaced when `replace` (the user said which range, extras, marker).
    `workspace` also writes `{ workspace = true }` as its source."""
    doc = tomlkit.parse(text)
    found = _pep621_list(doc, place, create=True)
    if found is None:
        raise ManifestError("has no [project] table to add a dependency to")
    entries, key = found
    name = _name_of(requirement)
    names = [_name_of(e) for e in entries]
    said = f"added {requirement} to {key}"
    if name in names:
        at = names.index(name)
        if str(entries[at]) == requirement or not replace:
            said = f"{entries[at]} is already in {key}"
        else:
            said = f"{entries[at]} -> {requirement} in {key}"
            entries[at] = requirement
    else:
        ordered = [n or "" for n in names]
        at = len(entries)
        if ordered == sorted(ordered):
            at = next((i for i, n in enumerate(ordered) if n > (name or "")), len(entries))
        if "\n" in entries.as_string():
            entries.insert(at, requirement)
        else:  # on one line, tomlkit inserts at the front without a space: laid out anew
            values: list[Any] = list(entries)  # the items themselves: an inline table stays one
            values.insert(at, requirement)
            del entries[:]
            entries.extend(values)
    if workspace and name is not None:
        _source(doc, name)
    out = tomlkit.dumps(doc)
    return Edit(out, out != text, said)


def add_source(text: str, name: str) -> Edit:
    """`name = { workspace = true }` under [tool.uv.sources], unless it has a source."""
    doc = tomlkit.parse(text)
    _source(doc, name)
    out = tomlkit.dumps(doc)
    return Edit(out, out != text, f"{name} = {{ workspace = true }} in [tool.uv.sources]")


def _source(doc: Any, name: str) -> None:
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    uv = tool.setdefault("uv", tomlkit.table(is_super_table=True))
    table = uv.setdefault("sources", tomlkit.table())
    if name not in {normalize(k) for k in table}:
        table[name] = tomlkit.inline_table()
        table[name]["workspace"] = True


def remove_pep621(text: str, name: str, place: Place) -> Edit:
    """Every requirement on `name` out of its list; its workspace source too, when no list
    of the manifest names it any more."""
    doc = tomlkit.parse(text)
    found = _pep621_list(doc, place, create=False)
    if found is None:
        return Edit(text, False, f"there is no {_describe(place)}")
    entries, key = found
    hits = [i for i, e in enumerate(entries) if _name_of(e) == name]
    if not hits:
        return Edit(text, False, f"{name} is not in {key}")
    for i in reversed(hits):
        del entries[i]
    if not _mentions(doc, name):
        uv = (doc.get("tool") or {}).get("uv") or {}
        sources = uv.get("sources") or {}
        for key_name in [k for k in sources if normalize(k) == name]:
            del sources[key_name]
        if "sources" in uv and not uv["sources"]:
            del uv["sources"]  # an empty table left behind is noise
    out = tomlkit.dumps(doc)
    return Edit(out, True, f"removed {name} from {key}")


def _mentions(doc: Any, name: str) -> bool:
    project = doc.get("project") or {}
    lists = [project.get("dependencies") or []]
    lists += list((project.get("optional-dependencies") or {}).values())
    lists += list((doc.get("dependency-groups") or {}).values())
    return any(_name_of(e) == name for entries in lists for e in entries)


def _describe(place: Place) -> str:
    kind, name = place
    return {
        "runtime": "[project].dependencies",
        "group": f"[dependency-groups].{name}",
        "extra": f"[project.optional-dependencies].{name}",
    }[kind]


def _poetry_table(doc: Any, place: Place, *, create: bool) -> tuple[Any, str] | None:
    kind, name = place
    poetry = (doc.get("tool") or {}).get("poetry")
    if poetry is None:
        return None
    if kind == "extra":
        raise ManifestError(
            "an extra in Poetry's dialect (`optional = true` and [tool.poetry.extras]) is "
            "not written by monolock yet",
            hint="use `poetry add --optional`",
        )
    if kind == "runtime":
        owner, key, field = poetry, "[tool.poetry.dependencies]", "dependencies"
    else:
        groups = poetry.get("group")
        if groups is None:
            if not create:
                return None
            groups = poetry["group"] = tomlkit.table(is_super_table=True)
        owner = groups.get(name)
        if owner is None:
            if not create:
                return None
            owner = groups[name or ""] = tomlkit.table()
        key, field = f"[tool.poetry.group.{name}.dependencies]", "dependencies"
    if field not in owner:
        if not create:
            return None
        owner[field] = tomlkit.table()
    return owner[field], key


def add_poetry(text: str, name: str, value: object, place: Place, *, replace: bool) -> Edit:
    """`name = value` (a constraint, or a table) in a Poetry dependency table."""
    doc = tomlkit.parse(text)
    found = _poetry_table(doc, place, create=True)
    if found is None:
        raise ManifestError("has no [tool.poetry] table to add a dependency to")
    table, key = found
    existing = next((k for k in table if normalize(k) == name), None)
    if existing is not None and not replace:
        return Edit(text, False, f"{existing} is already in {key}")
    table[existing or name] = value
    out = tomlkit.dumps(doc)
    return Edit(out, out != text, f"{name} = {_shown(value)} in {key}")


def remove_poetry(text: str, name: str, place: Place) -> Edit:
    doc = tomlkit.parse(text)
    found = _poetry_table(doc, place, create=False)
    if found is None:
        return Edit(text, False, f"there is no {_describe(place)}")
    table, key = found
    hits = [k for k in table if normalize(k) == name]
    if not hits:
        return Edit(text, False, f"{name} is not in {key}")
    for hit in hits:
        del table[hit]
    out = tomlkit.dumps(doc)
    return Edit(out, True, f"removed {name} from {key}")


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_shown(v)}" for k, v in value.items()) + " }"
    return '"' + str(value) + '"' if isinstance(value, str) else str(value).lower()


def remove_each(
    text: str,
    names: Sequence[str],
    place: Place,
    package: Package,
    remove: Callable[[str, str, Place], Edit],
    hint: Callable[[str], str] | None = None,
) -> tuple[str, list[str]]:
    """`text` with each name taken out by `remove` (one dialect's), and what each edit
    said; a name not required there is an error naming the manifest."""
    said: list[str] = []
    for name in names:
        edit = remove(text, normalize(name), place)
        if not edit.changed:
            raise UsageError(
                f"{package.name} does not require {name} there ({edit.said})",
                where=package.manifest,
                hint=hint(normalize(name)) if hint is not None else None,
            )
        text = edit.text
        said.append(edit.said)
    return text, said
