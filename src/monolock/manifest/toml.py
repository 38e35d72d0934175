"""Reading TOML with errors that name the file, line and column."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from monolock.errors import ManifestError

_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def load_toml(path: Path, *, display: str | None = None) -> dict[str, Any]:
    shown = display or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError("file not found", where=shown) from None
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc.strerror}", where=shown) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ManifestError("not UTF-8 text", where=shown) from None
    except RecursionError:
        raise ManifestError("invalid TOML: nested too deeply to be read", where=shown) from None
    except tomllib.TOMLDecodeError as exc:
        text = str(exc)
        match = _AT.search(text)
        if match:
            shown = f"{shown}:{match.group(1)}:{match.group(2)}"
            text = text[: match.start()]
        raise ManifestError(
            f"invalid TOML: {text}", where=shown, hint="fix the syntax at that position"
        ) from None


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
