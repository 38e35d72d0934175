"""Reading TOML with errors that name the file, line and column."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from monolock import replay
from monolock.errors import ManifestError, MonolockError

_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def loads(
    raw: bytes,
    *,
    where: str,
    error: type[MonolockError] = ManifestError,
    hint: str = "fix the syntax at that position",
) -> dict[str, Any]:
    """TOML bytes parsed; anything else is `error` naming the file (and the position)."""
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise error("not UTF-8 text", where=where, hint=hint) from None
    except RecursionError:
        raise error("invalid TOML: nested too deeply to be read", where=where, hint=hint) from None
    except tomllib.TOMLDecodeError as exc:
        text = str(exc)
        match = _AT.search(text)
        if match:
            where = f"{where}:{match.group(1)}:{match.group(2)}"
            text = text[: match.start()]
        raise error(f"invalid TOML: {text}", where=where, hint=hint) from None


def load_toml(path: Path, *, display: str | None = None) -> dict[str, Any]:
    shown = display or str(path)
    return loads(read_bytes(path, shown), where=shown)


def read_bytes(path: Path, shown: str) -> bytes:
    """A manifest's bytes, or a ManifestError that says why not."""
    if path.exists() and not path.is_file():  # a directory, or a pipe that would never end
        raise ManifestError(
            "is not a readable file (a directory, a pipe or a broken link?)",
            where=shown,
            hint="put the file itself there",
        )
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError("file not found", where=shown) from None
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc.strerror}", where=shown) from None
    replay.file(path, raw)
    return raw


def table(data: dict[str, Any], dotted: str) -> dict[str, Any]:
    """The table at a dotted key, or an empty one; never raises on absence."""
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return {}
        node = node.get(part, {})
    return node if isinstance(node, dict) else {}


def known_keys(
    spec: dict[str, Any], allowed: tuple[str, ...], *, key: str, where: str, what: str
) -> None:
    """Refuse a table with a key it does not take: a typo must not pass silently."""
    unknown = sorted(set(spec) - set(allowed))
    if unknown:
        raise ManifestError(
            f"{key}: unknown key '{unknown[0]}'",
            where=where,
            hint=f"{what} takes: {', '.join(allowed)}",
        )
