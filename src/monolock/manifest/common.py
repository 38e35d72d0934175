"""Pieces both dialects share: PEP 508 parsing and `[tool.uv.sources]`-style source tables."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from monolock.errors import ManifestError
from monolock.model import Requirement, Source, normalize


def parse_requirement(text: Any, *, where: str, key: str) -> Requirement:
    if not isinstance(text, str):
        raise ManifestError(f"{key}: expected a PEP 508 string, found {text!r}", where=where)
    found = _parse(text)
    if isinstance(found, str):
        raise ManifestError(
            f"{key}: {text!r} is not a valid PEP 508 requirement ({found})",
            where=where,
            hint="write it as `name[extras] <specifier> ; <marker>`",
        )
    return found


@lru_cache(maxsize=16384)
def _parse(text: str) -> Requirement | str:
    """A requirement, or why it is none; the same line in a thousand members parsed once."""
    # packaging's parser costs a tenth of a second to load: only a manifest read anew needs it
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as Pep508

    try:
        req = Pep508(text)
    except InvalidRequirement as exc:
        return str(exc).splitlines()[0] if str(exc) else "unreadable"
    return Requirement(
        name=normalize(req.name),
        specifier=str(req.specifier),
        extras=tuple(sorted(normalize(e) for e in req.extras)),
        marker=str(req.marker) if req.marker else None,
        url=req.url,
    )


def source_from_table(spec: Any, *, where: str, key: str) -> Source | None:
    """A uv `[tool.uv.sources]` entry (or Poetry's equivalent keys) as a `Source`."""
    if isinstance(spec, list):
        # several sources split by marker: the first one tells the kind, which is what
        # the graph needs (all of a list's entries are of one kind in practice)
        spec = spec[0] if spec else None
    if not isinstance(spec, dict):
        raise ManifestError(f"{key}: expected a table, found {spec!r}", where=where)
    if spec.get("workspace") is True:
        return Source("workspace", editable=bool(spec.get("editable", True)))
    if "path" in spec:
        return Source(
            "path", path=str(spec["path"]), editable=bool(spec.get("editable", spec.get("develop")))
        )
    if "git" in spec:
        rev = spec.get("rev") or spec.get("tag") or spec.get("branch")
        return Source(
            "git", url=str(spec["git"]), rev=rev and str(rev), subdirectory=spec.get("subdirectory")
        )
    if "url" in spec:
        return Source("url", url=str(spec["url"]), subdirectory=spec.get("subdirectory"))
    if "index" in spec:
        return Source("index", index=str(spec["index"]))
    return None


def string_list(value: Any, *, where: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ManifestError(f"{key}: expected a list of strings, found {value!r}", where=where)
    return value
